"""The background jobs on their real queues: Redis (the scale path, a `vpdt worker` process
killed with SIGKILL in the middle of sending) and SQLite (the embedded default, the
consumer inside this process as `vpdt serve` runs it). A real hub process carries the
packages; each document must arrive exactly once and its status 01 come back once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid

import pytest
from django.db import connections

from tests import factories, keys
from tests.hub.procs import HubProcess, wait_for
from vpdt.directory.roles import Role
from vpdt.exchange.models import InboxItem, OutboxMessage, StatusEvent
from vpdt.records.choices import Direction
from vpdt.records.models import Document

from .conftest import make_agency, released

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(databases=["default", "hub"],
                                                                         transaction=True)]

SENDER = "000.00.01.H90"
RECEIVER = "000.00.02.H90"
REDIS = ("127.0.0.1", 6379)
DOCUMENTS = 30  # enough that a kill lands with three sent and ten still waiting
EMBEDDED_DOCUMENTS = 12  # the SQLite queue's run proves the path, not a kill


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _database_url(alias: str) -> str:
    """The URL of this test run's database, for a process of its own to open."""
    conf = connections[alias].settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    user = conf.get("USER") or ""
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{conf.get('HOST') or '127.0.0.1'}:{conf.get('PORT') or 5432}/{conf['NAME']}"


@pytest.fixture
def agencies(settings, tmp_path, blob_dir):
    """A sender and a receiver of this e-office, each its own system on a real hub process."""
    settings.DATA_DIR = tmp_path
    settings.EXCHANGE_RETRY_BASE_SECONDS = 0.2
    settings.EXCHANGE_RETRY_MAX_SECONDS = 1.0
    hub = HubProcess("hub", tmp_path)
    out = {}
    for code in (SENDER, RECEIVER):
        hub.run("add-agency", code, f"Cơ quan {code}", "--system-id", f"sys.{code}", "--secret", f"secret-{code}")
        agency = make_agency(code, f"Cơ quan {code}", endpoint=hub.url, hub_register=False)
        out[code] = (agency, factories.person(agency, Role.CLERK, Role.LEADER))
    hub.start()
    yield hub, out
    hub.stop()
    assert "OK" in hub.run("verify-log")


def _release_many(agencies, count: int = DOCUMENTS) -> list[Document]:
    sender, clerk = agencies[SENDER]
    receiver = agencies[RECEIVER][0]
    return [released(sender, clerk, [receiver], subject=f"Văn bản {i}", attachment=factories.pdf_bytes(pad=200_000))
            for i in range(count)]


def _all_back(docs) -> bool:
    return StatusEvent.objects.filter(recipient__document__in=docs, status_code="01",
                                      direction=StatusEvent.RECEIVED).count() >= len(docs)


def _exactly_once(docs, receiver) -> None:
    incoming = Document.objects.filter(agency=receiver, direction=Direction.INCOMING)
    assert sorted(incoming.values_list("edxml_document_id", flat=True)) == sorted(d.edxml_document_id for d in docs)
    assert InboxItem.objects.filter(agency=receiver, message_type="edoc", outcome=InboxItem.STORED).count() \
        == len(docs)
    for d in docs:
        assert StatusEvent.objects.filter(recipient__document=d, status_code="01").count() == 1
    assert not OutboxMessage.objects.exclude(state=OutboxMessage.SENT).exists()


def _state(docs) -> str:
    """What the exchange holds, to say where a run that did not settle stopped."""
    from django.db.models import Count

    outbox = list(OutboxMessage.objects.values("state", "message_type").annotate(n=Count("id")))
    inbox = list(InboxItem.objects.values("outcome", "message_type").annotate(n=Count("id")))
    events = list(StatusEvent.objects.values("status_code", "direction").annotate(n=Count("id")))
    return f"outbox {outbox}\ninbox {inbox}\nstatus events {events}"


class WorkerProcess:
    """`vpdt worker` on the Redis queue, against this test run's databases."""

    def __init__(self, tmp_path, blob_dir):
        self.log = tmp_path / "worker.log"
        # the test run's key: the worker opens the secrets this process sealed
        self.env = dict(keys.eoffice_env(dict(os.environ)), VPDT_TASKS="redis", VPDT_REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0",
                        VPDT_TASKS_NAME=f"vpdt-test-{uuid.uuid4().hex[:12]}",
                        VPDT_DATABASE_URL=_database_url("default"), VPDT_HUB_DATABASE_URL=_database_url("hub"),
                        VPDT_DATA_DIR=str(tmp_path), VPDT_BLOB_DIR=str(blob_dir),
                        # a message leased by a killed worker is due again soon
                        VPDT_EXCHANGE_LEASE_SECONDS="3", VPDT_LOG_LEVEL="INFO",
                        VPDT_EXCHANGE_POLL_SECONDS="1")  # statuses come back sooner: a shorter test
        self.env.pop("VPDT_TEST_DATABASE_URL", None)
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.proc: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "vpdt.cli", "worker", "--threads", "2"],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def flush_queue(self) -> None:
        from huey import RedisHuey

        RedisHuey(self.env["VPDT_TASKS_NAME"], url=self.env["VPDT_REDIS_URL"]).flush()


def test_redis_worker_killed_mid_send_loses_and_duplicates_nothing(agencies, tmp_path, blob_dir):
    if not _redis_answers():
        pytest.skip("!! Redis does NOT answer on 127.0.0.1:6379: the scale-path queue test is SKIPPED !!")
    hub, people = agencies
    docs = _release_many(people)
    worker = WorkerProcess(tmp_path, blob_dir)
    try:
        worker.start()
        wait_for(lambda: "hàng đợi redis" in worker.log.read_text(), timeout=60)  # on the Redis queue

        def mid_send():
            assert worker.proc.poll() is None, worker.log.read_text()
            sent = OutboxMessage.objects.filter(document__in=docs, state=OutboxMessage.SENT).count()
            return 3 <= sent < DOCUMENTS - 10

        wait_for(mid_send, timeout=120, pause=0.02)
        worker.kill()
        left = OutboxMessage.objects.filter(document__in=docs, state=OutboxMessage.PENDING).count()
        assert left >= 10, "the kill did not land while the job was sending"
        worker.start()  # a new consumer picks the queue up; leased rows become due again
        try:
            wait_for(lambda: _all_back(docs) or worker.proc.poll() is not None, timeout=180, pause=0.2)
        except TimeoutError:
            raise AssertionError(_state(docs) + "\n" + worker.log.read_text()[-5000:]) from None
        assert worker.proc.poll() is None, worker.log.read_text()
    finally:
        worker.stop()
        worker.flush_queue()
    _exactly_once(docs, people[RECEIVER][0])


def test_sqlite_queue_in_process_delivers_each_document_once(agencies, tmp_path, monkeypatch):
    """The embedded default (`make run`): the SQLite queue in the data dir, the consumer in this process."""
    from huey.storage import SqliteStorage

    from vpdt.core import tasks

    monkeypatch.setattr(tasks.huey, "storage", SqliteStorage(tasks.huey.name, filename=str(tmp_path / "tasks.sqlite3")))
    monkeypatch.setattr(tasks._jobs["exchange.receive"], "every", 1.0)  # polls sooner: a shorter test
    hub, people = agencies
    consumer = tasks.start_in_thread(workers=2)
    try:
        docs = _release_many(people, EMBEDDED_DOCUMENTS)  # each release wakes exchange.send on commit
        wait_for(lambda: _all_back(docs), timeout=180, pause=0.2)
    finally:
        consumer.stop(graceful=True)
    _exactly_once(docs, people[RECEIVER][0])
