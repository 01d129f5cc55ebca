"""Document ⇄ edXML MessageHeader, both ways, without loss for what both sides carry."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q
from django.utils import timezone

from vpdt import edxml
from vpdt.core.prepared import Read, ReferenceRead
from vpdt.directory.models import Agency
from vpdt.records.models import Document, DocumentLink, DocumentType
from vpdt.records.seed import seed_document_types

_DIGITS = re.compile(r"^\s*0*(\d{1,9})\s*$")


def document_id_for(document: Document) -> str:
    """`<sender OrganId>,<yyyy/MM/dd>,<number>/<notation>` (EDXML.md)."""
    if document.edxml_document_id:
        return document.edxml_document_id
    date = document.issued_date or timezone.localdate()
    return f"{document.agency.code},{date:%Y/%m/%d},{document.code}"


def organization(agency: Agency) -> edxml.Organization:
    parent = agency.parent
    return edxml.Organization(
        organ_id=agency.code, organ_name=agency.name,
        organization_in_charge=parent.name if parent else None,
        organ_add=agency.address or None, email=agency.email or None, telephone=agency.phone or None,
        fax=agency.fax or None, website=agency.website or None,
    )


# Every package written and received asks these (vpdt.core.prepared: the SQL written once).
def _types_named(name: str):
    return (DocumentType.objects.filter(Q(name__iexact=name) | Q(abbreviation__iexact=name))
            .order_by(*DocumentType._meta.ordering, "pk"))


# Reference data (vpdt.core.prepared.ReferenceRead): read once per run of the inbox's poll.
_AGENCY_BY_CODE = ReferenceRead(lambda code: Agency.objects.filter(code=code).select_related("parent")[:1], code=str)
_TYPE_BY_NAME = ReferenceRead(lambda name: _types_named(name)[:1], name=str)

# Every release asks these too: the document's type (not known yet on the locked row) and the
# documents it answers (ResponseFor).
_TYPE_BY_ID = Read(lambda pk: DocumentType.objects.filter(pk=pk), pk=int)
_LINKS = Read(lambda doc_id: DocumentLink.objects.filter(document_id=doc_id), doc_id=int)


def receiver_organization(code: str, name: str = "", agency: Agency | None = None) -> edxml.Organization:
    """The Organization a package names for a receiver: its agency (`agency` when the caller has
    it read, with its parent, else the agency of that code), or the bare code and name."""
    if agency is None or agency.code != code:
        agency = _AGENCY_BY_CODE.instance(code=code)
    if agency is not None:
        return organization(agency)
    return edxml.Organization(organ_id=code, organ_name=name or None)


def to_header(document: Document, receivers: list[edxml.Organization]) -> edxml.MessageHeader:
    """The MessageHeader of an outgoing document for the given receivers."""
    dtype = (document.document_type if Document.document_type.is_cached(document)
             else _TYPE_BY_ID.instance(pk=document.document_type_id))
    links = [
        edxml.ResponseFor(organ_id=link.organ_id or None, code=link.code or None,
                          document_id=link.edxml_document_id or None, promulgation_date=link.promulgation_date)
        for link in _LINKS.instances(doc_id=document.pk)
    ]
    return edxml.MessageHeader(
        from_=organization(document.agency),
        to=receivers,
        document_id=document_id_for(document),
        code=edxml.Code(number=document.number_text or None, notation=document.notation or None),
        promulgation=edxml.PromulgationInfo(place=document.place or None, date=document.issued_date),
        document_type=edxml.DocumentType(type=dtype.edxml_type, type_detail=0, type_name=dtype.name),
        subject=document.subject,
        content=document.content or None,
        signer=edxml.SignerInfo(competence=document.signer_competence or None,
                                position=document.signer_position or None, full_name=document.signer_name or None),
        due_date=document.due_date,
        other_info=edxml.OtherInfo(
            priority=int(document.urgency), sphere_of_promulgation=document.sphere or None,
            typer_notation=document.typer_notation or None, promulgation_amount=document.copies,
            page_amount=document.page_count,
        ),
        response_for=links,
        steering_type=int(document.steering_type),
    )


def _document_type(dtype: edxml.DocumentType | None) -> DocumentType:
    name = (dtype.type_name or "").strip() if dtype else ""
    if name:  # TypeName is authoritative (no official code table)
        found = _TYPE_BY_NAME.instance(name=name)
        if found:
            return found  # the table is seeded: nothing more to ask
    if not DocumentType.objects.exists():
        seed_document_types(DocumentType)
        found = _types_named(name).first() if name else None  # the read above saw the empty table
        if found:
            return found
    cong_van = DocumentType.objects.filter(abbreviation="").order_by("order").first()
    return cong_van or DocumentType.objects.order_by("order").first()


def split_code(code: edxml.Code | None) -> tuple[int | None, str]:
    """(number, notation); a CodeNumber that is not a number stays in the notation."""
    if code is None:
        return None, ""
    number, notation = (code.number or "").strip(), (code.notation or "").strip()
    m = _DIGITS.match(number)
    if m:
        return int(m.group(1)), notation
    if number:
        return None, f"{number}/{notation}" if notation else number
    return None, notation


def _clip(value: str | None, length: int) -> str:
    return (value or "").strip()[:length]


def incoming_fields(header: edxml.MessageHeader) -> dict:
    """Fields of the incoming Document for a received package (the receiver's copy)."""
    number, notation = split_code(header.code)
    other = header.other_info or edxml.OtherInfo()
    signer = header.signer or edxml.SignerInfo()
    promulgation = header.promulgation or edxml.PromulgationInfo()
    priority = other.priority if other.priority in (0, 1, 2, 3, 4) else 0
    return {
        "document_type": _document_type(header.document_type),
        "number": number,
        "notation": _clip(notation, 60),
        "issued_date": promulgation.date,
        "place": _clip(promulgation.place, 100),
        "subject": (header.subject or "").strip() or "(Không có trích yếu)",
        "content": (header.content or "").strip(),
        "signer_name": _clip(signer.full_name, 150),
        "signer_position": _clip(signer.position, 150),
        "signer_competence": _clip(signer.competence, 150),
        "urgency": priority,
        "page_count": other.page_amount if other.page_amount and other.page_amount > 0 else None,
        "copies": other.promulgation_amount if other.promulgation_amount and other.promulgation_amount > 0 else None,
        "due_date": header.due_date,
        "steering_type": header.steering_type if header.steering_type in (0, 1, 2) else 0,
        "sphere": _clip(other.sphere_of_promulgation, 100),
        "typer_notation": _clip(other.typer_notation, 40),
        "issuer_code": _clip(header.from_.organ_id, 40),
        "issuer_name": _clip(header.from_.organ_name, 255),
        "edxml_document_id": _clip(header.document_id, 255),
    }


def response_links(header: edxml.MessageHeader) -> list[dict]:
    """DocumentLink rows (ResponseFor) for a received header."""
    out = []
    for rf in header.response_for:
        target = None
        if rf.document_id:
            target = Document.objects.filter(edxml_document_id=rf.document_id).order_by("id").first()
        out.append({"target": target, "organ_id": _clip(rf.organ_id, 40), "code": _clip(rf.code, 100),
                    "edxml_document_id": _clip(rf.document_id, 255), "promulgation_date": rf.promulgation_date})
    return out


def status_response_for(document: Document) -> edxml.ResponseFor:
    """ResponseFor naming `document` (an incoming copy, by its issuer's identity; or our own outgoing one)."""
    organ = document.issuer_code or document.agency.code
    return edxml.ResponseFor(organ_id=organ, code=document.code or None, document_id=document.edxml_document_id,
                             promulgation_date=document.issued_date)


def vietnam_now() -> dt.datetime:
    """edXML timestamps carry no zone: Vietnam time, naive, whole seconds."""
    return timezone.localtime().replace(tzinfo=None, microsecond=0)
