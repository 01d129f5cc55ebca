"""Where one PAdES signature's time goes: a 50-page PDF, software key, pyHanko (issue 17).

    python bench/signing_profile.py [--pages 50] [--signatures 30] [--runs 3] [--top 40]

Signs the `--pages`-page Decree 30 letter the way the e-office signs a document
(`pdf.sign_as_signer`: the signer's box found on the last page, the PNG signature image,
PAdES B-B, incremental update into memory) with a software key (demo PKCS#12), and in the
same run, alternating, the machine's bare limits: the CMS signature alone, by pyHanko
(`sign_general_data` over 32 bytes: the same signed attributes and SignerInfo as in the
PDF, built with asn1crypto, no PDF) and by cryptography (`PKCS7SignatureBuilder`, detached,
in OpenSSL), and the RSA-2048 PKCS#1 v1.5 operation alone (cryptography). Prints signatures/s of each per run and their
median, the machine load, then one cProfile (process CPU) of `--signatures` PDF
signatures, with the time of each step summed from the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

# (label, file fragment, function name): cumulative time of each, from the profile
STEPS = [
    ("read the PDF (IncrementalPdfFileWriter: xref, trailer)", "pyhanko/pdf_utils/incremental_writer.py",
     "__init__"),
    ("find the signer's box (layout.signer_box: text of the last page)", "vpdt/signing/layout.py", "signer_box"),
    ("  of which the page alone (layout._page, vpdt.signing.pagetree)", "vpdt/signing/layout.py", "_page"),
    ("  of which the text positions of that page (pypdf extract_text)", "vpdt/signing/layout.py", "_lines"),
    ("decode the PNG (PIL)", "vpdt/signing/pdf.py", "_image"),
    ("the field's page for pyHanko (vpdt.signing.pagetree.path_to)", "vpdt/signing/pagetree.py", "path_to"),
    ("pyHanko: walk the page tree to the field's page (reads every page object)",
     "pyhanko/pdf_utils/rw_common.py", "_walk_page_tree"),
    ("pyHanko: appearance (stamp) rendering", "pyhanko/stamp/base.py", "render"),
    ("pyHanko: image to PDF (PdfImage, zlib)", "pyhanko/pdf_utils/images.py", "render"),
    ("write the incremental update (objects serialised)", "pyhanko/pdf_utils/incremental_writer.py", "write"),
    ("digest of the signed byte ranges", "pyhanko/sign/signers/pdf_signer.py", "digest_tbs_document"),
    ("CMS: signed attributes + SignerInfo + RSA (pyHanko async_sign, all calls)",
     "pyhanko/sign/signers/pdf_cms.py", "async_sign"),
    ("  of which signed attributes (asn1crypto)", "pyhanko/sign/signers/pdf_cms.py", "signed_attrs"),
    ("  of which SignerInfo (asn1crypto)", "pyhanko/sign/signers/pdf_cms.py", "signer_info"),
    ("  of which the RSA operation (cryptography)", "vpdt/signing/keys.py", "sign_raw"),
    ("CMS: the key's prepared container, digest and value put in (keys._PreparedContainer)",
     "vpdt/signing/keys.py", "async_sign"),
    ("image object copied from its kept compressed form (pdf._add_encoded)", "vpdt/signing/pdf.py", "_add_encoded"),
    ("write the signature into the reserved room", "pyhanko/sign/signers/cms_embedder.py", "write_cms"),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--signatures", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()
    import logging

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import pkcs12

    from vpdt.signing import images, keys, pdf, pki, samples

    with tempfile.TemporaryDirectory() as tmp:
        ca = pki.make_demo_ca(Path(tmp) / "ca", people=[("an", "Nguyễn Văn An")], agencies=[])
        p12 = ca.people["an"].read_bytes()
        person = keys.SoftwareKey.from_pkcs12(p12, ca.password)
        pyca_key = pkcs12.load_key_and_certificates(p12, ca.password.encode())[0]
    letter = samples.demo_letter(pages=args.pages)
    image = images.signature_png("Nguyễn Văn An")
    print(f"load average {os.getloadavg()[0]:.2f}; {args.pages}-page letter {len(letter)} bytes, "
          f"signature image {len(image)} bytes", flush=True)

    def sign_one(i: int) -> None:
        pdf.sign_as_signer(io.BytesIO(letter), io.BytesIO(), person, signer_name="Nguyễn Văn An",
                           title="PHÓ CHỦ TỊCH", image=image, field_name=f"S{i}")

    def pdf_rate(n: int) -> float:
        t0 = time.perf_counter()
        for i in range(n):
            sign_one(i)
        return n / (time.perf_counter() - t0)

    cms_signer = person.pyhanko_signer()

    def cms_rate(n: int) -> float:
        async def many():
            for _ in range(n):
                await cms_signer.async_sign_general_data(b"\x00" * 32, "sha256", detached=True)
        t0 = time.perf_counter()
        asyncio.run(many())
        return n / (time.perf_counter() - t0)

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7

    pyca_cert = x509.load_der_x509_certificate(cms_signer.signing_cert.dump())

    def pkcs7_rate(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            pkcs7.PKCS7SignatureBuilder().set_data(b"\x00" * 32).add_signer(
                pyca_cert, pyca_key, hashes.SHA256()).sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature])
        return n / (time.perf_counter() - t0)

    def rsa_rate(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            pyca_key.sign(b"\x00" * 32, padding.PKCS1v15(), hashes.SHA256())
        return n / (time.perf_counter() - t0)

    pdf_rate(2), cms_rate(20), pkcs7_rate(20), rsa_rate(20)  # warm-up: imports, fonts
    rates: dict[str, list[float]] = {"pdf": [], "cms": [], "pkcs7": [], "rsa": []}
    for run in range(args.runs):
        rates["pdf"].append(pdf_rate(args.signatures))
        rates["cms"].append(cms_rate(300))
        rates["pkcs7"].append(pkcs7_rate(300))
        rates["rsa"].append(rsa_rate(300))
        print(f"run {run + 1}: PDF signatures {rates['pdf'][-1]:.1f}/s, bare CMS pyHanko {rates['cms'][-1]:.0f}/s, "
              f"bare CMS cryptography {rates['pkcs7'][-1]:.0f}/s, "
              f"RSA-2048 {rates['rsa'][-1]:.0f}/s (load {os.getloadavg()[0]:.2f})", flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(f"median: PDF signatures {med['pdf']:.1f}/s ({1000 / med['pdf']:.1f} ms each), bare CMS pyHanko "
          f"{med['cms']:.0f}/s ({1000 / med['cms']:.2f} ms), bare CMS cryptography {med['pkcs7']:.0f}/s, RSA-2048 {med['rsa']:.0f}/s; "
          f"PDF/CMS {med['pdf'] / med['cms']:.4f}", flush=True)

    profile = cProfile.Profile(time.process_time)
    cpu = time.process_time()
    profile.enable()
    for i in range(args.signatures):
        sign_one(i)
    profile.disable()
    per = (time.process_time() - cpu) / args.signatures * 1000
    stats = pstats.Stats(profile)
    print(f"\nprofile: {per:.1f} ms CPU per signature (profiled); steps (cumulative, per signature):")
    for label, fragment, name in STEPS:
        total = sum(v[3] for k, v in stats.stats.items() if k[0].endswith(fragment) and k[2] == name)
        print(f"  {total / args.signatures * 1000:7.2f} ms  {label}")
    stats.sort_stats("cumulative").print_stats("pyhanko|vpdt", args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
