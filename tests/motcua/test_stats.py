"""The one-stop shop's statistics against a hand count on a small dataset."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.motcua.motcua2_world import dossier, world
from vpdt.core import blobs
from vpdt.motcua import stats
from vpdt.motcua.models import (
    ApologySlip,
    Dossier,
    DossierFile,
    DossierStatus,
    DossierStep,
    FeePayment,
    FileKind,
    SupplementRequest,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _finish(d: Dossier, day: dt.date, status=DossierStatus.RETURNED, result=None) -> None:
    Dossier.objects.filter(pk=d.pk).update(status=status, finished_at=at(day, 10), result=result)


@pytest.fixture
def dataset(blob_dir):
    w = world()
    pdf = blobs.store_stream(io.BytesIO(b"%PDF-1.4 scan"))
    monday = dt.date(2026, 11, 2)
    # Procedure A (commune): three received, resolved early, on time and late (after an apology).
    a1 = dossier(w.birth, w.commune, received=at(monday, 8), channel="counter", received_by=w.counter)
    _finish(a1, a1.appointment_date - dt.timedelta(days=1))
    DossierFile.objects.create(dossier=a1, kind=FileKind.SCAN, blob=pdf, filename="s.pdf")
    FeePayment.objects.create(dossier=a1, amount=8000, method="counter", paid_at=at(monday, 9))
    DossierStep.objects.create(dossier=a1, order=1, kind="processing", name="x", to_agency=w.commune,
                               sent_at=at(dt.date(2026, 11, 25), 8), done_at=at(dt.date(2026, 11, 25), 10))
    DossierStep.objects.create(dossier=a1, order=2, kind="approver", name="y", to_agency=w.commune,
                               sent_at=at(dt.date(2026, 11, 25), 16), done_at=at(dt.date(2026, 11, 26), 8, 30))
    a2 = dossier(w.birth, w.commune, received=at(monday, 9), channel="online")
    _finish(a2, a2.appointment_date, status=DossierStatus.DONE, result=pdf)
    FeePayment.objects.create(dossier=a2, amount=8000, method="online", provider="file", reference="T1",
                              paid_at=at(monday, 9))
    a3 = dossier(w.birth, w.commune, received=at(monday, 10), channel="post")
    old = a3.appointment_date
    ApologySlip.objects.create(dossier=a3, agency=w.commune, old_date=old, new_date=old + dt.timedelta(days=7),
                               reason="chậm", issued_at=at(old, 16))
    Dossier.objects.filter(pk=a3.pk).update(appointment_date=old + dt.timedelta(days=7))
    _finish(a3, old + dt.timedelta(days=2))
    # Procedure B (resolved by the department): one open and overdue with a supplement, one open,
    # one refused at the counter (never received).
    b1 = dossier(w.build, w.commune, resolving=w.department, received=at(monday, 8), status=DossierStatus.PROCESSING)
    SupplementRequest.objects.create(dossier=b1, stage="processing", items=[], asked_at=at(monday, 15))
    dossier(w.build, w.commune, resolving=w.department, received=at(dt.date(2026, 11, 27), 8), channel="online",
            status=DossierStatus.SUPPLEMENT)
    b3 = dossier(w.build, w.commune, resolving=w.department, received=at(monday, 11), status=DossierStatus.REFUSED)
    Dossier.objects.filter(pk=b3.pk).update(received_at=None)
    return w


def _by(rows, code):
    return next(r for r in rows if r.code == code)


def test_statistics_per_procedure_match_the_hand_count(dataset):
    rows = stats.table(Dossier.objects.all(), "procedure", today=TODAY)
    a, b, total = _by(rows, "1.001193"), _by(rows, "1.009972"), rows[-1]
    assert {k: a.figures[k] for k in ("received", "counter", "online", "post", "resolved", "early", "on_time", "late",
                                      "open", "overdue", "apologies", "supplements")} == {
        "received": 3, "counter": 1, "online": 1, "post": 1, "resolved": 3, "early": 1, "on_time": 1, "late": 1,
        "open": 0, "overdue": 0, "apologies": 1, "supplements": 0}
    # 2 h on a Wednesday morning; 1 h + 1 h across the evening to Thursday (24/11/2026, Ngày Văn hóa
    # Việt Nam, is a day off: the clock knows it)
    assert a.figures["avg_step_hours"] == 2.0
    assert stats.working_hours_between(at(dt.date(2026, 11, 23), 16), at(dt.date(2026, 11, 25), 8, 30)) == 2.0
    assert a.figures["digitised_pct"] == 33.3 and a.figures["result_digitised_pct"] == 33.3
    assert a.figures["online_payment_pct"] == 50.0
    assert {k: b.figures[k] for k in ("received", "counter", "online", "resolved", "open", "overdue", "supplements")} == {
        "received": 2, "counter": 1, "online": 1, "resolved": 0, "open": 2, "overdue": 1, "supplements": 1}
    assert b.figures["online_payment_pct"] is None and b.figures["avg_step_hours"] is None
    assert b.statuses[3] == 1 and b.statuses[4] == 1 and b.statuses[5] == 1 and b.statuses[10] == 0
    assert total.key is None and total.figures["received"] == 5 and total.figures["late"] == 1
    assert sum(total.statuses.values()) == 6 and total.statuses[10] == 2 and total.statuses[9] == 1


def test_statistics_by_body_level_and_officer(dataset):
    by_body = stats.table(Dossier.objects.all(), "body", today=TODAY)
    assert _by(by_body, dataset.department.code).figures["received"] == 2
    assert _by(by_body, dataset.commune.code).figures["resolved"] == 3
    by_level = stats.table(Dossier.objects.all(), "level", today=TODAY)
    assert {r.key: r.figures["received"] for r in by_level[:-1]} == {"commune": 3, "province": 2}
    by_officer = stats.table(Dossier.objects.all(), "officer", today=TODAY)
    assert {r.key: r.figures["received"] for r in by_officer[:-1]} == {dataset.counter.pk: 1, None: 4}


def test_exports_carry_the_same_figures(dataset):
    rows = stats.table(Dossier.objects.all(), "procedure", today=TODAY)
    book = load_workbook(io.BytesIO(stats.xlsx(rows, "Thống kê một cửa")))
    sheet = book["Thống kê"]
    header = [c.value for c in sheet[2]]
    line = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == "1.001193")
    assert line[header.index("Quá hạn")] == 1 and line[header.index("Tiếp nhận")] == 3
    assert book["Trạng thái 1-10"].max_row == 4
    assert stats.pdf(rows, "Thống kê một cửa").startswith(b"%PDF")
