"""The audit log becomes a hash chain, and its triggers lose their off switch.

- `core_audit_unlock` is gone: the SQLite DELETE trigger had a WHEN clause that a row in
  that table turned off, so one INSERT rewrote history without a trace. Now UPDATE and
  DELETE are refused on both databases with no exception, and on PostgreSQL TRUNCATE too
  (a test database drops what its flush needs itself, see tests/conftest.py).
- Entries get `seq`, `prev_hash`, `entry_hash` (vpdt.core.audit), and the head row.
- Rows already written are not rewritten (the triggers forbid it, rightly): the chain
  starts with an `audit.genesis` entry holding their count, last id and a digest over
  them, in id order, so `vpdt audit verify` checks the old rows too. A fresh database has
  no old rows and no genesis entry: its chain starts at the first real entry.
"""

import hashlib
import json
from datetime import UTC

import django.utils.timezone
from django.db import migrations, models

# The chain's hashing as of this migration (vpdt.core.audit has the same; migrations do not
# import app code, and tests/core/test_audit_chain.py checks that the two agree).
GENESIS = "0" * 64
GENESIS_ACTION = "audit.genesis"
CHAINED = ("seq", "at", "actor_id", "actor_name", "agency_code", "action", "object_type", "object_id", "ip",
           "via", "detail")
LEGACY = ("id", *CHAINED[1:])


def canonical(names, values) -> bytes:
    fields = dict(zip(names, values, strict=True))
    at = fields["at"]
    if django.utils.timezone.is_naive(at):
        at = at.replace(tzinfo=UTC)
    fields["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def entry_hash(prev: str, values) -> str:
    return hashlib.sha256(prev.encode("ascii") + canonical(CHAINED, values)).hexdigest()


def legacy_digest(rows):
    digest, count, last = GENESIS, 0, None
    for row in rows:
        digest = hashlib.sha256(digest.encode("ascii") + canonical(LEGACY, row)).hexdigest()
        count, last = count + 1, row[0]
    return count, last, digest

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_delete BEFORE DELETE ON core_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete;",
]
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;""",
    "DROP TRIGGER IF EXISTS core_auditentry_no_change ON core_auditentry;",
    """CREATE TRIGGER core_auditentry_no_change BEFORE UPDATE OR DELETE ON core_auditentry
       FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only();""",
    # TRUNCATE fires no row trigger: it has its own.
    "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;",
    """CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_append_only();""",
]
POSTGRES_DROP = ["DROP TRIGGER IF EXISTS core_auditentry_no_change ON core_auditentry;",
                 "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;"]
# What a test database drops so that its flush between tests empties the log.
TEST_FLUSH_DROP = {"sqlite": SQLITE_DROP,
                   "postgresql": ["DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;"]}


def install_triggers(connection) -> None:
    """The append-only triggers (also what the tests of the rule install in their test database)."""
    with connection.cursor() as cursor:
        for sql in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(connection.vendor, []):
            cursor.execute(sql)


def drop_triggers_for_test_flush(connection) -> None:
    with connection.cursor() as cursor:
        for sql in TEST_FLUSH_DROP.get(connection.vendor, []):
            cursor.execute(sql)


def drop_triggers(connection) -> None:
    with connection.cursor() as cursor:
        for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(connection.vendor, []):
            cursor.execute(sql)


def before(apps, schema_editor):
    drop_triggers(schema_editor.connection)
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS core_audit_unlock;")


def chain_start(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    AuditHead = apps.get_model("core", "AuditHead")
    db = schema_editor.connection.alias
    rows = AuditEntry.objects.using(db).filter(seq__isnull=True).order_by("id").values_list(*LEGACY)
    count, last_id, digest = legacy_digest(rows.iterator(chunk_size=5000))
    if not count:
        return
    entry = AuditEntry(seq=1, prev_hash=GENESIS, at=django.utils.timezone.now(), actor_id=None, actor_name="",
                       agency_code="", action=GENESIS_ACTION, object_type="", object_id="", ip=None, via="system",
                       detail={"legacy_rows": count, "legacy_last_id": last_id, "legacy_digest": digest})
    entry.entry_hash = entry_hash(GENESIS, tuple(getattr(entry, name) for name in CHAINED))
    entry.save(using=db, force_insert=True)
    AuditHead.objects.using(db).update_or_create(pk=1, defaults={"seq": 1, "hash": entry.entry_hash})


def after(apps, schema_editor):
    install_triggers(schema_editor.connection)


def back_before(apps, schema_editor):
    drop_triggers(schema_editor.connection)


def back_after(apps, schema_editor):
    install_triggers(schema_editor.connection)  # 0003's own (reversing 0003 removes them)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_audit_append_only'),
    ]

    operations = [
        migrations.RunPython(before, back_after),
        migrations.CreateModel(
            name='AuditHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField(default=0)),
                ('hash', models.CharField(max_length=64)),
            ],
            options={
                'verbose_name': 'đầu chuỗi nhật ký',
                'verbose_name_plural': 'đầu chuỗi nhật ký',
            },
        ),
        migrations.AddField(
            model_name='auditentry',
            name='entry_hash',
            field=models.CharField(blank=True, max_length=64, verbose_name='mã băm'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64, verbose_name='mã băm mục trước'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='seq',
            field=models.BigIntegerField(blank=True, null=True, unique=True, verbose_name='số thứ tự'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='thời điểm'),
        ),
        migrations.RunPython(chain_start, migrations.RunPython.noop),
        migrations.RunPython(after, back_before),
    ]
