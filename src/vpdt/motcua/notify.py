"""Notices to the citizen behind one interface: e-mail (real, through Django's mail backend and
the e-office's SMTP settings) and SMS (through an adapter; the one here writes each message to a
file, one JSON line per SMS, for a gateway to pick up, or to the log).

`notify_citizen(dossier, event)` records one CitizenNotice per channel the citizen gave (phone,
e-mail) and event, at most once (the key), in the caller's transaction; `send_pending` (the job
`motcua.notices`) sends them and keeps the error of a failed one to try again next round.
The message says the code, the status and the dates; never the papers or the result.
"""

from __future__ import annotations

import abc
import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from vpdt.motcua.models import CitizenNotice, Dossier, DossierStatus

log = logging.getLogger("vpdt.motcua")

EVENTS = {
    "received": "Hồ sơ {code} đã được tiếp nhận. Ngày hẹn trả kết quả: {appointment}.",
    "supplement": "Hồ sơ {code} cần bổ sung giấy tờ. Vui lòng liên hệ Bộ phận Một cửa {agency}.",
    "apology": "Hồ sơ {code} chậm so với hẹn. {agency} xin lỗi và hẹn trả kết quả ngày {appointment}.",
    "financial": "Hồ sơ {code} cần thực hiện nghĩa vụ tài chính. Vui lòng liên hệ Bộ phận Một cửa {agency}.",
    "done": "Hồ sơ {code} đã có kết quả. Mời Ông/Bà nhận kết quả tại {agency} hoặc tra cứu trực tuyến.",
    "returned": "Hồ sơ {code} đã trả kết quả. Cảm ơn Ông/Bà.",
    "status": "Hồ sơ {code}: {status}.",
}


class SmsSender(abc.ABC):
    """An SMS gateway as vpdt sees it."""

    @abc.abstractmethod
    def send(self, phone: str, text: str) -> None:
        """Send or raise."""


class FileSms(SmsSender):
    """Appends each SMS as a JSON line to VPDT_MOTCUA_SMS_FILE (default <DATA_DIR>/sms-outbox.jsonl)."""

    def __init__(self, path: str | os.PathLike | None = None):
        default = Path(getattr(settings, "DATA_DIR", ".")) / "sms-outbox.jsonl"
        self.path = Path(path or getattr(settings, "VPDT_MOTCUA_SMS_FILE", "") or default)

    def send(self, phone: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"to": phone, "text": text, "at": timezone.now().isoformat()}, ensure_ascii=False)
                     + "\n")


class LogSms(SmsSender):
    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)


def sms_sender() -> SmsSender:
    name = getattr(settings, "VPDT_MOTCUA_SMS_BACKEND", "") or "vpdt.motcua.notify.FileSms"
    return import_string(name)()


def message_for(dossier: Dossier, event: str) -> str:
    template = EVENTS.get(event, EVENTS["status"])
    return template.format(code=dossier.code, agency=dossier.agency.name,
                           appointment=f"{dossier.appointment_date:%d/%m/%Y}" if dossier.appointment_date else "—",
                           status=DossierStatus(dossier.status).label)


def notify_citizen(dossier: Dossier, event: str, *, key: str = "") -> int:
    """Record the notices of `event` for the citizen's channels; returns how many were added."""
    text = message_for(dossier, event)
    key = key or f"{dossier.pk}:{event}:{dossier.status}:{dossier.appointment_date}"
    made = 0
    for channel, to in (("email", dossier.email), ("sms", dossier.phone)):
        if not to:
            continue
        try:
            with transaction.atomic():
                CitizenNotice.objects.create(dossier=dossier, channel=channel, to=to, event=event, message=text,
                                             key=key[:120])
            made += 1
        except IntegrityError:
            continue
    return made


def send_pending(limit: int = 200) -> int:
    """Send the notices not yet sent; returns how many went."""
    pending = list(CitizenNotice.objects.filter(sent_at__isnull=True).select_related("dossier").order_by("id")[:limit])
    if not pending:
        return 0
    sent = 0
    sms = sms_sender()
    connection = None
    for notice in pending:
        try:
            if notice.channel == "email":
                connection = connection or get_connection()
                EmailMessage(subject=f"Hồ sơ {notice.dossier.code}", body=notice.message, to=[notice.to],
                             from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
                             connection=connection).send()
            else:
                sms.send(notice.to, notice.message)
        except Exception as exc:  # a mail server or gateway down: try again next round
            CitizenNotice.objects.filter(pk=notice.pk).update(error=str(exc)[:500])
            continue
        CitizenNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now(), error="")
        sent += 1
    return sent
