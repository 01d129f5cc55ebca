"""The reports' first build (every day since the earliest record) keeps its progress a month at
a time: a worker stopped during it carries on where it stopped, and ends with the same facts."""

from __future__ import annotations

import datetime as dt

import pytest

from vpdt.reports import facts
from vpdt.reports.models import DailyFact, FactsWatermark, IncomingHandler


def _rows() -> list[tuple]:
    fields = [f.attname for f in DailyFact._meta.concrete_fields if f.attname != "id"]
    return sorted(DailyFact.objects.values_list(*fields), key=repr)


def test_a_first_build_cut_short_carries_on_from_the_last_month_it_finished(province, monkeypatch):
    facts.refresh()
    whole, handlers = _rows(), IncomingHandler.objects.count()
    assert whole and handlers
    DailyFact.objects.all().delete()
    IncomingHandler.objects.all().delete()
    FactsWatermark.objects.all().delete()

    real, started = facts.rebuild, []

    def stopped_at_the_second_month(days, agency_ids=None):
        days = list(days)
        started.append(min(days))
        if len(started) == 2:
            raise RuntimeError("the worker was stopped")
        return real(days, agency_ids)

    monkeypatch.setattr(facts, "rebuild", stopped_at_the_second_month)
    with pytest.raises(RuntimeError):
        facts.refresh()
    first_month = started[0]
    mark = FactsWatermark.objects.get(pk=1)
    assert mark.first_build_through == (first_month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)

    started.clear()
    monkeypatch.setattr(facts, "rebuild", lambda days, agency_ids=None: (started.append(min(days)),
                                                                        real(days, agency_ids))[1])
    facts.refresh()
    assert started[0] == mark.first_build_through + dt.timedelta(days=1)  # not the first month again
    assert first_month not in started
    assert _rows() == whole and IncomingHandler.objects.count() == handlers
    assert FactsWatermark.objects.get(pk=1).first_build_through is None
    started.clear()
    facts.refresh()  # done: the next run is the incremental one, from the watermark
    assert FactsWatermark.objects.get(pk=1).first_build_through is None and _rows() == whole
