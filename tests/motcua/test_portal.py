"""The portal adapter's contract (any implementation must pass PortalContract) and the file portal."""

from __future__ import annotations

import json

import pytest

from tests.motcua.motcua2_world import world
from vpdt.motcua.models import Dossier, DossierStatus
from vpdt.motcua.portal import FilePortal, PortalAdapter, StatusReport, exchange_with

pytestmark = pytest.mark.django_db

GOOD = {"procedure_code": "1.009972", "applicant_name": "Lê Văn Cường", "personal_id": "075095001111",
        "external_id": "P-1", "phone": "0912345678"}


class PortalContract:
    """What every portal adapter must do. A subclass gives `adapter` (a fresh portal) and
    `put(name, data)` (a submission arriving on that portal) and `statuses()` (what it was told)."""

    def adapter(self, tmp_path) -> PortalAdapter:
        raise NotImplementedError

    def put(self, adapter, name: str, data) -> None:
        raise NotImplementedError

    def statuses(self, adapter) -> list[dict]:
        raise NotImplementedError

    def test_a_submission_is_taken_once(self, tmp_path, blob_dir):
        w = world()
        portal = self.adapter(tmp_path)
        self.put(portal, "a", GOOD)
        first = exchange_with(portal, w.commune)
        second = exchange_with(portal, w.commune)
        assert first["taken"] == 1 and second["taken"] == 0
        d = Dossier.objects.get()
        assert d.status == DossierStatus.NEW and d.external_id == "P-1" and d.source == portal.name

    def test_the_same_external_id_twice_makes_one_dossier(self, tmp_path, blob_dir):
        w = world()
        portal = self.adapter(tmp_path)
        self.put(portal, "a", GOOD)
        self.put(portal, "b", GOOD)
        assert exchange_with(portal, w.commune)["taken"] == 2
        assert Dossier.objects.count() == 1

    def test_a_bad_submission_is_refused_and_changes_nothing(self, tmp_path, blob_dir):
        w = world()
        portal = self.adapter(tmp_path)
        self.put(portal, "bad-id", {**GOOD, "personal_id": "1"})
        self.put(portal, "not-json", "{")
        self.put(portal, "unknown", {**GOOD, "procedure_code": "0.000"})
        result = exchange_with(portal, w.commune)
        assert result == {"taken": 0, "refused": 3, "published": 0}
        assert not Dossier.objects.exists()

    def test_status_changes_are_published_once(self, tmp_path, blob_dir):
        w = world()
        portal = self.adapter(tmp_path)
        self.put(portal, "a", GOOD)
        exchange_with(portal, w.commune)
        assert [s["status"] for s in self.statuses(portal)] == [DossierStatus.NEW]
        from vpdt.motcua.services.counter import event as record_event

        d = Dossier.objects.get()
        Dossier.objects.filter(pk=d.pk).update(status=DossierStatus.RECEIVED)
        d.refresh_from_db()
        record_event(d, "accept", w.counter, before=DossierStatus.NEW)
        exchange_with(portal, w.commune)
        exchange_with(portal, w.commune)
        assert [s["status"] for s in self.statuses(portal)] == [DossierStatus.NEW, DossierStatus.RECEIVED]
        assert all(s["code"] == d.code and s["external_id"] == "P-1" for s in self.statuses(portal))


class TestFilePortal(PortalContract):
    def adapter(self, tmp_path) -> PortalAdapter:
        return FilePortal(tmp_path / "portal")

    def put(self, adapter, name, data) -> None:
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        (adapter.root / "inbox" / f"{name}.json").write_text(text, encoding="utf-8")

    def statuses(self, adapter) -> list[dict]:
        rows = [json.loads(p.read_text(encoding="utf-8")) for p in (adapter.root / "outbox").glob("*.json")]
        return sorted(rows, key=lambda r: (r["at"], r["status"]))


def test_file_portal_answers_each_submission(tmp_path, blob_dir):
    w = world()
    portal = FilePortal(tmp_path)
    (tmp_path / "inbox" / "x.json").write_text(json.dumps(GOOD), encoding="utf-8")
    exchange_with(portal, w.commune)
    answer = json.loads((tmp_path / "done" / "x.json.answer.json").read_text(encoding="utf-8"))
    assert answer["code"] == Dossier.objects.get().code and answer["error"] == ""
    assert not (tmp_path / "inbox" / "x.json").exists()
    assert isinstance(StatusReport(code="c", external_id="", source="", status=1, status_label="", at=""), StatusReport)
