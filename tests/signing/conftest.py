"""Fixtures of the signing tests, shared with part B's integration tests.

`demo_ca`: one demo PKI for the session (root, intermediate, people, agencies, CRLs).
`softhsm_token`: a SoftHSM2 token in a temporary directory holding the signer's key and
certificate; skipped loudly when SoftHSM2 is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

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
