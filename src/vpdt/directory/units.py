"""An agency's internal units (phòng, ban), kept by its admin on the page "Đơn vị"; every change
audited with before/after. A unit is never deleted (its people and documents keep it): it is
made inactive."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.directory.models import Agency, Unit

FIELDS = ("name", "abbreviation", "parent_id", "active")


def _may_edit(actor, agency_id: int) -> None:
    if actor.is_superuser or actor.is_platform_admin or agency_id in actor.admin_agency_ids():
        return
    raise PermissionDenied(_("Chỉ quản trị cơ quan mới được sửa đơn vị."))


def save_unit(actor, agency: Agency, *, unit: Unit | None = None, name: str, abbreviation: str,
              parent: Unit | None = None, active: bool = True) -> Unit:
    _may_edit(actor, agency.pk)
    if unit is not None and unit.agency_id != agency.pk:
        raise PermissionDenied(_("Đơn vị không thuộc cơ quan này."))
    if parent is not None and (parent.agency_id != agency.pk or (unit is not None and parent.pk == unit.pk)):
        raise InvalidInput(_("Đơn vị cấp trên không hợp lệ."), code="UNIT_PARENT")
    before = {f: getattr(unit, f) for f in FIELDS} if unit is not None else {}
    unit = unit or Unit(agency=agency)
    unit.name, unit.abbreviation, unit.parent, unit.active = name, abbreviation, parent, active
    try:
        with transaction.atomic():
            unit.save()
            audit.record("unit.save", unit, user=actor,
                         detail={"unit": unit.pk, "before": before, "after": {f: getattr(unit, f) for f in FIELDS}})
    except IntegrityError as exc:
        raise InvalidInput(_("Cơ quan đã có đơn vị mang chữ viết tắt này."), code="UNIT_ABBREVIATION") from exc
    return unit
