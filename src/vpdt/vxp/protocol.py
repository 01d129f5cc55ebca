"""The VXP wire protocol (national axis, as the official Java SDK speaks it): pure code.

Reading: `read_signed_headers` takes the request headers, checks the XroadVnpt header
signature against the ``sign-header`` string exactly as received, and returns the
values from that signed JSON (the only values the hub trusts). Writing: `sign_headers`
builds the header list a client sends, in the SDK's own order; `response` builds the
JSON body every operation answers with. See docs/VXP.md in the shared docs.

No Django here: the hub, the client and the tests use it without settings.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

PREFIX = "XroadVnpt-"
SIGN_HEADER_KEY = PREFIX + "sign-header-key"
SIGN_HEADER = PREFIX + "sign-header"
HASH_HEADER = PREFIX + "hash-header"
USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
VERSION = "3.0.201608"

OPERATIONS = (
    "sendEdoc",
    "getReceivedEdocList",
    "getEdoc",
    "downloadEdoc",
    "updateStatus",
    "getSentEdocList",
    "countReceiveEdoc",
    "countReceiveStatus",
    "getAgenciesList",
    "getAgenciesListQD20",
    "getSynchronizeUnit",
    "registerAgency",
    "deleteAgency",
)
MESSAGE_TYPES = ("edoc", "status")
TRANSPORT_STATUSES = ("done", "fail", "processing")


# --------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class ErrorCode:
    """One way a request is refused: the VXP ErrorCode, a Vietnamese message, an English title."""

    code: str
    message: str
    title: str


E = ErrorCode
OK = E("0", "Thành công", "Success")
SIGNATURE_MISSING = E("101", "Thiếu hoặc sai định dạng chữ ký tiêu đề (XroadVnpt-sign-header)", "signature header missing or malformed")
UNKNOWN_SYSTEM = E("102", "Hệ thống gửi yêu cầu chưa được đăng ký trên trục", "unknown or disabled systemid")
BAD_SIGNATURE = E("103", "Chữ ký tiêu đề không đúng (sai khóa bí mật hoặc tiêu đề bị sửa)", "HMAC-SHA256 of sign-header does not match hash-header")
HEADER_MISMATCH = E("104", "Giá trị tiêu đề khác với giá trị đã ký", "a header differs from its signed value")
BAD_REQUEST = E("105", "Yêu cầu thiếu thông tin bắt buộc hoặc sai định dạng", "missing or invalid request field")
UNKNOWN_OPERATION = E("106", "Thao tác không được hỗ trợ", "unknown operation")
STALE_REQUEST = E("107", "Thời điểm gửi yêu cầu (XroadVnpt-timestamp) thiếu, sai định dạng hoặc lệch quá nhiều so với giờ của trục; kiểm tra đồng hồ và múi giờ của hệ thống gửi", "timestamp missing, malformed or outside the hub's clock window")
REPLAYED = E("108", "Yêu cầu này đã được trục nhận trước đó (chữ ký trùng): mỗi yêu cầu chỉ được chấp nhận một lần", "request signature already used (replay)")
UNSIGNED_DOWNLOAD = E("109", "Yêu cầu tải gói tin không có chữ ký và mã gói tin (cách gọi downloadEdoc2 của SDK): hãy dùng getEdoc hoặc downloadEdoc", "unsigned downloadEdoc (the SDK's downloadEdoc2): use getEdoc or downloadEdoc")
HASH_MISMATCH = E("201", "Nội dung gói tin không khớp mã băm (gói tin bị cắt hoặc bị sửa khi truyền)", "hash-file does not match the body")
TOO_LARGE = E("202", "Gói tin vượt quá kích thước cho phép của trục", "package larger than the hub accepts")
MALFORMED = E("203", "Gói tin không đúng định dạng edXML", "package is not well-formed edXML")
FORGED_FROM = E("204", "Mã đơn vị gửi không thuộc hệ thống đã xác thực", "From code does not belong to the authenticated system")
UNKNOWN_RECEIVER = E("205", "Mã đơn vị nhận không có trên trục", "receiver code unknown to this hub and its upper hub")
NO_RECEIVER = E("206", "Gói tin không có đơn vị nhận", "no receiver in the to header nor in the package")
BAD_MESSAGE_TYPE = E("207", "Loại gói tin không đúng (edoc hoặc status)", "messagetype must be edoc or status")
NOT_FOUND = E("301", "Không tìm thấy gói tin", "no such docId for this system")
BAD_STATUS = E("302", "Trạng thái không hợp lệ (done, fail hoặc processing)", "status must be done, fail or processing")
CONTENT_GONE = E("303", "Nội dung gói tin đã bị xóa theo thời hạn lưu trữ", "package content removed by retention")
AGENCY_EXISTS = E("401", "Mã đơn vị đã được hệ thống khác đăng ký", "agency code owned by another system")
AGENCY_NOT_FOUND = E("402", "Không tìm thấy đơn vị", "no such agency")
NOT_ALLOWED = E("403", "Hệ thống không có quyền với đơn vị này (ngoài phạm vi mã được quản trị trục cấp)", "agency outside the subtrees granted to the system")
AGENCY_UPSTREAM = E("404", "Mã đơn vị đã có trên trục cấp trên, không được đăng ký tại trục này", "agency code known to the upper hub")
STORAGE_FULL = E("501", "Trục hết dung lượng lưu trữ, vui lòng gửi lại sau", "hub storage full (ENOSPC or below minimum free space)")
INTERNAL = E("599", "Lỗi nội bộ của trục, vui lòng gửi lại sau", "internal error")
UPSTREAM_UNREACHABLE = E("601", "Không kết nối được trục cấp trên", "upper hub unreachable")

ALL_ERRORS = {e.code: e for e in list(globals().values()) if isinstance(e, ErrorCode)}
# Refusals a sender may retry unchanged (transient); others need a fix first.
RETRYABLE = {STORAGE_FULL.code, INTERNAL.code, UPSTREAM_UNREACHABLE.code}


class VxpError(Exception):
    """A refused request: `error` (ErrorCode) and `detail` for the integrator.

    A hub sets `system_id` (and `authenticated`) when the refusal comes after the caller's
    system was identified, so that the refusal is recorded against it."""

    system_id = ""
    authenticated = False

    def __init__(self, error: ErrorCode, detail: str = ""):
        self.error = error
        self.detail = detail
        super().__init__(f"{error.code} {error.title}: {detail}" if detail else f"{error.code} {error.title}")

    @property
    def code(self) -> str:
        return self.error.code

    def description(self) -> str:
        return f"{self.error.message}. {self.detail}" if self.detail else self.error.message


# --------------------------------------------------------------------------- hashing
def hash_file_hex(digest: bytes) -> str:
    """The SDK's hash-file: each byte as hex WITHOUT zero padding (32..64 characters)."""
    return "".join(f"{b:x}" for b in digest)


def hash_file_matches(claimed: str, digest: bytes) -> bool:
    """True when `claimed` is the SDK's unpadded hex of `digest` (or the usual padded hex)."""
    claimed = (claimed or "").strip().lower()
    return hmac.compare_digest(claimed, hash_file_hex(digest)) or hmac.compare_digest(claimed, digest.hex())


def sign(secret: str, sign_header: str) -> str:
    return hmac.new(secret.encode("utf-8"), sign_header.encode("utf-8"), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- reading
@dataclass
class SignedHeaders:
    """The signed values of one request, keyed by their unprefixed name (case kept)."""

    raw: str  # the sign-header string as received
    hash_header: str
    values: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        if key in self.values:
            return self.values[key]
        lowered = key.lower()
        for k, v in self.values.items():
            if k.lower() == lowered:
                return v
        return default

    @property
    def system_id(self) -> str:
        return self.get("systemid") or ""

    @property
    def message_type(self) -> str | None:
        value = self.get("messagetype")
        return value.strip().lower() if value else None

    @property
    def to_codes(self) -> list[str] | None:
        value = self.get("to")
        return None if value is None else parse_to(value)

    def verify(self, secret: str) -> bool:
        return hmac.compare_digest(sign(secret, self.raw), self.hash_header.strip().lower())


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for k, v in headers.items():
        if k.lower() == lowered:
            return v
    return None


def read_signed_headers(headers: Mapping[str, str]) -> SignedHeaders:
    """Parse the signature headers and cross-check every signed value with its header.

    Does not check the HMAC (that needs the system's secret, looked up by
    `SignedHeaders.system_id`): call `SignedHeaders.verify(secret)` next. Unknown keys are
    kept and ignored; the timestamp is not checked (the SDK freezes it).
    """
    raw = _header(headers, SIGN_HEADER)
    hash_header = _header(headers, HASH_HEADER)
    if not raw or not hash_header:
        raise VxpError(SIGNATURE_MISSING, f"headers {SIGN_HEADER} and {HASH_HEADER} are required")
    try:
        signed = json.loads(raw)
    except ValueError as exc:
        raise VxpError(SIGNATURE_MISSING, f"{SIGN_HEADER} is not JSON: {exc}") from None
    if not isinstance(signed, dict):
        raise VxpError(SIGNATURE_MISSING, f"{SIGN_HEADER} must be a JSON object")
    values: dict[str, str] = {}
    for name, value in signed.items():
        if not isinstance(name, str) or not name.lower().startswith(PREFIX.lower()):
            continue  # not a header the SDK signs: ignore rather than trust
        if not isinstance(value, str):
            value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        actual = _header(headers, name)
        if actual is not None and actual != value and not _same_after_latin1(actual, value):
            raise VxpError(HEADER_MISMATCH, f"header {name} is {actual!r} but signed {value!r}")
        values[name[len(PREFIX):]] = value
    result = SignedHeaders(raw=raw, hash_header=hash_header, values=values)
    if not result.system_id:
        raise VxpError(SIGNATURE_MISSING, f"{PREFIX}systemid missing from {SIGN_HEADER}")
    return result


def _same_after_latin1(actual: str, signed: str) -> bool:
    """The SDK may cut non-ASCII header values to one byte per character."""
    try:
        return actual == signed.encode("utf-16-le")[::2].decode("latin-1")
    except UnicodeError:
        return False


def parse_to(value: str) -> list[str]:
    """`to` arrives as JSON: a quoted string or an array. A bare code list is tolerated."""
    value = (value or "").strip()
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = [part for part in value.split(",")]
    if isinstance(parsed, str):
        parsed = [parsed]
    if not isinstance(parsed, list):
        raise VxpError(BAD_REQUEST, "to must be a JSON string or an array of codes")
    codes = []
    for item in parsed:
        if isinstance(item, dict):  # some clients send [{"code": ...}]
            item = item.get("code") or item.get("OrganId") or ""
        if not isinstance(item, str):
            raise VxpError(BAD_REQUEST, f"to: {item!r} is not a code")
        item = item.strip()
        if item and item not in codes:
            codes.append(item)
    return codes


# --------------------------------------------------------------------------- writing
def java_string_hash(s: str) -> int:
    h = 0
    for unit in _utf16_units(s):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h


def _utf16_units(s: str) -> Iterable[int]:
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        yield (data[i] << 8) | data[i + 1]


def java_hashmap_order(keys: Iterable[str]) -> list[str]:
    """The iteration order of a java.util.HashMap<String, ?> filled with `keys` in order.

    The SDK builds its header map in a HashMap, so this is the order its headers (and
    the sign-header JSON) appear in. Buckets in index order, insertion order within one.
    A client asks it for every request with one of a few key lists (its operations' headers):
    each list's order is worked out once per process (Java's string hash, one character at a
    time in Python, was about a tenth of a request's signing).
    """
    return list(_hashmap_order(tuple(keys)))


@functools.lru_cache(maxsize=256)
def _hashmap_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    items: list[str] = []
    capacity = 16
    for key in keys:
        if key in items:
            continue
        items.append(key)
        if len(items) > capacity * 0.75:
            capacity *= 2

    def bucket(key: str) -> int:
        h = java_string_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    position = {k: i for i, k in enumerate(items)}
    return tuple(sorted(items, key=lambda k: (bucket(k), position[k])))


# The SDK writes its timestamp in the JVM's local time, without a zone: systems in Vietnam run
# on Vietnam time, so that is how vpdt writes it and how a hub reads it unless told otherwise.
SDK_TIME_ZONE = "Asia/Ho_Chi_Minh"
_TIMESTAMP = re.compile(r"^(\d{2})(\d{2})(\d{4})T(\d{2})(\d{2})(\d{2})\+(\d{1,4})$")


def sdk_timestamp(now: datetime | None = None, time_zone: str = SDK_TIME_ZONE) -> str:
    """`ddMMyyyy'T'HHmmss+SSSS`: the `+` is literal, SSSS the milliseconds on 4 digits.

    `now` is written as given when naive; otherwise (and by default) in `time_zone`."""
    if now is None:
        now = datetime.now(ZoneInfo(time_zone))
    elif now.tzinfo is not None:
        now = now.astimezone(ZoneInfo(time_zone))
    return now.strftime("%d%m%YT%H%M%S") + f"+{now.microsecond // 1000:04d}"


def parse_sdk_timestamp(value: str | None, time_zone: str = SDK_TIME_ZONE) -> datetime:
    """The aware instant of an SDK timestamp read as a wall time in `time_zone`.

    Raises `VxpError(STALE_REQUEST)` when it is missing or not in the SDK's format."""
    match = _TIMESTAMP.match((value or "").strip())
    if not match:
        raise VxpError(STALE_REQUEST, f"{PREFIX}timestamp {value!r} is not ddMMyyyy'T'HHmmss+SSSS")
    day, month, year, hour, minute, second, millis = (int(g) for g in match.groups())
    try:
        wall = datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(time_zone))
    except ValueError as exc:
        raise VxpError(STALE_REQUEST, f"{PREFIX}timestamp {value!r}: {exc}") from None
    return wall + timedelta(milliseconds=millis)


def sign_headers(
    system_id: str,
    secret: str,
    values: Mapping[str, str],
    *,
    timestamp: str | None = None,
    content_type: str = "application/octet-stream",
    time_zone: str = SDK_TIME_ZONE,
) -> list[tuple[str, str]]:
    """The XroadVnpt headers the SDK sends for `values` (caller's keys, case kept), in its order."""
    header_map: dict[str, str] = {"timestamp": timestamp or sdk_timestamp(time_zone=time_zone), "systemid": system_id,
                                  "Content-Type": content_type}
    for key, value in values.items():
        header_map[key] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    ordered = java_hashmap_order(header_map)
    signed = {PREFIX + k: header_map[k] for k in ordered}
    sign_header = json.dumps(signed, separators=(",", ":"), ensure_ascii=False)
    headers = [("Content-Type", content_type)]
    headers += [(PREFIX + k, header_map[k]) for k in ordered]
    headers += [
        (SIGN_HEADER_KEY, ";".join(ordered)),
        (SIGN_HEADER, sign_header),
        (HASH_HEADER, sign(secret, sign_header)),
        ("User-Agent", USER_AGENT),
        (PREFIX + "version", VERSION),
    ]
    return headers


def response(error: ErrorCode = OK, detail: str = "", **extra) -> dict:
    """The body every operation answers: status, ErrorCode, ErrorDesc never null, then extras."""
    body = {
        "status": "OK" if error is OK else "FAIL",
        "ErrorCode": error.code,
        "ErrorDesc": ("Success" if error is OK else error.message) + (f". {detail}" if detail else ""),
    }
    body.update(extra)
    return body


def error_response(exc: VxpError, **extra) -> dict:
    return response(exc.error, exc.detail, **extra)


def dumps(body: Mapping) -> bytes:
    """JSON with every non-ASCII character escaped: the SDK reads some answers as US-ASCII."""
    return json.dumps(body, ensure_ascii=True, separators=(",", ":"), default=str).encode("ascii")
