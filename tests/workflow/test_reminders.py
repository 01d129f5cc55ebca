"""Reminders and the leaders' digest: in the bell and by e-mail through a real (local) SMTP server."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from vpdt.core import tasks
from vpdt.workflow import notifications
from vpdt.workflow.models import Notification

from .walk import assigned


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield inbox
    controller.stop()


def test_reminder_reaches_the_handler_by_bell_and_email(world, smtp):
    day = dt.date.today()
    doc = assigned(world, deadline=day)
    Notification.objects.update(emailed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))  # earlier notices: done
    result = notifications.run_daily(day + dt.timedelta(days=1))
    assert result["reminders"] >= 2  # heads of the main and the co-handling unit
    n = Notification.objects.get(user=world.head, kind="overdue")
    assert n.document == doc and "Quá hạn" in n.message
    recipients = {r for tos, _ in smtp.messages for r in tos}
    assert {"truongphong@example.vn", "truongphong2@example.vn", "giamdoc@example.vn"} <= recipients
    bodies = "\n".join(body for _, body in smtp.messages)
    assert "Subject: =?utf-8?" in bodies or "Qu" in bodies
    # Twice the same day: nothing new.
    again = notifications.run_daily(day + dt.timedelta(days=1))
    assert again == {"reminders": 0, "digests": 0, "emails": 0}


def test_daily_digest_for_leaders(world, smtp):
    day = dt.date.today()
    assigned(world, deadline=day)
    made = notifications.send_daily_digest(day + dt.timedelta(days=1))
    assert made == 2  # both leaders of the agency
    digest = Notification.objects.get(user=world.leader, kind="digest")
    assert "1 văn bản quá hạn" in digest.message


def test_worker_has_the_daily_job():
    assert "workflow.daily" in {job.name for job in tasks.jobs()}


def test_unreachable_smtp_server_sends_nothing_and_keeps_the_notices(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()
    assigned(world, deadline=dt.date.today())
    assert notifications.deliver_emails() == 0
    assert Notification.objects.filter(emailed_at__isnull=True).exists()
