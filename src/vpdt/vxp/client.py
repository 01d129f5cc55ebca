"""A VXP client shaped exactly like the official SDK's requests, with flat memory.

Used by the hub's forwarder (towards its upper hub), by the tests, and by the
agency-side exchange worker. Every request carries the XroadVnpt headers in the SDK's
order (`vxp.sign_headers`); sendEdoc streams the file from disk followed by CRLF with
an unpadded hash-file; getEdoc and downloadEdoc stream the package to a file.

    with VxpClient("http://127.0.0.1:8000/hub", "sys.01", "secret") as hub:
        doc_id = hub.send_edoc("pkg.edxml", from_code="000.00.00.H53", to=["000.00.13.H53"])
        for item in hub.get_received_edoc_list():
            hub.get_edoc(item["docId"], "in.edxml")
            hub.update_status(item["docId"], "done")

A refusal by the hub raises `VxpRemoteError` (with the hub's ErrorCode); network trouble
raises `httpx.TransportError`, which callers retry (every operation is idempotent).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from vpdt.vxp import protocol as vxp
from vpdt.vxp.transport import StdlibTransport

CHUNK = 1024 * 1024
CRLF = b"\r\n"
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class VxpRemoteError(Exception):
    """The hub answered status FAIL: `code` (ErrorCode), `description`, `body` (the JSON)."""

    def __init__(self, operation: str, body: dict):
        self.operation = operation
        self.body = body
        self.code = str(body.get("ErrorCode", ""))
        self.description = str(body.get("ErrorDesc", ""))
        super().__init__(f"{operation}: {self.code} {self.description}")

    @property
    def retryable(self) -> bool:
        return self.code in vxp.RETRYABLE


class VxpProtocolError(Exception):
    """The answer is not something the SDK could parse (not JSON, status missing ...)."""


class DownloadNotOffered(VxpProtocolError):
    """downloadEdoc answered neither a package nor a VXP answer (HTTP 404 ...): not served there."""


# After a hub answered downloadEdoc with something other than a package while getEdoc worked,
# a client asks getEdoc only, for this long, then tries downloadEdoc again (a hub upgraded).
DOWNLOAD_RETRY_SECONDS = 3600.0
_monotonic = time.monotonic


def file_sha256(path: str | os.PathLike) -> bytes:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.digest()


class VxpClient:
    """`VxpClient(endpoint, system_id, secret)`: one system's credentials at one hub.

    Every request is signed once: a fresh timestamp (`time_zone`'s wall time, as the SDK
    writes the JVM's) and a random `nonce` key, so no two requests share a signature (a
    hub accepts each signature once, within its clock window).

    `sdk_quirks=True` imitates the SDK as its own example uses it (a service object per call): no
    nonce, a millisecond timestamp (kept increasing, as successive SDK objects are), and the
    keys of earlier calls kept in later ones (the habit of a reused SDK object).
    """

    def __init__(
        self,
        endpoint: str,
        system_id: str,
        secret: str,
        *,
        timeout: float | None = 60.0,
        sdk_quirks: bool = False,
        transport: httpx.BaseTransport | None = None,
        time_zone: str = vxp.SDK_TIME_ZONE,
    ):
        self.endpoint = endpoint
        self.system_id = system_id
        self.secret = secret
        self.sdk_quirks = sdk_quirks
        self.time_zone = time_zone
        self._last_ms = 0
        self._download_off_until = 0.0  # fetch_edoc: getEdoc only until then (monotonic seconds)
        self._sticky: dict[str, str] = {}
        # The operations' requests go straight to the transport (its pool of kept-alive
        # connections): httpx.Client's layers (its default headers merged into each request,
        # cookies read from each answer, auth and redirect hooks) cost more CPU than the rest of
        # a call and do nothing for VXP, whose requests carry their own signed headers.
        # Behind a proxy named by the environment, every request takes the client's way, which
        # routes it (and honours NO_PROXY; httpx reads those variables only when it makes the
        # transport itself). Without a proxy, the transport is `StdlibTransport` (http.client's
        # kept-alive connections: about two thirds of the CPU of httpx's own per request).
        self._direct = transport is not None or not any(os.environ.get(name) for name in _PROXY_VARIABLES)
        if self._direct:
            transport = transport or StdlibTransport()
        self._transport = transport
        self._timeout = httpx.Timeout(timeout).as_dict()
        self._urls: dict[str, httpx.URL] = {}
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VxpClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def url(self, operation: str) -> str:
        return self.endpoint + "/" + operation  # concatenation, as the SDK does

    def _send(self, method: str, operation: str, headers: list, content) -> httpx.Response:
        """One request through the transport; the caller reads and closes the answer."""
        url = self._urls.get(operation)
        if url is None:
            url = self._urls[operation] = httpx.URL(self.url(operation))
        if not self._direct:
            return self._http.send(self._http.build_request(method, url, headers=headers, content=content),
                                   stream=True)
        request = httpx.Request(method, url, headers=headers, content=content,
                                extensions={"timeout": self._timeout})
        response = self._transport.handle_request(request)
        response.request = request
        return response

    def _exchange(self, method: str, operation: str, headers: list, content) -> httpx.Response:
        """A request whose answer is read whole (a JSON answer)."""
        response = self._send(method, operation, headers, content)
        try:
            response.read()
        finally:
            response.close()
        return response

    def headers(self, values: dict[str, str], content_type: str = "application/octet-stream") -> list:
        if self.sdk_quirks:
            self._sticky.update(values)
            values = dict(self._sticky)
        else:
            values = {**values, "nonce": secrets.token_hex(16)}
        return vxp.sign_headers(self.system_id, self.secret, values, timestamp=self._timestamp(),
                                content_type=content_type)

    def _timestamp(self) -> str:
        """Now at millisecond precision, one millisecond after the previous one if not later."""
        now = datetime.now(ZoneInfo(self.time_zone))
        ms = max(int(now.timestamp() * 1000), self._last_ms + 1)
        self._last_ms = ms
        at = datetime.fromtimestamp(ms // 1000, ZoneInfo(self.time_zone)).replace(microsecond=ms % 1000 * 1000)
        return vxp.sdk_timestamp(at, time_zone=self.time_zone)

    def _json(self, operation: str, response: httpx.Response) -> dict:
        try:
            body = json.loads(response.content.decode("ascii", errors="replace"))
        except ValueError:
            raise VxpProtocolError(f"{operation}: HTTP {response.status_code}, not JSON: "
                                   f"{response.content[:200]!r}") from None
        if not isinstance(body, dict) or "status" not in body:
            raise VxpProtocolError(f"{operation}: no status in {str(body)[:200]}")
        if body.get("status") != "OK":
            raise VxpRemoteError(operation, body)
        return body

    def call(self, operation: str, values: dict[str, str] | None = None, body: bytes = b"{}",
             method: str = "POST") -> dict:
        headers = self.headers(values or {}, content_type="application/json")
        return self._json(operation, self._exchange(method, operation, headers, body))

    # ------------------------------------------------------------------ operations
    def send_edoc(self, path: str | os.PathLike, *, from_code: str, to: list[str] | str | None = None,
                  message_type: str = "edoc", service_type: str = "eDoc", sha256: str | None = None) -> str:
        """Send the edXML file at `path`; returns the hub's DocId for the sender.

        `sha256` (hex): the file's SHA-256 when the caller knows it already (a package in the
        blob store is named by it), so the file is not read twice; the hub checks it."""
        path = Path(path)
        digest = bytes.fromhex(sha256) if sha256 else file_sha256(path)
        values = {
            "from": from_code,
            "servicetype": service_type,
            "messagetype": message_type,
            "hash-file": vxp.hash_file_hex(digest),
        }
        if to is not None:
            values["to"] = json.dumps(to if isinstance(to, str) else list(to), separators=(",", ":"))
        headers = self.headers(values)
        size = path.stat().st_size
        headers.append(("Content-Length", str(size + len(CRLF))))

        def body() -> Iterator[bytes]:
            with open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    yield chunk
            yield CRLF

        response = self._exchange("POST", "sendEdoc", headers, body())
        return str(self._json("sendEdoc", response).get("DocId", ""))

    def get_received_edoc_list(self, message_type: str = "edoc", service_type: str = "eDoc") -> list[dict]:
        body = self.call("getReceivedEdocList", {"servicetype": service_type, "messagetype": message_type}, b"")
        return list(body.get("data") or [])

    def get_sent_edoc_list(self, doc_id: str | None = None, message_type: str = "edoc",
                           service_type: str = "eDoc") -> list[dict]:
        values = {"servicetype": service_type, "messagetype": message_type}
        if doc_id:
            values["docId"] = doc_id
        return list(self.call("getSentEdocList", values).get("data") or [])

    def update_status(self, doc_id: str, status: str) -> dict:
        return self.call("updateStatus", {"docId": doc_id, "status": status})

    def count_receive_edoc(self) -> int:
        return int(self.call("countReceiveEdoc", {"messagetype": "edoc"}).get("count", 0))

    def count_receive_status(self) -> int:
        return int(self.call("countReceiveStatus", {"messagetype": "status"}).get("count", 0))

    def get_agencies_list(self) -> list[dict]:
        return list(self.call("getAgenciesList", {}, b"").get("data") or [])

    def get_agencies_list_qd20(self, level: int | str = 1) -> list[dict]:
        return list(self.call("getAgenciesListQD20", {"level": str(level)}).get("data") or [])

    def get_synchronize_unit(self, from_version: int | None = None) -> list[dict]:
        """The directory's units; with `from_version` (a vpdt hub) only those changed after it."""
        values = {} if from_version is None else {"fromVersion": str(from_version)}
        return list(self.call("getSynchronizeUnit", values, b"").get("data") or [])

    def register_agency(self, *, code: str, name: str, pcode: str = "", mail: str = "", mobile: str = "",
                        fax: str = "", id: str = "") -> dict:
        payload = {"id": id, "pcode": pcode, "code": code, "name": name, "mail": mail, "mobile": mobile,
                   "fax": fax}
        return self.call("registerAgency", {}, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def delete_agency(self, code: str) -> dict:
        return self.call("deleteAgency", {"AgencyCode": code})

    def download_edoc(self, doc_id: str, dest) -> str:
        """GET downloadEdoc: the raw package streamed to `dest`; returns its SHA-256 hex.

        `dest` is a path, or a writable binary file (see `_writing`).

        A JSON answer is the hub's refusal (`VxpRemoteError`); an answer that is not HTTP 200, or
        is an HTML page, raises `DownloadNotOffered`, and nothing is written."""
        headers = self.headers({"docId": doc_id}, content_type="application/json")
        response = self._send("GET", "downloadEdoc", headers, None)
        try:
            content_type = response.headers.get("content-type", "")
            if content_type.startswith("application/json"):
                response.read()
                self._json("downloadEdoc", response)
                raise VxpProtocolError("downloadEdoc: JSON answer without a package")
            if response.status_code != 200 or content_type.startswith("text/html"):
                # a page, not a package: an error page, a proxy's or a portal's (some answer 200)
                raise DownloadNotOffered(f"downloadEdoc: HTTP {response.status_code} {content_type}".strip())
            hashes = getattr(dest, "sha256", None) is not None  # the file hashes what it is given
            digest = hashlib.sha256()
            with _writing(dest) as out:
                for chunk in response.iter_bytes(CHUNK):
                    if not hashes:
                        digest.update(chunk)
                    out.write(chunk)
        finally:
            response.close()
        return dest.sha256 if hashes else digest.hexdigest()

    def fetch_edoc(self, doc_id: str, dest) -> str:
        """A package to `dest` (its SHA-256 hex): downloadEdoc, the raw bytes, where the hub
        offers it (no base64 inside JSON to undo: less CPU at both ends), else getEdoc.

        A hub that refuses downloadEdoc other than for this package (an error code outside
        3xx, a non-JSON answer that is not HTTP 200: an operation it does not serve) is asked
        getEdoc at once; if that works, this client asks getEdoc only for the next
        `DOWNLOAD_RETRY_SECONDS`. The refusals of one package (3xx: unknown, gone) are raised
        as they are: getEdoc would say the same."""
        if _monotonic() >= self._download_off_until:
            try:
                return self.download_edoc(doc_id, dest)
            except VxpRemoteError as exc:
                if exc.code.startswith("3"):
                    raise
            except VxpProtocolError:  # DownloadNotOffered, or JSON without a package
                pass
            digest = self.get_edoc(doc_id, dest)
            self._download_off_until = _monotonic() + DOWNLOAD_RETRY_SECONDS
            return digest
        return self.get_edoc(doc_id, dest)

    def get_edoc(self, doc_id: str, dest) -> str:
        """POST getEdoc: base64 `data` decoded while streaming into `dest`; returns SHA-256 hex."""
        headers = self.headers({"docId": doc_id}, content_type="application/json")
        with tempfile.TemporaryFile() as raw:
            response = self._send("POST", "getEdoc", headers, b"{}")
            try:
                for chunk in response.iter_bytes(CHUNK):
                    raw.write(chunk)
            finally:
                response.close()
            raw.seek(0)
            with _writing(dest) as out:
                rest, digest = _extract_base64_field(raw, b"data", out)
                if rest.get("status") != "OK":
                    raise VxpRemoteError("getEdoc", rest)
                if digest is None:
                    raise VxpProtocolError("getEdoc: no data in the answer")
        return digest


def _writing(dest):
    """Where a download goes: a path is written through `_atomic_writer`; a writable binary file
    (core.blobs.Staged: the blob store's spool, hashed on the way) is written as it is, and on a
    failure the caller drops what it holds."""
    if hasattr(dest, "write"):
        return contextlib.nullcontext(dest)
    return _atomic_writer(dest)


class _atomic_writer:
    """Write to `dest.part`, rename on success, remove on failure: no half files."""

    def __init__(self, dest):
        self.dest = Path(dest)
        self.part = self.dest.with_name(self.dest.name + ".part")

    def __enter__(self):
        self.fh = open(self.part, "wb")
        return self.fh

    def __exit__(self, exc_type, exc, tb):
        self.fh.close()
        if exc_type is None:
            os.replace(self.part, self.dest)
        else:
            self.part.unlink(missing_ok=True)


_KEY_RE = re.compile(rb'"data"\s*:\s*"')
_WHITESPACE = b" \t\n\r\x0b\x0c"  # what a regex's \s is in bytes


def _extract_base64_field(src, key: bytes, out) -> tuple[dict, str | None]:
    """Stream-decode the JSON string field `key` (base64) of the JSON in `src` into `out`.

    Returns the other fields (parsed) and the SHA-256 hex of the decoded bytes, or None
    when the field is absent. Tolerates JSON escapes in the base64 (``\\/``, ``\\n``).
    """
    assert key == b"data"
    head = b""
    while True:
        chunk = src.read(CHUNK)
        head += chunk
        match = _KEY_RE.search(head)
        if match or not chunk:
            break
        if len(head) > 1024 * 1024 * 8:
            raise VxpProtocolError("getEdoc: answer too large before the data field")
    if not match:
        return _loads(head), None
    prefix = head[: match.start()]
    pending = head[match.end():]
    digest = hashlib.sha256()
    carry = b""  # base64 characters not yet a multiple of 4, or a cut escape
    tail = b""
    while True:
        end = pending.find(b'"')
        done = end >= 0
        if done:
            tail, pending = pending[end + 1:], pending[:end]
        text = carry + pending
        if not done and text.endswith(b"\\"):
            text, cut = text[:-1], b"\\"
        else:
            cut = b""
        if b"\\" in text:  # JSON escapes are rare in base64: no copies without one
            text = text.replace(b"\\/", b"/").replace(b"\\n", b"").replace(b"\\r", b"")
        text = text.translate(None, _WHITESPACE)  # a C loop: a regex took ~10 ms per MB here
        usable = len(text) if done else len(text) - len(text) % 4
        carry = text[usable:] + cut
        if usable:
            try:
                data = base64.b64decode(text[:usable], validate=True)
            except binascii.Error as exc:
                raise VxpProtocolError(f"getEdoc: data is not base64: {exc}") from None
            digest.update(data)
            out.write(data)
        if done:
            break
        pending = src.read(CHUNK)
        if not pending:
            raise VxpProtocolError("getEdoc: answer truncated inside data")
    tail += src.read()
    rest = _loads(prefix + b'"data":""' + tail)
    return rest, digest.hexdigest()


def _loads(raw: bytes) -> dict:
    try:
        body = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError:
        raise VxpProtocolError(f"getEdoc: answer is not JSON: {raw[:200]!r}") from None
    if not isinstance(body, dict):
        raise VxpProtocolError("getEdoc: answer is not a JSON object")
    return body
