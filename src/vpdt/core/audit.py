"""The one way to write the audit log."""

from __future__ import annotations

from typing import Any

from vpdt.core import request_context
from vpdt.core.models import AuditEntry


def record(action: str, obj: Any = None, *, user=None, agency_code: str = "", detail: dict | None = None) -> AuditEntry:
    """Append an entry: `action` is a dotted verb (`document.register`), `obj` the object changed.

    The acting user and address come from the request context unless `user` is given.
    `user` may be a system actor (anything with `is_system_actor`, e.g.
    `vpdt.records.actors.SystemActor`): the entry then names it and says `via="system"`.
    """
    actor = request_context.current()
    via = actor.via
    system = getattr(user, "is_system_actor", False)
    user_id = user.pk if user is not None else actor.user_id
    name = ""
    if system:
        via = "system"
        name = user.get_full_name()
    elif user is not None:
        name = user.get_full_name() or user.get_username()
    elif user_id is not None:
        from django.contrib.auth import get_user_model

        found = get_user_model().objects.filter(pk=user_id).first()
        name = (found.get_full_name() or found.get_username()) if found else ""
    if not agency_code and obj is not None:
        agency = getattr(obj, "agency", None)
        agency_code = getattr(agency, "code", "") or ""
    return AuditEntry.objects.create(
        actor_id=user_id,
        actor_name=name,
        agency_code=agency_code,
        action=action,
        object_type=obj._meta.label_lower if obj is not None and hasattr(obj, "_meta") else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        ip=actor.ip,
        via=via,
        detail=detail or {},
    )


def history(obj) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("at", "id")
    )
