"""Canned direction texts (ý kiến chỉ đạo mẫu) per agency, offered on the direction forms.

The agency admin or a leader of the agency edits them; every change is audited.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, NotFound
from vpdt.directory.models import Agency
from vpdt.directory.roles import Role
from vpdt.workflow.models import DirectionText
from vpdt.workflow.services.common import _need

MAX_LENGTH = 1000
EDITORS = (Role.AGENCY_ADMIN, Role.LEADER)


def may_edit(user, agency_id: int | None) -> bool:
    return bool(agency_id) and any(user.has_role(role, agency_id) for role in EDITORS)


def check_edit(user, agency_id: int | None) -> None:
    _need(may_edit(user, agency_id), "Chỉ quản trị đơn vị hoặc lãnh đạo cơ quan sửa ý kiến chỉ đạo mẫu.")


def texts_for(agency_id: int | None) -> QuerySet:
    return DirectionText.objects.filter(agency_id=agency_id)


def _clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Nhập nội dung ý kiến chỉ đạo.", code="TEXT_REQUIRED")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"Ý kiến chỉ đạo mẫu dài tối đa {MAX_LENGTH} ký tự.", code="TEXT_TOO_LONG")
    return text


def add_text(user, agency: Agency, text: str, *, order: int | None = None) -> DirectionText:
    check_edit(user, agency.pk)
    text = _clean(text)
    if order is None:
        last = texts_for(agency.pk).order_by("-order").values_list("order", flat=True).first()
        order = (last or 0) + 10
    with transaction.atomic():
        made = DirectionText.objects.create(agency=agency, text=text, order=order, created_by=user)
        audit.record("direction_text.add", made, user=user, agency_code=agency.code, detail={"text": text})
    return made


def _get(user, pk: int) -> DirectionText:
    found = DirectionText.objects.select_related("agency").filter(pk=pk).first()
    if found is None or not may_edit(user, found.agency_id):
        raise NotFound("Không tìm thấy ý kiến chỉ đạo mẫu.")
    return found


def update_text(user, pk: int, text: str, *, order: int | None = None) -> DirectionText:
    found = _get(user, pk)
    text = _clean(text)
    with transaction.atomic():
        old = found.text
        found.text = text
        if order is not None:
            found.order = order
        found.save(update_fields=["text", "order"])
        audit.record("direction_text.update", found, user=user, agency_code=found.agency.code,
                     detail={"from": old, "to": text})
    return found


def delete_text(user, pk: int) -> None:
    found = _get(user, pk)
    with transaction.atomic():
        audit.record("direction_text.delete", found, user=user, agency_code=found.agency.code,
                     detail={"text": found.text})
        found.delete()


def direction_context(user, agency_id: int | None) -> dict:
    """What a direction form shows: the agency's canned texts, and whether `user` may edit them."""
    return {"direction_texts": list(texts_for(agency_id)), "may_edit_texts": may_edit(user, agency_id)}
