"""Work queues: what waits for me (chờ xử lý), what I follow (theo dõi), what is overdue.

Each is a queryset of documents the person may see (records.permissions), built from
indexed lookups: per-person rows of workflow (assignments, reviews, submissions) joined by
document id, and per-agency state filters on Document's (agency, direction, state) index.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vpdt.directory.roles import Role
from vpdt.records.choices import DeliveryState, Direction, State
from vpdt.records.models import Document, Recipient
from vpdt.records.permissions import visible_documents
from vpdt.workflow import holidays
from vpdt.workflow.delegation import principal_ids
from vpdt.workflow.models import Assignment, ExtensionRequest, Review, Submission

HANDLING = [State.ASSIGNED, State.IN_PROGRESS]
FOLLOW_DAYS = 30
INLINE_IDS = 2_000


def _agencies_with(user, role: str) -> list[int]:
    return [a for a in user.member_agency_ids() if user.is_superuser is False and user.has_role(role, a)]


def _ids(*querysets) -> list[int]:
    """Document ids from several per-person lookups, in one UNION query.

    A queue is then `id IN (a short list)` (OR an indexed agency/state range for clerks):
    an OR of correlated subqueries made PostgreSQL walk the whole agency (BENCHMARKS.md).
    """
    return list(_union_subquery_qs(*querysets)) if querysets else []


def _union_subquery_qs(*querysets, all_rows: bool = False):
    parts = [qs.order_by() for qs in querysets]
    return parts[0].union(*parts[1:], all=all_rows)


def _union_subquery(*querysets) -> RawSQL:
    """The same UNION as `_ids`, left in the database as one `IN (SELECT … UNION …)`."""
    sql, params = _union_subquery_qs(*querysets).query.sql_with_params()
    return RawSQL(sql, params)


def _pending_reviews(user, principals):
    """Review steps waiting for this person (or their principal), or for any holder of one of their roles."""
    my_roles = {r for a in user.member_agency_ids() for r in user.role_set(a)}
    review = Q(reviewer_id__in=principals)
    if my_roles:
        review |= Q(reviewer__isnull=True, role__in=my_roles, document__agency_id__in=user.member_agency_ids())
    return Review.objects.filter(review, state=Review.State.PENDING).values_list("document_id", flat=True)


def waiting_q(user, day: dt.date | None = None) -> Q:
    principals = principal_ids(user, day)
    lookups = [
        Assignment.objects.filter(user_id__in=principals, state__in=Assignment.OPEN)
        .exclude(role=Assignment.Role.INFO).values_list("document_id", flat=True),
        Document.objects.filter(created_by=user, state__in=[State.DRAFT, State.SENT_BACK]).values_list("id", flat=True),
    ]
    lookups.append(_pending_reviews(user, principals))
    leader_agencies = _agencies_with(user, Role.LEADER)
    submissions = Q(leader_id__in=principals)
    if leader_agencies:
        submissions |= Q(leader__isnull=True, document__agency_id__in=leader_agencies)
    lookups.append(Submission.objects.filter(submissions, open=True).values_list("document_id", flat=True))
    lookups.append(ExtensionRequest.objects.filter(decider_id__in=principals, state=ExtensionRequest.State.PENDING)
                   .values_list("assignment__document_id", flat=True))
    if user.unit_id and user.has_role(Role.UNIT_HEAD, user.agency_id):
        lookups.append(Assignment.objects.filter(unit_id=user.unit_id, user__isnull=True,
                                                 state=Assignment.State.PENDING)
                       .exclude(role=Assignment.Role.INFO).values_list("document_id", flat=True))
        lookups.append(Recipient.objects.filter(unit_id=user.unit_id, state=DeliveryState.DELIVERED)
                       .values_list("document_id", flat=True))
    q = Q(id__any_of=_ids(*lookups))
    clerk_agencies = _agencies_with(user, Role.CLERK)
    if clerk_agencies:
        q |= Q(agency_id__in=clerk_agencies, direction=Direction.INCOMING,
               state__in=[State.RECEIVED, State.REGISTERED])
        q |= Q(agency_id__in=clerk_agencies, direction=Direction.OUTGOING, state=State.APPROVED)
    return q


def waiting(user, day: dt.date | None = None) -> QuerySet:
    return visible_documents(user).filter(waiting_q(user, day))


def following(user) -> QuerySet:
    """Documents I directed, handed on, was given for information or co-handling, drafted or reviewed,
    while that handling is open or finished in the last FOLLOW_DAYS: follow-up, not the archive
    (a leader directs tens of thousands of documents a year; the lists by direction hold them all)."""
    recent = Q(state__in=Assignment.OPEN) | Q(done_at__gte=timezone.now() - dt.timedelta(days=FOLLOW_DAYS))
    # One lookup per column, each answered by its own index alone (workflow migration 0002).
    lookups = [
        Assignment.objects.filter(recent, assigned_by=user).values_list("document_id", flat=True),
        Assignment.objects.filter(recent, user=user).values_list("document_id", flat=True),
        Review.objects.filter(Q(reviewer=user) | Q(decided_by=user)).values_list("document_id", flat=True),
        Document.objects.filter(created_by=user, direction=Direction.OUTGOING).values_list("id", flat=True),
    ]
    if user.unit_id and user.has_role(Role.UNIT_HEAD, user.agency_id):
        lookups.append(Assignment.objects.filter(recent, unit_id=user.unit_id).values_list("document_id", flat=True))
    # A short set as literal ids (a primary-key lookup on every backend); what a leader
    # follows can be most of the agency: then it stays a subquery, never a long list.
    # The probe is a UNION ALL that stops at INLINE_IDS + 1 rows: a leader's 8,000 are not
    # all read (and de-duplicated) just to learn that they are many.
    probe = list(_union_subquery_qs(*lookups, all_rows=True)[:INLINE_IDS + 1])
    chosen = sorted(set(probe)) if len(probe) <= INLINE_IDS else _union_subquery(*lookups)
    return visible_documents(user).filter(id__any_of=chosen)  # a subquery stays IN (SELECT …)


def _deadline_q(user, day: dt.date, **bounds) -> Q:
    """Documents whose deadline FOR THIS PERSON lies within `bounds` (lt / gte / lte on a date).

    The deadline a person must meet is their own open assignment's (a specialist handed the
    work by the unit head), else their unit's as its head, else the document's (the main
    unit's) — the same order as `services.own_deadlines`, which the lists show. A specialist
    whose own deadline is later than the document's is not "quá hạn" yet, and one whose own
    deadline is sooner is. Each part is an indexed subquery on the person's assignments."""
    open_work = Assignment.objects.filter(state__in=Assignment.OPEN, deadline__isnull=False) \
        .exclude(role=Assignment.Role.INFO)
    personal = open_work.filter(user_id__in=principal_ids(user, day))
    within = {f"deadline__{k}": v for k, v in bounds.items()}
    q = Q(id__in=personal.filter(**within).values("document_id"))
    has_own = Q(id__in=personal.values("document_id"))
    if user.unit_id and user.has_role(Role.UNIT_HEAD, user.agency_id):
        unit = open_work.filter(unit_id=user.unit_id, user__isnull=True)
        q |= Q(id__in=unit.filter(**within).values("document_id")) & ~has_own
        has_own |= Q(id__in=unit.values("document_id"))
    return q | (Q(**{f"due_date__{k}": v for k, v in bounds.items()}) & ~has_own)


def overdue(user, day: dt.date | None = None) -> QuerySet:
    day = day or timezone.localdate()
    return visible_documents(user).filter(_deadline_q(user, day, lt=day), direction=Direction.INCOMING,
                                          state__in=HANDLING)


def due_soon(user, day: dt.date | None = None) -> QuerySet:
    day = day or timezone.localdate()
    horizon = holidays.add_working_days(day, holidays.DUE_SOON_WORKING_DAYS)
    return visible_documents(user).filter(_deadline_q(user, day, gte=day, lte=horizon),
                                          direction=Direction.INCOMING, state__in=HANDLING)


def awaiting_approval(user, day: dt.date | None = None) -> QuerySet:
    """Chờ duyệt: drafts whose current review step waits for this person (a part of "Chờ xử lý")."""
    return visible_documents(user).filter(id__any_of=_ids(_pending_reviews(user, principal_ids(user, day))))


def awaiting_release(user, day: dt.date | None = None) -> QuerySet:
    """Chờ phát hành: approved outgoing documents the clerk numbers and releases (a part of "Chờ xử lý")."""
    clerk_agencies = _agencies_with(user, Role.CLERK)
    if not clerk_agencies:
        return Document.objects.none()
    return visible_documents(user).filter(agency_id__in=clerk_agencies, direction=Direction.OUTGOING,
                                          state=State.APPROVED)


QUEUES = {
    "waiting": (_("Chờ xử lý"), waiting),
    "following": (_("Theo dõi"), lambda user, day=None: following(user)),
    "overdue": (_("Quá hạn"), overdue),
    "due_soon": (_("Sắp đến hạn"), due_soon),
    # Shown as tabs only to whom they concern (web.dashboard.tabs): reviewers, clerks.
    "approval": (_("Chờ duyệt"), awaiting_approval),
    "release": (_("Chờ phát hành"), awaiting_release),
}


def get(name: str, user) -> QuerySet:
    return QUEUES[name][1](user)
