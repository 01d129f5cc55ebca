"""Small builders for tests: an agency with its people, documents in a given state."""

from __future__ import annotations

import itertools

from vpdt.directory.models import Agency, RoleAssignment, Unit, User
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document, DocumentType
from vpdt.records.seed import seed_document_types

_seq = itertools.count(1)


def doc_type(code: str = "CV") -> DocumentType:
    found = DocumentType.objects.filter(code=code).first()
    if found is None:
        seed_document_types(DocumentType)
        found = DocumentType.objects.get(code=code)
    return found


def agency(code: str | None = None, abbreviation: str = "UBND", name: str | None = None, **kw) -> Agency:
    n = next(_seq)
    code = code or f"000.00.{n % 100:02d}.H{(n // 100) % 100:02d}"
    return Agency.objects.create(code=code, name=name or f"Cơ quan thử {n}", abbreviation=abbreviation, **kw)


def unit(agency: Agency, abbreviation: str = "VP", name: str | None = None) -> Unit:
    return Unit.objects.create(agency=agency, abbreviation=abbreviation, name=name or f"Phòng {abbreviation}")


def person(agency: Agency, *roles: str, unit: Unit | None = None, username: str | None = None) -> User:
    user = User.objects.create_user(
        username=username or f"user{next(_seq)}", password="Secret#12345", agency=agency, unit=unit,
        full_name=f"Cán bộ {next(_seq)}",
    )
    for role in roles:
        RoleAssignment.objects.create(user=user, agency=agency, role=role)
    return user


def clerk(agency: Agency, **kw) -> User:
    return person(agency, Role.CLERK, **kw)


def document(agency: Agency, *, direction: str = Direction.OUTGOING, state: str | None = None,
             type_code: str = "CV", **fields) -> Document:
    if state is None:
        state = State.APPROVED if direction != Direction.INCOMING else State.RECEIVED
    fields.setdefault("subject", "Về việc thử nghiệm hệ thống văn phòng điện tử")
    return Document.objects.create(agency=agency, direction=direction, state=state,
                                   document_type=doc_type(type_code), **fields)
