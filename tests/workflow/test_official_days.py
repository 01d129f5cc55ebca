"""The calendar beyond the old table: the `holidays` package's Vietnam calendar for any year,
each year's official days entered by the platform admin, and the check that warns when next
year has none (vpdt.W001)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import checks
from django.utils import timezone

from tests import factories
from vpdt.directory.roles import Role
from vpdt.workflow import holidays
from vpdt.workflow.models import OfficialDay

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture(autouse=True)
def _fresh_calendar():
    holidays.clear_cache()
    yield
    holidays.clear_cache()


def test_tet_and_the_lunar_holidays_of_a_year_nobody_typed_in():
    # Tết Mậu Thân: mùng 1 is Wednesday 26/01/2028; Giỗ Tổ (10/3 âm lịch) Tuesday 04/04/2028.
    assert OfficialDay.objects.filter(day__year=2028).count() == 0
    assert holidays.holiday_name(D(2028, 1, 26)) == "Tết Nguyên đán"
    assert not holidays.is_working_day(D(2028, 1, 26)) and not holidays.is_working_day(D(2028, 1, 27))
    assert holidays.holiday_name(D(2028, 4, 4)).startswith("Giỗ Tổ Hùng Vương")
    # Friday 21/01/2028 + 3 working days: Tết closes 24-28/01 (Monday to Friday).
    assert holidays.add_working_days(D(2028, 1, 21), 3) == D(2028, 2, 2)
    names = {name.split(" (")[0] for _, name in holidays.days_off(2030)}
    assert {"Tết Dương lịch", "Tết Nguyên đán", "Ngày Giải phóng miền Nam", "Quốc tế Lao động",
            "Quốc khánh"} <= names


def test_official_days_entered_this_year_count_at_once():
    saturday, friday = D(2028, 4, 29), D(2028, 5, 5)
    assert not holidays.is_working_day(saturday) and holidays.is_working_day(friday)
    holidays.is_working_day(D(2028, 1, 3))  # the year is read (and cached) before the change
    OfficialDay.objects.create(day=saturday, kind=OfficialDay.Kind.WORKING_DAY, name="Làm bù cho ngày 05/5")
    swap = OfficialDay.objects.create(day=friday, kind=OfficialDay.Kind.DAY_OFF,
                                      name="Nghỉ hoán đổi (làm bù thứ Bảy 29/4)", decision="Thông báo số 1/TB-BNV")
    assert holidays.is_working_day(saturday) and not holidays.is_working_day(friday)
    assert holidays.holiday_name(friday) == "Nghỉ hoán đổi (làm bù thứ Bảy 29/4)"
    assert holidays.holiday_name(saturday) is None
    # An official working day also overrides the standing calendar's holiday.
    OfficialDay.objects.create(day=D(2028, 1, 24), kind=OfficialDay.Kind.WORKING_DAY, name="Làm việc")
    assert holidays.is_working_day(D(2028, 1, 24))
    assert D(2028, 1, 24) not in dict(holidays.days_off(2028))
    swap.delete()
    assert holidays.is_working_day(friday)


def _w001():
    return [m for m in checks.run_checks(databases=["default"]) if m.id == "vpdt.W001"]


def test_the_check_warns_when_next_year_has_no_official_days():
    next_year = timezone.localdate().year + 1
    OfficialDay.objects.filter(day__year=next_year).delete()
    (warning,) = _w001()
    assert warning.level == checks.WARNING and str(next_year) in warning.msg
    assert "/admin/" in warning.hint
    assert [m for m in checks.run_checks() if m.id == "vpdt.W001"] == []  # a database check only
    OfficialDay.objects.create(day=D(next_year, 1, 2), kind=OfficialDay.Kind.DAY_OFF, name="Nghỉ bù")
    assert _w001() == []


def test_only_the_platform_admin_enters_official_days(client):
    agency = factories.agency("000.00.00.H90")
    root = factories.person(agency, Role.PLATFORM_ADMIN, username="root")
    agency_admin = factories.person(agency, Role.AGENCY_ADMIN, username="qtri")
    for person in (root, agency_admin):
        person.is_staff = True
        person.save()
    client.force_login(agency_admin)
    assert client.get("/admin/workflow/officialday/").status_code == 403
    client.force_login(root)
    page = client.get("/admin/workflow/officialday/add/").content.decode()
    assert "Ngày làm việc (làm bù thứ Bảy" in page and "căn cứ" in page.lower()
    answer = client.post("/admin/workflow/officialday/add/",
                         {"day": "29/04/2028", "kind": "work", "name": "Làm bù cho ngày 05/5", "decision": ""})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert holidays.is_working_day(D(2028, 4, 29))
