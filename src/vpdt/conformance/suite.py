"""The checks: one run of test exchanges against a hub, each outcome a `Check` with a stable id.

Ids read `<area>.<item>.<aspect>[.<direction>]`: `edoc.new.listed.s2r` (the new document the
sender sent was listed at the receiver), `status.05.delivered.r2s` (the status 05 the receiver
sent arrived at the sender). A check whose prerequisite did not pass is not run (outcome
`skip`, naming the prerequisite), so a failure names exactly the behaviour that broke.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from vpdt.edxml import EdxmlError, read_package
from vpdt.vxp.client import VxpClient, VxpProtocolError, VxpRemoteError

from . import packages as P
from .packages import Built, Party

PASS, FAIL, SKIP = "pass", "fail", "skip"
TIME_ZONE = "Asia/Ho_Chi_Minh"
PREEXISTING = "có từ trước khi kiểm tra"
TOOL = "vpdt conformance"
REPORT_VERSION = 1
# What a hub answers (vpdt's error codes, docs/hub.md): wrong secret, unknown system, From not
# the caller's, receiver unknown.
# not found (a docId not one's own).
BAD_SIGNATURE, UNKNOWN_SYSTEM, FORGED_FROM, UNKNOWN_RECEIVER, NOT_FOUND = "103", "102", "204", "205", "301"


class Mismatch(Exception):
    """A check saw something else than expected: the message says what (Vietnamese)."""


@dataclass
class Check:
    id: str
    name: str  # Vietnamese title
    what: str  # what was checked (the operations and parties)
    expected: str
    got: str = ""
    outcome: str = SKIP
    at: str = ""  # when it ran (ISO 8601, Vietnam time)
    duration_ms: int = 0


@dataclass
class Report:
    endpoint: str
    sender: dict
    receiver: dict
    run_id: str
    started: str = ""
    finished: str = ""
    checks: list[Check] = field(default_factory=list)
    options: dict = field(default_factory=dict)  # how the run was made (timeouts, signing, codes)

    @property
    def summary(self) -> dict:
        counts = {PASS: 0, FAIL: 0, SKIP: 0}
        for c in self.checks:
            counts[c.outcome] += 1
        return {"total": len(self.checks), "passed": counts[PASS], "failed": counts[FAIL], "skipped": counts[SKIP]}

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.outcome == PASS for c in self.checks)

    def failed(self) -> list[str]:
        return [c.id for c in self.checks if c.outcome == FAIL]

    def skipped(self) -> list[str]:
        return [c.id for c in self.checks if c.outcome == SKIP]

    def to_dict(self) -> dict:
        return {
            "tool": TOOL, "report_version": REPORT_VERSION, "run_id": self.run_id, "endpoint": self.endpoint,
            "sender": self.sender, "receiver": self.receiver, "options": self.options,
            "started": self.started, "finished": self.finished,
            "result": PASS if self.ok else FAIL, "summary": self.summary,
            "checks": [asdict(c) for c in self.checks],
        }


def _now() -> dt.datetime:
    return dt.datetime.now(ZoneInfo(TIME_ZONE))


@dataclass
class Received:
    """One item of a party's waiting list, downloaded once (getEdoc) and recognised if it can be."""

    doc_id: str
    entry: dict
    path: Path | None
    sha256: str | None
    key: tuple | None
    error: str = ""
    claimed: bool = False


class Inbox:
    """What waits for one party at the hub: each listed item downloaded once and matched to the
    package sent (by SHA-256, else by what the reader finds in it). Items of earlier runs or of
    other senders are downloaded, never acknowledged."""

    def __init__(self, client: VxpClient, party: Party, directory: Path):
        self.client = client
        self.party = party
        self.directory = directory
        self.items: dict[tuple[str, str], Received] = {}

    def snapshot(self) -> int:
        """Note what already waits (earlier runs, other senders) without fetching it: never
        matched, never fetched, never acknowledged. Returns how many items wait."""
        count = 0
        for message_type in ("edoc", "status"):
            for entry in self.client.get_received_edoc_list(message_type=message_type):
                doc_id = str(entry.get("docId", ""))
                self.items[(message_type, doc_id)] = Received(doc_id, entry, None, None, None, PREEXISTING)
                count += 1
        return count

    def scan(self, message_type: str) -> list[dict]:
        entries = self.client.get_received_edoc_list(message_type=message_type)
        for entry in entries:
            doc_id = str(entry.get("docId", ""))
            if (message_type, doc_id) in self.items:
                self.items[(message_type, doc_id)].entry = entry
                continue
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", doc_id)[:80] or "x"
            path = self.directory / f"in-{self.party.letter}-{message_type}-{len(self.items)}-{safe}.edxml"
            item = Received(doc_id, entry, None, None, None)
            try:
                item.sha256 = self.client.get_edoc(doc_id, path)
                item.path = path
                item.key = P.match_key(read_package(path, verify_signature=False))
            except (VxpRemoteError, VxpProtocolError, EdxmlError, OSError) as exc:
                item.error = _explain(exc)
            self.items[(message_type, doc_id)] = item
        return entries

    def find(self, built: Built, timeout: float, poll: float) -> Received | None:
        deadline = time.monotonic() + timeout
        while True:
            self.scan(built.kind)
            candidates = [r for (mt, _), r in self.items.items() if mt == built.kind and not r.claimed]
            match = next((r for r in candidates if r.sha256 == built.sha256), None) or next(
                (r for r in candidates if r.key == built.match_key), None)
            if match is not None:
                match.claimed = True
                return match
            if time.monotonic() >= deadline:
                return None
            time.sleep(poll)

    def unreadable(self, message_type: str) -> list[Received]:
        """Items listed during the run that could not be fetched or read (not those noted before)."""
        return [r for (mt, _), r in self.items.items()
                if mt == message_type and not r.claimed and r.error and r.error != PREEXISTING]

    def matching(self, built: Built) -> list[Received]:
        return [r for (mt, _), r in self.items.items()
                if mt == built.kind and (r.sha256 == built.sha256 or r.key == built.match_key)]


def _explain(exc: BaseException) -> str:
    if isinstance(exc, VxpRemoteError):
        return f"trục từ chối ({exc.operation}): status FAIL, ErrorCode {exc.code}: {exc.description}"
    if isinstance(exc, VxpProtocolError):
        return f"trả lời không đúng giao thức VXP: {exc}"
    if isinstance(exc, httpx.HTTPError):
        return f"lỗi kết nối tới trục: {type(exc).__name__}: {exc}"
    if isinstance(exc, EdxmlError):
        return f"gói tin nhận được không đọc được (edXML): {exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _diff(sent: dict, got: dict) -> list[str]:
    return [f"{name}: đã gửi {sent.get(name)!r}, nhận được {got.get(name)!r}"
            for name in sent if sent.get(name) != got.get(name)]


DIRECTION_NAMES = {"s2r": "bên gửi → bên nhận", "r2s": "bên nhận → bên gửi"}


class Suite:
    """`Suite(endpoint, sender, receiver).run()` -> `Report`.

    `timeout`: how long a package may take to be listed at its receiver (seconds);
    `poll`: the pause between two looks; `unknown_code`: an agency code no hub has;
    `transport`: an httpx transport (tests), else plain HTTP; `sdk_habits`: sign as the official
    SDK does when used as its example shows (no nonce key, keys of earlier calls kept in later
    ones) instead of vpdt's client's own way.
    """

    def __init__(self, endpoint: str, sender: Party, receiver: Party, *, timeout: float = 30.0,
                 poll: float = 0.5, unknown_code: str = "999.99.99.Z99", http_timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None, workdir: str | Path | None = None,
                 sdk_habits: bool = False, receiver_qd20: str | None = None, keep: str | Path | None = None,
                 progress: Callable[[Check], None] | None = None):
        self.endpoint = endpoint
        self.sender = sender
        self.receiver = receiver
        self.timeout = timeout
        self.poll = poll
        self.unknown_code = unknown_code
        self.http_timeout = http_timeout
        self.transport = transport
        self.workdir = workdir
        self.progress = progress
        self.sdk_habits = sdk_habits
        self.receiver_qd20 = receiver_qd20
        self.keep = Path(keep) if keep else None
        self.run_id = secrets.token_hex(3)
        self.report = Report(endpoint, sender.public(), receiver.public(), self.run_id, options={
            "timeout": timeout, "poll": poll, "unknown_code": unknown_code, "sdk_habits": sdk_habits,
            "receiver_qd20": receiver_qd20})
        self._outcome: dict[str, str] = {}
        self._cause: dict[str, list[str]] = {}  # a skipped check -> the failed checks that blocked it
        self._clients: list[VxpClient] = []
        self._status_clock = _now().replace(tzinfo=None) - dt.timedelta(minutes=10)

    # ------------------------------------------------------------------ plumbing
    def client(self, party: Party, secret: str | None = None, system_id: str | None = None) -> VxpClient:
        c = VxpClient(self.endpoint, system_id or party.system_id, party.secret if secret is None else secret,
                      timeout=self.http_timeout, transport=self.transport, sdk_quirks=self.sdk_habits)
        self._clients.append(c)
        return c

    def check(self, check_id: str, name: str, what: str, expected: str, fn: Callable[[], tuple[str, object]],
              needs: tuple[str, ...] = ()):
        """Run `fn` as the check `check_id`: it returns (what was seen, a value for the next
        checks) or raises `Mismatch`; any other refusal or error is a failure too."""
        check = Check(check_id, name, what, expected)
        self.report.checks.append(check)
        blocked = [n for n in needs if self._outcome.get(n) != PASS]
        value = None
        if blocked:
            # name the checks that failed, not the ones skipped in between
            roots = list(dict.fromkeys(r for n in blocked for r in self._cause.get(n, [n])))
            self._cause[check_id] = roots
            check.got = "Không kiểm tra được vì chưa đạt: " + ", ".join(roots)
        else:
            check.at = _now().isoformat(timespec="seconds")
            start = time.monotonic()
            try:
                check.got, value = fn()
                check.outcome = PASS
            except Mismatch as exc:
                check.outcome, check.got = FAIL, str(exc)
            except (VxpRemoteError, VxpProtocolError, httpx.HTTPError, EdxmlError, OSError) as exc:
                check.outcome, check.got = FAIL, _explain(exc)
            except Exception as exc:  # an answer nobody foresaw: the check fails, the report is still written
                check.outcome, check.got = FAIL, f"lỗi không lường trước khi kiểm tra: {type(exc).__name__}: {exc}"
            check.duration_ms = int((time.monotonic() - start) * 1000)
        self._outcome[check_id] = check.outcome
        if self.progress:
            self.progress(check)
        return value

    # ------------------------------------------------------------------ the run
    def run(self) -> Report:
        self.report.started = _now().isoformat(timespec="seconds")
        with tempfile.TemporaryDirectory(prefix="vpdt-conformance-", dir=self.workdir) as tmp:
            self.dir = Path(tmp)
            try:
                self._run()
            finally:
                for c in self._clients:
                    c.close()
                if self.keep:
                    self._keep_packages()
        self.report.finished = _now().isoformat(timespec="seconds")
        return self.report

    def _keep_packages(self) -> None:
        """The packages sent, and those received back, as evidence next to the report."""
        self.keep.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.dir.glob("*.edxml")):
            if path.name.startswith(("edoc-", "status-")):
                shutil.copyfile(path, self.keep / f"gui-{path.name}")
        for inbox in getattr(self, "inboxes", {}).values():
            for item in inbox.items.values():
                if item.claimed and item.path is not None and item.path.exists():
                    shutil.copyfile(item.path, self.keep / f"nhan-{item.path.name}")

    def _run(self) -> None:
        s, r = self.sender, self.receiver
        self.clients = {s.role: self.client(s), r.role: self.client(r)}
        self.inboxes = {p.role: Inbox(self.clients[p.role], p, self.dir) for p in (s, r)}
        today = _now().date()
        for party in (s, r):
            self.check(f"conn.{party.role}", f"Kết nối và xác thực {self._who(party)}",
                       f"getReceivedEdocList với systemId {party.system_id} (khóa bí mật đã cấp)",
                       "status OK, ErrorCode 0, có danh sách data",
                       lambda party=party: (f"OK, {self.inboxes[party.role].snapshot()} gói tin đang chờ từ trước", None))
        self._refusals(today)
        number = 0
        for a, b in ((s, r), (r, s)):  # documents one way, their statuses back; then the other way
            specs: dict[str, dict] = {}
            sent: dict[str, str] = {}
            for kind in P.BUSINESS_TYPES:
                number += 1
                specs[kind] = P.document_spec(kind, self.run_id, number, a, b, today, specs.get("new"))
                sent[kind] = self._document(kind, specs[kind], a, b)
            for code in P.STATUS_CODES:
                frm, to = (a, b) if code in P.FROM_DOCUMENT_SENDER else (b, a)
                self._status(code, frm, to, specs["new"], document_sent=sent["new"])
        self._duplicate(today)
        if self.receiver_qd20:
            self._qd20(today)

    @staticmethod
    def _who(party: Party) -> str:
        return f"bên {'gửi' if party.role == 'sender' else 'nhận'} ({party.system_id}, {party.code})"

    # ------------------------------------------------------------------ refusals
    def _refusals(self, today: dt.date) -> None:
        s, r = self.sender, self.receiver
        spec = P.document_spec("new", self.run_id, 90, s, r, today)
        built = P.build_document(self.dir, "new", spec, s, r)

        def refused(call, code: str) -> Callable[[], tuple[str, object]]:
            def fn():
                try:
                    answer = call()
                except VxpRemoteError as exc:
                    got = f"status FAIL, ErrorCode {exc.code}: {exc.description}"
                    if exc.code != code:
                        raise Mismatch(f"từ chối nhưng sai mã lỗi: {got}") from None
                    return got, None
                raise Mismatch(f"trục chấp nhận yêu cầu (status OK): {str(answer)[:200]}")
            return fn

        wrong = self.client(s, secret=s.secret + "-sai")
        self.check("auth.wrong_secret.list", "Từ chối khóa bí mật sai (nhận)",
                   f"getReceivedEdocList với systemId {s.system_id} ký bằng khóa bí mật sai",
                   f"status FAIL, ErrorCode {BAD_SIGNATURE}; không trả danh sách",
                   refused(lambda: wrong.get_received_edoc_list(), BAD_SIGNATURE), needs=("conn.sender",))
        self.check("auth.wrong_secret.send", "Từ chối khóa bí mật sai (gửi)",
                   f"sendEdoc một văn bản từ {s.code} tới {r.code}, ký bằng khóa bí mật sai",
                   f"status FAIL, ErrorCode {BAD_SIGNATURE}; không nhận gói tin",
                   refused(lambda: wrong.send_edoc(built.path, from_code=s.code, to=[r.code]), BAD_SIGNATURE),
                   needs=("conn.sender",))
        stranger = self.client(s, system_id=f"khong.ton.tai.{self.run_id}")
        self.check("auth.unknown_system", "Từ chối hệ thống chưa đăng ký",
                   f"getReceivedEdocList với systemId khong.ton.tai.{self.run_id} (không có trên trục)",
                   f"status FAIL, ErrorCode {UNKNOWN_SYSTEM}",
                   refused(lambda: stranger.get_received_edoc_list(), UNKNOWN_SYSTEM))
        unknown = P.document_spec("new", self.run_id, 91, s, Party("", "", self.unknown_code, "receiver"), today)
        unknown_built = P.build_document(self.dir, "unknown", unknown, s, Party("", "", self.unknown_code, "receiver"))
        self.check("route.unknown_receiver", "Từ chối đơn vị nhận không có trên trục",
                   f"sendEdoc từ {s.code} tới mã {self.unknown_code} (không đơn vị nào mang mã này)",
                   f"status FAIL, ErrorCode {UNKNOWN_RECEIVER}; DocId rỗng",
                   refused(lambda: self.clients["sender"].send_edoc(unknown_built.path, from_code=s.code,
                                                                   to=[self.unknown_code]), UNKNOWN_RECEIVER),
                   needs=("conn.sender",))
        forged = P.document_spec("new", self.run_id, 92, r, s, today)
        forged_built = P.build_document(self.dir, "forged", forged, r, s)
        self.check("route.forged_from", "Từ chối gói tin mạo danh đơn vị gửi",
                   f"sendEdoc bởi hệ thống {s.system_id} một gói tin có From là {r.code} (đơn vị của hệ thống khác)",
                   f"status FAIL, ErrorCode {FORGED_FROM}",
                   refused(lambda: self.clients["sender"].send_edoc(forged_built.path, from_code=r.code,
                                                                   to=[s.code]), FORGED_FROM),
                   needs=("conn.sender",))

    # ------------------------------------------------------------------ one package, both ends
    def _exchange(self, built: Built, area: str, label: str, flow_word: str) -> tuple[str | None, Received | None]:
        """Checks common to documents and statuses: sent, listed/delivered, identical, download,
        list entry, fields, acknowledged, sent list. Returns (sender's DocId, the item received)."""
        a, b = built.sender, built.receiver
        d = f"{a.letter}2{b.letter}"
        base = f"{area}.{built.label}"
        mt = built.kind
        ca, cb = self.clients[a.role], self.clients[b.role]

        def send():
            doc_id = ca.send_edoc(built.path, from_code=a.code, to=[b.code], message_type=mt)
            if not doc_id:
                raise Mismatch("status OK nhưng DocId rỗng")
            return f"status OK, DocId {doc_id}", doc_id

        sent_id = self.check(f"{base}.sent.{d}", f"Gửi {label}", f"sendEdoc (messagetype {mt}) từ {a.code} tới {b.code}",
                             "status OK, ErrorCode 0, có DocId", send, needs=(f"conn.{a.role}",))

        def listed():
            item = self.inboxes[b.role].find(built, self.timeout, self.poll)
            if item is None:
                broken = self.inboxes[b.role].unreadable(mt)
                raise Mismatch(f"sau {self.timeout:g} giây, danh sách chờ nhận của {b.code} không có gói tin này"
                               + (f"; {len(broken)} mục mới không tải hoặc không đọc được: "
                                  + "; ".join(f"docId {r.doc_id}: {r.error}" for r in broken[:3]) if broken else ""))
            return f"có, docId {item.doc_id}", item

        listed_id = f"{base}.{flow_word}.{d}"
        item: Received | None = self.check(
            listed_id, f"{label[0].upper()}{label[1:]} đến {b.code}",
            f"getReceivedEdocList (messagetype {mt}) của {b.code}, chờ tối đa {self.timeout:g} giây",
            "có một mục mà nội dung tải về (getEdoc) là gói tin đã gửi", listed, needs=(f"{base}.sent.{d}",))
        after = (listed_id,)

        def identical():
            if item.sha256 != built.sha256:
                raise Mismatch(f"SHA-256 {item.sha256 or 'không tải được: ' + item.error}")
            return f"SHA-256 {item.sha256}", None

        self.check(f"{base}.identical.{d}", "Tải về nguyên vẹn (getEdoc)",
                   f"getEdoc docId đã liệt kê, so SHA-256 với gói đã gửi ({built.path.stat().st_size} byte)",
                   f"SHA-256 {built.sha256}", identical, needs=after)

        def download():
            path = self.dir / f"get-{built.path.name}"
            digest = cb.download_edoc(item.doc_id, path)
            if digest != built.sha256:
                raise Mismatch(f"SHA-256 {digest}")
            return f"SHA-256 {digest}", None

        self.check(f"{base}.download.{d}", "Tải về nguyên vẹn (downloadEdoc)",
                   "GET downloadEdoc có chữ ký và docId, so SHA-256 với gói đã gửi",
                   f"SHA-256 {built.sha256}", download, needs=after)

        def entry():
            e = item.entry
            seen = {"from": e.get("from"), "to": e.get("to"), "messageType": e.get("messageType")}
            problems = []
            if str(seen["from"]) != a.code:
                problems.append(f"from {seen['from']!r}")
            if b.code not in str(seen["to"] or ""):
                problems.append(f"to {seen['to']!r}")
            if str(seen["messageType"] or "").lower() != mt:
                problems.append(f"messageType {seen['messageType']!r}")
            if problems:
                raise Mismatch("sai: " + ", ".join(problems))
            return ", ".join(f"{k} {v}" for k, v in seen.items()), None

        self.check(f"{base}.list_entry.{d}", "Thông tin của mục trong danh sách chờ",
                   "các trường from, to, messageType của mục getReceivedEdocList",
                   f"from {a.code}, to {b.code}, messageType {mt}", entry, needs=after)

        def counted():
            waiting = len(cb.get_received_edoc_list(message_type=mt))
            count = cb.count_receive_status() if mt == "status" else cb.count_receive_edoc()
            if count != waiting:
                raise Mismatch(f"count {count}, trong khi getReceivedEdocList có {waiting} mục")
            return f"count {count} = số mục đang chờ", None

        operation = "countReceiveStatus" if mt == "status" else "countReceiveEdoc"
        self.check(f"{base}.counted.{d}", f"Đếm gói tin chờ nhận ({operation})",
                   f"{operation} của {b.code} so với số mục getReceivedEdocList (messagetype {mt})",
                   "count bằng số mục đang chờ", counted, needs=after)

        def isolated():
            try:
                ca.get_edoc(item.doc_id, self.dir / f"other-{built.path.name}")
            except VxpRemoteError as exc:
                if exc.code != NOT_FOUND:
                    raise Mismatch(f"từ chối nhưng sai mã lỗi: ErrorCode {exc.code}: {exc.description}") from None
                return f"status FAIL, ErrorCode {exc.code}", None
            raise Mismatch(f"hệ thống {a.system_id} tải được gói tin gửi cho {b.code}")

        self.check(f"{base}.isolated.{d}", "Hệ thống khác không tải được gói tin",
                   f"getEdoc bởi hệ thống {a.system_id} với docId {getattr(item, 'doc_id', '')} (gói tin gửi cho {b.code})",
                   f"status FAIL, ErrorCode {NOT_FOUND}", isolated, needs=after)

        def fields():
            if item.path is None:
                raise Mismatch(f"không tải được: {item.error}")
            pkg = read_package(item.path, verify_signature=False)
            if pkg.kind != ("status" if mt == "status" else "document"):
                raise Mismatch(f"gói tin nhận được là loại {pkg.kind}")
            got = P.status_fields(pkg) if mt == "status" else P.package_document_fields(pkg)
            problems = _diff(built.fields, got)
            if problems:
                raise Mismatch("; ".join(problems))
            return f"{len(built.fields)} trường khớp", None

        self.check(f"{base}.fields.{d}", "Đọc được, đúng từng trường",
                   "đọc gói tin nhận được bằng bộ đọc edXML của vpdt, so từng trường với gói đã gửi",
                   "các trường " + ", ".join(built.fields) + " như đã gửi", fields, needs=after)

        def acknowledge():
            cb.update_status(item.doc_id, "done")
            still = [e for e in self.inboxes[b.role].scan(mt) if str(e.get("docId")) == item.doc_id]
            if still:
                raise Mismatch("updateStatus OK nhưng mục vẫn còn trong danh sách chờ nhận")
            return "updateStatus OK; mục không còn trong danh sách", None

        ack_id = f"{base}.acknowledged.{d}"
        self.check(ack_id, "Xác nhận đã nhận làm gói tin rời danh sách chờ",
                   f"updateStatus done cho docId {getattr(item, 'doc_id', '')}, rồi getReceivedEdocList của {b.code}",
                   "updateStatus OK; mục không còn trong danh sách", acknowledge, needs=after)

        def sent_list():
            entries = ca.get_sent_edoc_list(doc_id=sent_id, message_type=mt)
            mine = [e for e in entries if str(e.get("toCode")) == b.code]
            if not mine:
                raise Mismatch(f"không có mục toCode {b.code} (có {len(entries)} mục)")
            e = mine[0]
            if str(e.get("sendStatus", "")).lower() != "done" or str(e.get("fromCode")) != a.code:
                raise Mismatch(f"fromCode {e.get('fromCode')!r}, sendStatus {e.get('sendStatus')!r}")
            return f"fromCode {e.get('fromCode')}, toCode {e.get('toCode')}, sendStatus {e.get('sendStatus')}", None

        self.check(f"{base}.sent_list.{d}", "Bên gửi thấy gói tin đã được nhận",
                   f"getSentEdocList của {a.code} với docId {sent_id or ''}",
                   f"mục fromCode {a.code}, toCode {b.code}, sendStatus done", sent_list, needs=(ack_id,))
        return sent_id, item

    def _document(self, kind: str, spec: dict, a: Party, b: Party) -> str | None:
        built = P.build_document(self.dir, kind, spec, a, b)
        label = f"văn bản ({P.BUSINESS_TYPES[kind][1]}, BussinessDocType {P.BUSINESS_TYPES[kind][0]})"
        sent_id, _ = self._exchange(built, "edoc", label, "listed")
        return sent_id

    def _status(self, code: str, frm: Party, to: Party, document: dict, *, document_sent: str | None) -> None:
        self._status_clock += dt.timedelta(seconds=1)
        built = P.build_status(self.dir, code, self.run_id, frm, to, document, self._status_clock)
        label = f"trạng thái {code} ({P.STATUS_NAMES.get(code, code)})"
        self._exchange(built, "status", label, "delivered")
        if code in P.FROM_DOCUMENT_SENDER:
            return
        d = f"{frm.letter}2{to.letter}"
        cdoc = self.clients[to.role]

        def receive_status():
            entries = cdoc.get_sent_edoc_list(doc_id=document_sent)
            mine = [e for e in entries if str(e.get("toCode")) == frm.code]
            if not mine:
                raise Mismatch(f"không có mục toCode {frm.code}")
            got = str(mine[0].get("receiveStatus") or "")
            if got != code:
                raise Mismatch(f"receiveStatus {got!r} ({mine[0].get('receiveStatusDesc') or ''})")
            return f"receiveStatus {got} ({mine[0].get('receiveStatusDesc') or ''})", None

        self.check(f"status.{code}.receive_status.{d}", "Bên gửi văn bản thấy trạng thái xử lý",
                   f"getSentEdocList của {to.code} cho văn bản (docId {document_sent or ''}), mục toCode {frm.code}",
                   f"receiveStatus {code}", receive_status,
                   needs=(f"status.{code}.delivered.{d}", f"edoc.new.sent.{to.letter}2{frm.letter}"))

    # ------------------------------------------------------------------ QĐ 20 codes
    def _qd20(self, today: dt.date) -> None:
        """A new document addressed by the receiver's QĐ 20/2020 code (Thông tư 01/2022) reaches it:
        the same checks as any document, ids `edoc.qd20.<aspect>.s2r`."""
        s, r = self.sender, self.receiver
        addressed = Party(r.system_id, r.secret, self.receiver_qd20, r.role)
        spec = P.document_spec("new", self.run_id, 94, s, addressed, today)
        built = P.build_document(self.dir, "new", spec, s, addressed, label="qd20")
        self._exchange(built, "edoc", f"văn bản gửi tới mã QĐ 20/2020 {self.receiver_qd20}", "listed")

    # ------------------------------------------------------------------ duplicates
    def _duplicate(self, today: dt.date) -> None:
        s, r = self.sender, self.receiver
        spec = P.document_spec("new", self.run_id, 93, s, r, today)
        built = P.build_document(self.dir, "duplicate", spec, s, r)
        cs = self.clients["sender"]
        ids: list[str] = []

        def twice():
            ids.append(cs.send_edoc(built.path, from_code=s.code, to=[r.code]))
            ids.append(cs.send_edoc(built.path, from_code=s.code, to=[r.code]))
            if not ids[0] or ids[0] != ids[1]:
                raise Mismatch(f"DocId lần 1 {ids[0]!r}, lần 2 {ids[1]!r}")
            return f"cả hai lần status OK, DocId {ids[0]}", None

        self.check("dup.same_docid", "Gửi trùng: cùng DocId",
                   f"sendEdoc hai lần cùng một gói tin từ {s.code} tới {r.code} (như SDK gửi lại khi lỗi mạng)",
                   "cả hai lần status OK với cùng một DocId", twice, needs=("conn.sender",))

        def once():
            inbox = self.inboxes["receiver"]
            if inbox.find(built, self.timeout, self.poll) is None:
                raise Mismatch(f"sau {self.timeout:g} giây không thấy gói tin")
            time.sleep(self.poll)
            inbox.scan("edoc")
            found = inbox.matching(built)
            for item in found:
                self.clients["receiver"].update_status(item.doc_id, "done")
            if len(found) != 1:
                raise Mismatch(f"{len(found)} mục: " + ", ".join(i.doc_id for i in found))
            return f"một mục, docId {found[0].doc_id}", None

        self.check("dup.listed_once", "Gửi trùng: bên nhận chỉ nhận một lần",
                   f"getReceivedEdocList của {r.code} sau hai lần gửi",
                   "đúng một mục có nội dung là gói tin đó", once, needs=("conn.receiver",))
