"""Data every page's frame needs: the agency and roles of the person, the bell's unread count
and the menu entries their roles need (receiving, drafting, delegating)."""

import functools

from django.apps import apps
from django.conf import settings
from django.db.models import Q

from vpdt.core.prepared import Read
from vpdt.directory.roles import Role


@functools.cache
def _resolves_procedures() -> Read:
    """Whether an agency resolves procedures of the one-stop shop: asked on every page of its
    leaders and specialists, one prepared statement (vpdt.core.prepared)."""
    from vpdt.motcua.models import ProcedureActivation

    return Read(lambda agency_id, resolving_id: ProcedureActivation.objects.filter(active=True).filter(
        Q(agency_id=agency_id, resolving_agency__isnull=True) | Q(resolving_agency_id=resolving_id))
        .order_by().values_list("id")[:1], agency_id=int, resolving_id=int)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = user.role_set(user.agency_id) if user.agency_id else set()
    context = {
        "session_idle_seconds": settings.VPDT_SESSION_IDLE_SECONDS,
        "current_agency": user.agency,
        "current_roles": [Role(r).label for r in sorted(roles)],
        # The "Quản trị" link: agency admins and the platform admin.
        "can_administer": user.is_superuser or user.is_platform_admin or bool(user.admin_agency_ids()),
        # "Sổ văn bản" (the registers of Phụ lục IV): clerks, leaders and agency admins.
        "can_see_registers": bool(roles & {Role.CLERK, Role.LEADER, Role.AGENCY_ADMIN}),
        # The "Báo cáo" link (issue 14): the platform admin (province), an agency's leaders.
        "can_see_reports": user.is_platform_admin or Role.LEADER in roles,
        # --- archive keep: "Lưu trữ cơ quan" (issue 19): the archive officer and the leader.
        "can_see_archive_keep": bool(roles & {Role.ARCHIVIST, Role.LEADER}),
        # "Nộp lưu" (issue 19): the clerk prepares transfers, the archivist accepts them.
        "can_transfer": bool(roles & {Role.CLERK, Role.ARCHIVIST}),
    }
    if apps.is_installed("vpdt.motcua"):
        # --- motcua: "Một cửa" for the counter officers, the one-stop admins, the platform admin,
        # and the people of an agency that resolves procedures (processing officers, approvers).
        motcua_roles = {Role.COUNTER, Role.MOTCUA_ADMIN}
        context["can_motcua"] = bool(roles & motcua_roles) or user.is_platform_admin or bool(
            user.agency_id and roles & {Role.LEADER, Role.SPECIALIST, Role.UNIT_HEAD}
            and _resolves_procedures().first(agency_id=user.agency_id, resolving_id=user.agency_id))
        context["can_motcua_counter"] = Role.COUNTER in roles
    if apps.is_installed("vpdt.workflow"):
        from vpdt.workflow.notifications import unread_count

        context.update({
            "workflow": True,
            "unread_notifications": unread_count(user),
            "can_receive": Role.CLERK in roles,
            "can_draft": bool(roles & {Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER, Role.CLERK}),
            # Leaders and unit heads delegate their own queue; the agency admin sets one up for
            # a leader who is away without having done it.
            "can_delegate": bool(roles & {Role.LEADER, Role.UNIT_HEAD, Role.AGENCY_ADMIN}),
            # Received packages the exchange could not take in (vpdt.exchange.quarantine).
            "can_see_quarantine": Role.AGENCY_ADMIN in roles and apps.is_installed("vpdt.exchange"),
        })
    return context
