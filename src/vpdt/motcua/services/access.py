"""Who may do what in the one-stop shop.

- the catalogue: the platform admin and the one-stop admins (quản trị một cửa) of any agency
  keep the province-wide catalogue; an agency's one-stop admin or agency admin activates
  procedures for that agency;
- the counter (Bộ phận Một cửa): the counter officers (công chức tiếp nhận một cửa) of the
  receiving agency receive, refuse, ask for supplements, transfer and return;
- behind the counter: people of the resolving agency see its dossiers when a step is theirs
  (their unit's or their own), its leaders (the approvers) see them all;
- a system actor (the portal adapter, the interconnection) acts for its own agency only.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from vpdt.core.errors import PermissionDenied
from vpdt.directory.roles import Role
from vpdt.motcua.models import Dossier


def is_system(user) -> bool:
    return bool(getattr(user, "is_system_actor", False))


def person(user):
    """The user row to write in a `…_by` column: None for a system actor or nobody."""
    return None if user is None or is_system(user) or not getattr(user, "pk", None) else user


def is_catalogue_admin(user) -> bool:
    if user is None or is_system(user) or not user.is_authenticated:
        return False
    return user.is_platform_admin or Role.MOTCUA_ADMIN in user.role_set()


def can_activate(user, agency) -> bool:
    if is_catalogue_admin(user) and (user.is_platform_admin or user.has_role(Role.MOTCUA_ADMIN, agency)):
        return True
    return bool(user and not is_system(user) and user.is_authenticated
                and (user.has_role(Role.AGENCY_ADMIN, agency) or user.has_role(Role.MOTCUA_ADMIN, agency)))


def is_counter(user, agency) -> bool:
    agency_id = getattr(agency, "pk", agency)
    if is_system(user):
        return user.acts_for(agency_id)
    return bool(user and user.is_authenticated and user.has_role(Role.COUNTER, agency_id))


def require_counter(user, agency) -> None:
    if not is_counter(user, agency):
        raise PermissionDenied("Chỉ công chức tiếp nhận một cửa của cơ quan được thực hiện thao tác này.",
                               code="MOTCUA_NOT_COUNTER")


def is_approver(user, agency) -> bool:
    agency_id = getattr(agency, "pk", agency)
    return bool(user and not is_system(user) and user.is_authenticated and user.has_role(Role.LEADER, agency_id))


def counter_agencies(user) -> list[int]:
    if user is None or is_system(user) or not user.is_authenticated:
        return []
    return [a for a in user.member_agency_ids() if user.has_role(Role.COUNTER, a)]


def visible_dossiers(user) -> QuerySet[Dossier]:
    """The dossiers `user` may open."""
    if user is None or not getattr(user, "is_authenticated", False) and not is_system(user):
        return Dossier.objects.none()
    if is_system(user):
        return Dossier.objects.filter(Q(agency_id=user.agency_id) | Q(resolving_agency_id=user.agency_id))
    members = user.member_agency_ids()
    counters = [a for a in members if user.has_role(Role.COUNTER, a)]
    leaders = [a for a in members if user.has_role(Role.LEADER, a)]
    q = Q(agency_id__in=counters) | Q(resolving_agency_id__in=leaders) | Q(agency_id__in=leaders)
    q |= Q(steps__to_user=user)
    if user.unit_id:
        q |= Q(steps__to_unit_id=user.unit_id)
    return Dossier.objects.filter(Q(pk__in=Dossier.objects.filter(q).values("pk")))


def can_view(user, dossier: Dossier) -> bool:
    return visible_dossiers(user).filter(pk=dossier.pk).exists()


def require_view(user, dossier: Dossier) -> None:
    if not can_view(user, dossier):
        raise PermissionDenied("Bạn không có quyền xem hồ sơ này.", code="MOTCUA_NOT_VISIBLE")


def holds_step(user, dossier: Dossier) -> bool:
    """`user` is who the current step waits for (its person, or a member of its unit)."""
    # Read the current step afresh: the caller's copy of the dossier may be older than the last hand-over.
    from vpdt.motcua.models import DossierStep

    step = DossierStep.objects.filter(pk=Dossier.objects.filter(pk=dossier.pk).values("current_step_id")[:1]).first()
    if step is None or step.done_at is not None or user is None:
        return False
    if is_system(user):
        return user.acts_for(step.to_agency_id)
    if step.kind == "counter" or step.kind == "return":
        return is_counter(user, step.to_agency_id)
    if step.kind == "approver":
        return (step.to_user_id == user.pk) or (step.to_user_id is None and is_approver(user, step.to_agency_id))
    if step.to_user_id:
        return step.to_user_id == user.pk
    return bool(step.to_unit_id and user.unit_id == step.to_unit_id and step.to_agency_id in user.member_agency_ids())


def require_step(user, dossier: Dossier) -> None:
    if not holds_step(user, dossier):
        raise PermissionDenied("Hồ sơ không đang ở bước của bạn.", code="MOTCUA_NOT_YOUR_STEP")
