"""The daily facts (reports.models), computed from records, workflow, exchange and the audit log.

`rebuild(days, agency_ids)` recomputes whole days (per agency) from the source tables and
replaces their rows; `refresh()` (the job) finds the days touched since the watermark and
rebuilds those. This module is the only writer of the facts' tables.

What each event counts, on which day (Vietnam time) and for whom:
- arrival of an incoming document (received_at): incoming_total, _electronic (through the hub),
  _paper (registered from paper), paper_despite_electronic (a paper registration of a document
  whose electronic copy arrived too: reconciled, or an electronic duplicate exists); person and
  unit: the main handler (the last person given the main role, the unit first directed);
- registration (the audit's document.register): registered, hours arrival → registration;
  person: the clerk;
- the first direction (first top-level assignment): directed, directed_on_behalf (made by a
  deputy or a clerk for the leader), hours registration → direction; person: the leader;
- completion (completed_at): completed, on time (by the due date, or no due date) or late,
  working days arrival → completion; person: the main handler;
- release of an outgoing document (issued_date, released/recalled/replaced): outgoing_total,
  _electronic (an agency recipient, through the hub), _paper, _signed (a digital signature was
  applied: signing.sign_person / signing.sign_agency); person: the drafter, unit: drafting unit;
- an internal document (created_at): internal_total;
- an extension asked: extensions_asked (person: who asked);
- a review decided (approved or returned): reviews_decided, drafts_returned (person: drafter);
- an outbox message that failed for good, an inbox package refused or quarantined:
  exchange_failures (agency only);
- a login (UserSession), an audited action by a person: logins, actions, active.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from vpdt.core.models import AuditEntry
from vpdt.directory.models import User
from vpdt.exchange.models import InboxItem, OutboxMessage
from vpdt.records.choices import Direction, RecipientKind, Source, State
from vpdt.records.models import Document, Recipient
from vpdt.reports import worktime
from vpdt.reports.models import (
    AGENCY,
    COUNTERS,
    MONTHLY,
    PERSON,
    UNIT,
    DailyFact,
    DurationFact,
    FactsWatermark,
    IncomingHandler,
)
from vpdt.workflow.models import Assignment, ExtensionRequest, Review

RELEASED = [State.RELEASED, State.RECALLED, State.REPLACED]
SIGNED_ACTIONS = ["signing.sign_person", "signing.sign_agency"]
INBOX_FAILURES = [InboxItem.INVALID, InboxItem.QUARANTINED, InboxItem.DISCARDED]
CHUNK = 2000


def _chunks(values: list, size: int = CHUNK):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as contiguous [first, last] ranges."""
    out: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + dt.timedelta(days=1):
            out[-1][1] = day
        else:
            out.append([day, day])
    return [(a, b) for a, b in out]


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = worktime.zone()
    return (dt.datetime.combine(first, dt.time(), tz),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz))


class _Acc:
    """Counters and durations keyed by (day, agency, unit, person)."""

    def __init__(self):
        self.counts: dict[tuple, Counter] = defaultdict(Counter)
        self.durations: Counter = Counter()

    def add(self, day, agency, unit, person, **counters):
        self.counts[(day, agency, unit, person)].update(counters)

    def duration(self, day, agency, unit, person, metric, value):
        self.durations[(day, agency, unit, person, metric, worktime.bucket(value))] += 1


def _registrations(doc_ids: list[int]) -> dict[int, tuple[dt.datetime, int | None]]:
    """{document id: (registered at, clerk id)} from the audit log."""
    found = {}
    for chunk in _chunks([str(i) for i in doc_ids]):
        rows = (AuditEntry.objects.filter(object_type="records.document", action="document.register",
                                          object_id__in=chunk)
                .order_by("at").values_list("object_id", "at", "actor_id"))
        for object_id, at, actor in rows:
            found.setdefault(int(object_id), (at, actor))
    return found


def _handlers(doc_ids: list[int]) -> dict[int, tuple[int | None, int | None]]:
    """{document id: (unit id, person id)} of the main handler."""
    units: dict[int, int | None] = {}
    people: dict[int, int] = {}
    person_units: dict[int, int | None] = {}
    for chunk in _chunks(doc_ids):
        rows = (Assignment.objects.filter(document_id__in=chunk, role=Assignment.Role.MAIN)
                .exclude(state=Assignment.State.CANCELLED)
                .order_by("id").values_list("document_id", "unit_id", "user_id", "user__unit_id", "parent_id"))
        for doc, unit, user, user_unit, parent in rows:
            if parent is None and doc not in units:
                units[doc] = unit or user_unit
            if user is not None:
                people[doc] = user
                person_units[doc] = user_unit
    return {doc: (units.get(doc) or person_units.get(doc), people.get(doc))
            for doc in set(units) | set(people)}


def _user_units(ids: Iterable[int]) -> dict[int, tuple[int | None, int | None]]:
    """{user id: (agency id, unit id)}."""
    ids = [i for i in set(ids) if i is not None]
    found = {}
    for chunk in _chunks(ids):
        found.update({pk: (agency, unit) for pk, agency, unit in
                      User.objects.filter(pk__in=chunk).values_list("pk", "agency_id", "unit_id")})
    return found


def _electronic_keys(agency_ids: set[int], issuers: set[str]) -> set[tuple]:
    keys = set()
    for chunk in _chunks(sorted(issuers)):
        keys.update(Document.objects.filter(
            direction=Direction.INCOMING, source=Source.ELECTRONIC, agency_id__in=agency_ids,
            issuer_code__in=chunk, number__isnull=False,
        ).values_list("agency_id", "issuer_code", "number", "notation"))
    return keys


def _scope(qs, field: str, agency_ids):
    return qs if agency_ids is None else qs.filter(**{f"{field}__in": agency_ids})


def _compute(first: dt.date, last: dt.date, agency_ids: list[int] | None, acc: _Acc) -> None:
    lo, hi = _bounds(first, last)
    day = worktime.local_day

    # Arrivals.
    incoming = list(_scope(Document.objects.filter(direction=Direction.INCOMING, received_at__gte=lo,
                                                   received_at__lt=hi), "agency_id", agency_ids)
                    .values_list("pk", "agency_id", "source", "edxml_document_id", "issuer_code", "number",
                                 "notation", "received_at"))
    handlers = _handlers([r[0] for r in incoming])
    paper = [r for r in incoming if r[2] == Source.PAPER and not r[3] and r[5] is not None]
    electronic = _electronic_keys({r[1] for r in paper}, {r[4] for r in paper if r[4]}) if paper else set()
    for pk, agency, source, edxml_id, issuer, number, notation, received in incoming:
        unit, person = handlers.get(pk, (None, None))
        is_paper = source == Source.PAPER
        despite = is_paper and (bool(edxml_id) or (agency, issuer, number, notation) in electronic)
        acc.add(day(received), agency, unit, person, incoming_total=1,
                incoming_electronic=int(source == Source.ELECTRONIC), incoming_paper=int(is_paper),
                paper_despite_electronic=int(despite))

    # Registrations.
    rows = AuditEntry.objects.filter(object_type="records.document", action="document.register",
                                     at__gte=lo, at__lt=hi)
    registered = list(rows.order_by("at").values_list("object_id", "at", "actor_id"))
    docs = {}
    for chunk in _chunks([int(r[0]) for r in registered]):
        docs.update({pk: (agency, received) for pk, agency, received in
                     _scope(Document.objects.filter(pk__in=chunk), "agency_id", agency_ids)
                     .values_list("pk", "agency_id", "received_at")})
    clerks = _user_units(r[2] for r in registered)
    seen = set()
    for object_id, at, actor in registered:
        pk = int(object_id)
        if pk not in docs or pk in seen:
            continue
        seen.add(pk)
        agency, received = docs[pk]
        unit = clerks.get(actor, (None, None))[1]
        acc.add(day(at), agency, unit, actor, registered=1)
        if received is not None:
            acc.duration(day(at), agency, unit, actor, DurationFact.REGISTER, worktime.working_hours(received, at))

    # First directions.
    directed_docs = set(_scope(Assignment.objects.filter(parent__isnull=True, created_at__gte=lo, created_at__lt=hi),
                               "document__agency_id", agency_ids).values_list("document_id", flat=True))
    firsts: dict[int, tuple] = {}
    for chunk in _chunks(sorted(directed_docs)):
        for row in (Assignment.objects.filter(document_id__in=chunk, parent__isnull=True).order_by("created_at", "id")
                    .values_list("document_id", "document__agency_id", "created_at", "assigned_by_id",
                                 "on_behalf_of_id", "document__received_at")):
            firsts.setdefault(row[0], row)
    firsts = {pk: row for pk, row in firsts.items() if lo <= row[2] < hi}
    regs = _registrations(list(firsts))
    leaders = _user_units(row[3] for row in firsts.values())
    for pk, (_doc, agency, at, leader, behalf, received) in firsts.items():
        unit = leaders.get(leader, (None, None))[1]
        acc.add(day(at), agency, unit, leader, directed=1, directed_on_behalf=int(behalf is not None))
        start = regs.get(pk, (received, None))[0]
        if start is not None:
            acc.duration(day(at), agency, unit, leader, DurationFact.DIRECT, worktime.working_hours(start, at))

    # Completions.
    completed = list(_scope(Document.objects.filter(direction=Direction.INCOMING, completed_at__gte=lo,
                                                    completed_at__lt=hi), "agency_id", agency_ids)
                     .values_list("pk", "agency_id", "completed_at", "due_date", "received_at"))
    handlers = _handlers([r[0] for r in completed])
    for pk, agency, at, due, received in completed:
        unit, person = handlers.get(pk, (None, None))
        done = day(at)
        late = due is not None and done > due
        acc.add(done, agency, unit, person, completed=1, completed_on_time=int(not late), completed_late=int(late))
        if received is not None:
            acc.duration(done, agency, unit, person, DurationFact.COMPLETE,
                         worktime.working_days(day(received), done))

    # Outgoing released, internal documents.
    outgoing = list(_scope(Document.objects.filter(direction=Direction.OUTGOING, state__in=RELEASED,
                                                   issued_date__gte=first, issued_date__lte=last),
                           "agency_id", agency_ids)
                    .values_list("pk", "agency_id", "drafting_unit_id", "created_by_id", "issued_date"))
    kinds: dict[int, set[str]] = defaultdict(set)
    signed: set[int] = set()
    for chunk in _chunks([r[0] for r in outgoing]):
        for doc, kind in Recipient.objects.filter(document_id__in=chunk).values_list("document_id", "kind"):
            kinds[doc].add(kind)
        signed.update(int(o) for o in AuditEntry.objects.filter(
            object_type="records.document", action__in=SIGNED_ACTIONS, object_id__in=[str(i) for i in chunk],
        ).values_list("object_id", flat=True))
    for pk, agency, unit, person, issued in outgoing:
        acc.add(issued, agency, unit, person, outgoing_total=1,
                outgoing_electronic=int(RecipientKind.AGENCY in kinds[pk]),
                outgoing_paper=int(RecipientKind.PAPER in kinds[pk]), outgoing_signed=int(pk in signed))
    for agency, unit, person, created in _scope(
            Document.objects.filter(direction=Direction.INTERNAL, created_at__gte=lo, created_at__lt=hi),
            "agency_id", agency_ids).values_list("agency_id", "drafting_unit_id", "created_by_id", "created_at"):
        acc.add(day(created), agency, unit, person, internal_total=1)

    # Extensions asked, reviews decided.
    for agency, person, unit, created in _scope(
            ExtensionRequest.objects.filter(created_at__gte=lo, created_at__lt=hi), "assignment__document__agency_id",
            agency_ids).values_list("assignment__document__agency_id", "requested_by_id", "requested_by__unit_id",
                                    "created_at"):
        acc.add(day(created), agency, unit, person, extensions_asked=1)
    for agency, unit, person, state, at in _scope(
            Review.objects.filter(decided_at__gte=lo, decided_at__lt=hi,
                                  state__in=[Review.State.APPROVED, Review.State.RETURNED]),
            "document__agency_id", agency_ids).values_list("document__agency_id", "document__drafting_unit_id",
                                                          "document__created_by_id", "state", "decided_at"):
        acc.add(day(at), agency, unit, person, reviews_decided=1, drafts_returned=int(state == Review.State.RETURNED))

    # Interconnection failures.
    for agency, at in _scope(OutboxMessage.objects.filter(state=OutboxMessage.FAILED, created_at__gte=lo,
                                                          created_at__lt=hi), "agency_id", agency_ids
                             ).values_list("agency_id", "created_at"):
        acc.add(day(at), agency, None, None, exchange_failures=1)
    for agency, at in _scope(InboxItem.objects.filter(outcome__in=INBOX_FAILURES, agency__isnull=False,
                                                      received_at__gte=lo, received_at__lt=hi), "agency_id",
                             agency_ids).values_list("agency_id", "received_at"):
        acc.add(day(at), agency, None, None, exchange_failures=1)

    # Logins and actions of people.
    people_days: dict[tuple, Counter] = defaultdict(Counter)
    from vpdt.directory.models import UserSession

    for person, at in UserSession.objects.filter(created_at__gte=lo, created_at__lt=hi).values_list("user_id",
                                                                                                  "created_at"):
        people_days[(day(at), person)]["logins"] += 1
    # A system actor (an import, the interconnection, a job) has no person: actor is empty.
    for row in (AuditEntry.objects.filter(at__gte=lo, at__lt=hi, actor__isnull=False).order_by()
                .annotate(d=TruncDate("at", tzinfo=worktime.zone())).values("d", "actor_id")
                .annotate(n=Count("id"))):
        people_days[(row["d"], row["actor_id"])]["actions"] += row["n"]
    members = _user_units(p for _d, p in people_days)
    for (d, person), counts in people_days.items():
        agency, unit = members.get(person, (None, None))
        if agency is None or (agency_ids is not None and agency not in agency_ids):
            continue
        acc.add(d, agency, unit, person, logins=counts["logins"], actions=counts["actions"])


def _rows(acc: _Acc) -> tuple[list[DailyFact], list[DurationFact]]:
    levels: dict[tuple, Counter] = defaultdict(Counter)
    for (d, agency, unit, person), counts in acc.counts.items():
        counts = Counter(counts)
        if person is not None:
            active = int(counts["logins"] > 0 or counts["actions"] > 0)
            levels[(PERSON, d, agency, unit, person)].update(counts)
            levels[(PERSON, d, agency, unit, person)]["active"] = active
            counts["active"] = active
        if unit is not None:
            levels[(UNIT, d, agency, unit, None)].update(counts)
        levels[(AGENCY, d, agency, None, None)].update(counts)
    facts = [DailyFact(level=level, day=d, agency_id=agency, unit_id=unit, person_id=person,
                       **{name: counts[name] for name in COUNTERS})
             for (level, d, agency, unit, person), counts in levels.items()]
    durations: Counter = Counter()
    for (d, agency, unit, person, metric, value), n in acc.durations.items():
        if person is not None:
            durations[(PERSON, d, agency, unit, person, metric, value)] += n
        if unit is not None:
            durations[(UNIT, d, agency, unit, None, metric, value)] += n
        durations[(AGENCY, d, agency, None, None, metric, value)] += n
    return facts, [DurationFact(level=level, day=d, agency_id=agency, unit_id=unit, person_id=person, metric=metric,
                                tenths=value, count=n)
                   for (level, d, agency, unit, person, metric, value), n in durations.items()]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _roll_months(months: list[dt.date], agency_ids) -> None:
    """The monthly rows of `months`, summed from their daily rows (inside the caller's transaction)."""
    keys = ("agency_id", "unit_id", "person_id")
    for month in months:
        end = _month_end(month)
        for model in (DailyFact, DurationFact):
            _scope(model.objects.filter(level__gte=MONTHLY, day=month), "agency_id", agency_ids).delete()
        daily = _scope(DailyFact.objects.filter(level__lt=MONTHLY, day__gte=month, day__lte=end), "agency_id",
                       agency_ids)
        sums = daily.values("level", *keys).annotate(**{f"s_{n}": Sum(n) for n in COUNTERS}).order_by()
        DailyFact.objects.bulk_create([
            DailyFact(level=row["level"] + MONTHLY, day=month, agency_id=row["agency_id"], unit_id=row["unit_id"],
                      person_id=row["person_id"], **{n: row[f"s_{n}"] or 0 for n in COUNTERS})
            for row in sums], batch_size=2000)
        durations = (_scope(DurationFact.objects.filter(level__lt=MONTHLY, day__gte=month, day__lte=end),
                            "agency_id", agency_ids)
                     .values("level", *keys, "metric", "tenths").annotate(n=Sum("count")).order_by())
        DurationFact.objects.bulk_create([
            DurationFact(level=row["level"] + MONTHLY, day=month, agency_id=row["agency_id"], unit_id=row["unit_id"],
                         person_id=row["person_id"], metric=row["metric"], tenths=row["tenths"], count=row["n"])
            for row in durations], batch_size=2000)


def rebuild(days: Iterable[dt.date], agency_ids: Iterable[int] | None = None) -> int:
    """Recompute the facts of `days` (for `agency_ids`, or every agency) and of their months;
    returns the daily rows written."""
    agency_ids = None if agency_ids is None else sorted(set(agency_ids))
    written = 0
    for first, last in _ranges(days):
        acc = _Acc()
        _compute(first, last, agency_ids, acc)
        facts, durations = _rows(acc)
        with transaction.atomic():
            for model in (DailyFact, DurationFact):
                _scope(model.objects.filter(level__lt=MONTHLY, day__gte=first, day__lte=last), "agency_id",
                       agency_ids).delete()
            DailyFact.objects.bulk_create(facts, batch_size=2000)
            DurationFact.objects.bulk_create(durations, batch_size=2000)
            _roll_months(_months(first, last), agency_ids)
        written += len(facts) + len(durations)
    return written


def rebuild_period(first: dt.date, last: dt.date, agency_ids: Iterable[int] | None = None, *,
                   month_done=None) -> int:
    """Rebuild a long period a calendar month at a time (memory stays bounded); `month_done(day)`
    is called with the last day of each month once it is written (the first build's progress)."""
    written = 0
    for month in _months(first, last):
        lo, hi = max(first, month), min(last, _month_end(month))
        written += rebuild([lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)], agency_ids)
        if month_done is not None:
            month_done(hi)
    sync_handlers(agency_ids=agency_ids)
    return written


def sync_handlers(doc_ids: Iterable[int] | None = None, agency_ids: Iterable[int] | None = None) -> int:
    """Write the IncomingHandler rows of the incoming documents with a due date: of `doc_ids`
    (the documents touched), or of `agency_ids`, or of every agency; returns the rows written."""
    docs = Document.objects.filter(direction=Direction.INCOMING, due_date__isnull=False)
    if doc_ids is not None:
        chunks = list(_chunks(sorted(set(doc_ids))))
    else:
        agency_ids = None if agency_ids is None else sorted(set(agency_ids))
        with transaction.atomic():
            _scope(IncomingHandler.objects.all(), "agency_id", agency_ids).delete()
        ids = _scope(docs, "agency_id", agency_ids).order_by("pk").values_list("pk", flat=True)
        chunks = _chunks(list(ids))
    written = 0
    for chunk in chunks:
        rows = list(docs.filter(pk__in=chunk).values_list("pk", "agency_id", "state", "due_date", "received_at",
                                                           "completed_at"))
        handlers = _handlers([r[0] for r in rows])
        with transaction.atomic():
            if doc_ids is not None:
                IncomingHandler.objects.filter(document_id__in=chunk).delete()
            IncomingHandler.objects.bulk_create([
                IncomingHandler(document_id=pk, agency_id=agency, unit_id=handlers.get(pk, (None, None))[0],
                                person_id=handlers.get(pk, (None, None))[1], state=state, due_date=due,
                                received_at=received, completed_at=completed)
                for pk, agency, state, due, received, completed in rows], batch_size=2000)
        written += len(rows)
    return written


# How far back the job looks again: a transaction that committed late is still seen.
OVERLAP = dt.timedelta(minutes=5)


def _touched(since: dt.datetime) -> tuple[set[dt.date], set[int], set[int]]:
    """The days whose facts may have changed since `since`, the agencies concerned and the
    documents changed.

    Every change to a document, an assignment, an extension or a review is audited on the
    document, so the audit log (indexed by time) names them; the document's own days (arrival,
    completion, issue, creation) are touched too. Logins and the exchange's failures are read
    from their tables."""
    from vpdt.directory.models import Agency, UserSession

    day = worktime.local_day
    days: set[dt.date] = set()
    agencies: set[int] = set()
    codes = dict(Agency.objects.values_list("code", "pk"))
    entries = list(AuditEntry.objects.filter(at__gte=since).values_list("at", "agency_code", "actor_id",
                                                                        "object_type", "object_id"))
    actors = _user_units(e[2] for e in entries)
    doc_ids = set()
    for at, code, actor, object_type, object_id in entries:
        days.add(day(at))
        if code in codes:
            agencies.add(codes[code])
        if actor in actors and actors[actor][0] is not None:
            agencies.add(actors[actor][0])
        if object_type == "records.document" and object_id.isdigit():
            doc_ids.add(int(object_id))
    for chunk in _chunks(sorted(doc_ids)):
        for agency, received, completed, issued, created in Document.objects.filter(pk__in=chunk).values_list(
                "agency_id", "received_at", "completed_at", "issued_date", "created_at"):
            agencies.add(agency)
            days.update(day(x) for x in (received, completed, created) if x is not None)
            if issued is not None:
                days.add(issued)
    for person, at in UserSession.objects.filter(created_at__gte=since).values_list("user_id", "created_at"):
        days.add(day(at))
        agency = _user_units([person]).get(person, (None, None))[0]
        if agency is not None:
            agencies.add(agency)
    for agency, at in OutboxMessage.objects.filter(state=OutboxMessage.FAILED, created_at__gte=since - dt.timedelta(
            days=7)).values_list("agency_id", "created_at"):
        days.add(day(at))
        agencies.add(agency)
    for agency, at in InboxItem.objects.filter(received_at__gte=since, agency__isnull=False).values_list(
            "agency_id", "received_at"):
        days.add(day(at))
        agencies.add(agency)
    return days, agencies, doc_ids


def _first_build(mark: FactsWatermark) -> int:
    """Every day from the one after `mark.first_build_through` to the day the build started, each
    month's progress kept; then the handlers' rows. Returns the days built."""
    start, last = mark.first_build_through + dt.timedelta(days=1), worktime.local_day(mark.at)
    rebuild_period(start, last, month_done=lambda day: FactsWatermark.objects.filter(pk=1).update(
        first_build_through=day))
    FactsWatermark.objects.filter(pk=1).update(first_build_through=None)
    return max(0, (last - start).days + 1)


def _earliest() -> dt.date | None:
    stamps = [Document.objects.order_by("created_at").values_list("created_at", flat=True).first(),
              Document.objects.filter(received_at__isnull=False).order_by("received_at")
              .values_list("received_at", flat=True).first(),
              AuditEntry.objects.order_by("at").values_list("at", flat=True).first()]
    stamps = [worktime.local_day(x) for x in stamps if x is not None]
    return min(stamps, default=None)


def refresh(now: dt.datetime | None = None) -> int:
    """Bring the facts up to date from the watermark; returns how many days were rebuilt.

    The first run builds everything since the earliest record, a month at a time, keeping its
    progress: a worker stopped during it (a restart, a deploy) carries on from the last month it
    finished instead of starting over (at 1,000,000 documents the first build takes over ten
    minutes of a core). Later runs rebuild only the days touched since the watermark (less a few
    minutes, for transactions that committed late); the first of them also catches what changed
    while the first build ran, as `at` is when it started.
    """
    now = now or timezone.now()
    mark = FactsWatermark.objects.filter(pk=1).first()
    if mark is None:
        first = _earliest()
        if first is None:
            FactsWatermark.objects.update_or_create(pk=1, defaults={"at": now})
            return 0
        mark, _ = FactsWatermark.objects.update_or_create(
            pk=1, defaults={"at": now, "first_build_through": first - dt.timedelta(days=1)})
    if mark.first_build_through is not None:
        return _first_build(mark)
    days, agencies, doc_ids = _touched(mark.at - OVERLAP)
    if days and agencies:
        rebuild(days, agencies)
    if doc_ids:
        sync_handlers(doc_ids=doc_ids)
    FactsWatermark.objects.filter(pk=1).update(at=now)
    return len(days)
