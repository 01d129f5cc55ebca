"""Vietnamese working days for deadlines: the maintained calendar plus each year's official days.

Two layers:
- the standing calendar: the `holidays` package's Vietnam calendar (Bộ luật Lao động 2019
  Art. 112: Tết Dương lịch, the days of Tết Nguyên đán from the lunar calendar, Giỗ Tổ Hùng
  Vương 10/3 âm lịch, 30/4, 1/5, Quốc khánh 2/9 and its adjacent day, days in lieu, and the
  swaps it already knows), for any year, so Tết never silently counts as working days;
- the year's official decisions (`OfficialDay`, entered by the platform admin in /admin/):
  a day off in lieu or a swapped day off, a Saturday worked in exchange, Tết's days when the
  Prime Minister's decision sets them otherwise. They win over the standing calendar.

Saturdays and Sundays are off unless a working day is announced. Names shown to people are
the project's own (stable whatever the package's wording), the package's Vietnamese name
otherwise. The official days are read from the database once per year and per minute, and
again at once when this process changes them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import time

# The package's English names (stable keys) -> the names people read here.
_NAMES = {
    "New Year's Day": "Tết Dương lịch",
    "29 of Lunar New Year": "Tết Nguyên đán",
    "Lunar New Year's Eve": "Tết Nguyên đán",
    "Lunar New Year": "Tết Nguyên đán",
    "Second Day of Lunar New Year": "Tết Nguyên đán",
    "Third Day of Lunar New Year": "Tết Nguyên đán",
    "Fourth Day of Lunar New Year": "Tết Nguyên đán",
    "Fifth Day of Lunar New Year": "Tết Nguyên đán",
    "Hung Kings' Commemoration Day": "Giỗ Tổ Hùng Vương (10/3 âm lịch)",
    "Liberation Day/Reunification Day": "Ngày Giải phóng miền Nam",
    "International Labor Day": "Quốc tế Lao động",
    "National Day": "Quốc khánh",
    "Vietnam Cultural Day": "Ngày Văn hóa Việt Nam",
}
_OBSERVED = re.compile(r"^(?P<name>.+) \(observed\)$")
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (?P<m>\d\d)/(?P<d>\d\d)/(?P<y>\d{4})\)$")

OFFICIAL_TTL_SECONDS = 60
DUE_SOON_WORKING_DAYS = 2


def _name(english: str, vietnamese: str) -> str:
    if english in _NAMES:
        return _NAMES[english]
    if match := _OBSERVED.match(english):
        base = _NAMES.get(match["name"], vietnamese.split(" (")[0])
        return f"{base.split(' (')[0]} (nghỉ bù)"
    if match := _SUBSTITUTED.match(english):
        return f"Nghỉ hoán đổi (làm bù ngày {match['d']}/{match['m']}/{match['y']})"
    return vietnamese


@functools.lru_cache(maxsize=64)
def _standing(year: int) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    """(days off with their names, Saturdays/Sundays worked) of the package's calendar."""
    import holidays as holiday_calendars  # ~11 MB: loaded at the first deadline counted, not at start

    english = holiday_calendars.country_holidays("VN", years=year, language="en_US")
    vietnamese = holiday_calendars.country_holidays("VN", years=year, language="vi")
    days = {day: _name(name, vietnamese.get(day, name)) for day, name in english.items()}
    worked = frozenset(d for d in getattr(english, "weekend_workdays", ()) if d.year == year)
    return days, worked


_official_lock = threading.Lock()
_official_cache: dict[int, tuple[float, dict[dt.date, tuple[str, str]]]] = {}


def clear_cache() -> None:
    """Forget the official days read so far (models' signals call it on every change)."""
    with _official_lock:
        _official_cache.clear()


def _official(year: int) -> dict[dt.date, tuple[str, str]]:
    """{day: (kind, name)} of the year's official entries."""
    now = time.monotonic()
    with _official_lock:
        cached = _official_cache.get(year)
    if cached is not None and now - cached[0] < OFFICIAL_TTL_SECONDS:
        return cached[1]
    from vpdt.workflow.models import OfficialDay

    rows = OfficialDay.objects.filter(day__year=year).values_list("day", "kind", "name")
    found = {day: (kind, name) for day, kind, name in rows}
    with _official_lock:
        _official_cache[year] = (now, found)
    return found


def days_off(year: int) -> list[tuple[dt.date, str]]:
    """The weekdays off in `year` (and weekend days named by the calendar), with their names."""
    standing, _worked = _standing(year)
    official = _official(year)
    days = {day: name for day, name in standing.items() if official.get(day, ("off",))[0] != "work"}
    days.update({day: name for day, (kind, name) in official.items() if kind == "off"})
    return sorted(days.items())


def holiday_name(day: dt.date) -> str | None:
    kind_name = _official(day.year).get(day)
    if kind_name is not None:
        return kind_name[1] if kind_name[0] == "off" else None
    return _standing(day.year)[0].get(day)


def is_working_day(day: dt.date) -> bool:
    official = _official(day.year).get(day)
    if official is not None:
        return official[0] == "work"
    standing, worked = _standing(day.year)
    if day in worked:
        return True
    return day.weekday() < 5 and day not in standing


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


def deadline_status(due: dt.date | None, today: dt.date, *, done: bool = False) -> str:
    """"overdue", "due_soon" (within two working days), "ok", or "" without a deadline."""
    if due is None or done:
        return ""
    if today > due:
        return "overdue"
    if working_days_between(today, due) <= DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return "ok"
