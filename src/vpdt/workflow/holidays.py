"""Vietnamese public holidays as data, and working-day arithmetic for deadlines.

Days off under Bộ luật Lao động 2019 Art. 112: Tết Dương lịch (1/1), Tết Nguyên đán (5 days,
the exact days set each year by the Prime Minister's decision), Giỗ Tổ Hùng Vương (10/3 âm
lịch), 30/4, 1/5, Quốc khánh 2/9 plus one adjacent day. When a holiday falls on a weekend
the next working day is off. The table lists the WEEKDAYS that are off in each year, as
announced (2025, 2026) or as computed by those rules (2027: check against the year's
decision and edit here). `WORKING_WEEKENDS` lists Saturdays worked in exchange for a swap.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

D = dt.date

HOLIDAYS: dict[int, list[tuple[dt.date, str]]] = {
    2025: [
        (D(2025, 1, 1), "Tết Dương lịch"),
        # Tết Ất Tỵ: 25/01 – 02/02/2025 (mùng 1 Tết: 29/01).
        (D(2025, 1, 27), "Tết Nguyên đán"), (D(2025, 1, 28), "Tết Nguyên đán"),
        (D(2025, 1, 29), "Tết Nguyên đán"), (D(2025, 1, 30), "Tết Nguyên đán"),
        (D(2025, 1, 31), "Tết Nguyên đán"),
        (D(2025, 4, 7), "Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
        (D(2025, 4, 30), "Ngày Giải phóng miền Nam"), (D(2025, 5, 1), "Quốc tế Lao động"),
        (D(2025, 5, 2), "Nghỉ hoán đổi (làm bù thứ Bảy 26/4)"),
        (D(2025, 9, 1), "Quốc khánh (ngày liền kề)"), (D(2025, 9, 2), "Quốc khánh"),
    ],
    2026: [
        (D(2026, 1, 1), "Tết Dương lịch"),
        # Tết Bính Ngọ: 14/02 – 22/02/2026 (mùng 1 Tết: 17/02).
        (D(2026, 2, 16), "Tết Nguyên đán"), (D(2026, 2, 17), "Tết Nguyên đán"),
        (D(2026, 2, 18), "Tết Nguyên đán"), (D(2026, 2, 19), "Tết Nguyên đán"),
        (D(2026, 2, 20), "Tết Nguyên đán"),
        # 10/3 âm lịch is Sunday 26/04/2026: the Monday is off.
        (D(2026, 4, 27), "Giỗ Tổ Hùng Vương (nghỉ bù)"),
        (D(2026, 4, 30), "Ngày Giải phóng miền Nam"), (D(2026, 5, 1), "Quốc tế Lao động"),
        (D(2026, 9, 1), "Quốc khánh (ngày liền kề)"), (D(2026, 9, 2), "Quốc khánh"),
    ],
    2027: [
        (D(2027, 1, 1), "Tết Dương lịch"),
        # Tết Đinh Mùi: mùng 1 Tết is Saturday 06/02/2027; 05/02 – 09/02 plus two days in lieu.
        (D(2027, 2, 5), "Tết Nguyên đán"), (D(2027, 2, 8), "Tết Nguyên đán"),
        (D(2027, 2, 9), "Tết Nguyên đán"), (D(2027, 2, 10), "Tết Nguyên đán (nghỉ bù)"),
        (D(2027, 2, 11), "Tết Nguyên đán (nghỉ bù)"),
        (D(2027, 4, 16), "Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
        (D(2027, 4, 30), "Ngày Giải phóng miền Nam"),
        (D(2027, 5, 3), "Quốc tế Lao động (nghỉ bù cho thứ Bảy 1/5)"),
        (D(2027, 9, 2), "Quốc khánh"), (D(2027, 9, 3), "Quốc khánh (ngày liền kề)"),
    ],
}

WORKING_WEEKENDS: set[dt.date] = {D(2025, 4, 26)}


@cache
def _days_off() -> dict[dt.date, str]:
    return {day: name for year in HOLIDAYS.values() for day, name in year}


def holiday_name(day: dt.date) -> str | None:
    return _days_off().get(day)


def is_working_day(day: dt.date) -> bool:
    if day in WORKING_WEEKENDS:
        return True
    return day.weekday() < 5 and day not in _days_off()


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    step = 1 if days >= 0 else -1
    day, left = start, abs(days)
    while left:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative when end < start)."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    lo, hi = (start, end) if sign > 0 else (end, start)
    count, day = 0, lo
    while day < hi:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return sign * count


DUE_SOON_WORKING_DAYS = 2


def deadline_status(due: dt.date | None, today: dt.date, *, done: bool = False) -> str:
    """"overdue", "due_soon" (within two working days), "ok", or "" without a deadline."""
    if due is None or done:
        return ""
    if today > due:
        return "overdue"
    if working_days_between(today, due) <= DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return "ok"
