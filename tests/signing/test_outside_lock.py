"""Signing holds no database lock: while a signature takes seconds, the agency keeps working.

Rules protected (issue 10, "slow work outside the lock"):
- while the signer's signature (or the agency's, at numbering) takes 3 s on a slow remote
  signing service, another clerk of the same agency receives and registers an incoming
  document in under 1 s, on SQLite (a real database file in WAL mode, one connection per
  thread: hence transactional tests); the slow signature then completes and is committed;
- a draft changed while it was being signed is refused with a clear error, nothing written;
- a number another clerk took while the agency was signing: signed again with the next one.
"""

from __future__ import annotations

import io
import threading
import time

import pytest
from django.db import connection, connections
from pypdf import PdfReader

from tests import factories
from tests.second_factor import one_time_code
from vpdt.core.errors import InvalidState
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.choices import State
from vpdt.records.models import Attachment
from vpdt.signing import fill, images, pdf, samples
from vpdt.signing import services as signing
from vpdt.signing.models import SignatureCheck
from vpdt.workflow import services as workflow
from vpdt.workflow.models import Review

from .conftest import AGENCY, FakeSigningService

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SLOW = 3.0



def _letter(subject: str = "Về việc triển khai chữ ký số") -> bytes:
    return samples.official_letter_pdf(
        agency_name="Sở Khoa học và Công nghệ", code="……/SKHCN-VP", date_text="Bình Sơn, ngày …… tháng …… năm 2026",
        title="Công văn", subject=subject, body="Sở Khoa học và Công nghệ đề nghị các đơn vị triển khai. " * 8,
        signer_title="GIÁM ĐỐC", signer_name="Nguyễn Văn An")


@pytest.fixture
def world(transactional_db, blob_dir, demo_ca):
    assert connection.vendor != "sqlite" or connection.settings_dict["NAME"] != ":memory:"
    agency = factories.agency(code="000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ",
                              place="Bình Sơn")
    w = type("W", (), {})()
    w.agency, w.ca = agency, demo_ca
    vp = factories.unit(agency, "VP", "Văn phòng Sở")
    cds = factories.unit(agency, "CĐS", "Phòng Chuyển đổi số")
    w.vp = vp
    w.clerk = factories.person(agency, Role.CLERK, unit=vp, username="vanthu")
    w.clerk2 = factories.person(agency, Role.CLERK, unit=vp, username="vanthu2")
    w.leader = factories.person(agency, Role.LEADER, username="giamdoc")
    w.leader.full_name, w.leader.position = "Nguyễn Văn An", "Giám đốc"
    w.leader.save()
    w.head = factories.person(agency, Role.UNIT_HEAD, unit=cds, username="truongphong")
    w.spec = factories.person(agency, Role.SPECIALIST, unit=cds, username="chuyenvien")
    platform = factories.person(agency, username="quantritinh")
    platform.is_superuser = platform.is_staff = True
    platform.save()
    signing.add_trust_anchor(platform, "vpdt Demo Root CA", demo_ca.root_pem.read_text())
    w.services = []
    yield w
    for service in w.services:
        service.gate.set()
        service.server.shutdown()


def _slow_service(w, p12, key_id: str) -> FakeSigningService:
    service = FakeSigningService(p12, w.ca.password, key_id, delay=SLOW)
    w.services.append(service)
    return service


def _slow_person_key(w) -> FakeSigningService:
    service = _slow_service(w, w.ca.people["an"].read_bytes(), "an-01")
    signing.store_remote_key(user=w.leader, url=service.url, key_id="an-01", api_key=FakeSigningService.API_KEY,
                             image=images.signature_png(w.leader.full_name))
    return service


def _slow_agency_key(w) -> FakeSigningService:
    service = _slow_service(w, w.ca.agencies[AGENCY].read_bytes(), "seal-01")
    signing.store_remote_key(agency=w.agency, url=service.url, key_id="seal-01",
                             api_key=FakeSigningService.API_KEY, image=images.seal_png(w.agency.name))
    return service


def _at_signer_step(w):
    doc = workflow.create_draft(w.spec, {"document_type": factories.doc_type("CV"),
                                         "subject": "Về việc triển khai chữ ký số"},
                                file=io.BytesIO(_letter()), filename="du-thao.pdf", recipients={"units": [w.vp]})
    workflow.submit_for_review(w.spec, doc)
    return workflow.approve(w.head, doc)  # the unit head's step: the leader's is next


class InThread:
    """Run `call` in its own thread with its own database connection; keep its result or error."""

    def __init__(self, call):
        self.result = self.error = None
        self.thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self.thread.start()

    def _run(self, call):
        try:
            self.result = call()
        except Exception as exc:  # noqa: BLE001 - asserted by the test
            self.error = exc
        finally:
            connections.close_all()

    def join(self, timeout: float = 60):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the signing thread did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def _signature_started(service: FakeSigningService) -> None:
    assert service.started.wait(30), "the signing service never received the signature request"


def _clerk_registers_incoming(w) -> tuple[float, float, object]:
    """Another clerk of the agency receives a paper document with its scan, then registers it."""
    started = time.monotonic()
    incoming = workflow.receive_paper(w.clerk2, w.agency, {
        "document_type": factories.doc_type("CV"), "subject": "Về việc báo cáo tình hình",
        "issuer_name": "Sở Tài chính"}, scan=io.BytesIO(_letter("Báo cáo")), scan_name="ban-quet.pdf")
    received = time.monotonic() - started
    started = time.monotonic()
    workflow.register(w.clerk2, incoming)
    return received, time.monotonic() - started, incoming


def _warm_up(w) -> None:
    """First calls import and compile what a running server already has: not what is measured."""
    _clerk_registers_incoming(w)


def test_a_clerk_registers_in_under_a_second_while_the_signer_signs_for_three(world):
    service = _slow_person_key(world)
    doc = _at_signer_step(world)
    _warm_up(world)
    started = time.monotonic()
    code = one_time_code(world.leader)
    approval = InThread(lambda: workflow.approve(world.leader, doc, otp=code))
    _signature_started(service)

    received, registered, incoming = _clerk_registers_incoming(world)

    assert registered < 1.0, f"registering took {registered:.2f} s while a signature was being made"
    assert received < 1.0, f"receiving took {received:.2f} s while a signature was being made"
    assert not service.answered.is_set(), "the clerk's work should overlap the slow signature"
    approved = approval.join()
    assert time.monotonic() - started >= SLOW
    incoming.refresh_from_db()
    assert incoming.state == State.REGISTERED and incoming.incoming_number
    # The signature completed and was committed: the signed draft is the last version.
    assert approved.state == State.APPROVED and approved.signing.signed
    last = approved.versions.order_by("-number").first()
    assert last.number == 2
    reports = pdf.verify_pdf(signing._read(last.blob), trust_roots=signing.trust_roots())
    assert [r.summary for r in reports] == ["valid"]
    assert AuditEntry.objects.filter(action="signing.sign_person", object_id=str(doc.pk)).exists()


def test_a_clerk_registers_in_under_a_second_while_the_agency_signs_for_three(world):
    signing.store_software_key(user=world.leader, pkcs12=world.ca.people["an"].read_bytes(),
                               password=world.ca.password, image=images.signature_png(world.leader.full_name))
    service = _slow_agency_key(world)
    doc = workflow.approve(world.leader, _at_signer_step(world), otp=one_time_code(world.leader))
    _warm_up(world)
    numbering = InThread(lambda: workflow.issue_number(world.clerk, doc))
    _signature_started(service)

    received, registered, incoming = _clerk_registers_incoming(world)

    assert registered < 1.0, f"registering took {registered:.2f} s while the agency was signing"
    assert received < 1.0, f"receiving took {received:.2f} s while the agency was signing"
    assert not service.answered.is_set(), "the clerk's work should overlap the slow signature"
    numbered = numbering.join()
    assert numbered.number == 1 and numbered.signing.signed
    main = numbered.attachments.get(kind=Attachment.Kind.MAIN)
    reports = pdf.verify_pdf(signing._read(main.blob), trust_roots=signing.trust_roots())
    assert [r.summary for r in reports] == ["valid", "valid"]
    assert SignatureCheck.objects.get(attachment=main).overall == "valid"


def test_a_draft_changed_while_it_was_being_signed_is_refused_and_nothing_is_written(world):
    service = _slow_person_key(world)
    doc = _at_signer_step(world)
    code = one_time_code(world.leader)
    approval = InThread(lambda: workflow.approve(world.leader, doc, otp=code))
    _signature_started(service)
    records.add_draft_version(world.spec, doc, io.BytesIO(_letter("Bản sửa lần cuối")), "du-thao-sua.pdf",
                              content_type="application/pdf")
    service.gate.set()

    with pytest.raises(InvalidState) as err:
        approval.join()

    assert err.value.code == "CHANGED_WHILE_SIGNING"
    assert "thay đổi trong lúc ký số" in err.value.message
    doc.refresh_from_db()
    assert doc.state == State.IN_REVIEW
    assert doc.versions.count() == 2  # the original and the one added meanwhile, no signed one
    pending = workflow.current_review(doc)  # the signer's step still waits for the leader
    assert pending.is_signer and pending.state == Review.State.PENDING and pending.decided_by_id is None
    assert not AuditEntry.objects.filter(action__in=["signing.sign_person", "document.approve"],
                                         object_id=str(doc.pk)).exists()


def test_a_number_taken_while_the_agency_signed_is_signed_again_with_the_next(world):
    signing.store_software_key(user=world.leader, pkcs12=world.ca.people["an"].read_bytes(),
                               password=world.ca.password, image=images.signature_png(world.leader.full_name))
    service = _slow_agency_key(world)
    doc = workflow.approve(world.leader, _at_signer_step(world), otp=one_time_code(world.leader))
    other = factories.document(world.agency, state=State.APPROVED)  # no PDF draft: nothing to seal
    numbering = InThread(lambda: workflow.issue_number(world.clerk, doc))
    _signature_started(service)
    records.issue_number(world.clerk2, other)  # the other clerk is faster: number 01 is taken
    service.gate.set()

    numbered = numbering.join()

    other.refresh_from_db()
    assert (other.number, numbered.number) == (1, 2)
    main = numbered.attachments.get(kind=Attachment.Kind.MAIN)
    data = signing._read(main.blob)
    assert PdfReader(io.BytesIO(data)).get_fields()[fill.NUMBER_FIELD]["/V"] == f"Số: {numbered.code}"
    assert numbered.code.startswith("02/")
    assert [r.summary for r in pdf.verify_pdf(data, trust_roots=signing.trust_roots())] == ["valid", "valid"]
    assert numbered.attachments.filter(kind=Attachment.Kind.MAIN).count() == 1
