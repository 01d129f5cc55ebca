"""The one place that decides who sees which document. Views, the API and services use it.

Rules (ARCHITECTURE.md invariant 3):
- an agency sees only its own documents (an incoming document is the receiving agency's own
  record; the sender's outgoing record stays the sender's);
- within an agency, clerks and leaders see every non-secret document; unit heads see what
  their unit drafted or was given; specialists see what they drafted or were given;
- a secret document is visible only to people with an explicit grant.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from vpdt.core import audit, request_context
from vpdt.core.errors import NotFound, PermissionDenied
from vpdt.core.i18n import vietnamese
from vpdt.core.prepared import Read
from vpdt.directory.roles import Role
from vpdt.records.actors import is_system
from vpdt.records.models import Document, DocumentAccess


def _member_agency_ids(user) -> set[int]:
    return user.member_agency_ids()


# Secret grants are rare; up to this many are inlined as literal ids (an index lookup),
# beyond it they stay a subquery.
_INLINE_SECRET_IDS = 500


# What a unit head or specialist reached (their access rows and drafts): up to this many are
# passed as an array of ids in a read-only request (looked up once for the page), beyond it they
# stay a subquery. As a subquery PostgreSQL guesses hundreds of rows whatever the person has, and
# with a search's condition it chose to read every document of the agency and check each (a
# specialist's search: 45-250 ms on 1,000,000 documents); with the ids it looks up those
# documents by key (1-12 ms), and a plain list gets no slower.
_INLINE_REACHED_IDS = 2000


# A person's secret grants, read on every page that lists or opens documents: one prepared
# statement (vpdt.core.prepared).
_SECRET_IDS = Read(lambda user_id: DocumentAccess.objects.filter(user_id=user_id, secret_grant=True)
                   .values_list("document_id").order_by()[: _INLINE_SECRET_IDS + 1], user_id=int)


# The document a page opens, with its agency and type (prepared: written out once).
_DOCUMENT = Read(lambda pk: Document.objects.select_related("agency", "document_type").filter(pk=pk).order_by(),
                 pk=int)


def _one_of(field: str, ids) -> Q:
    """`field = X` for one id (the plain condition every planner matches to an index)."""
    ids = sorted(ids)
    return Q(**{field: ids[0]}) if len(ids) == 1 else Q(**{f"{field}__in": ids})


def visible_documents(user, base: QuerySet | None = None) -> QuerySet:
    """Every document `user` may see, as a queryset to filter further.

    Built so that each branch is an index range: a clerk or leader of one agency without
    secret grants gets exactly `agency_id = X AND secrecy = 0`; a unit head or specialist
    gets `agency_id = X AND secrecy = 0 AND id IN (their access rows UNION their drafts)`, in a
    read-only request as the list of those ids when they are few (`_INLINE_REACHED_IDS`).

    Built once per read-only request (a list page asks for it once per queue it counts);
    each caller gets its own copy to filter.
    """
    if base is None and getattr(user, "pk", None) is not None and not is_system(user):
        return request_context.remembered(("visible", user.pk), lambda: _visible(user, Document.objects.all())).all()
    return _visible(user, base if base is not None else Document.objects.all())


def _wide(user) -> set[int]:
    """The agencies where `user` sees every non-secret document (clerk, leader)."""
    return set(user.agencies_with_wide_view()) & _member_agency_ids(user)


def _visible(user, qs: QuerySet) -> QuerySet:
    if user is None or not user.is_authenticated:
        return qs.none()
    members = _member_agency_ids(user)
    if not members:
        return qs.none()
    wide = _wide(user)
    narrow = members - wide
    head_units = [user.unit_id] if user.unit_id and user.has_role(Role.UNIT_HEAD, user.agency_id) else []

    secret = (DocumentAccess.objects.filter(user=user, secret_grant=True)
              .values_list("document_id", flat=True).order_by())
    secret_ids = request_context.remembered(("secret_ids", user.pk),
                                            lambda: [row[0] for row in _SECRET_IDS.rows(user_id=user.pk)])
    granted = secret if len(secret_ids) > _INLINE_SECRET_IDS else secret_ids

    condition = Q(pk__in=[])
    if wide:
        condition |= _one_of("agency_id", wide) & Q(secrecy=0)
        if granted:
            condition |= _one_of("agency_id", wide) & Q(secrecy__gt=0, id__in=granted)
    if narrow:
        # Everything this person reached: access rows (own, which include their secret
        # grants, or their unit's as its head), what they drafted, what their unit drafted.
        # One id set, driven by indexes; secret ones among them only if granted. Kept as one
        # branch: an OR of two branches made PostgreSQL walk the whole agency (260 ms).
        table = Document._meta.db_table
        access = DocumentAccess._meta.db_table
        parts = [f"SELECT document_id FROM {access} WHERE user_id = %s", f"SELECT id FROM {table} WHERE created_by_id = %s"]
        params: list = [user.pk, user.pk]
        for unit_id in head_units:
            parts += [f"SELECT document_id FROM {access} WHERE unit_id = %s",
                      f"SELECT id FROM {table} WHERE drafting_unit_id = %s"]
            params += [unit_id, unit_id]
        reached_sql = " UNION ".join(parts)
        ids = _reached_ids(qs.db, user, reached_sql, params)
        reached = Q(id__any_of=ids) if ids is not None else Q(id__in=RawSQL(reached_sql, params))
        allowed = Q(secrecy=0) | Q(id__in=granted) if granted else Q(secrecy=0)
        condition |= _one_of("agency_id", narrow) & reached & allowed
    return qs.filter(condition)


def _reached_ids(db: str, user, sql: str, params: list) -> list[int] | None:
    """The ids `sql` (what a narrow-view person reached) finds, when there are at most
    _INLINE_REACHED_IDS; None beyond, or outside a read-only request: a form's POST, the worker
    and services may add an access row or a draft and read the documents again in one go, so
    there the set stays a subquery, read when the documents are."""
    if not request_context.memo_open():
        return None

    def look() -> list[int] | None:
        with connections[db].cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({sql}) AS reached LIMIT {_INLINE_REACHED_IDS + 1}", params)
            ids = [row[0] for row in cursor.fetchall()]
        return ids if len(ids) <= _INLINE_REACHED_IDS else None

    return request_context.remembered(("reached_ids", db, user.pk, sql), look)


def can_view(user, document: Document) -> bool:
    if is_system(user):  # the system acts for its own agency only (records.actors)
        return user.acts_for(document.agency_id)
    if getattr(user, "is_authenticated", False) and document.secrecy == 0 and document.agency_id in _wide(user):
        return True  # _visible's first branch, decided without asking: a clerk or leader, a non-secret document
    return request_context.remembered(  # asked by several buttons' checks of one page
        ("can_view", user.pk, document.pk),
        lambda: visible_documents(user, Document.objects.filter(pk=document.pk)).exists())


def get_visible(user, pk: int) -> Document:
    """Fetch a document for `user`: NotFound for another agency's, PermissionDenied within the agency.

    Reading a secret document is audited.
    """
    # get(), not first(): first() orders by id, and Django's ordering of a wide select costs
    # about 1 ms of CPU for nothing on a lookup by primary key
    document = _DOCUMENT.instance(pk=pk)
    if document is None or document.agency_id not in _member_agency_ids(user):
        raise NotFound("Không tìm thấy văn bản.", detail=f"document {pk} not found for this caller")
    if not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền xem văn bản này.", detail=f"document {pk}")
    if document.is_secret:
        audit.record("document.read_secret", document, user=user)
    return document


def require_role(user, agency_id: int, *roles: str) -> None:
    """One of `roles` held in `agency_id`. A superuser (the platform admin) holds none by being one:
    they run agencies and connections, not an agency's documents (DOMAIN.md "Who")."""
    if is_system(user):
        if user.acts_for(agency_id):
            return
        raise PermissionDenied("Hệ thống không được thao tác trên văn bản của cơ quan khác.",
                               detail=f"system actor of agency {user.agency_id} on agency {agency_id}")
    if not any(user.has_role(role, agency_id) for role in roles):
        names = ", ".join(vietnamese(Role(r).label) for r in roles)
        raise PermissionDenied(f"Thao tác này chỉ dành cho: {names}.", detail=f"requires one of {roles}")
