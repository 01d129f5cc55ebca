"""`vpdt backup` while people keep working, then `vpdt restore` into a fresh instance: every
document, file and signature comes back, counts equal the snapshot's (both backends)."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import threading
import uuid

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection, connections

from tests import factories
from vpdt.ops import backup
from vpdt.records import services as records
from vpdt.signing import keys, pdf, pki, samples

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True, databases=["default", "hub"])]


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    demo = pki.make_demo_ca(tmp_path_factory.mktemp("ops-ca"), people=[("an", "Nguyễn Văn An")],
                            agencies=[("000.00.00.H01", "Ủy ban nhân dân tỉnh Demo")])
    key = keys.SoftwareKey.from_pkcs12(demo.people["an"].read_bytes(), demo.password)
    return demo, key


@pytest.fixture(scope="module")
def age_keys(tmp_path_factory):
    path = tmp_path_factory.mktemp("ops-age") / "backup.key"
    recipient = backup.keygen(path)
    return backup.load_recipients(recipient), backup.load_identities(str(path))


def _signed_pdf(key, n: int) -> bytes:
    out = io.BytesIO()
    pdf.sign_pdf(io.BytesIO(samples.demo_letter(signer_name=f"Nguyễn Văn An {n}", signer_title="CHỦ TỊCH")),
                 out, key, field_name="Sig1")
    return out.getvalue()


def _fresh_instance(tmp_path, source: backup.Instance):
    """An empty instance of the same kind: SQLite files in a new data dir, or new PostgreSQL databases."""
    data = tmp_path / "restored"
    databases, made = {}, []
    for alias, config in source.databases.items():
        if config["ENGINE"].endswith("sqlite3"):
            databases[alias] = {**config, "NAME": str(data / f"{alias}.sqlite3")}
        else:
            name = f"vpdt_ops_r_{uuid.uuid4().hex[:8]}_{alias}"
            with connection.cursor() as cur:  # CREATE DATABASE outside a transaction (autocommit here)
                cur.execute(f'CREATE DATABASE "{name}"')
            made.append(name)
            databases[alias] = {**config, "NAME": name}
    instance = backup.Instance(databases, FileSystemStorage(location=str(data / "blobs")), data,
                               data / "audit", data / "hub")
    return instance, made


def _rows(instance, alias, sql):
    config = instance.databases[alias]
    if config["ENGINE"].endswith("sqlite3"):
        conn = sqlite3.connect(config["NAME"])
    else:
        conn = backup._pg_connect(config)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_backup_while_people_work_then_restore_into_a_fresh_instance(tmp_path, ca, age_keys):
    from vpdt.hub.models import Package
    from vpdt.hub.services.config import store
    from vpdt.records.models import Attachment, Document

    demo_ca, key = ca
    recipients, identities = age_keys
    agency = factories.agency()
    clerk = factories.clerk(agency)
    signed = {}
    for n in range(3):
        doc = factories.document(agency, subject=f"Văn bản có chữ ký số {n}")
        records.add_attachment(clerk, doc, io.BytesIO(factories.pdf_bytes(f"phụ lục {n}", pad=5000 + n)),
                               f"phu-luc-{n}.pdf", kind="appendix")
        data = _signed_pdf(key, n)
        att = records.add_attachment(clerk, doc, io.BytesIO(data), f"van-ban-{n}.pdf")
        signed[att.blob_id] = data
    # one package on the embedded hub, its file in the hub's store
    body = f"<edXML>{uuid.uuid4().hex}</edXML>".encode()
    pkg_sha = hashlib.sha256(body).hexdigest()
    path = store().path(pkg_sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    Package.objects.using("hub").create(sha256=pkg_sha, size=len(body), message_type="edoc", from_code="000.00.00.H01")
    before = Document.objects.count()

    stop, written, failures = threading.Event(), [], []

    def keep_working():  # another person registering documents with files meanwhile
        try:
            i = 0
            while not stop.is_set() and i < 200:
                doc = factories.document(agency, subject=f"Văn bản viết trong lúc sao lưu {i}")
                records.add_attachment(clerk, doc, io.BytesIO(factories.pdf_bytes(f"trong lúc {i}", pad=i)),
                                       f"dang-sao-luu-{i}.pdf")
                written.append(doc.pk)
                i += 1
        except Exception as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=keep_working)
    worker.start()
    try:
        while len(written) < 2 and worker.is_alive():
            stop.wait(0.05)
        source = backup.Instance.from_settings()
        archive = tmp_path / "vpdt.backup.age"
        done = backup.backup(archive, recipients, instance=source, tmp_dir=tmp_path)
    finally:
        stop.set()
        worker.join()
    assert not failures
    after = Document.objects.count()
    assert after > before and len(written) >= 2
    snap_docs = done.counts["default"][Document._meta.db_table]
    assert before + 2 <= snap_docs <= after  # a snapshot taken while writes went on
    assert not done.missing

    check = backup.verify(archive, identities)
    assert check.ok, check.problems
    assert check.members == len(check.manifest["members"]) + check.manifest["content"]["count"] == done.members

    target, made = _fresh_instance(tmp_path, source)
    try:
        result = backup.restore(archive, identities, instance=target)
        assert result.counts["default"] == done.counts["default"]
        if "hub" in done.counts:
            assert result.counts["hub"] == done.counts["hub"]
        att_table, blob_table = Attachment._meta.db_table, "core_blob"
        rows = _rows(target, "default", f'SELECT a.blob_id, b.size FROM "{att_table}" a JOIN "{blob_table}" b '
                                        "ON b.sha256 = a.blob_id")
        assert len(rows) == done.counts["default"][att_table] >= 6 + 2
        for sha, size in rows:  # every file is there, byte for byte
            data = open(target.blob_path(sha), "rb").read()
            assert len(data) == size and hashlib.sha256(data).hexdigest() == sha
        for sha, original in signed.items():  # and every signature still verifies
            restored = open(target.blob_path(sha), "rb").read()
            assert restored == original
            [report] = pdf.verify_pdf(io.BytesIO(restored), trust_roots=[demo_ca.root_cert])
            assert report.intact and report.trusted and report.summary == "valid"
        assert target.package_path(pkg_sha).read_bytes() == body
        if not target.databases["default"]["ENGINE"].endswith("sqlite3"):
            # the restored database is analysed: the planner has each table's statistics at once
            # (pg_restore brings none; without them a lookup by key was planned as a full scan)
            analysed = _rows(target, "default", "SELECT count(DISTINCT tablename) FROM pg_stats WHERE tablename "
                                                f"IN ('{Document._meta.db_table}', '{att_table}')")
            assert analysed[0][0] == 2
        assert (target.data_dir / "restored-keys" / "secret.key").read_text().strip() == os.environ["VPDT_SECRET_KEY"]

        # a second restore into the now full instance is refused and changes nothing
        with pytest.raises(backup.BackupError, match="chưa trống"):
            backup.restore(archive, identities, instance=target)
        assert _rows(target, "default", f'SELECT count(*) FROM "{Document._meta.db_table}"')[0][0] == snap_docs
    finally:
        for name in made:
            with connection.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_changed_byte_or_another_key_is_refused(tmp_path, age_keys):
    from pyrage import x25519

    recipients, identities = age_keys
    factories.document(factories.agency())
    archive = tmp_path / "b.age"
    backup.backup(archive, recipients, tmp_dir=tmp_path)
    assert backup.verify(archive, identities).ok
    with pytest.raises(backup.BackupError, match="Khóa giải mã không mở được"):
        backup.verify(archive, [x25519.Identity.generate()])
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = tmp_path / "t.age"
    tampered.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError, match="hỏng"):
        backup.verify(tampered, identities)
    truncated = tmp_path / "short.age"
    truncated.write_bytes(bytes(archive.read_bytes()[: len(data) - 100]))
    with pytest.raises(backup.BackupError, match="hỏng"):
        backup.verify(truncated, identities)


def test_without_the_deployment_secret_nothing_is_written_and_the_error_says_why(tmp_path, age_keys, settings,
                                                                                 capsys):
    """`vpdt backup` run without the server's settings (a demo's var/ without VPDT_DEMO=1) has no
    SECRET_KEY: an archive without it cannot open the secrets sealed in the database. Refused
    before any snapshot, in words, not a traceback."""
    from vpdt.cli import main

    recipients, _identities = age_keys
    settings.SECRET_KEY = ""
    archive = tmp_path / "b.age"
    with pytest.raises(backup.BackupError, match="khóa bí mật"):
        backup.backup(archive, recipients, tmp_dir=tmp_path)
    assert not archive.exists() and not list(tmp_path.glob("b.age*"))
    (tmp_path / "demo-training.json").write_text("{}")
    settings.DATA_DIR = tmp_path
    with pytest.raises(backup.BackupError, match="VPDT_DEMO=1 vpdt backup"):
        backup.backup(archive, recipients, tmp_dir=tmp_path)
    recipient = str(recipients[0])
    assert main(["backup", "--recipient", recipient, str(archive)]) == 1
    assert "Lỗi: Không sao lưu" in capsys.readouterr().err
    assert not archive.exists()


def test_a_file_rotten_in_the_store_is_named_by_the_backup_and_its_verify(tmp_path, age_keys):
    from vpdt.core import blobs

    recipients, identities = age_keys
    blob = blobs.store_stream(io.BytesIO(uuid.uuid4().bytes * 100))
    path = blobs.local_path(blob)
    good = open(path, "rb").read()
    try:
        with open(path, "wb") as fh:  # same size, other bytes: a disk that rotted
            fh.write(bytes(len(good)))
        archive = tmp_path / "c.age"
        done = backup.backup(archive, recipients, tmp_dir=tmp_path)
        assert done.corrupt == [f"blobs/{blob.storage_name}"]
        check = backup.verify(archive, identities)
        assert not check.ok and any(blob.sha256 in p for p in check.problems)
    finally:
        with open(path, "wb") as fh:
            fh.write(good)
