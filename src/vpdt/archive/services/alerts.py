"""The 30-day alert: a closed dossier due for transfer to the agency archive within 30 days
(or already past its due date) is announced, once, to the agency's clerks and its owner.

Once means once per dossier and threshold: the notification's key (`archive_due:<id>:<threshold>`)
is unique per person, so a second run the same day or any later day adds nothing. The thresholds
are "within 30 days" and "past due": a dossier first seen 30 days ahead gets a second, different
alert the day after its due date if it is still not handed over.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from vpdt.archive.models import Dossier, DossierState
from vpdt.directory.models import User
from vpdt.directory.roles import Role
from vpdt.workflow.notifications import notify

ALERT_DAYS = 30
KIND = "archive_due"
THRESHOLD_SOON = "30"
THRESHOLD_PAST = "past"


def dossiers_due(today: dt.date) -> QuerySet:
    """Closed dossiers (not yet in a transfer) whose transfer is due within ALERT_DAYS or past."""
    horizon = today + dt.timedelta(days=ALERT_DAYS)
    return (Dossier.objects.filter(state=DossierState.CLOSED, transfer_due__isnull=False,
                                   transfer_due__lte=horizon)
            .select_related("agency", "owner").order_by("agency_id", "transfer_due", "id"))


def recipients(dossier: Dossier) -> list[User]:
    """The agency's active clerks and the dossier's owner (once each)."""
    clerks = list(User.objects.filter(is_active=True, role_assignments__agency_id=dossier.agency_id,
                                      role_assignments__role=Role.CLERK).distinct().order_by("id"))
    owner = dossier.owner if dossier.owner_id and dossier.owner.is_active else None
    return clerks + ([owner] if owner is not None and owner not in clerks else [])


def _message(dossier: Dossier, today: dt.date) -> tuple[str, str]:
    due = dossier.transfer_due
    if due < today:
        return THRESHOLD_PAST, (f"Hồ sơ {dossier.code} – {dossier.title[:200]} đã quá hạn nộp lưu "
                                f"(hạn {due:%d/%m/%Y}): cần đưa vào mục lục hồ sơ nộp lưu.")
    days = (due - today).days
    when = "hôm nay" if days == 0 else f"còn {days} ngày"
    return THRESHOLD_SOON, (f"Hồ sơ {dossier.code} – {dossier.title[:200]} sắp đến hạn nộp lưu "
                            f"(hạn {due:%d/%m/%Y}, {when}): cần chuẩn bị nộp lưu.")


def send_transfer_alerts(today: dt.date | None = None) -> int:
    """Alert for every closed dossier due within 30 days or past due; returns the notices added."""
    today = today or timezone.localdate()
    made = 0
    for dossier in dossiers_due(today):
        threshold, text = _message(dossier, today)
        made += notify(recipients(dossier), None, KIND, text, key=f"{KIND}:{dossier.pk}:{threshold}")
    return made
