"""The one place that decides who sees which document. Views, the API and services use it.

Rules (ARCHITECTURE.md invariant 3):
- an agency sees only its own documents (an incoming document is the receiving agency's own
  record; the sender's outgoing record stays the sender's);
- within an agency, clerks and leaders see every non-secret document; unit heads see what
  their unit drafted or was given; specialists see what they drafted or were given;
- a secret document is visible only to people with an explicit grant.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from vpdt.core import audit
from vpdt.core.errors import NotFound, PermissionDenied
from vpdt.directory.roles import Role
from vpdt.records.models import Document, DocumentAccess


def _member_agency_ids(user) -> set[int]:
    return user.member_agency_ids()


def visible_documents(user, base: QuerySet | None = None) -> QuerySet:
    """Every document `user` may see, as a queryset to filter further."""
    qs = base if base is not None else Document.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    wide = user.agencies_with_wide_view()
    members = _member_agency_ids(user)
    head_units = [user.unit_id] if user.unit_id and user.has_role(Role.UNIT_HEAD, user.agency_id) else []

    direct = DocumentAccess.objects.filter(Q(user=user) | Q(unit_id__in=head_units)).values("document_id")
    secret = DocumentAccess.objects.filter(user=user, secret_grant=True).values("document_id")

    open_docs = Q(secrecy=0) & (
        Q(agency_id__in=wide)
        | Q(agency_id__in=members, id__in=direct)
        | Q(agency_id__in=members, created_by=user)
        | (Q(agency_id__in=members, drafting_unit_id__in=head_units) if head_units else Q(pk__in=[]))
    )
    secret_docs = Q(secrecy__gt=0, agency_id__in=members, id__in=secret)
    return qs.filter(open_docs | secret_docs)


def can_view(user, document: Document) -> bool:
    return visible_documents(user, Document.objects.filter(pk=document.pk)).exists()


def get_visible(user, pk: int) -> Document:
    """Fetch a document for `user`: NotFound for another agency's, PermissionDenied within the agency.

    Reading a secret document is audited.
    """
    document = Document.objects.select_related("agency", "document_type").filter(pk=pk).first()
    if document is None or document.agency_id not in _member_agency_ids(user):
        raise NotFound("Không tìm thấy văn bản.", detail=f"document {pk} not found for this caller")
    if not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền xem văn bản này.", detail=f"document {pk}")
    if document.is_secret:
        audit.record("document.read_secret", document, user=user)
    return document


def require_role(user, agency_id: int, *roles: str) -> None:
    if user.is_superuser:
        return
    if not any(user.has_role(role, agency_id) for role in roles):
        names = ", ".join(Role(r).label for r in roles)
        raise PermissionDenied(f"Thao tác này chỉ dành cho: {names}.", detail=f"requires one of {roles}")
