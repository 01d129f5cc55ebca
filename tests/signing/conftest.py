"""Fixtures of the signing tests, shared with part B's integration tests.

`demo_ca`: one demo PKI for the session (root, intermediate, people, agencies, CRLs).
`softhsm_token`: a SoftHSM2 token in a temporary directory holding the signer's key and
certificate; skipped loudly when SoftHSM2 is not installed.
`FakeSigningService` / `signing_service`: a remote signing service on 127.0.0.1, slow on demand.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.quiet_server import QuietHTTPServer
from vpdt.signing import images, keys, pki, samples

PEOPLE = [("an", "Nguyễn Văn An"), ("binh", "Trần Thị Bình")]
AGENCIES = [("000.00.00.H01", "Ủy ban nhân dân tỉnh Demo")]
AGENCY = AGENCIES[0][0]
SOFTHSM_LIBS = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"]
TITLE = "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
SIGNER_NAME = "Nguyễn Văn An"


@pytest.fixture(scope="session")
def demo_ca(tmp_path_factory) -> pki.DemoCA:
    return pki.make_demo_ca(tmp_path_factory.mktemp("demo-ca"), people=PEOPLE, agencies=AGENCIES)


@pytest.fixture(scope="session")
def person_key(demo_ca) -> keys.SoftwareKey:
    return keys.SoftwareKey.from_pkcs12(demo_ca.people["an"].read_bytes(), demo_ca.password)


@pytest.fixture(scope="session")
def agency_key(demo_ca) -> keys.SoftwareKey:
    return keys.SoftwareKey.from_pkcs12(demo_ca.agencies[AGENCY].read_bytes(), demo_ca.password)


@pytest.fixture(scope="session")
def letter_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("letters") / "letter.pdf"
    path.write_bytes(samples.demo_letter(signer_name=SIGNER_NAME, signer_title=TITLE))
    return path


@pytest.fixture(scope="session")
def signature_image() -> bytes:
    return images.signature_png(SIGNER_NAME)


@pytest.fixture(scope="session")
def seal_image() -> bytes:
    return images.seal_png(AGENCIES[0][1])


@dataclass
class SoftHSMToken:
    lib: str
    token_label: str
    key_label: str
    cert_label: str
    pin: str
    so_pin: str
    conf: Path
    subject_cn: str

    def key(self) -> keys.Pkcs11Key:
        return keys.Pkcs11Key(self.lib, self.token_label, self.key_label, self.pin, cert_label=self.cert_label)


def _run(cmd: list[str], env: dict) -> None:
    done = subprocess.run(["timeout", "60", *cmd], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr or done.stdout}")


@pytest.fixture(scope="session")
def softhsm_token(demo_ca, tmp_path_factory) -> SoftHSMToken:
    lib = next((p for p in SOFTHSM_LIBS if Path(p).exists()), None)
    missing = [t for t in ("softhsm2-util", "pkcs11-tool") if shutil.which(t) is None]
    if lib is None or missing:
        reason = f"SoftHSM2 NOT INSTALLED (module {SOFTHSM_LIBS[0]} or {missing} missing): apt-get install softhsm2 opensc"
        print("\n" + "!" * 78 + f"\n!! {reason}\n" + "!" * 78)
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    # python-pkcs11 loads the module in this process: the variable must be set before first use.
    os.environ["SOFTHSM2_CONF"] = str(conf)
    env = dict(os.environ)
    token = SoftHSMToken(lib, "vpdt-test", "signer", "signer", "123456", "65432100", conf, "Trần Thị Bình")
    _run(["softhsm2-util", "--init-token", "--free", "--label", token.token_label,
          "--pin", token.pin, "--so-pin", token.so_pin], env)
    key, cert, _ = pkcs12.load_key_and_certificates(demo_ca.people["binh"].read_bytes(), demo_ca.password.encode())
    key_pem = base / "key.pem"
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    cert_der = base / "cert.der"
    cert_der.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    _run(["softhsm2-util", "--import", str(key_pem), "--token", token.token_label, "--label", token.key_label,
          "--id", "01", "--pin", token.pin], env)
    key_pem.unlink()
    _run(["pkcs11-tool", "--module", lib, "--token-label", token.token_label, "--login", "--pin", token.pin,
          "--write-object", str(cert_der), "--type", "cert", "--label", token.cert_label, "--id", "01"], env)
    # Real tokens carry the issuing CA too; the signature embeds it from there.
    ca_der = base / "ca.der"
    ca_der.write_bytes(demo_ca.intermediate_cert.public_bytes(serialization.Encoding.DER))
    _run(["pkcs11-tool", "--module", lib, "--token-label", token.token_label, "--login", "--pin", token.pin,
          "--write-object", str(ca_der), "--type", "cert", "--label", "issuing-ca", "--id", "02"], env)
    return token


class FakeSigningService:
    """A signing service on 127.0.0.1 that holds one PKCS#12 key, as agencies' vendors do.

    A slow one: with `delay`, each signature waits that long (or until `gate` is set) before
    it answers; `started` is set when a signature request arrives, `answered` when one left.
    """

    API_KEY = "test-api-key"

    def __init__(self, p12: bytes, password: str, key_id: str, *, delay: float = 0.0):
        self.key, cert, extra = pkcs12.load_key_and_certificates(p12, password.encode())
        self.chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *extra])
        self.key_id, self.calls, self.delay = key_id, [], delay
        self.started, self.gate, self.answered = threading.Event(), threading.Event(), threading.Event()
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
                service.started.set()
                if service.delay:
                    service.gate.wait(service.delay)
                algo = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
                sig = service.key.sign(
                    base64.b64decode(req["data_to_sign_b64"]), padding.PKCS1v15(), algo[req["digest_algorithm"]]
                )
                self._reply(200, json.dumps({"signature_b64": base64.b64encode(sig).decode()}).encode())
                service.answered.set()

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def signing_service(demo_ca):
    service = FakeSigningService(demo_ca.people["an"].read_bytes(), demo_ca.password, "an-01")
    yield service
    service.server.shutdown()
