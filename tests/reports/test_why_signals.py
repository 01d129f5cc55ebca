"""The why-signals: where an agency is worse than the province's median, ranked, in plain words;
and the facts follow the records incrementally (the job) without a full rebuild."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from tests.reports.conftest import PERIOD, at, clock
from tests.reports.test_usage_metrics import build
from vpdt.records import services as records
from vpdt.records.choices import Source
from vpdt.reports import facts, services
from vpdt.workflow.services import incoming

pytestmark = [pytest.mark.django_db]


def test_medians_over_the_province_agencies(province):
    build()
    medians = services.province_medians(*PERIOD)
    # paper share: Sở KH&CN 50 %, Sở Tài chính 100 % (the province itself received nothing)
    assert medians["paper_share"] == 75.0
    # median hours to register: 1.5 and 1.0 -> 1.25; directions made for the leader: 33.3 % and 0 %
    assert medians["median_hours_to_register"] == 1.25
    assert medians["on_behalf_share"] == 16.65


def test_the_weak_agency_comes_first_with_its_signals_in_words(province):
    build()
    with translation.override("vi"):
        ranked = services.why_signals(*PERIOD, viewer=province.admin)
    assert [r["agency_code"] for r in ranked][:2] == ["000.00.03.H90", "000.00.13.H90"] or \
        ranked[0]["weakness"] >= ranked[1]["weakness"]
    b = next(r for r in ranked if r["agency_code"] == "000.00.03.H90")
    paper = next(s for s in b["signals"] if s["metric"] == "paper_share")
    assert (paper["value"], paper["median"]) == (100.0, 75.0)
    assert paper["sentence"] == "100 % văn bản đến vẫn vào sổ từ bản giấy, trung vị tỉnh 75 %"
    a = next(r for r in ranked if r["agency_code"] == "000.00.13.H90")
    behalf = next(s for s in a["signals"] if s["metric"] == "on_behalf_share")
    assert behalf["sentence"] == ("33,3 % ý kiến chỉ đạo do người khác thao tác thay lãnh đạo, "
                                  "trung vị tỉnh 16,7 %")
    scores = [s["score"] for s in a["signals"]]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    # better than the median is no signal: the Sở KH&CN registers on paper less than the median
    assert "paper_share" not in {s["metric"] for s in a["signals"]}


def test_signals_in_english(province):
    build()
    with translation.override("en"):
        b = next(r for r in services.why_signals(*PERIOD, viewer=province.admin)
                 if r["agency_code"] == "000.00.03.H90")
    paper = next(s for s in b["signals"] if s["metric"] == "paper_share")
    assert paper["sentence"] == "100 % of incoming documents are still registered from paper, province median 75 %"


def test_a_leader_sees_the_signals_of_their_agency_against_the_province(province):
    build()
    rows = services.why_signals(*PERIOD, viewer=province.leader_b)
    assert [r["agency_code"] for r in rows] == ["000.00.03.H90"]
    assert rows[0]["signals"]


def test_unit_signals(province):
    build()
    rows = services.why_signals(*PERIOD, viewer=province.admin, level="unit")
    assert {r["unit_name"] for r in rows} == {"Ban Giám đốc", "Phòng Chuyển đổi số", "Văn phòng", "Phòng Tổng hợp"}


def test_the_job_brings_the_facts_up_to_date_from_the_watermark(province):
    """The first run builds everything; a later one sees a new arrival and a registration."""
    with clock(at(2026, 1, 6, 12)):
        facts.refresh()
    before = services.usage(*PERIOD, viewer=province.leader_a)[0]
    assert before["incoming_total"] == 4
    with clock(at(2026, 1, 6, 14)):
        doc = records.receive_incoming(province.clerk_a, province.a, {"subject": "D7", "document_type": "CV"},
                                       source=Source.PAPER)
    with clock(at(2026, 1, 6, 15)):
        incoming.register(province.clerk_a, doc)
    with clock(at(2026, 1, 6, 15, 10)):
        facts.refresh()
    after = services.usage(*PERIOD, viewer=province.leader_a)[0]
    assert (after["incoming_total"], after["incoming_paper"]) == (5, 3)
    # registered: 0.5 1.0 1.0 1.5 2.5 16.0 -> 1.25 (D7 took 1.0 h)
    assert after["median_hours_to_register"] == 1.25


def test_facts_of_a_day_rebuilt_twice_are_the_same(province):
    build()
    once = services.usage(*PERIOD, viewer=province.admin, level="person")
    facts.rebuild([dt.date(2026, 1, 2), dt.date(2026, 1, 5)])
    assert services.usage(*PERIOD, viewer=province.admin, level="person") == once
