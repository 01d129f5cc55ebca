"""The VXP client's transport (http.client under httpx's interface) against real local servers:
kept-alive connections and when not to reuse them, bodies streamed both ways, httpx's errors,
TLS verified."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.quiet_server import QuietHTTPServer
from vpdt.vxp import protocol as vxp
from vpdt.vxp.client import VxpClient
from vpdt.vxp.transport import StdlibTransport

PACKAGE = bytes(range(256)) * 8192  # 2 MiB


class Hub(BaseHTTPRequestHandler):
    """Answers as a hub would; `server.behaviour` changes how (closing, chunking, silence)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.server.connections.append(self.client_address)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while (size := int(self.rfile.readline().strip(), 16)) > 0:
                out += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return out
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, body: bytes, *, chunked: bool = False, close: bool = False, content_type="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 100_000):
                piece = body[start:start + 100_000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self._body()
        behaviour = self.server.behaviour
        if behaviour == "silent":
            threading.Event().wait(2)
            return
        self.server.received.append(body)
        answer = vxp.dumps(vxp.response(DocId=hashlib.sha256(body).hexdigest()))
        self._answer(answer, close=behaviour == "close")
        if behaviour == "drop":  # keep-alive promised, the socket closed all the same
            self.close_connection = True

    def do_GET(self):  # noqa: N802 - http.server's name
        self._answer(PACKAGE, chunked=self.server.behaviour == "chunked", content_type="application/octet-stream")

    def log_message(self, *args):
        pass


def _serve(context: ssl.SSLContext | None = None):
    server = QuietHTTPServer(("127.0.0.1", 0), Hub)
    server.daemon_threads = True
    server.connections, server.received, server.behaviour = [], [], ""
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """A proxy named by the environment sends the client through httpx.Client instead."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hub():
    server = _serve()
    yield server
    server.shutdown()
    server.server_close()


def _url(server, scheme="http", host="127.0.0.1") -> str:
    return f"{scheme}://{host}:{server.server_address[1]}"


def test_the_client_uses_it_and_keeps_one_connection_alive(hub):
    with VxpClient(_url(hub), "sys", "k") as client:
        assert isinstance(client._transport, StdlibTransport)
        for n in range(5):
            client.update_status(f"D{n}", "done")
    assert len(hub.connections) == 1 and len(hub.received) == 5


def test_a_package_is_streamed_up_with_its_length_and_down_in_pieces(hub, tmp_path):
    package = tmp_path / "p.edxml"
    package.write_bytes(PACKAGE)
    with VxpClient(_url(hub), "sys", "k") as client:
        doc_id = client.send_edoc(package, from_code="000.00.01.H90", to=["000.00.02.H90"])
        assert doc_id == hashlib.sha256(PACKAGE + b"\r\n").hexdigest()  # file + CRLF, as the SDK
        for behaviour in ("", "chunked"):
            hub.behaviour = behaviour
            digest = client.download_edoc("D1", tmp_path / f"in-{behaviour}.edxml")
            assert digest == hashlib.sha256(PACKAGE).hexdigest()
            assert (tmp_path / f"in-{behaviour}.edxml").read_bytes() == PACKAGE
        client.update_status("D1", "done")
    assert len(hub.connections) == 1  # every answer read to its end: the connection kept


def test_a_body_of_unknown_length_goes_chunked(hub):
    transport = StdlibTransport()
    request = httpx.Request("POST", _url(hub) + "/sendEdoc", content=iter([b"abc", b"", b"defgh"]))
    response = transport.handle_request(request)
    response.read()
    assert hub.received == [b"abcdefgh"] and json.loads(response.content)["status"] == "OK"
    transport.close()


def test_an_answer_not_read_to_its_end_closes_its_connection(hub):
    transport = StdlibTransport()
    response = transport.handle_request(httpx.Request("GET", _url(hub) + "/downloadEdoc"))
    next(response.iter_raw())
    response.close()
    assert transport._idle == {}
    response = transport.handle_request(httpx.Request("GET", _url(hub) + "/downloadEdoc"))
    assert response.read() == PACKAGE
    response.close()
    assert len(hub.connections) == 2
    transport.close()


@pytest.mark.parametrize("behaviour", ["close", "drop"])
def test_a_connection_the_hub_closed_is_not_used_again(hub, behaviour):
    """"close": the answer says so. "drop": the hub closes the socket without a word; the idle
    socket turns readable and the next request takes a new connection instead of failing."""
    hub.behaviour = behaviour
    with VxpClient(_url(hub), "sys", "k") as client:
        for n in range(3):
            client.update_status(f"D{n}", "done")
            if behaviour == "drop":
                threading.Event().wait(0.1)  # the close reaches this side
    assert len(hub.connections) == 3 and len(hub.received) == 3


def test_a_connection_idle_longer_than_the_keepalive_is_not_used_again(hub):
    transport = StdlibTransport(keepalive_seconds=0.0)
    for _ in range(2):
        response = transport.handle_request(httpx.Request("POST", _url(hub) + "/updateStatus", content=b"{}"))
        response.read()
        response.close()
    assert len(hub.connections) == 2
    transport.close()


def test_threads_share_the_pool(hub):
    errors = []
    with VxpClient(_url(hub), "sys", "k") as client:
        def work():
            try:
                for n in range(20):
                    client.update_status(f"D{n}", "done")
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == [] and len(hub.received) == 160 and len(hub.connections) <= 8


def test_network_failures_are_httpx_transport_errors(hub):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with VxpClient(f"http://127.0.0.1:{port}", "sys", "k") as client, pytest.raises(httpx.ConnectError):
        client.update_status("D1", "done")
    hub.behaviour = "silent"
    with VxpClient(_url(hub), "sys", "k", timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
        client.update_status("D1", "done")
    with pytest.raises(httpx.UnsupportedProtocol):
        StdlibTransport().handle_request(httpx.Request("GET", "ftp://127.0.0.1/x"))


def _authority(tmp_path):
    """A private CA and a certificate for 127.0.0.1 signed by it: (server context, CA file)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA thử nghiệm")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "hub.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "hub.pem")
    return server_context, tmp_path / "ca.pem"


def test_https_is_verified(tmp_path, monkeypatch):
    server_context, ca_file = _authority(tmp_path)
    server = _serve(server_context)
    try:
        # Not trusted by the default bundle: refused as httpx refuses it.
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        with VxpClient(_url(server, "https"), "sys", "k") as client, pytest.raises(httpx.ConnectError):
            client.update_status("D1", "done")
        # Trusted through SSL_CERT_FILE, as httpx reads it.
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        with VxpClient(_url(server, "https"), "sys", "k") as client:
            client.update_status("D1", "done")
            client.update_status("D2", "done")
        assert len(server.received) == 2
    finally:
        server.shutdown()
        server.server_close()
