"""The audit log is a hash chain: `verify` names the first entry changed, removed or
inserted by someone who went around the triggers (the SQLite file opened with the sqlite3
module; psql on PostgreSQL), and the signed anchors catch a chain rewritten whole."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, transaction

from tests import factories
from tests.tamper import raw_sql
from vpdt.cli import main
from vpdt.core import audit, request_context
from vpdt.core.models import AuditEntry

pytestmark = [pytest.mark.backends]


@pytest.fixture
def anchors(settings, tmp_path):
    settings.VPDT_AUDIT_ANCHOR_DIR = str(tmp_path / "audit")
    return tmp_path / "audit"


def _write_some(n: int = 5) -> list[AuditEntry]:
    agency = factories.agency()
    token = request_context.set_current(request_context.Actor(user_id=None, ip="2001:DB8::1", via="web"))
    try:
        return [audit.record("test.thing", agency, detail={"lần": i, "ghi chú": "Nghị định 30/2020/NĐ-CP",
                                                           "ngày": "2026-11-30", "số": [i, 1.5]})
                for i in range(n)]
    finally:
        request_context.reset(token)


@pytest.mark.django_db
def test_chain_verifies_and_round_trips_every_field(anchors):
    entries = _write_some()
    assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + 5))
    assert entries[1].prev_hash == entries[0].entry_hash
    check = audit.verify()
    assert check.ok, check.problem
    assert check.entries >= 5 and check.head_seq == check.entries


@pytest.mark.django_db(transaction=True)
def test_a_row_changed_behind_the_triggers_is_named(anchors, capsys):
    entries = _write_some()
    target = entries[2]
    raw_sql([("UPDATE core_auditentry SET actor_name = %s WHERE id = %s", ("Kẻ gian", target.pk))])
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"Mục số {target.seq}: nội dung đã bị sửa" in out
    assert "Kẻ gian" in out and "test.thing" in out
    check = audit.verify()
    assert (check.problem.kind, check.problem.seq, check.problem.entry_id) == ("changed", target.seq, target.pk)


@pytest.mark.django_db(transaction=True)
def test_a_deleted_row_is_named(anchors):
    entries = _write_some()
    raw_sql([("DELETE FROM core_auditentry WHERE id = %s", (entries[1].pk,))])
    problem = audit.verify().problem
    assert problem.kind == "missing" and f"Thiếu mục số {entries[1].seq}" in problem.message
    assert problem.seq == entries[2].seq  # the entry after the gap, with its time and actor


@pytest.mark.django_db(transaction=True)
def test_the_last_rows_deleted_are_caught_by_the_head_and_by_the_anchor(anchors):
    entries = _write_some()
    assert audit.anchor() is not None
    raw_sql([("DELETE FROM core_auditentry WHERE seq >= %s", (entries[3].seq,)),
          ("UPDATE core_audithead SET seq = %s, hash = %s", (entries[2].seq, entries[2].entry_hash))])
    problem = audit.verify().problem
    assert problem.kind == "missing" and f"từ số {entries[3].seq} đã bị xóa" in problem.message


@pytest.mark.django_db(transaction=True)
def test_inserted_rows_are_named(anchors):
    entries = _write_some()
    last = entries[-1]
    # Outside the chain (no seq, no hash): what a plain INSERT leaves.
    raw_sql([("INSERT INTO core_auditentry (at, actor_name, agency_code, action, object_type, object_id, via, detail,"
           " prev_hash, entry_hash) VALUES (%s, 'Kẻ gian', '', 'user.forged', '', '', 'web', '{}', '', '')",
           ("2026-11-30 01:00:00+00:00",))])
    problem = audit.verify().problem
    assert problem.kind == "inserted" and problem.action == "user.forged" and "ngoài chuỗi" in problem.message
    # In the chain, with a made-up previous hash.
    raw_sql([("DELETE FROM core_auditentry WHERE action = 'user.forged'", ()),
          ("INSERT INTO core_auditentry (seq, at, actor_name, agency_code, action, object_type, object_id, via,"
           " detail, prev_hash, entry_hash) VALUES (%s, %s, '', '', 'user.forged', '', '', 'web', '{}', %s, %s)",
           (last.seq + 1, "2026-11-30 01:00:00+00:00", "f" * 64, "e" * 64))])
    problem = audit.verify().problem
    assert problem.kind == "broken" and problem.seq == last.seq + 1 and problem.action == "user.forged"


@pytest.mark.django_db(transaction=True)
def test_a_chain_rewritten_whole_is_caught_by_the_signed_anchor(anchors):
    entries = _write_some()
    first = audit.anchor()
    assert first.seq == entries[-1].seq
    # The attacker edits entry 2 and recomputes every hash after it, and the head.
    rows = list(AuditEntry.objects.order_by("seq").values_list("id", "seq", *audit.CHAINED[1:]))
    prev, statements = audit.GENESIS, []
    for row in rows:
        values = list(row[1:])
        if row[0] == entries[1].pk:
            values[audit.CHAINED.index("actor_name")] = "Kẻ gian"
        new_hash = audit.entry_hash(prev, tuple(values))
        statements.append(("UPDATE core_auditentry SET actor_name = %s, prev_hash = %s, entry_hash = %s WHERE id = %s",
                           (values[audit.CHAINED.index("actor_name")], prev, new_hash, row[0])))
        prev = new_hash
    statements.append(("UPDATE core_audithead SET hash = %s", (prev,)))
    raw_sql(statements)
    assert audit.verify(anchors=False).ok  # the chain alone is consistent again
    problem = audit.verify().problem
    assert problem.kind == "anchor" and problem.seq == first.seq and "chuỗi bị viết lại" in problem.message
    # A forged anchor line (the attacker has no key: it is sealed under the deployment secret).
    line = json.loads((anchors / "anchors.jsonl").read_text().splitlines()[0])
    line["hash"] = prev
    (anchors / "anchors.jsonl").write_text(json.dumps(line) + "\n")
    problem = audit.verify().problem
    assert problem.kind == "anchor" and "chữ ký mốc neo sai" in problem.message


@pytest.mark.django_db
def test_anchor_is_written_once_per_head_and_signed(anchors):
    _write_some(2)
    assert audit.anchor() is not None
    assert audit.anchor() is None  # nothing new
    _write_some(1)
    assert audit.anchor().seq == audit.head()[0]
    assert len((anchors / "anchors.jsonl").read_text().splitlines()) == 2
    assert b"PRIVATE" not in (anchors / "anchor-key.sealed").read_bytes()
    assert audit.verify().anchors == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(anchors):
    agency = factories.agency()
    errors = []

    def write(n):
        try:
            for i in range(n):
                audit.record("test.concurrent", agency, detail={"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(10,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    check = audit.verify()
    assert check.ok, check.problem
    assert AuditEntry.objects.filter(action="test.concurrent").count() == 40


@pytest.mark.django_db(databases=["default", "hub"], transaction=True)
def test_the_in_process_hub_log_holds_anchors_that_survive_the_file_being_removed(anchors):
    from vpdt.hub.models import LogEntry
    from vpdt.hub.services.message_log import verify_log

    entries = _write_some()
    made = audit.anchor()
    assert LogEntry.objects.using("hub").filter(action="audit_anchor").count() == 1
    assert verify_log().ok
    check = audit.verify()
    assert check.ok and check.anchors == 2  # the signed file and the hub's log
    # The attacker removes the last entries, the head with them, and the anchor file.
    raw_sql([("DELETE FROM core_auditentry WHERE seq >= %s", (entries[3].seq,)),
          ("UPDATE core_audithead SET seq = %s, hash = %s", (entries[2].seq, entries[2].entry_hash))])
    (anchors / "anchors.jsonl").unlink()
    problem = audit.verify().problem
    assert problem.kind == "missing" and "hub" in problem.message and f"số {made.seq}" in problem.message


@pytest.mark.django_db
def test_the_migrations_frozen_hashing_agrees_with_the_live_one():
    import importlib

    frozen = importlib.import_module("vpdt.core.migrations.0004_audit_chain")
    assert (frozen.CHAINED, frozen.LEGACY, frozen.GENESIS) == (audit.CHAINED, audit.LEGACY, audit.GENESIS)
    for entry in _write_some(3):
        values = tuple(getattr(entry, n) for n in audit.CHAINED)
        assert frozen.entry_hash(entry.prev_hash, values) == audit.entry_hash(entry.prev_hash, values)
    rows = list(AuditEntry.objects.order_by("id").values_list(*audit.LEGACY))
    assert frozen.legacy_digest(rows) == audit.legacy_digest(rows)


def test_rows_from_before_the_chain_are_sealed_by_the_genesis_entry(tmp_path):
    """A deployment's `migrate`: the rows written under 0003 stay as they are, the genesis
    entry holds their digest, and a legacy row changed later is caught."""
    from tests.fresh_process import run_django_script

    result = run_django_script('''
import json, sqlite3
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
call_command("migrate", "core", "0003", verbosity=0)
with connection.cursor() as c:
    for i in range(3):
        c.execute("INSERT INTO core_auditentry (at, actor_name, agency_code, action, object_type, object_id, via,"
                  " detail) VALUES ('2026-11-01 08:00:0%d', 'Văn thư', '000.00.13.H90', 'document.register',"
                  " 'records.document', '%d', 'web', '{\\"n\\": %d}')" % (i, i, i))
call_command("migrate", verbosity=0)
from vpdt.core import audit
from vpdt.core.models import AuditEntry
first = audit.verify(anchors=False)
audit.record("after.chain")
second = audit.verify(anchors=False)
genesis = AuditEntry.objects.get(seq=1)
path = connection.settings_dict["NAME"]
connection.close()
raw = sqlite3.connect(path)
unlock = raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 'core_audit_unlock'").fetchone()[0]
raw.execute("DROP TRIGGER core_auditentry_no_update")
raw.execute("UPDATE core_auditentry SET actor_name = 'Kẻ gian' WHERE id = 2")
raw.commit()
raw.close()
third = audit.verify(anchors=False)
print(json.dumps({"first": [first.ok, first.entries, first.legacy], "second": [second.ok, second.entries],
                  "genesis": [genesis.action, genesis.detail["legacy_rows"]], "unlock": unlock,
                  "third": [third.ok, third.problem.kind if third.problem else None]}))
''', tmp_path)
    assert result["first"] == [True, 1, 3]
    assert result["second"] == [True, 2]
    assert result["genesis"] == ["audit.genesis", 3]
    assert result["unlock"] == 0
    assert result["third"] == [False, "legacy"]


@pytest.mark.django_db
def test_the_periodic_job_anchors_the_head(anchors, settings):
    from vpdt.core import tasks

    job = next(j for j in tasks.jobs() if j.name == "audit.anchor")
    assert job.every == settings.VPDT_AUDIT_ANCHOR_SECONDS
    _write_some(1)
    job.func()
    line = json.loads((anchors / "anchors.jsonl").read_text().splitlines()[-1])
    assert (line["seq"], line["hash"]) == audit.head()


@pytest.mark.django_db
def test_on_postgresql_an_append_is_one_statement_and_every_field_round_trips(anchors):
    """PostgreSQL locks the head, computes each entry's seq and hash, inserts the entries and moves
    the head in one statement, whether one entry is appended or several together (a deferred
    block: an intake, a release). The hash it computes is `entry_hash`'s: the chain verifies, and
    every field comes back as written, the IP and the JSON included."""
    if connection.vendor != "postgresql":
        pytest.skip("the SQLite path is the ORM's bulk_create")
    from django.test.utils import CaptureQueriesContext

    agency = factories.agency()
    _write_some(1)
    with CaptureQueriesContext(connection) as one:
        entry = audit.record("test.one", agency, detail={"lần": 1})
    chain = [q["sql"] for q in one.captured_queries if "core_audit" in q["sql"]]
    assert len(chain) == 1, chain
    assert entry.entry_hash == audit.entry_hash(entry.prev_hash, audit._values(entry))

    def together(n: int) -> list[AuditEntry]:
        with CaptureQueriesContext(connection) as seen, transaction.atomic(), audit.deferred():
            recorded = _write_some(n)
        assert all(e.pk is None for e in recorded)  # deferred: appended at the block's end
        assert len([q for q in seen.captured_queries if "core_audit" in q["sql"]]) == 1
        return list(AuditEntry.objects.order_by("-seq")[:n])[::-1]

    for n in (3, 4):
        entries = together(n)
        assert [e.detail["lần"] for e in entries] == list(range(n))
        assert {e.ip for e in entries} == {"2001:db8::1"}
        assert entries[1].prev_hash == entries[0].entry_hash
        assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + n))
    stored = AuditEntry.objects.get(pk=entries[-1].pk)
    assert (stored.ip, stored.detail["ghi chú"], stored.detail["số"]) == ("2001:db8::1", "Nghị định 30/2020/NĐ-CP",
                                                                          [3, 1.5])
    assert audit.head() == (stored.seq, stored.entry_hash)
    check = audit.verify()
    assert check.ok, check.problem


@pytest.mark.django_db
def test_the_hash_postgresql_computes_is_the_canonical_one_for_any_text(anchors):
    """Quotes, backslashes, control characters, Vietnamese and other scripts, a key named seq in
    the detail, an actor's name with a quote: the entry's hash is `entry_hash` of its fields."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL computes the hash there; SQLite's is Python's own")
    details = [{"seq": 7, "via": "x", "a\"b": "c\\d\n\te\u0001"}, {"văn bản": "Hỏa tốc — 𝔸 ✓ 中文"},
               {"số": [1, 2.5, None, True], "rỗng": {}}, {}]
    with transaction.atomic(), audit.deferred():
        for detail in details:
            audit.record("test.text", None, agency_code="000.00.01.H90", detail=detail)
    stored = list(AuditEntry.objects.order_by("-seq")[:len(details)])[::-1]
    for entry, detail in zip(stored, details, strict=True):
        assert entry.detail == detail
        assert entry.entry_hash == audit.entry_hash(entry.prev_hash, audit._values(entry))
    check = audit.verify()
    assert check.ok, check.problem


@pytest.mark.django_db
def test_every_column_postgresql_writes_is_the_one_hashed(anchors, monkeypatch):
    """Names, codes and ids with quotes, backslashes and other scripts, an IPv4 and no IP, no actor,
    and a time on a whole second (written without its microseconds): what PostgreSQL stores is what
    `entry_hash` hashed, on both backends."""
    import datetime as dt

    whole_second = dt.datetime(2026, 12, 6, 8, 0, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(audit.timezone, "now", lambda: whole_second)
    odd = [
        dict(actor_id=None, actor_name='Nguyễn Văn "A" O\'Brien \\ 𝔸', agency_code="000.00.01.H90'",
             action="test.ký", object_type="records.document", object_id="x'y\\z", ip="127.0.0.1", via="web",
             detail={"a": "b"}),
        dict(actor_id=None, actor_name="", agency_code="", action="test.none", object_type="", object_id="",
             ip=None, via="system", detail={}),
    ]
    with transaction.atomic():
        written = audit._append_many(odd)
    for entry, fields in zip(written, odd, strict=True):
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert stored.at == whole_second
        assert {name: getattr(stored, name) for name in fields} == fields
        assert stored.entry_hash == entry.entry_hash == audit.entry_hash(stored.prev_hash, audit._values(stored))
    check = audit.verify()
    assert check.ok, check.problem
