"""Work queues: what waits for me (chờ xử lý), what I follow (theo dõi), what is overdue.

Each is a queryset of documents the person may see (records.permissions), built from
indexed lookups: per-person rows of workflow (assignments, reviews, submissions) joined by
document id, and per-agency state filters on Document's (agency, direction, state) index.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from vpdt.directory.roles import Role
from vpdt.records.choices import DeliveryState, Direction, State
from vpdt.records.models import Recipient
from vpdt.records.permissions import visible_documents
from vpdt.workflow import holidays
from vpdt.workflow.delegation import principal_ids
from vpdt.workflow.models import Assignment, ExtensionRequest, Review, Submission

HANDLING = [State.ASSIGNED, State.IN_PROGRESS]


def _agencies_with(user, role: str) -> list[int]:
    return [a for a in user.member_agency_ids() if user.is_superuser is False and user.has_role(role, a)]


def waiting_q(user, day: dt.date | None = None) -> Q:
    principals = principal_ids(user, day)
    q = Q(id__in=Assignment.objects.filter(user_id__in=principals, state__in=Assignment.OPEN)
          .exclude(role=Assignment.Role.INFO).values("document_id"))
    q |= Q(created_by=user, state__in=[State.DRAFT, State.SENT_BACK])
    my_roles = {r for a in user.member_agency_ids() for r in user.role_set(a)}
    review = Q(reviewer_id__in=principals)
    if my_roles:
        review |= Q(reviewer__isnull=True, role__in=my_roles, document__agency_id__in=user.member_agency_ids())
    q |= Q(id__in=Review.objects.filter(review, state=Review.State.PENDING).values("document_id"))
    leader_agencies = _agencies_with(user, Role.LEADER)
    submissions = Q(leader_id__in=principals)
    if leader_agencies:
        submissions |= Q(leader__isnull=True, document__agency_id__in=leader_agencies)
    q |= Q(id__in=Submission.objects.filter(submissions, open=True).values("document_id"))
    q |= Q(id__in=ExtensionRequest.objects.filter(decider_id__in=principals, state=ExtensionRequest.State.PENDING)
           .values("assignment__document_id"))
    if user.unit_id and user.has_role(Role.UNIT_HEAD, user.agency_id):
        q |= Q(id__in=Assignment.objects.filter(unit_id=user.unit_id, user__isnull=True,
                                                state=Assignment.State.PENDING)
               .exclude(role=Assignment.Role.INFO).values("document_id"))
        q |= Q(id__in=Recipient.objects.filter(unit_id=user.unit_id, state=DeliveryState.DELIVERED)
               .values("document_id"))
    clerk_agencies = _agencies_with(user, Role.CLERK)
    if clerk_agencies:
        q |= Q(agency_id__in=clerk_agencies, direction=Direction.INCOMING,
               state__in=[State.RECEIVED, State.REGISTERED])
        q |= Q(agency_id__in=clerk_agencies, direction=Direction.OUTGOING, state=State.APPROVED)
    return q


def waiting(user, day: dt.date | None = None) -> QuerySet:
    return visible_documents(user).filter(waiting_q(user, day))


def following(user) -> QuerySet:
    """Documents I directed, handed on, was given for information or co-handling, drafted or reviewed."""
    q = Q(id__in=Assignment.objects.filter(Q(assigned_by=user) | Q(user=user)).values("document_id"))
    q |= Q(id__in=Review.objects.filter(Q(reviewer=user) | Q(decided_by=user)).values("document_id"))
    q |= Q(created_by=user, direction=Direction.OUTGOING)
    if user.unit_id and user.has_role(Role.UNIT_HEAD, user.agency_id):
        q |= Q(id__in=Assignment.objects.filter(unit_id=user.unit_id).values("document_id"))
    return visible_documents(user).filter(q)


def overdue(user, day: dt.date | None = None) -> QuerySet:
    day = day or timezone.localdate()
    return visible_documents(user).filter(direction=Direction.INCOMING, state__in=HANDLING, due_date__lt=day)


def due_soon(user, day: dt.date | None = None) -> QuerySet:
    day = day or timezone.localdate()
    horizon = holidays.add_working_days(day, holidays.DUE_SOON_WORKING_DAYS)
    return visible_documents(user).filter(direction=Direction.INCOMING, state__in=HANDLING,
                                          due_date__gte=day, due_date__lte=horizon)


QUEUES = {
    "waiting": ("Chờ xử lý", waiting),
    "following": ("Theo dõi", lambda user, day=None: following(user)),
    "overdue": ("Quá hạn", overdue),
    "due_soon": ("Sắp đến hạn", due_soon),
}


def get(name: str, user) -> QuerySet:
    return QUEUES[name][1](user)
