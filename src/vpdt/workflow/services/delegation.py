"""Delegation (ủy quyền): a leader absent for a period lets a deputy act on their behalf."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from vpdt.core import audit
from vpdt.core.errors import InvalidInput
from vpdt.directory.models import User
from vpdt.directory.roles import Role
from vpdt.workflow.models import (
    Delegation,
)
from vpdt.workflow.notifications import notify
from vpdt.workflow.services.common import _has, _need


def delegate(user, *, deputy: User, starts_on: dt.date, ends_on: dt.date, reason: str = "",
             principal: User | None = None) -> Delegation:
    """Ủy quyền: `principal` (by default the user) hands their queue to `deputy` for a period."""
    principal = principal or user
    agency_id = principal.agency_id
    if principal.pk != user.pk:
        _need(_has(user, Role.AGENCY_ADMIN, agency_id), "Chỉ người ủy quyền hoặc quản trị đơn vị tạo ủy quyền.")
    _need(_has(principal, Role.LEADER, agency_id) or _has(principal, Role.UNIT_HEAD, agency_id),
          "Chỉ lãnh đạo mới ủy quyền xử lý.")
    if deputy is None or deputy.pk == principal.pk or agency_id not in deputy.member_agency_ids():
        raise InvalidInput("Người được ủy quyền phải là cán bộ khác của cơ quan.", code="BAD_DEPUTY")
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise InvalidInput("Thời gian ủy quyền không hợp lệ.", code="BAD_PERIOD")
    with transaction.atomic():
        delegation = Delegation.objects.create(agency_id=agency_id, principal=principal, deputy=deputy,
                                               starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=user)
        audit.record("delegation.create", delegation, user=user, agency_code=principal.agency.code, detail={
            "principal": principal.pk, "principal_name": str(principal), "deputy": deputy.pk,
            "deputy_name": str(deputy), "from": starts_on.isoformat(), "to": ends_on.isoformat(), "reason": reason})
        notify([deputy], None, "delegation",
               f"{principal} ủy quyền cho bạn xử lý công việc từ {starts_on:%d/%m/%Y} đến {ends_on:%d/%m/%Y}.")
    return delegation


def revoke_delegation(user, delegation: Delegation) -> Delegation:
    _need(user.pk == delegation.principal_id or _has(user, Role.AGENCY_ADMIN, delegation.agency_id),
          "Chỉ người ủy quyền thu hồi ủy quyền.")
    with transaction.atomic():
        delegation.revoked_at = timezone.now()
        delegation.save(update_fields=["revoked_at"])
        audit.record("delegation.revoke", delegation, user=user, agency_code=delegation.agency.code)
    return delegation
