"""Working days with Vietnamese public holidays as data; overdue and due-soon flags; queues."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from vpdt.workflow import holidays, queues, services
from vpdt.workflow.models import OfficialDay

from .walk import assigned

# The calendar reads each year's official days (OfficialDay, seeded by workflow migration 0004).
pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture(autouse=True)
def _official_days():
    """The days workflow migration 0004 seeds, from the migration itself: a transactional
    test's flush earlier in the run empties the table."""
    if not OfficialDay.objects.exists():
        migration = importlib.import_module("vpdt.workflow.migrations.0004_official_days")
        for day, kind, name, decision in migration.CARRIED:
            OfficialDay.objects.create(day=day, kind=kind, name=name, decision=decision)
    holidays.clear_cache()
    yield
    holidays.clear_cache()


def test_tet_2026_is_not_counted_as_working_days():
    # Friday 13/02/2026 + 1 working day: Tết Bính Ngọ closes 16–20/02, so Monday 23/02.
    assert holidays.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert holidays.working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1
    assert not holidays.is_working_day(D(2026, 2, 17))
    assert holidays.holiday_name(D(2026, 2, 17)) == "Tết Nguyên đán"


def test_hung_kings_and_reunification_and_national_day():
    assert not holidays.is_working_day(D(2026, 4, 27))  # Giỗ Tổ falls on Sunday 26/04: Monday off
    assert holidays.add_working_days(D(2026, 4, 29), 1) == D(2026, 5, 4)  # 30/4, 1/5, weekend
    assert holidays.add_working_days(D(2025, 8, 29), 1) == D(2025, 9, 3)
    assert holidays.add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 12)


def test_swapped_saturday_is_a_working_day():
    assert holidays.is_working_day(D(2025, 4, 26))
    assert not holidays.is_working_day(D(2025, 5, 2))


def test_every_year_2025_to_2027_has_its_holidays():
    for year in (2025, 2026, 2027):
        names = {name.split(" (")[0] for _, name in holidays.days_off(year)}
        assert {"Tết Dương lịch", "Tết Nguyên đán", "Ngày Giải phóng miền Nam", "Quốc khánh"} <= names
        assert any(n.startswith("Giỗ Tổ") for n in names)


def test_due_soon_counts_working_days_across_a_holiday():
    # From Friday 13/02/2026 a deadline of 24/02 is two working days away (23, 24): due soon.
    assert holidays.deadline_status(D(2026, 2, 24), D(2026, 2, 13)) == "due_soon"
    # The same calendar distance without a holiday (13/03 → 24/03) is seven working days: fine.
    assert holidays.deadline_status(D(2026, 3, 24), D(2026, 3, 13)) == "ok"
    assert holidays.deadline_status(D(2026, 2, 12), D(2026, 2, 13)) == "overdue"
    assert holidays.deadline_status(D(2026, 2, 12), D(2026, 2, 13), done=True) == ""


def test_overdue_and_due_soon_queues(world):
    day = dt.date.today()
    doc = assigned(world, deadline=day)
    later = day + dt.timedelta(days=40)
    assert doc in queues.due_soon(world.leader, day) and doc not in queues.overdue(world.leader, day)
    tomorrow = day + dt.timedelta(days=1)
    assert doc in queues.overdue(world.leader, tomorrow)
    assert doc in queues.overdue(world.head, tomorrow)
    assert doc not in queues.overdue(world.spec, tomorrow)  # not theirs
    assert services.deadline_status(doc, tomorrow) == "overdue"
    assert services.deadline_status(doc, later - dt.timedelta(days=60)) == "ok"
