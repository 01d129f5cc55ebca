"""Keys: PKCS#12 with passwords, at-rest encryption, and the remote signing seam."""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12

from vpdt.signing import keys, pdf
from vpdt.signing.errors import SigningError


def test_wrong_pkcs12_password_is_a_clear_error(demo_ca):
    with pytest.raises(SigningError) as err:
        keys.SoftwareKey.from_pkcs12(demo_ca.people["an"].read_bytes(), "sai mật khẩu")
    assert err.value.code == "KEY_BAD_PASSWORD"
    assert "mật khẩu" in err.value.message


def test_pkcs12_encrypted_at_rest_round_trips_only_with_the_same_secret(demo_ca):
    data = demo_ca.people["an"].read_bytes()
    token = keys.encrypt_pkcs12(data, b"secret-of-the-deployment")
    assert data not in token
    assert keys.decrypt_pkcs12(token, b"secret-of-the-deployment") == data
    with pytest.raises(SigningError) as err:
        keys.decrypt_pkcs12(token, b"another secret")
    assert err.value.code == "KEY_DECRYPT_FAILED"


def test_software_key_is_a_signer(person_key):
    assert isinstance(person_key, keys.Signer)
    assert "Nguyễn Văn An" in person_key.subject


class FakeSigningService:
    """A signing service on 127.0.0.1 that holds one PKCS#12 key, as agencies' vendors do."""

    API_KEY = "test-api-key"

    def __init__(self, p12: bytes, password: str, key_id: str):
        self.key, cert, extra = pkcs12.load_key_and_certificates(p12, password.encode())
        self.chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *extra])
        self.key_id, self.calls = key_id, []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _reply(self, code, body: bytes, ctype="application/json"):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self):
                return self.headers.get("Authorization") == f"Bearer {service.API_KEY}"

            def do_GET(self):
                if not self._authorised():
                    return self._reply(401, b"{}")
                if self.path != f"/certificate?key_id={service.key_id}":
                    return self._reply(404, b"{}")
                self._reply(200, service.chain_pem, "application/pem-certificate-chain")

            def do_POST(self):
                if not self._authorised():
                    return self._reply(401, b"{}")
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                service.calls.append(req)
                algo = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
                sig = service.key.sign(
                    base64.b64decode(req["data_to_sign_b64"]), padding.PKCS1v15(), algo[req["digest_algorithm"]]
                )
                self._reply(200, json.dumps({"signature_b64": base64.b64encode(sig).decode()}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def signing_service(demo_ca):
    service = FakeSigningService(demo_ca.people["an"].read_bytes(), demo_ca.password, "an-01")
    yield service
    service.server.shutdown()


def test_remote_signer_signs_through_the_local_fake_service(signing_service, letter_pdf, demo_ca):
    remote = keys.RemoteSigner(signing_service.url, "an-01", FakeSigningService.API_KEY)
    assert "Nguyễn Văn An" in remote.subject
    out = io.BytesIO()
    pdf.sign_pdf(letter_pdf, out, remote, field_name="Remote")
    remote.close()
    assert len(signing_service.calls) == 1 and signing_service.calls[0]["key_id"] == "an-01"
    [report] = pdf.verify_pdf(io.BytesIO(out.getvalue()), trust_roots=[demo_ca.root_cert])
    assert report.summary == "valid"


def test_remote_signer_with_a_wrong_api_key_is_refused(signing_service):
    with pytest.raises(SigningError) as err:
        keys.RemoteSigner(signing_service.url, "an-01", "wrong")
    assert err.value.code == "REMOTE_UNAUTHORIZED"


def test_remote_signer_unreachable_is_a_clear_error():
    with pytest.raises(SigningError) as err:
        keys.RemoteSigner("http://127.0.0.1:9", "x", "y", timeout=2)
    assert err.value.code == "REMOTE_UNAVAILABLE"
