"""Approval chains and their steps, edited by the agency admin on the page "Quy trình duyệt".

Every change is audited with the step before and after; only an admin of the chain's agency
(or the platform admin) may make it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.directory.roles import Role
from vpdt.workflow.models import ApprovalChain, ApprovalStep

STEP_FIELDS = ("order", "label", "kind", "role", "user_id", "is_signer")


def _may_edit(actor, agency_id: int) -> None:
    if actor.is_superuser or actor.is_platform_admin or agency_id in actor.admin_agency_ids():
        return
    raise PermissionDenied(_("Chỉ quản trị cơ quan mới được sửa quy trình duyệt."))


def chains_of(agency_ids) -> list[ApprovalChain]:
    return list(ApprovalChain.objects.filter(agency_id__in=agency_ids).select_related("agency")
                .prefetch_related("steps__user"))


def create_chain(actor, agency, *, name: str) -> ApprovalChain:
    _may_edit(actor, agency.pk)
    chain = ApprovalChain.objects.create(agency=agency, name=name,
                                         is_default=not ApprovalChain.objects.filter(agency=agency).exists())
    audit.record("chain.create", chain, user=actor, detail={"after": {"name": name}})
    return chain


def _snapshot(step: ApprovalStep | None) -> dict:
    return {} if step is None else {f: getattr(step, f) for f in STEP_FIELDS}


def save_step(actor, chain: ApprovalChain, *, step: ApprovalStep | None = None, order: int, label: str,
              kind: str, role: str = "", user=None, is_signer: bool = False) -> ApprovalStep:
    """Add a step to `chain`, or change `step`: the audit log keeps both versions."""
    _may_edit(actor, chain.agency_id)
    if kind == ApprovalStep.Kind.ROLE and not role:
        raise InvalidInput(_("Chọn vai trò của người duyệt."), code="STEP_ROLE_REQUIRED")
    if kind == ApprovalStep.Kind.USER and user is None:
        raise InvalidInput(_("Chọn cán bộ duyệt."), code="STEP_USER_REQUIRED")
    if role == Role.PLATFORM_ADMIN:
        raise InvalidInput(_("Vai trò này không duyệt văn bản."), code="STEP_ROLE_REQUIRED")
    if user is not None and user.agency_id != chain.agency_id:
        raise InvalidInput(_("Cán bộ không thuộc cơ quan của quy trình."), code="STEP_USER_REQUIRED")
    taken = ApprovalStep.objects.filter(chain=chain, order=order).exclude(pk=getattr(step, "pk", None))
    if taken.exists():
        raise InvalidInput(_("Đã có bước mang thứ tự này."), code="STEP_ORDER_TAKEN")
    with transaction.atomic():
        before = _snapshot(step)
        step = step or ApprovalStep(chain=chain)
        step.order, step.label, step.kind, step.is_signer = order, label, kind, is_signer
        step.role = role if kind == ApprovalStep.Kind.ROLE else ""
        step.user = user if kind == ApprovalStep.Kind.USER else None
        step.save()
        audit.record("chain.step_save", chain, user=actor,
                     detail={"step": step.pk, "before": before, "after": _snapshot(step)})
    return step


def delete_step(actor, step: ApprovalStep) -> None:
    _may_edit(actor, step.chain.agency_id)
    with transaction.atomic():
        before = _snapshot(step)
        chain, pk = step.chain, step.pk
        step.delete()
        audit.record("chain.step_delete", chain, user=actor, detail={"step": pk, "before": before, "after": {}})
