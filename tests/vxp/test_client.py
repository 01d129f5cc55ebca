"""VxpClient sends what the SDK sends and reads answers with flat memory."""

import base64
import hashlib
import io
import json
from datetime import UTC, datetime

import httpx
import pytest

from vpdt.vxp import client as client_module
from vpdt.vxp import protocol as vxp
from vpdt.vxp.client import VxpClient, VxpRemoteError


def _recording_transport(answer):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return answer(request)

    return seen, httpx.MockTransport(handler)


def test_send_edoc_streams_file_plus_crlf_with_unpadded_hash(tmp_path):
    package = tmp_path / "p.edxml"
    package.write_bytes(b"<edXML/>" * 1000)
    seen, transport = _recording_transport(lambda r: httpx.Response(200, json=vxp.response(DocId="D1")))
    with VxpClient("http://hub/", "sys", "k", transport=transport) as hub:
        assert hub.send_edoc(package, from_code="000.00.00.H53", to=["000.00.13.H53"]) == "D1"
    request = seen[0]
    assert str(request.url) == "http://hub//sendEdoc"  # endpoint + "/" + op, as the SDK
    assert request.content == package.read_bytes() + b"\r\n"
    assert request.headers["content-length"] == str(8002)
    assert "transfer-encoding" not in request.headers
    digest = hashlib.sha256(package.read_bytes()).digest()
    assert request.headers["XroadVnpt-hash-file"] == vxp.hash_file_hex(digest)
    assert request.headers["XroadVnpt-to"] == '["000.00.13.H53"]'
    signed = vxp.read_signed_headers(request.headers)
    assert signed.verify("k") and signed.get("from") == "000.00.00.H53"
    names = [k for k, _ in request.headers.raw if k.lower().startswith(b"xroadvnpt-")]
    assert names[-3:] == [b"XroadVnpt-sign-header-key", b"XroadVnpt-sign-header", b"XroadVnpt-hash-header"] or \
        names[-4:-1] == [b"XroadVnpt-sign-header-key", b"XroadVnpt-sign-header", b"XroadVnpt-hash-header"]


def test_send_edoc_takes_a_known_sha256_instead_of_reading_the_file_twice(tmp_path, monkeypatch):
    """A package in the blob store is named by its SHA-256: the client sends that in hash-file
    without hashing the file again (the hub checks it against the bytes it receives)."""
    package = tmp_path / "p.edxml"
    package.write_bytes(b"<edXML/>" * 1000)
    known = hashlib.sha256(package.read_bytes()).hexdigest()
    monkeypatch.setattr(client_module, "file_sha256", lambda path: pytest.fail("the file was hashed again"))
    seen, transport = _recording_transport(lambda r: httpx.Response(200, json=vxp.response(DocId="D1")))
    with VxpClient("http://hub/", "sys", "k", transport=transport) as hub:
        assert hub.send_edoc(package, from_code="000.00.00.H53", to=["000.00.13.H53"], sha256=known) == "D1"
    assert seen[0].headers["XroadVnpt-hash-file"] == vxp.hash_file_hex(bytes.fromhex(known))
    assert seen[0].content == package.read_bytes() + b"\r\n"


def test_sdk_quirks_keep_earlier_keys_without_nonce_and_timestamps_increase():
    seen, transport = _recording_transport(lambda r: httpx.Response(200, json=vxp.response(count=0)))
    with VxpClient("http://hub", "sys", "k", transport=transport, sdk_quirks=True) as hub:
        hub.update_status("D1", "done")
        for _ in range(20):  # within a few milliseconds: still one distinct timestamp each
            hub.count_receive_edoc()
    assert seen[1].headers["XroadVnpt-docId"] == "D1"  # left over from the earlier call
    assert vxp.read_signed_headers(seen[1].headers).verify("k")
    assert all("XroadVnpt-nonce" not in r.headers for r in seen)  # the SDK sends none
    stamps = [vxp.parse_sdk_timestamp(r.headers["XroadVnpt-timestamp"]) for r in seen]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_every_request_has_its_own_signature_and_a_current_timestamp():
    seen, transport = _recording_transport(lambda r: httpx.Response(200, json=vxp.response(count=0)))
    with VxpClient("http://hub", "sys", "k", transport=transport) as a, \
            VxpClient("http://hub", "sys", "k", transport=transport) as b:
        for _ in range(10):
            a.count_receive_edoc()
            b.count_receive_edoc()
    assert len({r.headers["XroadVnpt-hash-header"] for r in seen}) == 20
    signed = vxp.read_signed_headers(seen[0].headers)
    assert signed.verify("k") and len(signed.get("nonce")) == 32
    sent_at = vxp.parse_sdk_timestamp(signed.get("timestamp"))  # Vietnam wall time, read back as such
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 60


def test_fail_answer_raises_with_error_code():
    _, transport = _recording_transport(
        lambda r: httpx.Response(200, json=vxp.response(vxp.FORGED_FROM, DocId="")))
    with VxpClient("http://hub", "sys", "k", transport=transport) as hub, pytest.raises(VxpRemoteError) as info:
        hub.update_status("x", "done")
    assert info.value.code == vxp.FORGED_FROM.code and not info.value.retryable


@pytest.mark.parametrize("style", ["plain", "escaped slashes", "wrapped lines", "spaces and tabs"])
def test_get_edoc_decodes_base64_in_chunks(tmp_path, monkeypatch, style):
    """The base64 as hubs write it: one line, `\\/` escapes, lines wrapped with escaped CR LF
    (an encoder's 76 characters), or with raw whitespace; cut at odd places."""
    monkeypatch.setattr(client_module, "CHUNK", 7)  # cut everything at odd places
    payload = bytes(range(256)) * 50
    encoded = base64.b64encode(payload).decode()
    if style == "wrapped lines":
        encoded = "\r\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))
    body = json.dumps({"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "data": encoded})
    if style == "escaped slashes":
        body = body.replace("/", "\\/")
    if style == "spaces and tabs":
        body = body.replace(encoded, " \t ".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)))
    _, transport = _recording_transport(lambda r: httpx.Response(200, content=body.encode()))
    dest = tmp_path / "out.edxml"
    with VxpClient("http://hub", "sys", "k", transport=transport) as hub:
        assert hub.get_edoc("D1", dest) == hashlib.sha256(payload).hexdigest()
    assert dest.read_bytes() == payload


def test_get_edoc_failure_leaves_no_file(tmp_path):
    _, transport = _recording_transport(lambda r: httpx.Response(200, json=vxp.response(vxp.NOT_FOUND)))
    dest = tmp_path / "out.edxml"
    with VxpClient("http://hub", "sys", "k", transport=transport) as hub, pytest.raises(VxpRemoteError):
        hub.get_edoc("nope", dest)
    assert not dest.exists() and not list(tmp_path.iterdir())


def test_extract_handles_data_before_other_fields():
    out = io.BytesIO()
    raw = io.BytesIO(b'{"data":"aGVsbG8=","status":"OK","ErrorCode":"0","ErrorDesc":"Success"}')
    rest, digest = client_module._extract_base64_field(raw, b"data", out)
    assert out.getvalue() == b"hello" and rest["status"] == "OK"
    assert digest == hashlib.sha256(b"hello").hexdigest()


def test_an_operation_goes_straight_to_the_transport_with_only_its_own_headers():
    """The SDK's headers and the body, nothing of httpx.Client's own (its default Accept,
    User-Agent ...); the kept-alive transport answers every call."""
    seen, transport = _recording_transport(lambda r: httpx.Response(200, json=vxp.response(data=[])))
    with VxpClient("http://hub", "sys", "k", transport=transport) as hub:
        assert hub.get_received_edoc_list() == []
        hub.update_status("D1", "done")
    assert [str(r.url) for r in seen] == ["http://hub/getReceivedEdocList", "http://hub/updateStatus"]
    names = [name.decode().lower() for name, _ in seen[1].headers.raw]
    assert "accept-encoding" not in names and "connection" not in names
    assert names.count("user-agent") == 1 and "python-httpx" not in seen[1].headers["user-agent"]
    assert seen[1].headers["XroadVnpt-docId"] == "D1" and seen[1].headers["XroadVnpt-status"] == "done"


def test_behind_a_proxy_named_by_the_environment_requests_go_through_it(monkeypatch):
    """HTTP_PROXY set: the request reaches the proxy (in absolute form), as httpx.Client routes it."""
    import threading
    from http.server import BaseHTTPRequestHandler

    from tests.quiet_server import QuietHTTPServer

    asked = []

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            asked.append(self.path)
            body = json.dumps(vxp.response()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = QuietHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.server_address[1]}")
        with VxpClient("http://hub.tinh.example.vn/vxp", "sys", "k") as hub:
            hub.update_status("D1", "done")
    finally:
        server.shutdown()
    assert asked == ["http://hub.tinh.example.vn/vxp/updateStatus"]


def _package_hub(download):
    """A hub answering downloadEdoc with `download(request)` and getEdoc with the package."""
    payload = b"<edXML>" + bytes(range(256)) * 40 + b"</edXML>"

    def answer(request):
        if request.url.path.endswith("/downloadEdoc"):
            return download(request, payload)
        body = vxp.dumps(vxp.response(data=base64.b64encode(payload).decode()))
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    seen, transport = _recording_transport(answer)
    return payload, seen, transport


def _ops(seen) -> list[str]:
    return [r.url.path.rsplit("/", 1)[1] for r in seen]


def test_fetch_edoc_takes_the_raw_package_with_download_edoc(tmp_path):
    """downloadEdoc where the hub offers it: the bytes as they are, signed like every request."""
    payload, seen, transport = _package_hub(
        lambda r, payload: httpx.Response(200, content=payload, headers={"content-type": "application/octet-stream"}))
    dest = tmp_path / "in.edxml"
    with VxpClient("http://hub", "sys", "k", transport=transport) as hub:
        assert hub.fetch_edoc("D1", dest) == hashlib.sha256(payload).hexdigest()
        hub.fetch_edoc("D2", tmp_path / "in2.edxml")
    assert dest.read_bytes() == payload
    assert _ops(seen) == ["downloadEdoc", "downloadEdoc"] and seen[0].method == "GET"
    signed = vxp.read_signed_headers(seen[0].headers)
    assert signed.verify("k") and signed.get("docId") == "D1"


def test_fetch_edoc_into_an_open_file_writes_it_there_and_takes_its_hash(tmp_path, blob_dir):
    """A download can go straight into a file the caller holds (the blob store's spool, which
    hashes what it is given): written as it comes, its hash taken from the file."""
    from vpdt.core import blobs

    payload, seen, transport = _package_hub(
        lambda r, payload: httpx.Response(200, content=payload, headers={"content-type": "application/octet-stream"}))
    with VxpClient("http://hub", "sys", "k", transport=transport) as hub, blobs.Staged() as staged:
        assert hub.fetch_edoc("D1", staged) == hashlib.sha256(payload).hexdigest() == staged.sha256
        with open(staged.temporary_file_path(), "rb") as fh:
            assert fh.read() == payload


@pytest.mark.parametrize("refusal", ["HTTP 404 page", "unknown operation", "HTML page with HTTP 200"])
def test_fetch_edoc_falls_back_to_get_edoc_where_download_is_not_served(tmp_path, refusal):
    """A hub without downloadEdoc (another vendor's): getEdoc at once, nothing half written,
    and getEdoc only for the next packages."""
    def download(request, payload):
        if refusal == "HTTP 404 page":
            return httpx.Response(404, content=b"<html>Not Found</html>", headers={"content-type": "text/html"})
        if refusal == "HTML page with HTTP 200":  # a portal's page: not read as a package
            return httpx.Response(200, content=b"<html>Login</html>", headers={"content-type": "text/html; charset=utf-8"})
        return httpx.Response(200, json=vxp.response(vxp.UNKNOWN_OPERATION, "downloadEdoc"))

    payload, seen, transport = _package_hub(download)
    dest = tmp_path / "in.edxml"
    with VxpClient("http://hub", "sys", "k", transport=transport) as hub:
        assert hub.fetch_edoc("D1", dest) == hashlib.sha256(payload).hexdigest()
        hub.fetch_edoc("D2", tmp_path / "in2.edxml")
    assert dest.read_bytes() == payload
    assert _ops(seen) == ["downloadEdoc", "getEdoc", "getEdoc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.edxml", "in2.edxml"]


def test_fetch_edoc_raises_a_packages_own_refusal_without_asking_get_edoc(tmp_path):
    """301 (unknown docId), 303 (content gone): about the package, getEdoc would say the same."""
    payload, seen, transport = _package_hub(
        lambda r, payload: httpx.Response(200, json=vxp.response(vxp.NOT_FOUND)))
    with VxpClient("http://hub", "sys", "k", transport=transport) as hub, pytest.raises(VxpRemoteError) as info:
        hub.fetch_edoc("nope", tmp_path / "in.edxml")
    assert info.value.code == vxp.NOT_FOUND.code and _ops(seen) == ["downloadEdoc"]
    assert not list(tmp_path.iterdir())


def test_fetch_edoc_tries_download_again_after_a_while(tmp_path, monkeypatch):
    """A hub upgraded since: downloadEdoc is asked again once DOWNLOAD_RETRY_SECONDS passed."""
    offered = {"yes": False}

    def download(request, payload):
        if not offered["yes"]:
            return httpx.Response(404, content=b"no")
        return httpx.Response(200, content=payload)

    payload, seen, transport = _package_hub(download)
    clock = {"now": 1000.0}
    monkeypatch.setattr(client_module, "_monotonic", lambda: clock["now"])
    with VxpClient("http://hub", "sys", "k", transport=transport) as hub:
        hub.fetch_edoc("D1", tmp_path / "a")
        offered["yes"] = True
        clock["now"] += client_module.DOWNLOAD_RETRY_SECONDS - 1
        hub.fetch_edoc("D2", tmp_path / "b")
        clock["now"] += 2
        assert hub.fetch_edoc("D3", tmp_path / "c") == hashlib.sha256(payload).hexdigest()
    assert _ops(seen) == ["downloadEdoc", "getEdoc", "getEdoc", "downloadEdoc"]
