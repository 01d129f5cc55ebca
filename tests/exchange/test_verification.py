"""A PDF received through the interconnection is verified outside the inbox transaction.

Rules protected (issue 10, "the path in plain sight" and "slow work outside the lock"):
- its bytes are read and hashed with no transaction of the code open (before the inbox's
  transaction), and the verdict is stored in that transaction, with the document; a file left
  without a verdict goes through the one seam, `signing.services.verify_received`, after the
  commit;
- a signed PDF arrives verified ("valid"); so does the file joining a paper registration;
- a verification that fails loses nothing: the document is there and acknowledged, its
  page shows "chưa kiểm tra".
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import transaction

from vpdt.exchange.models import InboxItem
from vpdt.records import services as records
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document
from vpdt.signing import keys, pdf, pki, samples
from vpdt.signing import services as signing
from vpdt.signing.models import SignatureCheck, TrustAnchor

from .conftest import RECEIVER, SENDER, released, run_exchange

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


@pytest.fixture(scope="module")
def signed_letter(tmp_path_factory) -> tuple[bytes, str]:
    """A letter signed by the sending agency (demo CA), and the CA's root certificate (PEM)."""
    ca = pki.make_demo_ca(tmp_path_factory.mktemp("ca"), people=[], agencies=[(SENDER, "Văn phòng UBND tỉnh")])
    key = keys.SoftwareKey.from_pkcs12(ca.agencies[SENDER].read_bytes(), ca.password)
    out = io.BytesIO()
    pdf.sign_attachment(samples.demo_letter(signer_name="Nguyễn Văn An", signer_title="CHÁNH VĂN PHÒNG"), out, key,
                        code="01/UBND-VP")
    return out.getvalue(), ca.root_pem.read_text()


@pytest.fixture
def trusted(signed_letter):
    TrustAnchor.objects.create(name="vpdt Demo Root CA", pem=signed_letter[1], fingerprint="demo-root")
    return signed_letter[0]


def _incoming(agency) -> Document:
    return Document.objects.get(agency=agency, direction=Direction.INCOMING)


def test_a_received_signed_pdf_is_read_outside_the_inbox_transaction(province, trusted, monkeypatch):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    open_blocks: list[int] = []
    verify = signing.verify_file

    def watching(fh):
        # A test case wraps each test in its own atomic blocks: those do not count.
        blocks = transaction.get_connection().atomic_blocks
        open_blocks.append(sum(not getattr(block, "_from_testcase", False) for block in blocks))
        return verify(fh)

    monkeypatch.setattr(signing, "verify_file", watching)
    released(a, clerk, [b], attachment=trusted)
    run_exchange()

    incoming = _incoming(b)
    assert open_blocks == [0], "the file was read inside a transaction"
    check = SignatureCheck.objects.get(document=incoming)
    assert check.overall == "valid" and len(check.signatures) == 1
    assert InboxItem.objects.get(document=incoming).acknowledged_at is not None
    # stored with the document, its audit entry in the same chain
    from vpdt.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="signing.verify", object_id=str(check.pk)).count() == 1


def test_the_electronic_file_joining_a_paper_registration_is_verified(province, trusted):
    (a, clerk), (b, b_clerk) = province[SENDER], province[RECEIVER]
    paper = records.receive_incoming(b_clerk, b, {
        "document_type": "CV", "subject": "Bản giấy nhận trong lúc mất mạng", "number": 1, "notation": "UBND-VP",
        "issued_date": dt.date(2026, 3, 2), "issuer_code": SENDER, "issuer_name": a.name})
    records.register_incoming(b_clerk, paper)
    released(a, clerk, [b], attachment=trusted)
    run_exchange()

    assert _incoming(b).pk == paper.pk
    assert SignatureCheck.objects.get(document=paper).overall == "valid"


def test_a_verification_that_fails_loses_nothing(province, trusted, monkeypatch):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    tries: list[int] = []

    def broken(fh):
        tries.append(1)
        raise RuntimeError("trust store unreadable")

    monkeypatch.setattr(signing, "verify_file", broken)
    released(a, clerk, [b], attachment=trusted)
    run_exchange()

    incoming = _incoming(b)
    assert incoming.state == State.RECEIVED and incoming.attachments.count() == 1
    assert InboxItem.objects.get(document=incoming).acknowledged_at is not None
    assert not SignatureCheck.objects.filter(document=incoming).exists()  # the page: "chưa kiểm tra"
    assert len(tries) == 2  # before the transaction, then once more after its commit
    monkeypatch.undo()
    assert [c.overall for c in signing.verify_received(incoming)] == ["valid"]  # a later run completes it


def test_a_file_received_again_checks_only_the_new_document(province, trusted, monkeypatch):
    """Blobs are shared by content: three documents carrying the same signed file are three
    verifications, not 1 + 2 + 3 (each package re-reading every earlier document)."""
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    seen: list[int] = []
    verify, record = signing.verify_file, signing.record_received

    def reading(fh):
        seen.append(0)
        return verify(fh)

    def recording(document, found):
        seen[-1] = document.pk
        return record(document, found)

    monkeypatch.setattr(signing, "verify_file", reading)
    monkeypatch.setattr(signing, "record_received", recording)
    for i in range(3):
        released(a, clerk, [b], subject=f"Văn bản cùng tệp {i}", attachment=trusted)
        run_exchange()

    received = list(Document.objects.filter(agency=b, direction=Direction.INCOMING).order_by("id")
                    .values_list("pk", flat=True))
    assert len(received) == 3 and seen == received
    assert SignatureCheck.objects.filter(document__in=received, overall="valid").count() == 3


def test_a_file_checked_again_replaces_its_verdict_in_one_statement(province, trusted):
    """One verdict per file: checking it again (a trust anchor added later, say) replaces the row,
    keeps its id, and writes it in one statement (no look first, no savepoint)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    released(a, clerk, [b], attachment=trusted)
    run_exchange()
    first = SignatureCheck.objects.get(document=_incoming(b))
    SignatureCheck.objects.filter(pk=first.pk).update(overall="valid_untrusted", signatures=[])

    attachment = first.attachment
    with CaptureQueriesContext(connection) as queries:
        again = signing.verify_attachment(attachment)
    writes = [q["sql"] for q in queries.captured_queries if "signing_signaturecheck" in q["sql"]]
    assert len(writes) == 1 and writes[0].startswith("INSERT")
    assert not [q for q in queries.captured_queries if "SAVEPOINT" in q["sql"]]
    assert again.pk == first.pk and SignatureCheck.objects.filter(attachment=attachment).count() == 1
    row = SignatureCheck.objects.get(pk=first.pk)
    assert row.overall == "valid" and len(row.signatures) == 1 and row.checked_at >= first.checked_at
