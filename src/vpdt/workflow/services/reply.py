"""Soạn văn bản trả lời: a handler of an incoming document opens the outgoing draft that answers it.

The draft is prefilled (subject "V/v trả lời ...", the incoming's issuer as recipient when it
is an agency of the directory) and linked to the incoming one (DocumentLink, ResponseFor), so
the package the exchange sends at release carries ResponseFor (exchange.mapping).
"""

from __future__ import annotations

from django.db import transaction

from vpdt.core.errors import InvalidState
from vpdt.directory.models import Agency
from vpdt.records import services as records
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document, DocumentType
from vpdt.workflow.models import Assignment
from vpdt.workflow.services.common import HANDLING_STATES, _need, _state
from vpdt.workflow.services.incoming import my_assignment
from vpdt.workflow.services.outgoing import create_draft, set_recipients

SUBJECT_MAX = 500


def check_reply(user, document: Document) -> None:
    """Those who handle the incoming document (main or co-handling, themselves or as head of the unit)."""
    if document.direction != Direction.INCOMING:
        raise InvalidState("Chỉ soạn văn bản trả lời cho văn bản đến.", code="NOT_INCOMING")
    _state(document, [*HANDLING_STATES, State.COMPLETED], "Văn bản chưa được giao xử lý.")
    handles = my_assignment(user, document, roles=(Assignment.Role.MAIN, Assignment.Role.CO)) is not None
    if not handles and document.state == State.COMPLETED:
        handles = Assignment.objects.filter(document=document, user=user,
                                            role=Assignment.Role.MAIN).exists()
    _need(handles, "Chỉ người được giao xử lý văn bản mới soạn văn bản trả lời.")
    _need(user.agency_id == document.agency_id, "Chỉ cán bộ của cơ quan nhận văn bản soạn văn bản trả lời.")


def reply_subject(document: Document) -> str:
    """"V/v trả lời Công văn số 15/BNV-VP ngày 02/03/2026 của Bộ Nội vụ"."""
    parts = ["V/v trả lời", document.document_type.name if document.document_type_id else "văn bản"]
    if document.code:
        parts.append(f"số {document.code}")
    if document.issued_date:
        parts.append(f"ngày {document.issued_date:%d/%m/%Y}")
    if document.issuer_name:
        parts.append(f"của {document.issuer_name}")
    return " ".join(parts)[:SUBJECT_MAX]


def issuer_agency(document: Document) -> Agency | None:
    """The issuer as an agency of the directory (by its code), when it is one and not ourselves."""
    if not document.issuer_code:
        return None
    return Agency.objects.filter(code=document.issuer_code).exclude(pk=document.agency_id).first()


def start_reply(user, document: Document) -> Document:
    """Opens the reply's draft, linked to `document` (ResponseFor); returns the draft."""
    check_reply(user, document)
    kind = DocumentType.objects.filter(code="CV").first() or DocumentType.objects.order_by("order").first()
    # A reply to a secret document is as secret: its subject names the document it answers.
    data = {"subject": reply_subject(document), "document_type": kind, "urgency": document.urgency,
            "secrecy": document.secrecy}
    with transaction.atomic():
        draft = create_draft(user, data)
        agency = issuer_agency(document)
        if agency is not None:
            set_recipients(user, draft, agencies=[agency])
        records.link_reply(user, draft, document)
    return draft
