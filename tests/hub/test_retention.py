"""Retention of finished deliveries (HUB_KEEP_DONE_DAYS, job hub.prune) and the duplicate
check's two index lookups (hubperf)."""

from __future__ import annotations

import hashlib

import pytest

from vpdt.hub import jobs, services
from vpdt.hub.models import Delivery, LogEntry, Package, Submission

from . import factories
from .conftest import H53, STT, XA

pytestmark = [pytest.mark.django_db(databases=["default", "hub"]), pytest.mark.backends]


def _take(receiver, status="done"):
    (item,) = receiver.get_received_edoc_list()
    receiver.update_status(item["docId"], status)
    return item["docId"]


def test_prune_keeps_what_waits_and_the_log(agencies, connect, tmp_path, settings):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT, XA], number=1)
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT, XA])
    _take(connect(*agencies[STT]))
    Delivery.objects.using("hub").update(done_at="2020-01-01T00:00:00Z")
    log_before = LogEntry.objects.using("hub").count()
    assert services.prune_done(30) == 1  # STT's delivery; XA's still waits
    assert Delivery.objects.using("hub").filter(to_code=XA).count() == 1
    assert Submission.objects.using("hub").count() == 1 and Package.objects.using("hub").count() == 1
    sha = hashlib.sha256(pkg.read_bytes()).hexdigest()
    assert services.store().path(sha).exists()
    assert connect(*agencies[XA]).count_receive_edoc() == 1

    _take(connect(*agencies[XA]))
    assert services.prune_done(30) == 0  # XA finished just now: younger than 30 days
    Delivery.objects.using("hub").update(done_at="2020-01-01T00:00:00Z")
    assert services.prune_done(30) == 1
    assert not Delivery.objects.using("hub").exists()
    assert not Submission.objects.using("hub").exists() and not Package.objects.using("hub").exists()
    assert not services.store().path(sha).exists()
    pruned = LogEntry.objects.using("hub").filter(action=LogEntry.PRUNED)
    assert pruned.count() == 2
    # every earlier entry is kept: the chain verifies and still tells the whole story
    assert LogEntry.objects.using("hub").count() == log_before + 3  # XA's acknowledged + 2 pruned
    assert services.verify_log().ok


def test_prune_job_follows_the_setting_in_batches(agencies, connect, tmp_path, settings):
    sender = connect(*agencies[H53])
    for n in range(3):
        sender.send_edoc(factories.document(tmp_path / f"d{n}.edxml", from_code=H53, to=[STT], number=n),
                         from_code=H53, to=[STT])
    receiver = connect(*agencies[STT])
    for item in receiver.get_received_edoc_list():
        receiver.update_status(item["docId"], "done")
    Delivery.objects.using("hub").update(done_at="2020-01-01T00:00:00Z")
    settings.HUB_KEEP_DONE_DAYS = 0
    assert jobs.prune() == 0 and Delivery.objects.using("hub").count() == 3  # default: kept forever
    settings.HUB_KEEP_DONE_DAYS = 30
    assert services.prune_done(30, batch=2, max_batches=1) == 2
    assert jobs.prune() == 1
    assert jobs.prune() == 0
    assert not Delivery.objects.using("hub").exists()


def test_refused_receivers_are_pruned_by_age(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT, "000.99.99.X99"])
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT, "000.99.99.X99"])
    refused = Delivery.objects.using("hub").get(route=Delivery.REFUSED)
    assert services.prune_done(30) == 0
    Delivery.objects.using("hub").filter(pk=refused.pk).update(created_at="2020-01-01T00:00:00Z")
    assert services.prune_done(30) == 1
    assert list(Delivery.objects.using("hub").values_list("to_code", flat=True)) == [STT]


def test_duplicate_found_by_package_or_by_document(agencies, connect, tmp_path):
    sender = connect(*agencies[H53])
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], number=5)
    doc_id = sender.send_edoc(pkg, from_code=H53, to=[STT])
    sha = hashlib.sha256(pkg.read_bytes()).hexdigest()
    first = Delivery.objects.using("hub").get()
    assert services._existing(sha, STT, None).pk == first.pk  # same bytes, same receiver
    assert services._existing(sha, XA, None) is None
    assert services._existing("0" * 64, STT, first.dedupe_key).pk == first.pk  # same document, other bytes
    assert services._existing("0" * 64, STT, "nothing") is None
    assert sender.send_edoc(pkg, from_code=H53, to=[STT]) == doc_id  # a retry: the same answer
    assert Delivery.objects.using("hub").count() == 1
