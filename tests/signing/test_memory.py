"""A received 200 MB PDF is signed and verified by streaming: memory hardly grows.

Rules protected (issue 10, the streams rule for signatures):
- a 200 MB PDF (one page, a scanned image as one large stream) signed by the signer and
  then by the agency, the way Decree 30 asks, never whole in memory;
- received, it is stored as an incoming document's file and verified through the real
  seam (`signing.services.verify_received`, reading the blob store) with RSS growth under
  100 MB, and both signatures come out valid and trusted.
Each step runs in a fresh process, so the peak RSS measured is that step's own (as in
tests/edxml/test_memory.py); the database is the test's own file, shared by the processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from tests import factories
from vpdt.records.choices import Direction
from vpdt.signing.models import SignatureCheck, TrustAnchor

from .conftest import AGENCY

pytestmark = pytest.mark.slow

MB = 200
LIMIT_MB = 100

SIGN = textwrap.dedent(
    """
    import json, resource, sys
    from vpdt.signing import keys, pdf

    src, one, two, person_p12, agency_p12, password = sys.argv[1:7]
    person = keys.SoftwareKey.from_pkcs12(open(person_p12, "rb").read(), password)
    agency = keys.SoftwareKey.from_pkcs12(open(agency_p12, "rb").read(), password)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pdf.sign_pdf(src, one, person, field_name="ChuKyNguoiKy", box=(330, 120, 480, 200), stamp_text="Người ký")
    pdf.sign_pdf(one, two, agency, field_name="ChuKyCoQuan", box=(280, 110, 380, 210), stamp_text="Cơ quan")
    grow = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(json.dumps({"rss_growth_mb": grow}))
    """
)

VERIFY = textwrap.dedent(
    """
    import json, resource, sys
    import django

    django.setup()
    from vpdt.directory.models import User
    from vpdt.records import services as records
    from vpdt.records.models import Document
    from vpdt.signing import pdf
    from vpdt.signing import services as signing

    path, small, clerk_id, document_id = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    clerk, document = User.objects.get(pk=clerk_id), Document.objects.get(pk=document_id)
    pdf.verify_pdf(small, trust_roots=signing.trust_roots())  # what a running worker has loaded already
    with open(path, "rb") as fh:
        records.add_attachment(clerk, document, fh, "van-ban-lon.pdf", content_type="application/pdf")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    checks = signing.verify_received(document)
    grow = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(json.dumps({"rss_growth_mb": grow, "checks": [[c.overall, len(c.signatures)] for c in checks]}))
    """
)


def big_pdf(path: Path, mb: int) -> None:
    """A one-page PDF whose page is a greyscale image of about `mb` MB, written in pieces."""
    side = int((mb * 1024 * 1024) ** 0.5)
    size = side * side
    block = os.urandom(1 << 20)  # incompressible, like a scan
    offsets = []
    with open(path, "wb") as f:
        f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

        def obj(body: bytes) -> None:
            offsets.append(f.tell())
            f.write(b"%d 0 obj\n%s\nendobj\n" % (len(offsets), body))

        obj(b"<< /Type /Catalog /Pages 2 0 R >>")
        obj(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        obj(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /XObject << /Scan 5 0 R >> >> >>")
        content = b"q 595 0 0 842 0 0 cm /Scan Do Q"
        obj(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        offsets.append(f.tell())
        f.write(b"5 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (side, side, size))
        left = size
        while left:
            f.write(block[:min(left, len(block))])
            left -= min(left, len(block))
        f.write(b"\nendstream\nendobj\n")
        xref = f.tell()
        f.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        f.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
        f.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "VPDT_TEST_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2] / "src"), env.get("PYTHONPATH", "")])
    env["DJANGO_SETTINGS_MODULE"] = "vpdt.settings"
    env.update(extra)
    return env


def _database_url() -> str:
    """The URL of the test database this test writes to, for the measuring process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _run(script: str, *args, env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True,
                          timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_a_received_200_mb_signed_pdf_is_verified_with_flat_memory(tmp_path, blob_dir, demo_ca):
    source, one, signed = tmp_path / "scan.pdf", tmp_path / "signed-1.pdf", tmp_path / "signed-2.pdf"
    big_pdf(source, MB)
    small = tmp_path / "small.pdf"
    big_pdf(small, 1)
    env = _env()
    signing_run = _run(SIGN, source, one, signed, demo_ca.people["an"], demo_ca.agencies[AGENCY], demo_ca.password,
                       env=env)
    assert signed.stat().st_size > MB * 1024 * 1024
    assert signing_run["rss_growth_mb"] < LIMIT_MB, f"signing a {MB} MB PDF: {signing_run}"
    subprocess.run([sys.executable, "-c", SIGN, str(small), str(tmp_path / "s1.pdf"), str(tmp_path / "s2.pdf"),
                    str(demo_ca.people["an"]), str(demo_ca.agencies[AGENCY]), demo_ca.password],
                   env=env, check=True, capture_output=True, timeout=120)

    TrustAnchor.objects.create(name="vpdt Demo Root CA", pem=demo_ca.root_pem.read_text(), fingerprint="demo-root")
    agency = factories.agency(max_upload_mb=1024)
    clerk = factories.clerk(agency)
    document = factories.document(agency, direction=Direction.INCOMING)

    verifying = _run(VERIFY, signed, tmp_path / "s2.pdf", clerk.pk, document.pk,
                     env=_env(VPDT_DATABASE_URL=_database_url(), VPDT_BLOB_DIR=str(blob_dir),
                              VPDT_DATA_DIR=str(tmp_path / "data")))

    print(f"{MB} MB PDF: signing grew RSS by {signing_run['rss_growth_mb']:.1f} MB, "
          f"verifying by {verifying['rss_growth_mb']:.1f} MB")
    assert verifying["checks"] == [["valid", 2]], verifying
    assert verifying["rss_growth_mb"] < LIMIT_MB, f"verifying a received {MB} MB PDF: {verifying}"
    check = SignatureCheck.objects.get(document=document)
    assert check.overall == "valid" and check.attachment.blob.size > MB * 1024 * 1024
    assert all(s["trusted"] and s["intact"] for s in check.signatures)
