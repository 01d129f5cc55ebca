"""The one-stop shop's clock: appointment dates, transfer deadlines, step deadlines and pauses,
all on Vietnamese working days (workflow/holidays.py: weekends, Tết and the official days).

- appointment = the day of receipt + the procedure's legal time in working days (the day of
  receipt itself not counted; a dossier received on a day off counts from the next working day;
  a time of 0 days means the same working day);
- transfer to the processing body: the same working day when received before the cut-off
  (VPDT_MOTCUA_TRANSFER_CUTOFF, default 15:00), otherwise the next working morning;
- a step's deadline: its working hours counted over the working hours of working days
  (VPDT_MOTCUA_WORKING_HOURS, default 07:30–11:30 and 13:00–17:00, eight hours a day);
- a pause (a supplement asked while processing, a financial obligation) stops the clock: when the
  papers come back, the appointment and the open step's deadline move by the working days the
  pause lasted (working days after the day it began, up to and including the day it ended).

Times are read in the project's time zone (Asia/Ho_Chi_Minh); functions take aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from vpdt.workflow.holidays import add_working_days, is_working_day, working_days_between

DEFAULT_CUTOFF = "15:00"
DEFAULT_WORKING_HOURS = "07:30-11:30,13:00-17:00"


def _hm(text: str) -> dt.time:
    hours, minutes = text.strip().split(":")
    return dt.time(int(hours), int(minutes))


def transfer_cutoff() -> dt.time:
    return _hm(getattr(settings, "VPDT_MOTCUA_TRANSFER_CUTOFF", DEFAULT_CUTOFF) or DEFAULT_CUTOFF)


def working_periods() -> list[tuple[dt.time, dt.time]]:
    """The working hours of a working day, in order: [(07:30, 11:30), (13:00, 17:00)]."""
    text = getattr(settings, "VPDT_MOTCUA_WORKING_HOURS", DEFAULT_WORKING_HOURS) or DEFAULT_WORKING_HOURS
    periods = []
    for part in text.split(","):
        start, end = part.split("-")
        periods.append((_hm(start), _hm(end)))
    periods.sort()
    if not periods or any(a >= b for a, b in periods):
        raise ValueError(f"VPDT_MOTCUA_WORKING_HOURS không hợp lệ: {text!r}")
    return periods


def local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else timezone.make_aware(moment)


def at(day: dt.date, time: dt.time) -> dt.datetime:
    """`day` at `time`, in the project's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def next_working_day(day: dt.date) -> dt.date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def appointment_date(received_at: dt.datetime, legal_days: int) -> dt.date:
    """The date the result is promised for (ngày hẹn trả kết quả)."""
    day = local(received_at).date()
    if not is_working_day(day):
        day = next_working_day(day)
        # Received on a day off: that next working day is the first day of the count.
        return add_working_days(day, legal_days - 1) if legal_days > 0 else day
    return add_working_days(day, legal_days)


def transfer_due(received_at: dt.datetime) -> dt.datetime:
    """By when the counter hands the dossier to the processing body: the end of the same working
    day when received before the cut-off, otherwise the end of the next working morning."""
    moment = local(received_at)
    periods = working_periods()
    day = moment.date()
    if is_working_day(day) and moment.time() < transfer_cutoff():
        return at(day, periods[-1][1])
    following = next_working_day(day + dt.timedelta(days=1))
    return at(following, periods[0][1])


def add_working_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """The moment `hours` working hours after `start` (a step's deadline)."""
    periods = working_periods()
    left = dt.timedelta(hours=hours)
    moment = local(start)
    day = moment.date()
    while True:
        if is_working_day(day):
            for begin, end in periods:
                period_start, period_end = at(day, begin), at(day, end)
                if moment >= period_end:
                    continue
                start_here = max(moment, period_start)
                available = period_end - start_here
                if left <= available:
                    return start_here + left
                left -= available
                moment = period_end
        day += dt.timedelta(days=1)
        moment = at(day, dt.time(0, 0))


def end_of_day(day: dt.date) -> dt.datetime:
    """The end of the working hours of `day`."""
    return at(day, working_periods()[-1][1])


def pause_working_days(started_at: dt.datetime, ended_at: dt.datetime) -> int:
    """The working days a pause lasted: those after the day it began up to the day it ended."""
    return max(0, working_days_between(local(started_at).date(), local(ended_at).date()))


def moved_by_pause(appointment: dt.date, paused_days: int) -> dt.date:
    return add_working_days(appointment, paused_days) if paused_days else appointment


class Outcome:
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


def outcome(finished: dt.date, due: dt.date) -> str:
    """Resolved early (trước hạn), on time (đúng hạn) or late (quá hạn)."""
    if finished < due:
        return Outcome.EARLY
    if finished == due:
        return Outcome.ON_TIME
    return Outcome.LATE


@dataclass(frozen=True)
class Receipt:
    """What the clock says when a dossier is received."""

    appointment: dt.date
    transfer_due: dt.datetime


def on_receipt(received_at: dt.datetime, legal_days: int) -> Receipt:
    return Receipt(appointment=appointment_date(received_at, legal_days), transfer_due=transfer_due(received_at))
