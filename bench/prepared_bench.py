"""The CPU of the reads every page makes, written by the ORM each time against prepared once
(`vpdt.core.prepared`), in one process, interleaved.

    python bench/prepared_bench.py [--pg-name vpdt_bench_load] [--calls 2000] [--rounds 5]

Against the load test's database (`bench/load_test.py` builds it), for its first specialist:
each read of a page's frame (the person and their agency, the session, the roles, whom they
act for today, the bell's count, the secret grants, whether the agency resolves one-stop
procedures) CALLS times as the ORM wrote it before and CALLS times through the prepared read,
alternating, ROUNDS times; prints the median CPU per call of each (`time.process_time`: this
process's side, PostgreSQL's own CPU not in it) and their sum, with a bare `SELECT 1` on the
same connection beside them (the floor of any statement).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg-name", default="vpdt_bench_load")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(VPDT_DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{args.pg_name}",
                      DJANGO_SETTINGS_MODULE="vpdt.settings", VPDT_SECRET_KEY="prepared-bench-" + "x" * 40)
    os.environ.setdefault("VPDT_DATA_DIR", str(ROOT / "var" / "prepared-bench"))
    import django

    django.setup()
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from vpdt.core import sessions
    from vpdt.directory import accounts
    from vpdt.directory import models as directory
    from vpdt.directory.models import User
    from vpdt.motcua.models import ProcedureActivation
    from vpdt.records import permissions
    from vpdt.records.models import DocumentAccess
    from vpdt.web import context
    from vpdt.workflow import delegation, notifications
    from vpdt.workflow.models import Delegation, Notification

    user = User.objects.filter(role_assignments__role="specialist", agency__isnull=False).order_by("id").first()
    session = Session.objects.order_by("-expire_date").first()
    key = session.session_key if session else "missing-session-key-0000000000"
    today = timezone.localdate()
    reads = {
        "person + agency": (lambda: (lambda u: (u, u.agency))(User.objects.get(pk=user.pk)),
                            lambda: accounts.signed_in_user(user.pk)),
        "session": (lambda: Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).first(),
                    lambda: sessions._LOAD.instance(key=key, now=timezone.now())),
        "roles": (lambda: list(user.role_assignments.values_list("agency_id", "role")),
                  lambda: directory._ROLES.rows(user_id=user.pk)),
        "acting for": (lambda: list(Delegation.objects.filter(deputy=user, starts_on__lte=today, ends_on__gte=today,
                                                              revoked_at__isnull=True)
                                    .values_list("principal_id", flat=True)),
                       lambda: delegation._PRINCIPALS.rows(user_id=user.pk, day=today)),
        "bell count": (lambda: Notification.objects.filter(user=user, read_at__isnull=True).count(),
                       lambda: notifications._UNREAD.scalar(user_id=user.pk)),
        "secret grants": (lambda: list(DocumentAccess.objects.filter(user=user, secret_grant=True)
                                       .values_list("document_id", flat=True).order_by()[:501]),
                          lambda: permissions._SECRET_IDS.rows(user_id=user.pk)),
        "one-stop link": (lambda: ProcedureActivation.objects.filter(active=True).filter(
            Q(agency_id=user.agency_id, resolving_agency__isnull=True) | Q(resolving_agency_id=user.agency_id)).exists(),
            lambda: context._resolves_procedures().first(agency_id=user.agency_id, resolving_id=user.agency_id)),
    }

    def floor():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def timed(fn) -> float:
        start = time.process_time()
        for _ in range(args.calls):
            fn()
        return (time.process_time() - start) / args.calls * 1e6

    for orm, prepared in reads.values():  # warm-up, and the prepared reads compiled
        orm(), prepared()
    results = {name: ([], []) for name in reads}
    floors = []
    for _ in range(args.rounds):
        floors.append(timed(floor))
        for name, (orm, prepared) in reads.items():
            results[name][0].append(timed(orm))
            results[name][1].append(timed(prepared))
    print(f"database {args.pg_name}, {args.calls} calls x {args.rounds} rounds, person {user.username}, "
          f"{dt.datetime.now():%d/%m/%Y %H:%M}")
    print(f"{'read':<16}{'ORM µs':>10}{'prepared µs':>14}")
    total = [0.0, 0.0]
    for name, (orm, prepared) in results.items():
        a, b = statistics.median(orm), statistics.median(prepared)
        total[0] += a
        total[1] += b
        print(f"{name:<16}{a:>10.0f}{b:>14.0f}")
    print(f"{'the frame':<16}{total[0]:>10.0f}{total[1]:>14.0f}")
    print(f"floor: SELECT 1 on the same connection (cursor, execute, fetch) {statistics.median(floors):.0f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
