"""The audit chain's cost: one record() against a plain insert, and `verify` over many rows.

    VPDT_DATA_DIR=/tmp/b PYTHONPATH=src python bench/audit_chain.py [rows_for_verify]

Use VPDT_DATABASE_URL=postgres://… for PostgreSQL. It migrates a fresh database first.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpdt.settings")
import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from vpdt.core import audit  # noqa: E402
from vpdt.core.models import AuditEntry, AuditHead  # noqa: E402

call_command("migrate", verbosity=0)
N = 2000
detail = {"from": "received", "to": "registered", "ghi chú": "Về việc triển khai Nghị định 30/2020/NĐ-CP"}

start = time.perf_counter()
for _ in range(N):
    AuditEntry.objects.create(action="bench.plain", agency_code="000.00.13.H90", detail=detail, via="web")
plain = (time.perf_counter() - start) / N
start = time.perf_counter()
for _ in range(N):
    audit.record("bench.chained", agency_code="000.00.13.H90", detail=detail)
chained = (time.perf_counter() - start) / N
start = time.perf_counter()
for _ in range(N // 10):
    with transaction.atomic():
        for _ in range(10):
            audit.record("bench.chained", agency_code="000.00.13.H90", detail=detail)
in_tx = (time.perf_counter() - start) / N
print(f"{connection.vendor}: plain insert {plain * 1e3:.2f} ms, record() {chained * 1e3:.2f} ms "
      f"(own transaction), {in_tx * 1e3:.2f} ms (10 per transaction)")

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
seq, prev = audit.head()
batch = []
at = timezone.now()
start = time.perf_counter()
for _ in range(rows - AuditEntry.objects.filter(seq__isnull=False).count()):
    seq += 1
    e = AuditEntry(seq=seq, prev_hash=prev, at=at, actor_id=None, actor_name="Nguyễn Văn A", agency_code="000.00.13.H90",
                   action="bench.bulk", object_type="records.document", object_id=str(seq), ip="10.0.0.1", via="web",
                   detail=detail)
    e.entry_hash = prev = audit.entry_hash(prev, tuple(getattr(e, n) for n in audit.CHAINED))
    batch.append(e)
    if len(batch) == 5000:
        AuditEntry.objects.bulk_create(batch)
        batch = []
AuditEntry.objects.bulk_create(batch)
AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)
print(f"filled {seq} chained rows in {time.perf_counter() - start:.0f} s")
check = audit.verify()
print(f"verify: ok={check.ok} {check.entries} entries in {check.seconds:.1f} s "
      f"({check.entries / check.seconds:,.0f} entries/s)")
