"""Deadlines: warnings before a step is late, delays counted against the body that is late, and
the apology slip (Mẫu 04) with one new date."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.motcua.motcua2_world import dossier, step, world
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.motcua import deadlines
from vpdt.motcua.models import DossierDelay, DossierStatus, StepKind
from vpdt.workflow.holidays import add_working_days, is_working_day
from vpdt.workflow.models import Notification

pytestmark = pytest.mark.django_db


def _next_working(day):
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def test_delay_counted_against_the_body_holding_the_late_step(blob_dir):
    w = world()
    now = timezone.now()
    d = dossier(w.build, w.commune, resolving=w.department, status=DossierStatus.PROCESSING,
                received=now - dt.timedelta(days=40))
    # The commune's counter handed over on time; the department's unit let its step run late.
    step(d, to_agency=w.commune, kind=StepKind.COUNTER, sent_at=now - dt.timedelta(days=20),
         due_at=now - dt.timedelta(days=19), done_at=now - dt.timedelta(days=19, hours=1))
    late = step(d, to_agency=w.department, to_unit=w.qlxd, sent_at=now - dt.timedelta(days=19),
                due_at=now - dt.timedelta(days=6))
    soon_d = dossier(w.birth, w.commune, status=DossierStatus.PROCESSING)
    soon = step(soon_d, to_agency=w.commune, to_unit=w.tp, due_at=now + dt.timedelta(minutes=30))

    done = deadlines.scan(now)

    delays = list(DossierDelay.objects.all())
    assert [(x.dossier_id, x.step_id, x.agency_id, x.unit_id) for x in delays if x.kind == "step"] == [
        (d.pk, late.pk, w.department.pk, w.qlxd.pk)]
    assert not DossierDelay.objects.filter(agency=w.commune).exists()
    step_delay = DossierDelay.objects.get(step=late)
    assert step_delay.days_late >= 3  # six calendar days hold at least three working days
    assert Notification.objects.filter(user=w.dept_officer, kind="motcua_late").count() == 1
    assert Notification.objects.filter(user=w.dept_leader, kind="motcua_late").count() == 1
    assert Notification.objects.filter(user=w.officer, kind="motcua_due").count() == 1
    assert not Notification.objects.filter(user=w.officer, kind="motcua_late").exists()
    assert done["counted"] >= 1 and soon.pk != late.pk
    # The appointment also passed: one delay of that kind, against the department holding it.
    assert DossierDelay.objects.filter(kind="appointment", dossier=d, agency=w.department).count() == 1
    # A second scan counts and notifies nothing again.
    again = deadlines.scan(now)
    assert again["counted"] == 0 and again["late"] == 0 and again["warned"] == 0
    assert DossierDelay.objects.count() == len(delays)
    assert deadlines.delays_by_body()[0]["agency"] == w.department.pk


def test_late_step_produces_the_apology_slip(blob_dir):
    w = world()
    now = timezone.now()
    d = dossier(w.build, w.commune, resolving=w.department, status=DossierStatus.PROCESSING,
                received=now - dt.timedelta(days=30))
    step(d, to_agency=w.department, to_unit=w.qlxd, sent_at=now - dt.timedelta(days=29),
         due_at=now - dt.timedelta(days=2))
    old = d.appointment_date
    new_date = add_working_days(max(old, timezone.localdate()), 3)

    with pytest.raises(PermissionDenied):  # the commune is not the body that is late
        deadlines.issue_apology(w.counter, d, new_date, "Chờ ý kiến cơ quan phối hợp")
    with pytest.raises(InvalidInput):  # the new date must come after the current one
        deadlines.issue_apology(w.dept_leader, d, old, "Chờ ý kiến")
    slip = deadlines.issue_apology(w.dept_leader, d, new_date, "Chờ ý kiến cơ quan phối hợp")

    d.refresh_from_db()
    assert slip.agency == w.department and slip.new_date == new_date and slip.old_date == old
    assert d.appointment_date == new_date and d.original_appointment_date == old
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(slip.file.blob.open().read())).pages) \
        if hasattr(slip.file.blob, "open") else ""
    if not text:
        from vpdt.core import blobs

        with blobs.open_blob(slip.file.blob) as fh:
            text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(fh.read())).pages)
    assert "PHIẾU XIN LỖI" in text and d.code in text and f"{new_date:%d/%m/%Y}" in text
    assert DossierDelay.objects.filter(dossier=d, agency=w.department).exists()
    assert d.events.filter(action="apology").count() == 1
    with pytest.raises(InvalidState):  # one new date from a body
        deadlines.issue_apology(w.dept_leader, d, _next_working(new_date), "Lại chậm")
