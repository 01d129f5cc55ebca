"""The transfer to the agency archive: the clerk prepares and submits the list of closed dossiers,
the archivist accepts or returns each and accepts the transfer; the package is signed and verifies
offline (`vpdt archive verify`), naming the file whose byte changed; export writes the same package."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from types import SimpleNamespace

import jsonschema_rs
import pytest
from django.utils import timezone

from tests import factories
from vpdt.archive import package, verify
from vpdt.archive.models import (
    Dossier,
    DossierItem,
    DossierState,
    TransferItemState,
    TransferList,
    TransferState,
)
from vpdt.archive.services import transfer
from vpdt.cli import main
from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.records.models import Attachment
from vpdt.signing import pki
from vpdt.signing import services as signing

CODE, NAME = "000.00.19.H91", "Sở Văn hóa và Thể thao"
YEAR = 2025
SCHEMA = __import__("pathlib").Path(__file__).resolve().parents[2] / "docs" / "archive-package.schema.json"


@pytest.fixture(scope="session")
def archive_ca(tmp_path_factory) -> pki.DemoCA:
    return pki.make_demo_ca(tmp_path_factory.mktemp("archive-ca"), agencies=[(CODE, NAME)])


def closed_dossier(agency, notation: str, *, owner=None, documents=(), due: dt.date | None = None,
                   year: int = YEAR, state: str = DossierState.CLOSED) -> Dossier:
    dossier = Dossier.objects.create(
        agency=agency, code=f"{agency.code}.{year}.{notation}", title=f"Hồ sơ về việc {notation}", year=year,
        owner=owner, retention_years=10, state=state, start_date=dt.date(year, 1, 5), end_date=dt.date(year, 12, 20),
        sheets=12, pages=20, closing_note="Hồ sơ đầy đủ", closed_by=owner,
        closed_at=timezone.now() if state != DossierState.OPEN else None,
        transfer_due=due or dt.date(year + 1, 6, 30))
    for n, doc in enumerate(documents, start=1):
        DossierItem.objects.create(dossier=dossier, document=doc, order=n, added_by=owner)
    return dossier


def attach(doc, name: str, data: bytes, kind=Attachment.Kind.MAIN) -> Attachment:
    blob = blobs.store_stream(io.BytesIO(data))
    return Attachment.objects.create(document=doc, blob=blob, name=name, content_type="application/pdf",
                                     kind=kind, file_kind="pdf")


@pytest.fixture
def world(db, blob_dir, archive_ca):
    agency = factories.agency(code=CODE, abbreviation="SVHTT", name=NAME)
    signing.store_software_key(agency=agency, pkcs12=archive_ca.agencies[CODE].read_bytes(),
                               password=archive_ca.password)
    w = SimpleNamespace(agency=agency)
    w.clerk = factories.person(agency, Role.CLERK)
    w.archivist = factories.person(agency, Role.ARCHIVIST)
    w.spec = factories.person(agency, Role.SPECIALIST)
    other = factories.agency(abbreviation="STC")
    w.other_clerk = factories.person(other, Role.CLERK)
    w.other_archivist = factories.person(other, Role.ARCHIVIST)
    w.other_dossier = closed_dossier(other, "01.TH")
    w.doc1 = factories.document(agency, subject="Kế hoạch tổ chức lễ hội năm 2025", number=5, notation="KH-SVHTT",
                                issued_date=dt.date(YEAR, 2, 1))
    w.doc2 = factories.document(agency, subject="Báo cáo kết quả lễ hội", number=9, notation="BC-SVHTT",
                                issued_date=dt.date(YEAR, 4, 1))
    w.draft_only = factories.document(agency, subject="Dự thảo chưa ban hành")
    w.pdf1 = factories.pdf_bytes("ke hoach")
    attach(w.doc1, "Kế hoạch lễ hội.pdf", w.pdf1)
    attach(w.doc1, "Phụ lục 1.pdf", factories.pdf_bytes("phu luc"), kind=Attachment.Kind.APPENDIX)
    attach(w.doc2, "Báo cáo.pdf", factories.pdf_bytes("bao cao"))
    w.due = closed_dossier(agency, "01.VP", owner=w.clerk, documents=[w.doc1, w.doc2, w.draft_only],
                           due=dt.date(YEAR, 12, 31))
    w.later = closed_dossier(agency, "02.VP", owner=w.clerk, documents=[w.doc2])  # doc2 in two dossiers
    w.open = closed_dossier(agency, "03.VP", state=DossierState.OPEN)
    w.today = dt.date(YEAR + 1, 1, 15)
    return w


def submitted(w) -> TransferList:
    t = transfer.prepare(w.clerk, w.agency, YEAR, [w.due.pk, w.later.pk])
    return transfer.submit(w.clerk, t)


def accepted(w) -> TransferList:
    t = submitted(w)
    for item in t.items.all():
        transfer.accept_item(w.archivist, item)
    return transfer.accept(w.archivist, t)


def package_file(t: TransferList, tmp_path) -> str:
    path = tmp_path / "goi.zip"
    with blobs.open_blob(t.package) as src, path.open("wb") as dst:
        dst.write(src.read())
    return str(path)


def rewrite(src: str, dst: str, *, change: str | None = None, drop: str | None = None, add: str | None = None):
    """The package copied with one file's first byte changed, one file dropped, or one added."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename == drop:
                continue
            data = zin.read(info.filename)
            if info.filename == change:
                data = bytes([data[0] ^ 1]) + data[1:]
            zout.writestr(info.filename, data)
        if add:
            zout.writestr(add, b"extra")


# --- the state machine ---------------------------------------------------------------------------


def test_candidates_are_the_agencys_closed_dossiers_of_the_year_due_first(world):
    w = world
    found = list(transfer.candidates(w.clerk, w.agency, YEAR, today=w.today))
    assert [d.code for d in found] == [w.due.code, w.later.code]
    assert transfer.due_ids(w.clerk, w.agency, YEAR, today=w.today) == {w.due.pk}
    assert w.open not in found and w.other_dossier not in found


def test_prepare_submit_accept_archives_the_dossiers_and_audits_each_step(world):
    w = world
    t = transfer.prepare(w.clerk, w.agency, YEAR, [w.due.pk, w.later.pk])
    assert t.state == TransferState.DRAFT and t.items.count() == 2
    t = transfer.submit(w.clerk, t)
    assert t.state == TransferState.SUBMITTED
    assert set(Dossier.objects.filter(pk__in=[w.due.pk, w.later.pk]).values_list("state", flat=True)) == {
        DossierState.TRANSFERRING}
    assert list(transfer.inbox(w.archivist)) == [t]
    with pytest.raises(InvalidState) as pending:
        transfer.accept(w.archivist, t)
    assert pending.value.code == "TRANSFER_ITEMS_PENDING"
    for item in t.items.all():
        transfer.accept_item(w.archivist, item)
    t = transfer.accept(w.archivist, t)
    assert t.state == TransferState.ACCEPTED and t.received_by == w.archivist and t.package_id
    assert t.package_sha256 == t.package.sha256
    for d in (w.due, w.later):
        d.refresh_from_db()
        assert d.state == DossierState.ARCHIVED and d.archived_at is not None
    actions = list(AuditEntry.objects.filter(object_type="archive.transferlist", object_id=str(t.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["transfer.prepare", "transfer.submit", "transfer.item_accept", "transfer.item_accept",
                       "transfer.accept"]
    assert [e.action for e in audit.history(w.due)] == ["transfer.dossier_submitted", "transfer.dossier_archived"]


def test_a_returned_dossier_goes_back_to_closed_and_out_of_the_package(world, tmp_path):
    w = world
    t = submitted(w)
    first, second = list(t.items.order_by("order"))
    with pytest.raises(InvalidInput):
        transfer.return_item(w.archivist, second, "   ")
    transfer.return_item(w.archivist, second, "Thiếu chú giải hồ sơ")
    second.refresh_from_db()
    assert second.state == TransferItemState.RETURNED and second.reason == "Thiếu chú giải hồ sơ"
    w.later.refresh_from_db()
    assert w.later.state == DossierState.CLOSED
    returned = audit.history(w.later)[-1]
    assert returned.action == "transfer.dossier_returned" and returned.detail["reason"] == "Thiếu chú giải hồ sơ"
    with pytest.raises(InvalidState):
        transfer.accept_item(w.archivist, second)  # decided once
    transfer.accept_item(w.archivist, first)
    t = transfer.accept(w.archivist, t)
    w.later.refresh_from_db()
    assert w.later.state == DossierState.CLOSED and w.later.archived_at is None
    with zipfile.ZipFile(package_file(t, tmp_path)) as zf:
        names = zf.namelist()
    assert any(n.startswith(package.dossier_dir(w.due)) for n in names)
    assert not any(n.startswith(package.dossier_dir(w.later)) for n in names)
    # back to closed, the dossier can go in the next transfer
    assert w.later in transfer.candidates(w.clerk, w.agency, YEAR)


def test_only_closed_dossiers_of_the_year_and_not_twice(world):
    w = world
    with pytest.raises(InvalidState) as open_one:
        transfer.prepare(w.clerk, w.agency, YEAR, [w.open.pk])
    assert open_one.value.code == "TRANSFER_DOSSIER_NOT_CLOSED"
    with pytest.raises(InvalidInput):
        transfer.prepare(w.clerk, w.agency, YEAR, [])
    transfer.prepare(w.clerk, w.agency, YEAR, [w.due.pk])
    with pytest.raises(InvalidState) as twice:
        transfer.prepare(w.clerk, w.agency, YEAR, [w.due.pk])
    assert twice.value.code == "TRANSFER_DOSSIER_TAKEN"
    with pytest.raises(InvalidInput):
        transfer.prepare(w.clerk, w.agency, YEAR + 1, [w.later.pk])
    assert TransferList.objects.count() == 1  # bad input changed nothing


def test_the_clerk_adds_and_removes_dossiers_while_drafting_only(world):
    w = world
    t = transfer.prepare(w.clerk, w.agency, YEAR, [w.due.pk])
    transfer.add_dossiers(w.clerk, t, [w.later.pk])
    assert set(t.items.values_list("dossier_id", flat=True)) == {w.due.pk, w.later.pk}
    transfer.remove_dossier(w.clerk, t, w.due.pk)
    assert list(t.items.values_list("dossier_id", flat=True)) == [w.later.pk]
    transfer.submit(w.clerk, t)
    with pytest.raises(InvalidState):
        transfer.add_dossiers(w.clerk, t, [w.due.pk])
    with pytest.raises(InvalidState):
        transfer.submit(w.clerk, t)


# --- permissions and isolation -----------------------------------------------------------------


def test_only_the_clerk_prepares_and_only_the_archivist_checks(world):
    w = world
    for who in (w.archivist, w.spec, w.other_clerk):
        with pytest.raises(PermissionDenied):
            transfer.prepare(who, w.agency, YEAR, [w.due.pk])
    t = transfer.prepare(w.clerk, w.agency, YEAR, [w.due.pk])
    with pytest.raises(PermissionDenied):
        transfer.submit(w.archivist, t)
    transfer.submit(w.clerk, t)
    item = t.items.get()
    for who in (w.clerk, w.spec, w.other_archivist):
        with pytest.raises(PermissionDenied):
            transfer.accept_item(who, item)
        with pytest.raises(PermissionDenied):
            transfer.accept(who, t)
    item.refresh_from_db()
    assert item.state == TransferItemState.PENDING


def test_the_archive_sees_a_list_once_it_is_sent(world):
    w = world
    t = transfer.prepare(w.clerk, w.agency, YEAR, [w.due.pk])
    assert list(transfer.visible_transfers(w.archivist)) == []
    with pytest.raises(NotFound):
        transfer.get_transfer(w.archivist, t.pk)
    transfer.submit(w.clerk, t)
    assert list(transfer.visible_transfers(w.archivist)) == [t]
    assert list(transfer.visible_transfers(w.clerk)) == [t]


def test_agency_isolation(world):
    w = world
    with pytest.raises(PermissionDenied):
        transfer.prepare(w.clerk, w.agency, YEAR, [w.other_dossier.pk])  # another agency's dossier
    t = submitted(w)
    assert list(transfer.visible_transfers(w.other_clerk)) == []
    assert list(transfer.inbox(w.other_archivist)) == []
    with pytest.raises(NotFound):
        transfer.get_transfer(w.other_archivist, t.pk)
    with pytest.raises(NotFound):
        transfer.get_transfer(w.spec, t.pk)
    assert transfer.get_transfer(w.archivist, t.pk) == t


# --- the package -----------------------------------------------------------------------------------


def test_the_package_holds_files_metadata_manifest_and_signed_record(world, tmp_path):
    w = world
    t = accepted(w)
    path = package_file(t, tmp_path)
    base = package.dossier_dir(w.due)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert {package.MANIFEST, package.RECORD, package.BAGIT, f"{base}/hoso.json", f"{base}/hoso.xml"} <= set(names)
        assert zf.read(f"{base}/001/01-ke-hoach-le-hoi.pdf") == w.pdf1  # the original bytes
        assert f"{base}/001/02-phu-luc-1.pdf" in names and f"{base}/002/01-bao-cao.pdf" in names
        assert not any(n.startswith(f"{base}/003/") for n in names)  # a draft-only document: no file
        meta = json.loads(zf.read(f"{base}/hoso.json"))
        manifest = zf.read(package.MANIFEST).decode()
        xml = zf.read(f"{base}/hoso.xml")
    jsonschema_rs.validator_for(json.loads(SCHEMA.read_text())).validate(meta)
    assert meta["dossier"]["code"] == w.due.code and meta["dossier"]["retention"] == {"years": 10, "label": "10 năm"}
    assert meta["dossier"]["owner"] == w.clerk.get_full_name()
    assert [d["code"] for d in meta["documents"]] == ["05/KH-SVHTT", "09/BC-SVHTT", None]
    assert meta["documents"][0]["files"][0]["sha256"] == blobs.store_stream(io.BytesIO(w.pdf1)).sha256
    listed = {line.split("  ", 1)[1] for line in manifest.splitlines()}
    assert listed == set(names) - {package.MANIFEST, package.RECORD}
    from lxml import etree

    ns = {"h": package.SCHEMA_ID}
    root = etree.fromstring(xml)
    assert root.findtext("h:dossier/h:code", namespaces=ns) == w.due.code
    docs = root.findall("h:documents/h:document", namespaces=ns)
    assert [d.findtext("h:subject", namespaces=ns) for d in docs] == [d["subject"] for d in meta["documents"]]
    assert docs[0].findtext("h:files/h:file/h:sha256", namespaces=ns) == meta["documents"][0]["files"][0]["sha256"]


def test_a_second_json_metadata_mistake_fails_the_schema(world):
    """The schema test can fail: a document without its subject is refused."""
    meta, _ = package.dossier_metadata(world.due)
    del meta["documents"][0]["subject"]
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validator_for(json.loads(SCHEMA.read_text())).validate(meta)


def test_verify_passes_and_names_the_signer(world, tmp_path, capsys):
    t = accepted(world)
    path = package_file(t, tmp_path)
    report = verify.verify(path)
    assert report.ok, report.problems
    assert "000.00.19.H91" in report.signer or NAME in report.signer
    assert main(["archive", "verify", path]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["files_checked"] >= 7


def test_verify_names_the_file_whose_byte_changed(world, tmp_path, capsys):
    t = accepted(world)
    path = package_file(t, tmp_path)
    target = f"{package.dossier_dir(world.due)}/002/01-bao-cao.pdf"
    bad = str(tmp_path / "bad.zip")
    rewrite(path, bad, change=target)
    assert main(["archive", "verify", bad]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [p["path"] for p in out["problems"]] == [target]


def test_verify_names_a_raw_byte_flipped_inside_the_zip(world, tmp_path):
    t = accepted(world)
    path = package_file(t, tmp_path)
    target = f"{package.dossier_dir(world.due)}/hoso.json"
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(target)
    raw = bytearray(open(path, "rb").read())
    raw[info.header_offset + 30 + len(info.orig_filename.encode()) + 20 + 5] ^= 0xFF  # inside its data
    bad = tmp_path / "flipped.zip"
    bad.write_bytes(bytes(raw))
    report = verify.verify(str(bad))
    assert not report.ok and target in [p.path for p in report.problems]


def test_verify_detects_a_removed_an_extra_file_and_a_changed_manifest(world, tmp_path):
    t = accepted(world)
    path = package_file(t, tmp_path)
    target = f"{package.dossier_dir(world.due)}/hoso.xml"
    dropped = str(tmp_path / "dropped.zip")
    rewrite(path, dropped, drop=target)
    assert [p.path for p in verify.verify(dropped).problems] == [target]
    extra = str(tmp_path / "extra.zip")
    rewrite(path, extra, add="data/them.txt")
    assert [p.path for p in verify.verify(extra).problems] == ["data/them.txt"]
    # a file changed AND its manifest line updated: the signed record no longer matches the manifest
    forged = str(tmp_path / "forged.zip")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(forged, "w") as zout:
        manifest = zin.read(package.MANIFEST).decode()
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == target:
                import hashlib

                old = hashlib.sha256(data).hexdigest()
                data = data + b"<!-- -->"
                manifest = manifest.replace(old, hashlib.sha256(data).hexdigest())
            if info.filename == package.MANIFEST:
                continue
            zout.writestr(info.filename, data)
        zout.writestr(package.MANIFEST, manifest)
    assert [p.path for p in verify.verify(forged).problems] == [package.MANIFEST]
    # the record itself changed: its signature no longer holds
    record = str(tmp_path / "record.zip")
    rewrite(path, record, change=package.RECORD)
    report = verify.verify(record)
    assert not report.ok and package.RECORD in [p.path for p in report.problems]


def test_accepting_without_the_agencys_seal_changes_nothing(world):
    w = world
    t = submitted(w)
    for item in t.items.all():
        transfer.accept_item(w.archivist, item)
    signing.key_of(agency=w.agency).delete()
    with pytest.raises(InvalidState) as missing:
        transfer.accept(w.archivist, t)
    assert missing.value.code == "ARCHIVE_SEAL_MISSING"
    t.refresh_from_db()
    w.due.refresh_from_db()
    assert t.state == TransferState.SUBMITTED and w.due.state == DossierState.TRANSFERRING


# --- export ------------------------------------------------------------------------------------


def test_export_a_dossier_or_a_year_with_the_cli(world, tmp_path, capsys):
    w = world
    one = tmp_path / "one.zip"
    assert main(["archive", "export", "--dossier", w.due.code, "-o", str(one)]) == 0
    capsys.readouterr()
    assert verify.verify(str(one)).ok
    with zipfile.ZipFile(one) as zf:
        assert not any(n.startswith(package.dossier_dir(w.later)) for n in zf.namelist())
    year = tmp_path / "year.zip"
    assert main(["archive", "export", "--agency", w.agency.code, "--year", str(YEAR), "-o", str(year)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dossiers"] == [w.due.code, w.later.code]  # the open dossier is not exported
    assert verify.verify(str(year)).ok
    assert AuditEntry.objects.filter(action="archive.export").count() == 2


def test_verify_runs_offline_in_a_fresh_process_without_django_or_a_database(world, tmp_path):
    import os
    import subprocess
    import sys

    t = accepted(world)
    path = package_file(t, tmp_path)
    script = ("import sys; from vpdt.cli import main; rc = main(['archive', 'verify', sys.argv[1]]); "
              "assert 'django.db' not in sys.modules, 'django loaded'; sys.exit(rc)")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script, path], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["ok"] is True
    bad = str(tmp_path / "bad.zip")
    target = f"{package.dossier_dir(world.due)}/001/01-ke-hoach-le-hoi.pdf"
    rewrite(path, bad, change=target)
    done = subprocess.run([sys.executable, "-c", script, bad], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and target in done.stderr


def test_a_missing_file_refuses_the_package_and_changes_nothing(world, settings):
    import os

    w = world
    t = submitted(w)
    for item in t.items.all():
        transfer.accept_item(w.archivist, item)
    att = Attachment.objects.filter(document=w.doc2).first()
    os.remove(blobs.local_path(att.blob))
    with pytest.raises(InvalidState) as damaged:
        transfer.accept(w.archivist, t)
    assert damaged.value.code == "ARCHIVE_FILE_DAMAGED" and "Báo cáo.pdf" in damaged.value.message
    t.refresh_from_db()
    assert t.state == TransferState.SUBMITTED and t.package_id is None
    with pytest.raises(InvalidInput):
        transfer.prepare(w.clerk, w.agency, 99999999, [w.due.pk])
