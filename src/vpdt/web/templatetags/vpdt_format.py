"""Template filters for values stored as text: ISO timestamps in dd/mm/yyyy, a certificate's name."""

from __future__ import annotations

import datetime as dt
import re

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def iso_datetime(value: str | None) -> str:
    """`2026-11-21T13:36:41+07:00` → `21/11/2026 13:36` (Vietnam time)."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%d/%m/%Y %H:%M")


@register.filter
def common_name(subject: str | None) -> str:
    """The Common Name of a certificate subject as pyHanko prints it, or the whole subject."""
    match = re.search(r"Common Name: ([^,]+)", subject or "")
    return match.group(1).strip() if match else (subject or "")
