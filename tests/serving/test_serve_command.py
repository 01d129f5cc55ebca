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


def test_a_process_that_keeps_its_buffers_does_not_fault_them_in_again(tmp_path):
    """serving.keep_buffers (called by settle_heap): buffers of a few MiB made and freed again
    and again, as a stream makes them, reuse the same memory instead of fresh pages from the
    kernel each time (glibc's defaults gave the memory back and faulted it in again)."""
    import subprocess
    import sys

    script = tmp_path / "buffers.py"
    script.write_text(
        "import resource, sys\n"
        "from vpdt.core import serving\n"
        "if sys.argv[1] == 'keep':\n"
        "    assert serving.keep_buffers()\n"
        "def stream():\n"
        "    for _ in range(50):\n"
        "        held = [bytearray(2 * 1024 * 1024) for _ in range(6)]\n"
        "        for buffer in held:\n"
        "            buffer[::4096] = b'x' * len(buffer[::4096])\n"
        "        del held\n"
        "stream()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "stream()\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n")
    faults = {how: int(subprocess.run([sys.executable, str(script), how], check=True, capture_output=True,
                                      text=True).stdout) for how in ("default", "keep")}
    assert faults["keep"] * 10 < faults["default"], faults
