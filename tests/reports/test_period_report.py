"""The period report, "báo cáo kết quả triển khai" (issue 14): its PDF says the why-signals and the
interconnection's volumes, its XLSX has a row per agency with the usage API's figures, and the
monthly mailing goes out once per month to the people the platform admin named."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from tests import factories
from tests.reports.conftest import PERIOD
from vpdt.core.blobs import store_stream
from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage
from vpdt.reports import facts, period_report, services
from vpdt.reports.models import PeriodReportDispatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def vietnamese():
    """The texts are read in Vietnamese, whatever language an earlier test left active in this thread."""
    with translation.override("vi"):
        yield


@pytest.fixture
def built(province):
    facts.rebuild_period(dt.date(2025, 12, 1), dt.date(2026, 1, 31))
    return province


def pdf_text(report) -> str:
    with period_report.render(report, "pdf") as file:
        return "\n".join(page.extract_text() for page in PdfReader(file).pages)


def normalized(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_carries_each_agency_its_signals_and_the_interconnection(built):
    w = built
    report = period_report.build(*PERIOD, viewer=w.admin)
    text = normalized(pdf_text(report))
    assert "Báo cáo kết quả triển khai văn phòng điện tử" in text
    assert "Từ ngày 29/12/2025 đến ngày 06/01/2026" in text
    for agency in (w.p, w.a, w.b):
        assert agency.name in text
    signals = [s for item in services.why_signals(*PERIOD, viewer=w.admin) for s in item["signals"]]
    assert signals
    for signal in signals:
        assert normalized(signal["sentence"]) in text
    assert "Tỉnh, thành phố khác" in text and "trục liên thông quốc gia" in text


def test_the_xlsx_has_one_row_per_agency_with_the_usage_figures(built):
    w = built
    report = period_report.build(*PERIOD, viewer=w.admin)
    with period_report.render(report, "xlsx") as file:
        book = load_workbook(file, read_only=True)
        rows = list(book[book.sheetnames[0]].iter_rows(values_only=True))
        why = list(book[book.sheetnames[1]].iter_rows(values_only=True))
    usage = {i["agency_code"]: i for i in services.usage(*PERIOD, viewer=w.admin)}
    body = rows[3:]
    assert {r[0] for r in body} == set(usage)
    keys = [k for k, _h in period_report.COLUMNS]
    for row in body:
        assert list(row[2:]) == [usage[row[0]][k] for k in keys], row[0]
    sentences = {s["sentence"] for item in services.why_signals(*PERIOD, viewer=w.admin) for s in item["signals"]}
    assert {r[-1] for r in why[1:]} == sentences


def test_a_leaders_report_is_their_agency_and_its_units(built):
    w = built
    report = period_report.build(*PERIOD, viewer=w.leader_a, agency=w.a)
    assert [r["agency_code"] for r in report.rows] == [w.a.code]
    assert {s["unit_name"] for s in report.signals} <= {w.bgd.name, w.cds.name, w.vp.name}
    with pytest.raises(PermissionDenied):
        period_report.build(*PERIOD, viewer=w.leader_a, agency=w.b)
    with pytest.raises(PermissionDenied):
        period_report.build(*PERIOD, viewer=w.spec_a)


def test_a_period_backwards_or_too_long_is_refused(built):
    with pytest.raises(InvalidInput) as exc:
        period_report.build(PERIOD[1], PERIOD[0], viewer=built.admin)
    assert exc.value.code == "BAD_PERIOD"
    with pytest.raises(InvalidInput) as exc:
        period_report.build(dt.date(2020, 1, 1), dt.date(2026, 1, 1), viewer=built.admin)
    assert exc.value.code == "PERIOD_TOO_LONG"


def test_interconnection_volumes_are_split_by_counterpart(built):
    w = built
    connection = HubConnection.objects.create(name="Trục tỉnh", endpoint="/hub", system_id="s")
    when = {"province": "000.00.03.H90", "other_provinces": "000.00.01.H45", "central": "000.00.00.G22"}
    blob = store_stream(io.BytesIO(b"package"))
    for kind, code in when.items():
        for state in (OutboxMessage.SENT, OutboxMessage.SENT, OutboxMessage.FAILED):
            OutboxMessage.objects.create(agency=w.a, to_code=code, message_type=OutboxMessage.EDOC, state=state,
                                         package=blob)
        InboxItem.objects.create(connection=connection, hub_doc_id=f"h-{kind}", agency=w.a, message_type="edoc",
                                 from_code=code, outcome=InboxItem.STORED)
    OutboxMessage.objects.create(agency=w.b, to_code=when["central"], message_type=OutboxMessage.EDOC,
                                 state=OutboxMessage.SENT, package=blob)
    today = timezone.localdate()
    volumes = {v.counterpart: (v.sent, v.received, v.failed)
               for v in period_report.exchange_volumes(today, today, [w.a.pk])}
    assert volumes == {"province": (2, 1, 1), "other_provinces": (2, 1, 1), "central": (2, 1, 1)}
    everyone = {v.counterpart: v.sent for v in period_report.exchange_volumes(today, today, None)}
    assert everyone["central"] == 3


def name_recipients(w):
    w.leader_a.email, w.leader_b.email = "giamdoc_a@example.vn", "giamdoc_b@example.vn"
    w.leader_a.save(update_fields=["email"])
    w.leader_b.save(update_fields=["email"])
    period_report.add_recipient(w.admin, w.leader_a)
    period_report.add_recipient(w.admin, w.leader_b)


def test_the_monthly_mail_goes_once_per_month_with_both_files(built):
    w = built
    name_recipients(w)
    assert period_report.send_month(dt.date(2026, 2, 3)) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["giamdoc_a@example.vn", "giamdoc_b@example.vn"]
    assert "01/01/2026" in message.subject and "31/01/2026" in message.subject
    names = sorted(name for name, _content, _type in message.attachments)
    assert names == ["bao-cao-trien-khai-tinh-20260101-20260131.pdf", "bao-cao-trien-khai-tinh-20260101-20260131.xlsx"]
    # a second run in the same month, or a later day of it: nothing more
    assert period_report.send_month(dt.date(2026, 2, 3)) == 0
    assert period_report.send_month(dt.date(2026, 2, 27)) == 0
    assert len(mail.outbox) == 1
    # the next month: the next report
    assert period_report.send_month(dt.date(2026, 3, 1)) == 1
    assert len(mail.outbox) == 2
    assert list(PeriodReportDispatch.objects.values_list("period_start", flat=True)) == [
        dt.date(2026, 2, 1), dt.date(2026, 1, 1)]
    assert AuditEntry.objects.filter(action="period_report.mail").count() == 2


def test_a_mail_that_failed_is_sent_again_at_the_next_run(built, monkeypatch):
    name_recipients(built)

    def broken(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    with pytest.raises(ConnectionRefusedError):
        period_report.send_month(dt.date(2026, 2, 3))
    assert not PeriodReportDispatch.objects.exists()
    monkeypatch.undo()
    assert period_report.send_month(dt.date(2026, 2, 3)) == 1 and len(mail.outbox) == 1


def test_the_report_is_read_as_another_platform_admin_when_the_one_who_named_is_gone(built):
    w = built
    name_recipients(w)
    other = factories.person(w.p, Role.PLATFORM_ADMIN, username="quantri_tinh_2")
    w.admin.is_active = False
    w.admin.save(update_fields=["is_active"])
    assert period_report.send_month(dt.date(2026, 2, 3)) == 1
    entry = AuditEntry.objects.get(action="period_report.mail")
    assert entry.actor_id == other.pk


def test_nobody_named_nothing_sent_and_only_the_platform_admin_names(built):
    w = built
    assert period_report.send_month(dt.date(2026, 2, 3)) == 0 and not mail.outbox
    with pytest.raises(PermissionDenied):
        period_report.add_recipient(w.leader_a, w.leader_b)
    w.spec_a.email = ""
    w.spec_a.save(update_fields=["email"])
    with pytest.raises(InvalidInput) as exc:
        period_report.add_recipient(w.admin, w.spec_a)
    assert exc.value.code == "RECIPIENT_NO_EMAIL"


def test_the_job_is_registered_and_runs_the_months_mailing(built, monkeypatch):
    from vpdt.core import tasks

    assert period_report.JOB in {j.name for j in tasks.jobs()}
    name_recipients(built)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 2, 3))
    assert period_report.monthly_mail() is True
    assert period_report.monthly_mail() is False
    assert len(mail.outbox) == 1


def test_the_recipients_page_adds_and_removes_with_a_form(built, client):
    w = built
    w.leader_b.email = "giamdoc_b@example.vn"
    w.leader_b.save(update_fields=["email"])
    client.force_login(w.admin)
    page = client.get("/bao-cao/trien-khai/").content.decode()
    assert "Người nhận báo cáo định kỳ" in page
    r = client.post("/bao-cao/trien-khai/", {"person": ""})
    assert r.status_code == 400 and "Chọn cán bộ nhận báo cáo." in r.content.decode()
    r = client.post("/bao-cao/trien-khai/", {"person": w.leader_b.pk}, follow=True)
    assert "Đã thêm người nhận báo cáo định kỳ." in r.content.decode()
    recipients = period_report.recipients()
    assert [x.user for x in recipients] == [w.leader_b]
    r = client.post("/bao-cao/trien-khai/bo-nguoi-nhan/", {"recipient": recipients[0].pk}, follow=True)
    assert "Đã bỏ người nhận báo cáo định kỳ." in r.content.decode() and not period_report.recipients()
    # a leader sees the report page but not the mailing list, and may not change it
    client.force_login(w.leader_a)
    page = client.get("/bao-cao/trien-khai/").content.decode()
    assert "Tạo báo cáo (PDF)" in page and "Người nhận báo cáo định kỳ" not in page
    assert client.post("/bao-cao/trien-khai/", {"person": w.leader_a.pk}).status_code == 403


def test_the_period_report_downloads_for_the_asked_period(built, client):
    client.force_login(built.admin)
    r = client.get("/bao-cao/trien-khai/tai/pdf/", {"start": "29/12/2025", "end": "06/01/2026"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert 'filename="bao-cao-trien-khai-tinh-20251229-20260106.pdf"' in r["Content-Disposition"]
    text = normalized("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(r.streaming_content))).pages))
    assert "Từ ngày 29/12/2025 đến ngày 06/01/2026" in text
    client.force_login(built.leader_a)
    r = client.get("/bao-cao/trien-khai/tai/xlsx/", {"start": "29/12/2025", "end": "06/01/2026"})
    assert f"bao-cao-trien-khai-{built.a.code}-" in r["Content-Disposition"]
    r = client.get("/bao-cao/trien-khai/tai/xlsx/", {"start": "06/01/2026", "end": "29/12/2025"}, follow=True)
    assert "Ngày kết thúc phải từ ngày bắt đầu trở đi." in r.content.decode()
