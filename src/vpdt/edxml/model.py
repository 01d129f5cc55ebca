"""Typed models of edXML document and status packages (QCVN 102:2016).

Plain dataclasses with the names of the format in snake_case. Dates are `datetime.date`,
timestamps naive `datetime.datetime` (the format carries no time zone; Vietnam, UTC+7,
is implied). A field the package did not carry is None (or an empty list).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

# Business types (BussinessDocType).
BUSINESS_NEW = 0
BUSINESS_REVOKE = 1
BUSINESS_UPDATE = 2
BUSINESS_REPLACE = 3

# Status codes (StatusCode); other two-digit codes are kept as they come.
STATUS_RECEIVED = "01"
STATUS_REJECTED = "02"
STATUS_ACCEPTED = "03"
STATUS_ASSIGNED = "04"
STATUS_PROCESSING = "05"
STATUS_FINISHED = "06"
STATUS_TAKE_BACK = "13"
STATUS_AGREED = "15"
STATUS_REFUSED = "16"
STATUS_NAMES = {
    "01": "Đã đến",
    "02": "Từ chối",
    "03": "Đã tiếp nhận",
    "04": "Phân công",
    "05": "Đang xử lý",
    "06": "Hoàn thành",
    "13": "Lấy lại",
    "15": "Đồng ý cập nhật/lấy lại",
    "16": "Từ chối cập nhật/lấy lại",
}


@dataclass
class Organization:
    organ_id: str
    organ_name: str | None = None
    organization_in_charge: str | None = None
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass
class Code:
    number: str | None = None
    notation: str | None = None


@dataclass
class PromulgationInfo:
    place: str | None = None
    date: dt.date | None = None


@dataclass
class DocumentType:
    type: int | None = None
    type_detail: int | None = None
    type_name: str | None = None


@dataclass
class SignerInfo:
    competence: str | None = None
    position: str | None = None
    full_name: str | None = None


@dataclass
class OtherInfo:
    priority: int | None = None
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: bool | None = None
    appendixes: list[str] = field(default_factory=list)


@dataclass
class ResponseFor:
    """The document this package answers, revokes or reports on."""

    organ_id: str | None = None
    code: str | None = None
    document_id: str | None = None
    promulgation_date: dt.date | None = None


@dataclass
class StaffInfo:
    department: str | None = None
    department_id: str | None = None
    staff: str | None = None
    staff_id: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass
class MessageHeader:
    """MessageHeader of a document package, in the order the official library writes it."""

    from_: Organization
    to: list[Organization]
    document_id: str
    code: Code | None = None
    promulgation: PromulgationInfo | None = None
    document_type: DocumentType | None = None
    subject: str | None = None
    content: str | None = None
    signer: SignerInfo | None = None
    due_date: dt.date | None = None
    other_info: OtherInfo | None = None
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: int | None = None
    task_code: str | None = None  # ResponseForTask/TaskCode
    application_type: str | None = None
    to_places: list[str] = field(default_factory=list)

    @property
    def priority(self) -> int | None:
        return self.other_info.priority if self.other_info else None


@dataclass
class TraceHeader:
    organ_id: str | None = None
    timestamp: dt.datetime | None = None


@dataclass
class Receiver:
    organ_id: str | None = None
    receiver_type: int | None = None


@dataclass
class BusinessDocumentInfo:
    """For an update (type 2): what changed (DocumentInfo, DocumentReceiver) and for whom."""

    document_info: str | None = None
    document_receiver: str | None = None
    receivers: list[Receiver] = field(default_factory=list)


@dataclass
class ReplacementInfo:
    """For a replacement (type 3): a document replaced and the agencies that had it."""

    document_id: str | None = None
    organ_ids: list[str] = field(default_factory=list)


@dataclass
class Business:
    """TraceHeaderList/Bussiness (spelled so in the format)."""

    doc_type: int = BUSINESS_NEW
    document_id: str | None = None
    reason: str | None = None
    paper: int | None = None
    document_info: BusinessDocumentInfo | None = None
    replacements: list[ReplacementInfo] = field(default_factory=list)
    staff: StaffInfo | None = None

    @property
    def replaced(self) -> list[str]:
        return [r.document_id for r in self.replacements if r.document_id]


@dataclass
class SignatureInfo:
    present: bool = False
    valid: bool | None = None  # None when absent
    signer_subject: str | None = None
    algorithm: str | None = None
    detail: str | None = None  # why it did not verify


@dataclass
class ZipEntry:
    name: str
    size: int
    sha256: str


@dataclass
class ManifestReference:
    content_id: str
    content_type: str | None = None
    description: str | None = None
    name: str | None = None


@dataclass
class Attachment:
    """An attachment as read: metadata plus size and SHA-256 of the decoded bytes (None when
    read with `decode_attachments=False`)."""

    content_id: str
    name: str | None = None
    content_type: str | None = None
    description: str | None = None
    size: int | None = 0
    sha256: str | None = ""
    zipped: bool = False  # a zip made for transport around one file (or a few)
    zip_entries: list[ZipEntry] | None = None
    stored: Any = None  # what the sink reported (e.g. a path), None when discarded


@dataclass
class AttachmentMeta:
    """What a sink knows when an attachment starts (content may precede some fields)."""

    content_id: str | None
    name: str | None
    content_type: str | None
    description: str | None
    index: int


@dataclass
class AttachmentSource:
    """An attachment to write: a path, bytes or a readable binary file object."""

    name: str
    data: Any  # str | os.PathLike | bytes | BinaryIO
    content_type: str | None = None
    description: str | None = None
    content_id: str | None = None

    def open(self) -> BinaryIO:
        import io
        import os

        if isinstance(self.data, bytes | bytearray | memoryview):
            return io.BytesIO(bytes(self.data))
        if isinstance(self.data, str | os.PathLike):
            return open(self.data, "rb")
        return _NoClose(self.data)


class _NoClose:
    """A caller's file object: read it, never close it."""

    def __init__(self, f):
        self._f = f

    def read(self, n=-1):
        return self._f.read(n)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@dataclass
class DocumentPackage:
    header: MessageHeader
    trace: list[TraceHeader] = field(default_factory=list)
    business: Business | None = None
    manifest: list[ManifestReference] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    signature: SignatureInfo = field(default_factory=SignatureInfo)
    warnings: list = field(default_factory=list)  # EdxmlWarning; str() for display
    kind: Literal["document"] = "document"

    @property
    def document_id(self) -> str:
        return self.header.document_id

    @property
    def from_(self) -> Organization:
        return self.header.from_

    @property
    def to(self) -> list[Organization]:
        return self.header.to

    @property
    def business_type(self) -> int:
        return self.business.doc_type if self.business else BUSINESS_NEW


@dataclass
class StatusPackage:
    """A status report about a document (StatusCode 01–06, 13, 15, 16, ...)."""

    from_: Organization
    status_code: str
    response_for: list[ResponseFor] = field(default_factory=list)
    to: list[Organization] = field(default_factory=list)
    staff: StaffInfo | None = None
    description: str | None = None
    timestamp: dt.datetime | None = None
    trace: list[TraceHeader] = field(default_factory=list)
    business: Business | None = None
    signature: SignatureInfo = field(default_factory=SignatureInfo)
    warnings: list = field(default_factory=list)
    kind: Literal["status"] = "status"

    @property
    def document_id(self) -> str | None:
        """DocumentId of the document the status is about."""
        for r in self.response_for:
            if r.document_id:
                return r.document_id
        return None

    @property
    def status_name(self) -> str | None:
        return STATUS_NAMES.get(self.status_code)


Package = DocumentPackage | StatusPackage
