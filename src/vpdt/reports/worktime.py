"""Working time between two moments: office hours on the workflow's working days.

Office hours are those of most Vietnamese agencies, 07:30–11:30 and 13:00–17:00 (8 hours a
day), Vietnam time; working days are `vpdt.workflow.holidays` (the standing calendar and the
year's official days), so Tết or a day off in lieu never counts.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from vpdt.workflow import holidays

OFFICE_HOURS = ((dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 0), dt.time(17, 0)))
HOURS_PER_DAY = 8


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(zone()).date()


def working_hours(start: dt.datetime, end: dt.datetime) -> float:
    """Office hours of working days between `start` and `end` (0 when end is not after start)."""
    if end <= start:
        return 0.0
    tz = zone()
    start, end = start.astimezone(tz), end.astimezone(tz)
    seconds = 0.0
    day = start.date()
    while day <= end.date():
        if holidays.is_working_day(day):
            for opens, closes in OFFICE_HOURS:
                lo = max(start, dt.datetime.combine(day, opens, tz))
                hi = min(end, dt.datetime.combine(day, closes, tz))
                if hi > lo:
                    seconds += (hi - lo).total_seconds()
        day += dt.timedelta(days=1)
    return seconds / 3600


def working_days(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to `end` (0 the same day)."""
    return max(0, holidays.working_days_between(start, end))


def tenths(value: float) -> int:
    """A duration as whole tenths, rounded half up (1.25 h -> 13)."""
    return int(value * 10 + 0.5 + 1e-9)


def bucket(value: float) -> int:
    """A duration in tenths at the resolution the facts keep: a tenth below 10 (hours or days),
    a whole unit below 100, ten units above, so a month's values fall into few rows."""
    t = tenths(value)
    if t < 100:
        return t
    step = 10 if t < 1000 else 100
    return (t + step // 2) // step * step
