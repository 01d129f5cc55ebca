"""The one-stop shop's clock on Vietnamese working days: appointments across weekends and
holidays, the 15:00 rule for transfers, step deadlines in working hours, pauses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from vpdt.motcua import clock
from vpdt.workflow import holidays

pytestmark = pytest.mark.django_db

D = dt.date


def at(y, m, d, hh=9, mm=0):
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture(autouse=True)
def _fresh_calendar():
    holidays.clear_cache()
    yield
    holidays.clear_cache()


def test_appointment_skips_the_weekend():
    # Friday 27/11/2026 + 2 working days: Monday 30/11 and Tuesday 01/12.
    assert clock.appointment_date(at(2026, 11, 27), 2) == D(2026, 12, 1)


def test_appointment_skips_the_weekend_and_the_holidays_of_30_4_and_1_5():
    # Wednesday 29/04/2026 + 3: Thursday 30/4 and Friday 1/5 are holidays, then the weekend.
    assert clock.appointment_date(at(2026, 4, 29), 3) == D(2026, 5, 6)
    # The Cultural Day (Tuesday 24/11/2026) is not a working day either.
    assert clock.appointment_date(at(2026, 11, 23), 1) == D(2026, 11, 25)


def test_a_same_day_procedure_is_due_the_day_it_is_received():
    assert clock.appointment_date(at(2026, 11, 23, 10), 0) == D(2026, 11, 23)


def test_a_dossier_received_on_a_day_off_counts_from_the_next_working_day():
    # Online on Saturday 28/11/2026: Monday 30/11 is day 1, Tuesday 01/12 day 2.
    assert clock.appointment_date(at(2026, 11, 28, 20), 2) == D(2026, 12, 1)
    assert clock.appointment_date(at(2026, 11, 28, 20), 0) == D(2026, 11, 30)


def test_received_before_15_00_goes_the_same_day_after_it_the_next_working_morning():
    assert clock.transfer_due(at(2026, 11, 27, 14, 59)) == at(2026, 11, 27, 17, 0)
    # 15:00 on a Friday: Monday morning.
    assert clock.transfer_due(at(2026, 11, 27, 15, 0)) == at(2026, 11, 30, 11, 30)
    # After 15:00 on the eve of 30/4: the weekend and both holidays are skipped.
    assert clock.transfer_due(at(2026, 4, 29, 15, 30)) == at(2026, 5, 4, 11, 30)
    # Received on a Saturday (online): Monday morning.
    assert clock.transfer_due(at(2026, 11, 28, 9)) == at(2026, 11, 30, 11, 30)


@override_settings(VPDT_MOTCUA_TRANSFER_CUTOFF="16:00", VPDT_MOTCUA_WORKING_HOURS="08:00-12:00,13:00-17:00")
def test_the_cut_off_and_the_working_hours_are_settings():
    assert clock.transfer_due(at(2026, 11, 27, 15, 30)) == at(2026, 11, 27, 17, 0)
    assert clock.transfer_due(at(2026, 11, 27, 16, 0)) == at(2026, 11, 30, 12, 0)


def test_a_step_deadline_counts_working_hours_over_the_weekend():
    # Friday 16:00 + 4 hours: one hour on Friday, three on Monday from 07:30.
    assert clock.add_working_hours(at(2026, 11, 27, 16), 4) == at(2026, 11, 30, 10, 30)
    # Lunch does not count: 10:30 + 2 hours is 13:30... after the break.
    assert clock.add_working_hours(at(2026, 11, 30, 10, 30), 2) == at(2026, 11, 30, 14, 0)
    # One working day from Monday 09:00 is Tuesday 09:00.
    assert clock.add_working_hours(at(2026, 11, 30, 9), 8) == at(2026, 12, 1, 9)


def test_a_supplement_stops_the_clock_and_the_answer_restarts_it():
    received = at(2026, 11, 2, 9)
    appointment = clock.appointment_date(received, 5)
    assert appointment == D(2026, 11, 9)
    # Asked on Wednesday 04/11, answered on Monday 09/11: Thursday, Friday and Monday stood still.
    days = clock.pause_working_days(at(2026, 11, 4, 10), at(2026, 11, 9, 8))
    assert days == 3
    assert clock.moved_by_pause(appointment, days) == D(2026, 11, 12)
    # Answered the same day: nothing moves.
    assert clock.pause_working_days(at(2026, 11, 4, 10), at(2026, 11, 4, 16)) == 0


def test_outcome_early_on_time_late():
    due = D(2026, 11, 9)
    assert clock.outcome(D(2026, 11, 6), due) == clock.Outcome.EARLY
    assert clock.outcome(due, due) == clock.Outcome.ON_TIME
    assert clock.outcome(D(2026, 11, 10), due) == clock.Outcome.LATE
