"""The helpers every workflow service shares: permission and state checks, locks, labels."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps as django_apps
from django.db.models import F

from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.core.prepared import Read, ReferenceRead
from vpdt.directory.models import Unit, User
from vpdt.directory.roles import Role
from vpdt.records.choices import State
from vpdt.records.models import Document

DRAFT_EXTENSIONS = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    ".pdf": "application/pdf",
                    ".odt": "application/vnd.oasis.opendocument.text"}  # converted to PDF like a .docx
HANDLING_STATES = (State.ASSIGNED, State.IN_PROGRESS)


def _has(user, role: str, agency_id: int) -> bool:
    # A role held in the document's agency; being a superuser (the platform admin) is none:
    # the platform admin runs agencies and connections, not an agency's documents.
    return user.has_role(role, agency_id)


def _need(cond: bool, message: str, detail: str = "") -> None:
    if not cond:
        raise PermissionDenied(message, detail=detail)


def _state(document: Document, allowed: Iterable[str], message: str) -> None:
    if document.state not in set(allowed):
        raise InvalidState(message, code="WRONG_STATE", detail=f"state={document.state}")


def _reason(text: str, message: str = "Cần ghi rõ lý do.") -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(message, code="REASON_REQUIRED")
    return text


def _lock(document: Document) -> Document:
    """The document read again and locked for the change (every workflow action starts here)."""
    locked = _LOCKED.instance(pk=document.pk)
    if locked is None:
        raise Document.DoesNotExist(f"document {document.pk} does not exist")
    return locked


# written out once (vpdt.core.prepared)
# With its type: a release writes it into the package (one statement fewer than reading it then).
_LOCKED = Read(lambda pk: Document.objects.select_for_update(of=("self",)).select_related("agency", "document_type")
               .filter(pk=pk).order_by("pk")[:1], pk=int)


def unit_heads(unit: Unit) -> list[User]:
    return list(User.objects.filter(unit=unit, is_active=True, role_assignments__role=Role.UNIT_HEAD,
                                    role_assignments__agency=unit.agency_id).distinct())


def unit_heads_of(unit_ids: Iterable[int]) -> dict[int, list[User]]:
    """`unit_heads` of many units in one query: unit id -> its heads ([] when none)."""
    heads: dict[int, list[User]] = {pk: [] for pk in unit_ids}
    if heads:
        for user in User.objects.filter(unit__in=list(heads), is_active=True, role_assignments__role=Role.UNIT_HEAD,
                                        role_assignments__agency=F("unit__agency")).distinct():
            heads[user.unit_id].append(user)
    return heads


def role_holders(agency_id: int, role: str) -> list[User]:
    return _ROLE_HOLDERS.instances(agency_id=agency_id, role=role)


# Every received document's notice asks it (vpdt.core.prepared: the SQL written once; reference
# data, read once per run of the inbox's poll).
_ROLE_HOLDERS = ReferenceRead(lambda agency_id, role: User.objects.filter(
    is_active=True, role_assignments__role=role, role_assignments__agency=agency_id).distinct(),
    agency_id=int, role=str)


def _url(document: Document) -> str:
    return f"/van-ban/{document.pk}/"


def _label(document: Document) -> str:
    code = document.code or (f"số đến {document.incoming_number_text}" if document.incoming_number else "")
    return f"{code + ' – ' if code else ''}{document.subject[:90]}"



def signing_services():
    """The signing app's services, or None when the deployment leaves it out."""
    if not django_apps.is_installed("vpdt.signing"):
        return None
    from vpdt.signing import services as signing

    return signing
