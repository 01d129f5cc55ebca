"""The counter: a complete dossier is received with its code and appointment, an incomplete one gets
one request listing every gap, a refused one its reasons; codes never repeat nor skip."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading

import pytest
from django.db import connections
from django.utils import timezone

from tests import factories
from tests.motcua.conftest import applicant, pdf_upload
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.motcua import clock
from vpdt.motcua.models import (
    Dossier,
    DossierCounter,
    DossierStatus,
    DossierStep,
    StepKind,
    SupplementRequest,
)
from vpdt.motcua.services import counter

pytestmark = pytest.mark.django_db


def intake(w, *, ticked=None, uploads=()):
    ticked = {p.pk for p in w.papers[:2]} if ticked is None else ticked
    return counter.Intake(applicant=applicant(), ticked=set(ticked), uploads=list(uploads))


def test_complete_dossier_is_received_with_code_appointment_and_counter_step(shop):
    w = shop
    dossier = counter.receive(w.counter, w.agency, w.procedure, intake(w, uploads=[pdf_upload(w.papers[0].pk)]),
                              decision="accept")
    today = clock.local(timezone.now()).date()
    assert dossier.code == f"000.01.31.H90-{today:%y%m%d}-0001"
    assert dossier.status == DossierStatus.RECEIVED
    assert dossier.appointment_date == clock.appointment_date(dossier.received_at, 3)
    assert dossier.original_appointment_date == dossier.appointment_date
    assert dossier.transfer_due == clock.transfer_due(dossier.received_at)
    assert dossier.resolving_agency == w.agency
    step = dossier.current_step
    assert step.kind == StepKind.COUNTER and step.to_user == w.counter and step.done_at is None
    scan = dossier.files.get()
    assert scan.paper.paper_id == w.papers[0].pk and scan.content_type == "application/pdf"
    actions = list(AuditEntry.objects.filter(object_id=str(dossier.pk), object_type="motcua.dossier").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["motcua.register", "motcua.accept"]
    assert [e.status_to for e in dossier.events.all()] == [DossierStatus.NEW, DossierStatus.RECEIVED]


def test_codes_run_per_agency_per_day_and_a_failed_intake_gives_its_number_back(shop):
    w = shop
    first = counter.receive(w.counter, w.agency, w.procedure, intake(w), decision="accept")
    html = counter.Upload(stream=io.BytesIO(b"<html><script>alert(1)</script></html>"), name="x.pdf",
                          paper_id=w.papers[0].pk)
    with pytest.raises(InvalidInput) as refused:
        counter.receive(w.counter, w.agency, w.procedure, intake(w, uploads=[html]), decision="accept")
    assert refused.value.code == "FILE_TYPE_REFUSED"
    second = counter.receive(w.counter, w.agency, w.procedure, intake(w), decision="accept")
    assert first.code.endswith("-0001") and second.code.endswith("-0002")
    assert Dossier.objects.count() == 2
    # Another agency has its own series.
    from vpdt.directory.roles import Role
    from vpdt.motcua.services import catalogue

    catalogue.set_activation(factories.person(w.other, Role.MOTCUA_ADMIN), w.procedure, w.other)
    elsewhere = counter.receive(w.other_counter, w.other, w.procedure, intake(w), decision="accept")
    assert elsewhere.code.startswith("000.02.31.H90-") and elsewhere.code.endswith("-0001")


def test_an_agency_that_has_not_activated_the_procedure_cannot_receive_it(shop):
    w = shop
    with pytest.raises(InvalidInput) as err:
        counter.receive(w.other_counter, w.other, w.procedure, intake(w), decision="accept")
    assert err.value.code == "MOTCUA_PROCEDURE_NOT_ACTIVE"
    assert not Dossier.objects.exists() and not DossierCounter.objects.exists()


def test_only_the_agency_counter_officer_receives(shop):
    w = shop
    for who in (w.officer, w.other_counter, w.leader):
        with pytest.raises(PermissionDenied):
            counter.receive(who, w.agency, w.procedure, intake(w), decision="accept")
    assert not Dossier.objects.exists()


@pytest.mark.parametrize("field,value,code", [
    ("personal_id", "07509500123", "MOTCUA_BAD_PERSONAL_ID"),
    ("personal_id", "07509500123a", "MOTCUA_BAD_PERSONAL_ID"),
    ("name", "   ", "MOTCUA_NAME_REQUIRED"),
    ("email", "not-an-address", "MOTCUA_BAD_EMAIL"),
])
def test_bad_identity_is_refused_and_changes_nothing(shop, field, value, code):
    w = shop
    data = counter.Intake(applicant=applicant(**{field: value}), ticked={p.pk for p in w.papers[:2]})
    with pytest.raises(InvalidInput) as err:
        counter.receive(w.counter, w.agency, w.procedure, data, decision="accept")
    assert err.value.code == code
    assert not Dossier.objects.exists()


def test_incomplete_dossier_gets_one_request_listing_every_gap_and_no_clock(shop):
    w = shop
    dossier = counter.receive(w.counter, w.agency, w.procedure, intake(w, ticked=set()), decision="supplement",
                              gaps=[{"name": "Giấy tờ tùy thân", "reason": "Bản chụp mờ, không đọc được"}],
                              note="Mang bản chính khi đến nộp lại")
    assert dossier.status == DossierStatus.SUPPLEMENT
    assert dossier.received_at is None and dossier.appointment_date is None
    request = SupplementRequest.objects.get(dossier=dossier)
    names = [i["name"] for i in request.items]
    assert names == ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Giấy tờ tùy thân"]
    assert request.stage == "counter"
    # Still incomplete: it cannot be received.
    with pytest.raises(InvalidState) as err:
        counter.accept(w.counter, dossier)
    assert err.value.code == "MOTCUA_INCOMPLETE"
    # The citizen comes back with everything: received now, the clock starts now.
    dossier = counter.accept(w.counter, dossier, ticked={p.pk for p in w.papers[:2]})
    assert dossier.status == DossierStatus.RECEIVED and dossier.appointment_date is not None
    request.refresh_from_db()
    assert request.answered_at is not None


def test_accepting_an_incomplete_dossier_directly_is_refused(shop):
    w = shop
    with pytest.raises(InvalidState):
        counter.receive(w.counter, w.agency, w.procedure, intake(w, ticked={w.papers[0].pk}), decision="accept")
    assert not Dossier.objects.exists()


def test_refusal_needs_reasons(shop):
    w = shop
    with pytest.raises(InvalidInput):
        counter.receive(w.counter, w.agency, w.procedure, intake(w), decision="refuse", reasons=" ")
    assert not Dossier.objects.exists()
    dossier = counter.receive(w.counter, w.agency, w.procedure, intake(w), decision="refuse",
                              reasons="Không thuộc thẩm quyền: nơi cư trú của cha mẹ ở xã khác.")
    assert dossier.status == DossierStatus.REFUSED
    assert "thẩm quyền" in dossier.closing_reason
    with pytest.raises(InvalidState):
        counter.accept(w.counter, dossier)


def test_online_submission_is_new_with_a_secret_then_checked_at_the_counter(shop):
    w = shop
    data = counter.Intake(applicant=applicant(), uploads=[pdf_upload(w.papers[0].pk), pdf_upload(w.papers[1].pk)])
    dossier, secret = counter.submit_online(w.agency, w.procedure, data)
    assert dossier.status == DossierStatus.NEW and dossier.channel == "online"
    assert re.fullmatch(r"[A-Z2-9]{8}", secret)
    assert counter.secret_matches(dossier, secret.lower()) and not counter.secret_matches(dossier, "AAAAAAAA")
    assert secret not in dossier.lookup_secret_hash
    assert set(dossier.papers.filter(provided=True).values_list("paper_id", flat=True)) == {
        w.papers[0].pk, w.papers[1].pk}
    dossier = counter.accept(w.counter, dossier)
    assert dossier.status == DossierStatus.RECEIVED


def test_printing_the_receipt_again_replaces_the_secret(shop):
    w = shop
    dossier = counter.receive(w.counter, w.agency, w.procedure, intake(w), decision="accept")
    first = counter.issue_secret(w.counter, dossier)
    second = counter.issue_secret(w.counter, dossier)
    dossier.refresh_from_db()
    assert counter.secret_matches(dossier, second) and not counter.secret_matches(dossier, first)


def _concurrently(workers: int, target) -> list:
    barrier = threading.Barrier(workers)
    results: list = []
    errors: list = []

    def run(i):
        try:
            barrier.wait()
            results.append(target(i))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.backends
def test_dossier_codes_never_repeat_nor_skip_under_concurrency(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    from vpdt.directory.roles import Role
    from vpdt.motcua.services import catalogue

    agency = factories.agency(code="000.05.31.H90")
    officer = factories.person(agency, Role.COUNTER)
    admin = factories.person(agency, Role.MOTCUA_ADMIN)
    procedure = catalogue.save_procedure(admin, None, {"code": "2.000001", "name": "Chứng thực bản sao",
                                                       "field": "Chứng thực", "legal_days": 0}, [], [])
    catalogue.set_activation(admin, procedure, agency)
    workers, per_worker = 8, 3

    def receive(i):
        return [counter.receive(officer, agency, procedure, counter.Intake(applicant=applicant()),
                                decision="accept").code for _ in range(per_worker)]

    codes = sorted(c for chunk in _concurrently(workers, receive) for c in chunk)
    numbers = [int(c.rsplit("-", 1)[1]) for c in codes]
    assert numbers == list(range(1, workers * per_worker + 1))
    assert DossierStep.objects.count() == workers * per_worker


def test_the_day_of_the_code_is_the_day_in_vietnam(shop):
    w = shop
    late_utc = dt.datetime(2026, 11, 29, 18, 30, tzinfo=dt.UTC)  # 01:30 on 30/11 in Vietnam
    from django.db import transaction

    with transaction.atomic():
        assert counter.next_code(w.agency, late_utc) == "000.01.31.H90-261130-0001"
