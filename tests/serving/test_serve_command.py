"""`vpdt serve --production`'s choices, without starting a server: how many processes, what it
refuses (the demo, a database not migrated) before it binds anything."""

from __future__ import annotations

import argparse

import pytest

from vpdt import commands


def _args(**kw) -> argparse.Namespace:
    base = {"production": True, "demo": False, "workers": None, "threads": 8, "migrate": False,
            "host": "127.0.0.1", "port": 8000, "no_worker": False}
    return argparse.Namespace(**{**base, **kw})


def test_workers_default_one_embedded_one_per_core_in_production(monkeypatch):
    monkeypatch.delenv("VPDT_WEB_WORKERS", raising=False)
    monkeypatch.setattr(commands.os, "cpu_count", lambda: 6)
    assert commands.web_workers(_args(production=False)) == 1
    assert commands.web_workers(_args()) == 6
    monkeypatch.setenv("VPDT_WEB_WORKERS", "3")
    assert commands.web_workers(_args()) == 3
    assert commands.web_workers(_args(workers=5)) == 5


def test_production_refuses_the_demo(capsys):
    assert commands.serve_production(_args(demo=True)) == 2
    assert "--demo" in capsys.readouterr().err


@pytest.mark.django_db(databases=["default", "hub"])
def test_production_refuses_a_database_not_migrated_and_binds_nothing(monkeypatch, capsys):
    assert commands.unapplied_migrations() == []  # the test databases are migrated
    monkeypatch.setattr(commands, "unapplied_migrations", lambda: ["default:records.9999_next"])
    started = []
    monkeypatch.setattr("vpdt.core.serving.serve_processes", lambda *a, **k: started.append(a) or 0)
    assert commands.serve_production(_args()) == 1
    assert "vpdt migrate" in capsys.readouterr().err and not started


@pytest.mark.django_db(databases=["default", "hub"])
def test_production_serves_with_gunicorn_without_job_consumer(monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr("vpdt.core.serving.serve_processes", lambda app, **kw: seen.update(kw) or 0)
    assert commands.serve_production(_args(workers=1, threads=4, port=8123)) == 0
    assert seen["workers"] == 1 and seen["threads"] == 4 and seen["port"] == 8123
    assert seen["start_consumer"] is None  # the jobs run in `vpdt worker`
    assert "gunicorn" in capsys.readouterr().out


def test_what_starting_made_is_frozen_out_of_the_collector_s_sight_before_serving(monkeypatch):
    """serving.settle_heap: the objects alive at start (modules, settings, models …) are no longer
    walked by each full collection; those made after are still collected."""
    import gc

    from vpdt.core import serving

    class Cycle:
        pass

    try:
        serving.settle_heap()
        assert gc.get_freeze_count() > 1000  # the whole of Django and vpdt loaded so far
        made = Cycle()
        made.me = made  # a cycle made after: still found by the collector
        del made
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()


def test_gunicorn_forks_after_the_heap_is_settled(monkeypatch):
    from vpdt.core import serving

    order = []
    monkeypatch.setattr(serving, "settle_heap", lambda: order.append("settled"))
    monkeypatch.setattr("gunicorn.app.base.BaseApplication.run", lambda self: order.append("forked"))
    assert serving.serve_processes(object(), host="127.0.0.1", port=1, workers=2, threads=1) == 0
    assert order == ["settled", "forked"]
