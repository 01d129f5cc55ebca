"""Benchmark: PAdES signatures per second (software key, SoftHSM2) and verification of a 50-page PDF.

    python bench/signing_bench.py [--signatures 20] [--runs 5] [--pages 50]

Each run signs a one-page Decree 30 letter `--signatures` times (visible field with the
signer's image, incremental update into memory) and reports signatures per second; the
figure printed is the median over `--runs`. Then the same for the `--pages`-page letter signed as
the e-office signs a document (`pdf.sign_as_signer`: the box found on the last page), beside
the machine's raw RSA-2048 signatures per second in the same run, and the agency's seal over that
signature (`pdf.sign_as_agency`). Stored key: what opening a stored seal costs
before each signature, from its PKCS#12 file or from its ready form (vpdt.signing.stored_keys),
beside the raw RSA-2048 signature. Verification: a `--pages`-page letter signed by
the leader and then the agency (seal), verified with the demo root and CRLs; median seconds.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

SOFTHSM_LIB = "/usr/lib/softhsm/libsofthsm2.so"


def _machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    mem_kb = next(int(ln.split()[1]) for ln in open("/proc/meminfo") if ln.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kb / 2**20, 1), "python": platform.python_version()}


def _softhsm_key(base: Path, p12: Path, password: str, intermediate_der: bytes):
    """A SoftHSM2 token in `base` holding the key of `p12`; None when SoftHSM2 is missing."""
    if not Path(SOFTHSM_LIB).exists() or not shutil.which("softhsm2-util") or not shutil.which("pkcs11-tool"):
        return None
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    from vpdt.signing import keys

    (base / "tokens").mkdir(parents=True)
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # before python-pkcs11 loads the module

    def run(*cmd):
        subprocess.run(["timeout", "60", *cmd], check=True, capture_output=True)

    run("softhsm2-util", "--init-token", "--free", "--label", "bench", "--pin", "123456", "--so-pin", "65432100")
    key, cert, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), password.encode())
    (base / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
    (base / "c.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    (base / "ca.der").write_bytes(intermediate_der)
    run("softhsm2-util", "--import", str(base / "k.pem"), "--token", "bench", "--label", "signer", "--id", "01",
        "--pin", "123456")
    for obj, label, oid in (("c.der", "signer", "01"), ("ca.der", "ca", "02")):
        run("pkcs11-tool", "--module", SOFTHSM_LIB, "--token-label", "bench", "--login", "--pin", "123456",
            "--write-object", str(base / obj), "--type", "cert", "--label", label, "--id", oid)
    return keys.Pkcs11Key(SOFTHSM_LIB, "bench", "signer", "123456")


def _rate(key, letter: bytes, image: bytes, box, n: int) -> float:
    from vpdt.signing import pdf

    t0 = time.perf_counter()
    for i in range(n):
        pdf.sign_pdf(io.BytesIO(letter), io.BytesIO(), key, field_name=f"S{i}", box=box, image=image)
    return n / (time.perf_counter() - t0)


def _rate_as_signer(key, letter: bytes, image: bytes, n: int) -> float:
    from vpdt.signing import pdf

    t0 = time.perf_counter()
    for _ in range(n):
        pdf.sign_as_signer(io.BytesIO(letter), io.BytesIO(), key, signer_name="Nguyễn Văn An", title="PHÓ CHỦ TỊCH",
                           image=image)
    return n / (time.perf_counter() - t0)


def _rate_as_agency(key, signed: bytes, seal: bytes, n: int) -> float:
    """The agency's seal over the signer's signature, as the clerk issues the document."""
    from vpdt.signing import pdf

    t0 = time.perf_counter()
    for _ in range(n):
        pdf.sign_as_agency(io.BytesIO(signed), io.BytesIO(), key, seal_image=seal)
    return n / (time.perf_counter() - t0)


def _raw_rsa_rate(key, n: int = 300) -> float:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    pyca_key = key.pyhanko_signer()._pyca_key
    t0 = time.perf_counter()
    for i in range(n):
        pyca_key.sign(b"%032d" % i, padding.PKCS1v15(), hashes.SHA256())
    return n / (time.perf_counter() - t0)


def _stored_key(p12: bytes, password: str, letter: bytes, image: bytes, box, runs: int) -> dict:
    """A stored seal as the e-office opens it for each signature (vpdt.signing.stored_keys): from
    its PKCS#12 file (decrypted, RSA key checked), or from its sealed ready form (checked once);
    then one signature with it. Beside them, this machine's raw RSA-2048 signature."""
    from django.conf import settings

    if not settings.configured:  # the sealing of the ready form needs the deployment's secret
        settings.configure(SECRET_KEY="signing-bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from vpdt.signing import keys, stored_keys

    def median_ms(fn, n: int = 10) -> float:
        times = []
        for _ in range(max(runs, 1) * n):
            t0 = time.process_time()
            fn()
            times.append((time.process_time() - t0) * 1000)
        return round(statistics.median(times), 2)

    pyca_key, cert, others = stored_keys.load_pkcs12(p12, password)
    ready = stored_keys.seal_ready(pyca_key, [cert, *others], p12)
    sign = lambda opened: _rate(opened, letter, image, box, 1)  # noqa: E731
    return {
        "open_file_ms": median_ms(lambda: stored_keys.load_pkcs12(p12, password)),
        "open_ready_ms": median_ms(lambda: stored_keys.open_ready(ready, p12)),
        "open_file_and_sign_ms": median_ms(lambda: sign(keys.SoftwareKey.from_pkcs12(p12, password)), 2),
        "open_ready_and_sign_ms": median_ms(lambda: sign(keys.SoftwareKey.from_opened(*stored_keys.open_ready(ready, p12))), 2),
        "raw_rsa2048_sign_ms": median_ms(lambda: pyca_key.sign(b"x" * 32, padding.PKCS1v15(), hashes.SHA256())),
        "cpu_ms": "process CPU, median",
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--signatures", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pages", type=int, default=50)
    args = ap.parse_args()
    import logging

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    from cryptography.hazmat.primitives import serialization

    from vpdt.signing import images, keys, layout, pdf, pki, samples

    result: dict = {"machine": _machine(), "runs": args.runs, "signatures_per_run": args.signatures}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ca = pki.make_demo_ca(tmp / "ca", people=[("an", "Nguyễn Văn An")], agencies=[("H01", "Ủy ban nhân dân tỉnh Demo")])
        person = keys.SoftwareKey.from_pkcs12(ca.people["an"].read_bytes(), ca.password)
        agency = keys.SoftwareKey.from_pkcs12(ca.agencies["H01"].read_bytes(), ca.password)
        letter = samples.demo_letter()
        image = images.signature_png("Nguyễn Văn An")
        _, box = layout.signer_box(io.BytesIO(letter), signer_name="Nguyễn Văn An", title="PHÓ CHỦ TỊCH")
        _rate(person, letter, image, box, 2)  # warm-up: imports, font loading
        rates = [_rate(person, letter, image, box, args.signatures) for _ in range(args.runs)]
        result["software_signatures_per_s"] = {"median": round(statistics.median(rates), 1), "all": [round(r, 1) for r in rates]}

        # The measure: a `--pages`-page letter signed as the e-office signs a document
        # (pdf.sign_as_signer: the signer's box found on its last page), beside this machine's raw
        # RSA-2048 signatures per second (the part of a signature that is the key's).
        long_letter = samples.demo_letter(pages=args.pages)
        _rate_as_signer(person, long_letter, image, 2)
        rates = [_rate_as_signer(person, long_letter, image, args.signatures) for _ in range(args.runs)]
        raw = [_raw_rsa_rate(person) for _ in range(args.runs)]
        seal = images.seal_png("Ủy ban nhân dân tỉnh Demo")
        by_signer = io.BytesIO()
        pdf.sign_as_signer(io.BytesIO(long_letter), by_signer, person, signer_name="Nguyễn Văn An",
                           title="PHÓ CHỦ TỊCH", image=image)
        _rate_as_agency(agency, by_signer.getvalue(), seal, 2)
        seals = [_rate_as_agency(agency, by_signer.getvalue(), seal, args.signatures) for _ in range(args.runs)]
        result["software_seals_per_s_long_letter"] = {"median": round(statistics.median(seals), 1),
                                                      "all": [round(r, 1) for r in seals]}
        result["software_signatures_per_s_long_letter"] = {
            "pages": args.pages, "bytes": len(long_letter), "median": round(statistics.median(rates), 1),
            "all": [round(r, 1) for r in rates], "raw_rsa2048_per_s_median": round(statistics.median(raw)),
            "load_average_1min": round(os.getloadavg()[0], 2)}

        token = _softhsm_key(tmp / "hsm", ca.people["an"], ca.password,
                             ca.intermediate_cert.public_bytes(serialization.Encoding.DER))
        if token is None:
            result["softhsm_signatures_per_s"] = "SoftHSM2 not installed"
        else:
            with token:
                _rate(token, letter, image, box, 2)
                rates = [_rate(token, letter, image, box, args.signatures) for _ in range(args.runs)]
            result["softhsm_signatures_per_s"] = {"median": round(statistics.median(rates), 1),
                                                  "all": [round(r, 1) for r in rates]}

        result["stored_key"] = _stored_key(ca.agencies["H01"].read_bytes(), ca.password, letter, image, box, args.runs)

        one, two = io.BytesIO(), io.BytesIO()
        pdf.sign_as_signer(io.BytesIO(long_letter), one, person, signer_name="Nguyễn Văn An",
                           title="PHÓ CHỦ TỊCH", image=image)
        pdf.sign_as_agency(one, two, agency, seal_image=images.seal_png("Ủy ban nhân dân tỉnh Demo"))
        signed = two.getvalue()
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            reports = pdf.verify_pdf(io.BytesIO(signed), trust_roots=[ca.root_cert], crls=ca.crl_paths)
            times.append(time.perf_counter() - t0)
            assert [r.summary for r in reports] == ["valid", "valid"], reports
        result["verify_signed_pdf"] = {
            "pages": args.pages, "bytes": len(signed), "signatures": 2,
            "median_s": round(statistics.median(times), 3), "all_s": [round(t, 3) for t in times],
        }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
