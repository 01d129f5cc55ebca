"""Notices to the citizen (real e-mail through an SMTP server, SMS through the file adapter) and
fees (at the counter, online through the file payment adapter)."""

from __future__ import annotations

import json

import pytest

from tests.motcua.motcua2_world import dossier, world
from tests.workflow.test_reminders import smtp  # noqa: F401 - the aiosmtpd fixture
from vpdt.core.errors import InvalidState, PermissionDenied
from vpdt.motcua import notify, payment
from vpdt.motcua.models import CitizenNotice, FeePayment

pytestmark = pytest.mark.django_db


def test_citizen_gets_one_email_and_one_sms_per_event(blob_dir, smtp, settings, tmp_path):  # noqa: F811
    settings.VPDT_MOTCUA_SMS_FILE = str(tmp_path / "sms.jsonl")
    w = world()
    d = dossier(w.birth, w.commune)
    assert notify.notify_citizen(d, "received") == 2
    assert notify.notify_citizen(d, "received") == 0  # the same event twice: once
    assert notify.send_pending() == 2
    assert notify.send_pending() == 0
    assert [tos for tos, _ in smtp.messages] == [["an@example.vn"]]
    sms = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sms[0]["to"] == "0912345678" and d.code in sms[0]["text"]
    assert f"{d.appointment_date:%d/%m/%Y}" in sms[0]["text"]


def test_a_failed_sms_is_kept_to_try_again(blob_dir, settings):
    settings.VPDT_MOTCUA_SMS_BACKEND = "tests.motcua.test_citizen_notices.BrokenSms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    w = world()
    d = dossier(w.birth, w.commune)
    notify.notify_citizen(d, "done")
    assert notify.send_pending() == 1  # the e-mail
    failed = CitizenNotice.objects.get(channel="sms")
    assert failed.sent_at is None and "gateway down" in failed.error


class BrokenSms(notify.SmsSender):
    def send(self, phone, text):
        raise ConnectionError("gateway down")


@pytest.mark.backends  # one payment per provider reference: a unique constraint on both databases
def test_fees_at_the_counter_and_online_once(blob_dir, tmp_path):
    w = world()
    d = dossier(w.build, w.commune, resolving=w.department)
    with pytest.raises(PermissionDenied):
        payment.record_paid(w.officer, d, 150000)
    payment.record_paid(w.counter, d, 150000)
    pay = payment.FilePayments(tmp_path)
    started = pay.start(d, 150000)
    assert payment.confirm_online(pay, d, started.reference) is None  # not paid yet
    (tmp_path / f"{started.reference}.paid").write_text("150000", encoding="ascii")
    first = payment.confirm_online(pay, d, started.reference)
    again = payment.confirm_online(pay, d, started.reference)
    assert first.pk == again.pk and first.method == "online" and first.amount == 150000
    assert FeePayment.objects.filter(dossier=d).count() == 2
    with pytest.raises(InvalidState):
        payment.record_paid(w.counter, d, 1, method="online", provider="file", reference=started.reference)
    d.refresh_from_db()
    assert d.fee_paid_at is not None
