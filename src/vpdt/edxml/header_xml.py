"""Map the edXMLHeader between XML (lxml elements) and the typed models, both ways.

Reading matches children by namespace URI and local name in any order and tolerates
missing optional elements; it is strict on what routing needs (From, To, DocumentId,
parseable dates and numbers). Writing follows the element order of the official library.
"""

from __future__ import annotations

import datetime as dt
import re

from lxml import etree

from . import errors as E
from .codes import organ_id_problem
from .errors import EdxmlError, EdxmlWarning
from .model import (
    NS,
    Business,
    BusinessDocumentInfo,
    Code,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusPackage,
    TraceHeader,
)

HEADER_PATH = "/edXML/edXMLEnvelope/edXMLHeader"
_DATE_RE = re.compile(r"^\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$")
_DMY_RE = re.compile(r"^\s*(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


def q(local: str) -> str:
    return f"{{{NS}}}{local}"


def parse_datetime(text: str) -> dt.datetime:
    """yyyy/MM/dd[ HH:mm[:ss]] as written by the official library; also ISO and dd/MM/yyyy."""
    m = _DATE_RE.match(text)
    if m:
        y, mo, d, h, mi, s = m.groups()
    else:
        m = _DMY_RE.match(text)
        if not m:
            raise ValueError(f"unrecognised date {text!r}")
        d, mo, y, h, mi, s = m.groups()
    return dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))


def format_date(value: dt.date | None) -> str | None:
    return None if value is None else f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def format_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return f"{format_date(value)} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"


class _Reader:
    """Reads one header; collects warnings; raises EdxmlError with the element path."""

    def __init__(self, warnings: list, strict: bool):
        self.warnings = warnings
        self.strict = strict

    # -- primitives -------------------------------------------------------------
    @staticmethod
    def path(el) -> str:
        parts = []
        while el is not None:
            parts.append(etree.QName(el).localname)
            el = el.getparent()
        parts.reverse()
        # The header is parsed inside a wrapper: re-anchor it at its place in the package.
        i = parts.index("edXMLHeader") if "edXMLHeader" in parts else 0
        return HEADER_PATH + ("/" + "/".join(parts[i + 1 :]) if parts[i + 1 :] else "")

    # iterchildren(tag) filters in C; find() goes through ElementPath (2.5 times the CPU, and
    # a header asks for ~50 children)
    @staticmethod
    def child(el, local: str):
        return None if el is None else next(el.iterchildren(q(local)), None)

    @staticmethod
    def children(el, local: str) -> list:
        return [] if el is None else list(el.iterchildren(q(local)))

    def text(self, el, local: str) -> str | None:
        c = self.child(el, local)
        if c is None:
            return None
        t = c.text or ""
        t = t.strip()
        return t if t else None

    def date(self, el, local: str) -> dt.date | None:
        t = self.text(el, local)
        if t is None:
            return None
        try:
            return parse_datetime(t).date()
        except ValueError as exc:
            raise EdxmlError(E.BAD_DATE, f"{local}: {exc}", self.path(self.child(el, local))) from None

    def datetime(self, el, local: str) -> dt.datetime | None:
        t = self.text(el, local)
        if t is None:
            return None
        try:
            return parse_datetime(t)
        except ValueError as exc:
            raise EdxmlError(E.BAD_DATE, f"{local}: {exc}", self.path(self.child(el, local))) from None

    def int(self, el, local: str) -> int | None:
        t = self.text(el, local)
        if t is None:
            return None
        try:
            return int(t)
        except ValueError:
            raise EdxmlError(E.BAD_NUMBER, f"{local}: {t!r} is not an integer", self.path(self.child(el, local))) from None

    def bool(self, el, local: str) -> bool | None:
        t = self.text(el, local)
        if t is None:
            return None
        low = t.lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise EdxmlError(E.BAD_NUMBER, f"{local}: {t!r} is not a boolean", self.path(self.child(el, local)))

    def check_organ_id(self, code: str | None, el) -> None:
        problem = organ_id_problem(code)
        if problem:
            w = EdxmlWarning(E.ORGAN_ID, problem, self.path(el))
            if self.strict:
                raise w.to_error()
            self.warnings.append(w)

    # -- structures -------------------------------------------------------------
    def organization(self, el, required_code: str) -> Organization:
        organ_id = self.text(el, "OrganId")
        if not organ_id:
            raise EdxmlError(
                required_code if required_code == E.NO_FROM else E.NO_ORGAN_ID,
                f"{etree.QName(el).localname} has no OrganId",
                self.path(el) + "/OrganId",
            )
        self.check_organ_id(organ_id, self.child(el, "OrganId"))
        return Organization(
            organ_id=organ_id,
            organ_name=self.text(el, "OrganName"),
            organization_in_charge=self.text(el, "OrganizationInCharge"),
            organ_add=self.text(el, "OrganAdd"),
            email=self.text(el, "Email"),
            telephone=self.text(el, "Telephone"),
            fax=self.text(el, "Fax"),
            website=self.text(el, "Website"),
        )

    def from_(self, mh) -> Organization:
        el = self.child(mh, "From")
        if el is None:
            raise EdxmlError(E.NO_FROM, "MessageHeader has no From", self.path(mh) + "/From")
        return self.organization(el, E.NO_FROM)

    def to_list(self, mh, required: bool) -> list[Organization]:
        tos = self.children(mh, "To")
        if required and not tos:
            raise EdxmlError(E.NO_TO, "MessageHeader has no To", self.path(mh) + "/To")
        return [self.organization(t, E.NO_TO) for t in tos]

    def response_for(self, mh) -> list[ResponseFor]:
        out = []
        for el in self.children(mh, "ResponseFor"):
            out.append(
                ResponseFor(
                    organ_id=self.text(el, "OrganId"),
                    code=self.text(el, "Code"),
                    document_id=self.text(el, "DocumentId"),
                    promulgation_date=self.date(el, "PromulgationDate"),
                )
            )
        return out

    def staff(self, el) -> StaffInfo | None:
        if el is None:
            return None
        return StaffInfo(
            department=self.text(el, "Department"),
            department_id=self.text(el, "DepartmentId"),
            staff=self.text(el, "Staff"),
            staff_id=self.text(el, "StaffId"),
            email=self.text(el, "Email"),
            mobile=self.text(el, "Mobile"),
        )

    def document_header(self, mh) -> MessageHeader:
        from_ = self.from_(mh)
        to = self.to_list(mh, required=True)
        document_id = self.text(mh, "DocumentId")
        if not document_id:
            raise EdxmlError(E.NO_DOCUMENT_ID, "MessageHeader has no DocumentId", self.path(mh) + "/DocumentId")
        code_el = self.child(mh, "Code")
        prom_el = self.child(mh, "PromulgationInfo")
        type_el = self.child(mh, "DocumentType")
        signer_el = self.child(mh, "SignerInfo")
        other_el = self.child(mh, "OtherInfo")
        other = None
        if other_el is not None:
            appx = self.child(other_el, "Appendixes")
            other = OtherInfo(
                priority=self.int(other_el, "Priority"),
                sphere_of_promulgation=self.text(other_el, "SphereOfPromulgation"),
                typer_notation=self.text(other_el, "TyperNotation"),
                promulgation_amount=self.int(other_el, "PromulgationAmount"),
                page_amount=self.int(other_el, "PageAmount"),
                direction=self.bool(other_el, "Direction"),
                appendixes=[(a.text or "").strip() for a in self.children(appx, "Appendix")],
            )
        places = self.child(mh, "ToPlaces")
        return MessageHeader(
            from_=from_,
            to=to,
            document_id=document_id,
            code=None
            if code_el is None
            else Code(self.text(code_el, "CodeNumber"), self.text(code_el, "CodeNotation")),
            promulgation=None
            if prom_el is None
            else PromulgationInfo(self.text(prom_el, "Place"), self.date(prom_el, "PromulgationDate")),
            document_type=None
            if type_el is None
            else DocumentType(
                self.int(type_el, "Type"), self.int(type_el, "TypeDetail"), self.text(type_el, "TypeName")
            ),
            subject=self.text(mh, "Subject"),
            content=self.text(mh, "Content"),
            signer=None
            if signer_el is None
            else SignerInfo(
                self.text(signer_el, "Competence"),
                self.text(signer_el, "Position"),
                self.text(signer_el, "FullName"),
            ),
            due_date=self.date(mh, "DueDate"),
            other_info=other,
            response_for=self.response_for(mh),
            steering_type=self.int(mh, "SteeringType"),
            task_code=self.text(self.child(mh, "ResponseForTask"), "TaskCode"),
            application_type=self.text(mh, "ApplicationType"),
            to_places=[(p.text or "").strip() for p in self.children(places, "Place")],
        )

    def status_header(self, mh) -> StatusPackage:
        from_ = self.from_(mh)
        code = self.text(mh, "StatusCode") or ""
        if not re.fullmatch(r"\d{2}", code):
            raise EdxmlError(E.BAD_STATUS_CODE, f"StatusCode {code!r} is not two digits", self.path(mh) + "/StatusCode")
        rf = self.response_for(mh)
        if not any(r.document_id for r in rf):
            raise EdxmlError(
                E.NO_DOCUMENT_ID, "status has no ResponseFor/DocumentId", self.path(mh) + "/ResponseFor/DocumentId"
            )
        return StatusPackage(
            from_=from_,
            status_code=code,
            response_for=rf,
            to=self.to_list(mh, required=False),
            staff=self.staff(self.child(mh, "StaffInfo")),
            description=self.text(mh, "Description"),
            timestamp=self.datetime(mh, "Timestamp"),
        )

    def trace(self, header) -> tuple[list[TraceHeader], Business | None]:
        thl = self.child(header, "TraceHeaderList")
        if thl is None:
            return [], None
        traces = [TraceHeader(self.text(t, "OrganId"), self.datetime(t, "Timestamp")) for t in self.children(thl, "TraceHeader")]
        b = self.child(thl, "Bussiness")
        if b is None:
            return traces, None
        info_el = self.child(b, "BussinessDocumentInfo")
        info = None
        if info_el is not None:
            info = BusinessDocumentInfo(
                document_info=self.text(info_el, "DocumentInfo"),
                document_receiver=self.text(info_el, "DocumentReceiver"),
                receivers=[
                    Receiver(self.text(r, "OrganId"), self.int(r, "ReceiverType"))
                    for r in self.children(self.child(info_el, "ReceiverList"), "Receiver")
                ],
            )
        replacements = [
            ReplacementInfo(
                self.text(r, "DocumentId"),
                [(o.text or "").strip() for o in self.children(self.child(r, "OrganIdList"), "OrganId")],
            )
            for r in self.children(self.child(b, "ReplacementInfoList"), "ReplacementInfo")
        ]
        doc_type = self.int(b, "BussinessDocType")
        business = Business(
            doc_type=0 if doc_type is None else doc_type,
            document_id=self.text(b, "DocumentId"),
            reason=self.text(b, "BussinessDocReason"),
            paper=self.int(b, "Paper"),
            document_info=info,
            replacements=replacements,
            staff=self.staff(self.child(b, "StaffInfo")),
        )
        return traces, business


def read_header(header, warnings: list, strict: bool = False):
    """Models from an edXMLHeader element: (MessageHeader | StatusPackage, trace, business)."""
    r = _Reader(warnings, strict)
    mh = r.child(header, "MessageHeader")
    if mh is None:
        raise EdxmlError(E.NO_HEADER, "edXMLHeader has no MessageHeader", HEADER_PATH + "/MessageHeader")
    trace, business = r.trace(header)
    if r.child(mh, "StatusCode") is not None:
        return r.status_header(mh), trace, business
    return r.document_header(mh), trace, business


# -- writing -----------------------------------------------------------------------
class _Writer:
    def __init__(self, parent):
        self.stack = [parent]

    def el(self, parent, local: str, text=None):
        e = etree.SubElement(parent, q(local))
        if text is not None:
            e.text = str(text)
        return e

    def opt(self, parent, local: str, value) -> None:
        """Writes an element only when there is a value (the official library omits nulls)."""
        if value is None:
            return
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, dt.datetime):
            value = format_datetime(value)
        elif isinstance(value, dt.date):
            value = format_date(value)
        self.el(parent, local, value)


def _organization(w: _Writer, parent, local: str, org: Organization) -> None:
    e = w.el(parent, local)
    w.el(e, "OrganId", org.organ_id)
    w.opt(e, "OrganizationInCharge", org.organization_in_charge)
    w.opt(e, "OrganName", org.organ_name)
    w.opt(e, "OrganAdd", org.organ_add)
    w.opt(e, "Email", org.email)
    w.opt(e, "Telephone", org.telephone)
    w.opt(e, "Fax", org.fax)
    w.opt(e, "Website", org.website)


def _response_for(w: _Writer, parent, rf: ResponseFor) -> None:
    e = w.el(parent, "ResponseFor")
    w.opt(e, "OrganId", rf.organ_id)
    w.opt(e, "Code", rf.code)
    w.opt(e, "PromulgationDate", rf.promulgation_date)
    w.opt(e, "DocumentId", rf.document_id)


def _staff(w: _Writer, parent, s: StaffInfo | None) -> None:
    if s is None:
        return
    e = w.el(parent, "StaffInfo")
    w.opt(e, "Department", s.department)
    w.opt(e, "DepartmentId", s.department_id)
    w.opt(e, "Staff", s.staff)
    w.opt(e, "StaffId", s.staff_id)
    w.opt(e, "Email", s.email)
    w.opt(e, "Mobile", s.mobile)


def _document_header(w: _Writer, mh_el, h: MessageHeader) -> None:
    _organization(w, mh_el, "From", h.from_)
    for t in h.to:
        _organization(w, mh_el, "To", t)
    w.el(mh_el, "DocumentId", h.document_id)
    if h.code is not None:
        e = w.el(mh_el, "Code")
        w.opt(e, "CodeNumber", h.code.number)
        w.opt(e, "CodeNotation", h.code.notation)
    if h.promulgation is not None:
        e = w.el(mh_el, "PromulgationInfo")
        w.opt(e, "Place", h.promulgation.place)
        w.opt(e, "PromulgationDate", h.promulgation.date)
    if h.document_type is not None:
        e = w.el(mh_el, "DocumentType")
        w.opt(e, "Type", h.document_type.type)
        w.opt(e, "TypeDetail", h.document_type.type_detail)
        w.opt(e, "TypeName", h.document_type.type_name)
    w.opt(mh_el, "Subject", h.subject)
    w.opt(mh_el, "Content", h.content)
    if h.signer is not None:
        e = w.el(mh_el, "SignerInfo")
        w.opt(e, "Competence", h.signer.competence)
        w.opt(e, "Position", h.signer.position)
        w.opt(e, "FullName", h.signer.full_name)
    w.opt(mh_el, "DueDate", h.due_date)
    o = h.other_info
    if o is not None:
        e = w.el(mh_el, "OtherInfo")
        w.opt(e, "Priority", o.priority)
        w.opt(e, "SphereOfPromulgation", o.sphere_of_promulgation)
        w.opt(e, "TyperNotation", o.typer_notation)
        w.opt(e, "PromulgationAmount", o.promulgation_amount)
        w.opt(e, "PageAmount", o.page_amount)
        w.opt(e, "Direction", o.direction)
        if o.appendixes:
            a = w.el(e, "Appendixes")
            for text in o.appendixes:
                w.el(a, "Appendix", text)
    for rf in h.response_for:
        _response_for(w, mh_el, rf)
    w.opt(mh_el, "SteeringType", h.steering_type)
    if h.task_code is not None:
        w.el(w.el(mh_el, "ResponseForTask"), "TaskCode", h.task_code)
    w.opt(mh_el, "ApplicationType", h.application_type)
    if h.to_places:
        e = w.el(mh_el, "ToPlaces")
        for p in h.to_places:
            w.el(e, "Place", p)


def _status_header(w: _Writer, mh_el, s: StatusPackage) -> None:
    _organization(w, mh_el, "From", s.from_)
    for t in s.to:
        _organization(w, mh_el, "To", t)
    for rf in s.response_for:
        _response_for(w, mh_el, rf)
    _staff(w, mh_el, s.staff)
    w.el(mh_el, "StatusCode", s.status_code)
    w.opt(mh_el, "Description", s.description)
    w.opt(mh_el, "Timestamp", s.timestamp)


def _trace(w: _Writer, header_el, trace: list[TraceHeader], business: Business | None) -> None:
    if not trace and business is None:
        return
    thl = w.el(header_el, "TraceHeaderList")
    for t in trace:
        e = w.el(thl, "TraceHeader")
        w.opt(e, "OrganId", t.organ_id)
        w.opt(e, "Timestamp", t.timestamp)
    if business is None:
        return
    b = w.el(thl, "Bussiness")
    w.opt(b, "DocumentId", business.document_id)
    w.el(b, "BussinessDocType", business.doc_type)
    w.opt(b, "BussinessDocReason", business.reason)
    w.opt(b, "Paper", business.paper)
    info = business.document_info
    if info is not None:
        e = w.el(b, "BussinessDocumentInfo")
        w.opt(e, "DocumentInfo", info.document_info)
        w.opt(e, "DocumentReceiver", info.document_receiver)
        if info.receivers:
            rl = w.el(e, "ReceiverList")
            for r in info.receivers:
                re_ = w.el(rl, "Receiver")
                w.opt(re_, "OrganId", r.organ_id)
                w.opt(re_, "ReceiverType", r.receiver_type)
    if business.replacements:
        rl = w.el(b, "ReplacementInfoList")
        for r in business.replacements:
            e = w.el(rl, "ReplacementInfo")
            w.opt(e, "DocumentId", r.document_id)
            ol = w.el(e, "OrganIdList")
            for o in r.organ_ids:
                w.el(ol, "OrganId", o)
    _staff(w, b, business.staff)


def build_header(header: MessageHeader | StatusPackage, trace=(), business: Business | None = None):
    """An edXMLHeader element (root of its own tree, as it is signed) for the models given.

    The element declares the namespace both as default and as ``edXML:``, as the root and
    envelope of a package do, so its canonical form is the same standalone and in place.
    """
    root = etree.Element(q("edXMLHeader"), nsmap={"edXML": NS, None: NS})
    w = _Writer(root)
    mh = w.el(root, "MessageHeader")
    if isinstance(header, StatusPackage):
        _status_header(w, mh, header)
    else:
        _document_header(w, mh, header)
    _trace(w, root, list(trace), business)
    etree.indent(root, space="  ", level=2)
    return root
