"""The demo's statistics tell a story: the why view ranks the agency that still works on paper
first, with real signals, and the agencies that use the system well show it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from tests.demo.test_demo import demo  # noqa: F401  (the whole demo, loaded once for this module)
from vpdt.directory.models import User
from vpdt.reports import services

pytestmark = [pytest.mark.django_db(databases=["default", "hub"]), pytest.mark.slow]

WEAK, GOOD = "000.00.32.H90", "000.00.13.H90"


def _period():
    today = timezone.localdate()
    return today - dt.timedelta(days=60), today


def test_the_weak_agency_is_ranked_first_with_its_signals(demo):  # noqa: F811
    admin = User.objects.get(username="admin")
    with translation.override("vi"):
        ranked = services.why_signals(*_period(), viewer=admin)
    assert ranked[0]["agency_code"] == WEAK, [(r["agency_code"], r["weakness"]) for r in ranked[:4]]
    signals = {s["metric"]: s for s in ranked[0]["signals"]}
    assert {"paper_share", "paper_despite_electronic_share", "on_behalf_share",
            "median_hours_to_register", "median_hours_to_direct"} <= set(signals)
    assert signals["paper_despite_electronic_share"]["value"] == 100.0
    paper = signals["paper_share"]
    assert paper["value"] >= 50 > paper["median"]
    assert re.fullmatch(r"\d+(,\d)? % văn bản đến vẫn vào sổ từ bản giấy, trung vị tỉnh \d+(,\d)? %", paper["sentence"])


def test_the_agencies_that_use_it_well_show_it(demo):  # noqa: F811
    admin = User.objects.get(username="admin")
    rows = {r["agency_code"]: r for r in services.usage(*_period(), viewer=admin)}
    good, weak = rows[GOOD], rows[WEAK]
    assert good["incoming_electronic"] > 0 and good["median_hours_to_register"] < 1
    assert weak["incoming_paper"] * 2 > weak["incoming_total"] > 0
    assert weak["median_hours_to_register"] > 10 and weak["open_overdue"] > 0
    table = {r["agency_code"]: r for r in services.agency_table(*_period(), viewer=admin)}
    assert table[GOOD]["on_behalf_share"] == 0 and table[WEAK]["on_behalf_share"] > 50
