"""One path for numbering, registration and release: records' own services enforce what the
apps above add (records.seams), so calling records directly skips nothing.

- records.services.issue_number seals through the signing app's sealer (signed outside the
  transaction, recorded in it);
- records.services.register_incoming refuses failing signatures without an override;
- records.services.release hands the recipients to the exchange's deliverer.
"""

from __future__ import annotations

import io

import pytest
from django.db import transaction
from django.utils import timezone

from tests import factories
from vpdt.core.errors import InvalidState
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.records import seams
from vpdt.records import services as records
from vpdt.records.choices import Direction, RecipientKind, State
from vpdt.records.models import Attachment, Recipient
from vpdt.signing import samples
from vpdt.signing.models import SignatureCheck

pytestmark = pytest.mark.django_db



def test_the_apps_register_their_seams():
    from vpdt.exchange.receivers import ReleaseDeliverer
    from vpdt.signing.seams import AgencySealer, SignatureGate

    assert isinstance(seams.deliverer(), ReleaseDeliverer)
    assert isinstance(seams.sealer(), AgencySealer)
    assert isinstance(seams.registration_gate(), SignatureGate)


def test_records_issue_number_seals_the_pdf_itself(blob_dir):
    agency = factories.agency(abbreviation="SKHCN", place="Bình Sơn")
    clerk = factories.person(agency, Role.CLERK)
    document = factories.document(agency, state=State.APPROVED, signer_name="Nguyễn Văn An")
    letter = samples.official_letter_pdf(
        agency_name="Sở Khoa học và Công nghệ", code="……/SKHCN-VP", date_text="Bình Sơn, ngày …… năm 2026",
        title="Công văn", subject="Về việc thử nghiệm", body="Nội dung. " * 8, signer_title="GIÁM ĐỐC",
        signer_name="Nguyễn Văn An")
    records.add_draft_version(clerk, document, io.BytesIO(letter), "du-thao.pdf", content_type="application/pdf")

    document = records.issue_number(clerk, document)  # records' own service, not workflow's

    assert document.number == 1
    assert document.signing is not None  # the sealer ran (no key here: unsigned, with the warning)
    assert any("chưa có khóa ký số" in w for w in document.signing.warnings)
    main = document.attachments.get(kind=Attachment.Kind.MAIN)
    assert main.name == f"{document.code.replace('/', '-')}.pdf"


def test_a_failed_seal_leaves_no_number_used():
    agency = factories.agency()
    clerk = factories.person(agency, Role.CLERK)
    document = factories.document(agency, state=State.APPROVED)
    real = seams.sealer()

    class WrongPin:
        def prepare(self, actor, document, *, code, issued, pin=None):
            raise InvalidState("Sai mã PIN.", code="SIGNING_BAD_PIN")

    seams.register_sealer(WrongPin())
    try:
        with pytest.raises(InvalidState):
            records.issue_number(clerk, document, pin="0000")
    finally:
        seams.register_sealer(real)
    document.refresh_from_db()
    assert document.number is None
    assert records.issue_number(clerk, document).number == 1  # the number was not used up


def test_records_register_incoming_refuses_failing_signatures_without_an_override(blob_dir):
    agency = factories.agency()
    clerk = factories.person(agency, Role.CLERK)
    document = factories.document(agency, direction=Direction.INCOMING, issuer_name="Sở Tài chính")
    attachment = records.add_attachment(clerk, document, io.BytesIO(factories.pdf_bytes()), "van-ban.pdf")
    SignatureCheck.objects.update_or_create(attachment=attachment, defaults={
        "document": document, "overall": SignatureCheck.Overall.MODIFIED, "checked_at": timezone.now()})

    with pytest.raises(InvalidState) as err:
        records.register_incoming(clerk, document)  # records' own service, not workflow's
    assert err.value.code == "SIGNATURE_FAILED"
    document.refresh_from_db()
    assert document.state == State.RECEIVED and document.incoming_number is None

    records.register_incoming(clerk, document, override_reason="Đã gọi điện xác minh")
    document.refresh_from_db()
    assert document.state == State.REGISTERED
    entry = AuditEntry.objects.get(action="signing.override", object_id=str(document.pk))
    assert entry.detail["reason"] == "Đã gọi điện xác minh" and entry.actor_id == clerk.pk


def test_release_calls_the_deliverer_in_its_transaction_and_rolls_back_with_it():
    agency, other = factories.agency(), factories.agency()
    clerk = factories.person(agency, Role.CLERK)
    document = factories.document(agency, state=State.APPROVED, number=1)
    row = Recipient.objects.create(document=document, kind=RecipientKind.AGENCY, agency=other, organ_id=other.code,
                                   name=other.name)
    real = seams.deliverer()
    handed = []

    class Refusing:
        def deliver(self, actor, document, recipients):
            handed.append((actor, document.state, [r.pk for r in recipients]))
            raise InvalidState("Không gửi được.", code="TEST_REFUSED")

    seams.register_deliverer(Refusing())
    try:
        # as its caller does (workflow.release): inside the caller's transaction, which the error
        # rolls back whole (records.release takes no savepoint of its own)
        with pytest.raises(InvalidState), transaction.atomic():
            records.release(clerk, document, [row])
    finally:
        seams.register_deliverer(real)
    assert handed == [(clerk, State.RELEASED, [row.pk])]  # called after the state change ...
    document.refresh_from_db()
    assert document.state == State.APPROVED  # ... and rolled back with it
    assert not AuditEntry.objects.filter(action="document.release", object_id=str(document.pk)).exists()
