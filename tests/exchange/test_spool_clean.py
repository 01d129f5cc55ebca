"""Temporary files of interrupted work are removed at start; files of work still running stay."""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import pytest

from vpdt import commands
from vpdt.core import blobs
from vpdt.exchange import inbox

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def _spooled(directory: str, prefix: str, size: int, age: float, suffix: str = "") -> str:
    fd, path = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
    with os.fdopen(fd, "wb") as fh:
        fh.write(b"\0" * size)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def test_orphans_of_an_interrupted_run_are_removed_at_worker_start_and_fresh_files_stay(exchange_env, settings,
                                                                                          capsys):
    from vpdt.hub import services as hub

    settings.VPDT_SPOOL_GRACE_SECONDS = 600
    settings.EXCHANGE_LEASE_SECONDS = 300
    hub_tmp = hub.store().tmp
    hub_tmp.mkdir(parents=True, exist_ok=True)
    hour = 3600
    # What a worker killed mid-intake leaves: the fetched package, the decoded zip, the blob spool.
    orphans = [_spooled(inbox._spool_dir(), "in-", 4096, hour, ".edxml"),
               _spooled(inbox._spool_dir(), "in-att-", 2048, hour),
               _spooled(blobs._spool_dir(), "upload-", 8192, hour),
               _spooled(str(hub_tmp), "", 1024, hour, ".part")]
    # Work running in another process right now (or a minute ago): younger than the grace.
    running = [_spooled(inbox._spool_dir(), "in-att-", 2048, 0),
               _spooled(blobs._spool_dir(), "upload-", 8192, 60),
               _spooled(str(hub_tmp), "", 1024, 0, ".part")]
    assert commands.cmd_worker(argparse.Namespace(once=True, threads=None)) == 0
    assert [p for p in orphans if os.path.exists(p)] == []
    assert all(os.path.exists(p) for p in running)


def test_the_grace_is_never_shorter_than_the_lease(exchange_env, settings):
    from vpdt.exchange import spool

    settings.VPDT_SPOOL_GRACE_SECONDS = 10
    settings.EXCHANGE_LEASE_SECONDS = 300
    held = _spooled(inbox._spool_dir(), "in-", 10, 120)  # a poll still under its lease
    old = _spooled(inbox._spool_dir(), "in-", 10, 400)
    assert spool.clean_at_start() == {"files": 1, "bytes": 10}
    assert os.path.exists(held) and not os.path.exists(old)
