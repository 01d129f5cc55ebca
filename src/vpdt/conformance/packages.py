"""The test packages: every business type and every status, written with vpdt's edxml writer.

Each run has its own id, carried in every package (Code notation, Subject, Description), so
two runs never collide at a hub that deduplicates (a new document is the same one when its
From and DocumentId are) and a package read back is matched to the one sent even when its
bytes came back altered. `document_fields` and `status_fields` give what is compared field by
field: the same function on what was written and on what the reader makes of what came back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from vpdt.edxml import (
    STATUS_NAMES,
    AttachmentSource,
    Organization,
    ResponseFor,
    StaffInfo,
    StatusPackage,
    write_package,
    write_status,
)
from vpdt.edxml.spec import header_from_spec

# BussinessDocType values (QCVN 102): name in the check ids -> (value, Vietnamese name).
BUSINESS_TYPES = {
    "new": (0, "văn bản mới"),
    "revoke": (1, "thu hồi văn bản"),
    "update": (2, "cập nhật văn bản"),
    "replace": (3, "thay thế văn bản"),
}
# StatusCode values in the order they are sent. 13 (lấy lại) is sent by the document's sender,
# the others by its receiver.
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")
FROM_DOCUMENT_SENDER = {"13"}
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Party:
    """One system and agency on the hub under test: `SYS:SECRET:CODE` on the command line."""

    system_id: str
    secret: str
    code: str
    role: str = "sender"  # "sender" or "receiver": the letter in the check ids (s2r, r2s)

    @classmethod
    def parse(cls, text: str, role: str) -> Party:
        """`SYS:SECRET:CODE`; the secret may itself hold colons (the first and last split)."""
        system_id, _, rest = (text or "").partition(":")
        secret, _, code = rest.rpartition(":")
        if not system_id.strip() or not secret or not code.strip():
            raise ValueError(f"--{role}: expected SYS:SECRET:CODE (system id, secret, agency code)")
        return cls(system_id.strip(), secret, code.strip(), role)

    @property
    def letter(self) -> str:
        return self.role[0]

    def public(self) -> dict:
        """What a report may show: never the secret."""
        return {"role": self.role, "system_id": self.system_id, "code": self.code}


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _date(value: dt.date | None) -> str | None:
    return value.strftime("%Y/%m/%d") if value else None


def _plain(value):
    """A dataclass (or list of them) as JSON-able data, dates written as edXML writes them."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.strftime("%Y/%m/%d %H:%M:%S")
    if isinstance(value, dt.date):
        return _date(value)
    return value


@dataclass
class Built:
    """One package written for the run: where it is, what it is, what a reader must find in it."""

    path: Path
    kind: str  # "edoc" or "status"
    label: str  # "new", "revoke", ... or the StatusCode
    sender: Party
    receiver: Party
    fields: dict
    sha256: str
    match_key: tuple  # how a package read back is recognised when its bytes differ


def _org(party: Party) -> dict:
    return {"organ_id": party.code, "organ_name": f"Đơn vị kiểm thử {party.code}",
            "email": "kiemthu@example.gov.vn", "telephone": "0276 3822 000"}


def _staff(party: Party) -> dict:
    return {"department": "Văn phòng", "department_id": "VP", "staff": "Trần Thị Văn Thư",
            "staff_id": f"vt.{party.role}", "email": "vanthu@example.gov.vn", "mobile": "0912000000"}


def document_spec(kind: str, run_id: str, number: int, sender: Party, receiver: Party, today: dt.date,
                  original: dict | None = None) -> dict:
    """The `vpdt edxml build` spec of one test document of business type `kind`."""
    doc_type, name = BUSINESS_TYPES[kind]
    spec = {
        "from": _org(sender),
        "to": [_org(receiver)],
        "code": {"number": str(number), "notation": f"KTTT-{run_id}"},
        "promulgation": {"place": "Tây Ninh", "date": _date(today)},
        "document_type": {"type": 1, "type_detail": 0, "type_name": "Công văn"},
        "subject": f"Kiểm thử tương thích trục: {name} (lượt {run_id})",
        "content": f"Gói tin kiểm thử của bộ kiểm tra tương thích vpdt, loại nghiệp vụ {doc_type}.",
        "signer": {"competence": "KT. CHỦ TỊCH", "position": "Phó Chủ tịch", "full_name": "Nguyễn Văn Kiểm"},
        "due_date": _date(today + dt.timedelta(days=14)),
        "priority": 1,
        "steering_type": 1,
        "to_places": ["Như trên", "Lưu: VT"],
        "business": {"doc_type": doc_type, "paper": 0, "staff": _staff(sender)},
    }
    if kind != "new":
        assert original is not None
        code = original["code"]
        spec["response_for"] = [{
            "organ_id": original["from"]["organ_id"], "code": f"{code['number']}/{code['notation']}",
            "document_id": original_document_id(original), "promulgation_date": original["promulgation"]["date"],
        }]
        spec["business"]["reason"] = f"Kiểm thử {name} (lượt {run_id})"
    if kind == "update":
        spec["business"]["document_info"] = {
            "document_info": "Sửa trích yếu", "document_receiver": "Bổ sung nơi nhận",
            "receivers": [{"organ_id": receiver.code, "receiver_type": 1}],
        }
    if kind == "replace":
        spec["business"]["replaced"] = [original_document_id(original)]
    return spec


def original_document_id(spec: dict) -> str:
    code = spec["code"]
    return f"{spec['from']['organ_id']},{spec['promulgation']['date']},{code['number']}/{code['notation']}"


def document_fields(header, business, attachments: list[tuple[str | None, str]]) -> dict:
    """The fields compared between what was sent and what the reader finds in what came back."""
    return {
        "From": _plain(header.from_),
        "To": [o.organ_id for o in header.to],
        "DocumentId": header.document_id,
        "Code": _plain(header.code),
        "PromulgationInfo": _plain(header.promulgation),
        "DocumentType": _plain(header.document_type),
        "Subject": header.subject,
        "Content": header.content,
        "SignerInfo": _plain(header.signer),
        "DueDate": _date(header.due_date),
        "Priority": header.priority,
        "SteeringType": header.steering_type,
        "ResponseFor": _plain(header.response_for),
        "ToPlaces": list(header.to_places),
        "BussinessDocType": business.doc_type if business else None,
        "BussinessDocReason": business.reason if business else None,
        "BussinessDocumentInfo": _plain(business.document_info) if business else None,
        "ReplacementInfoList": business.replaced if business else [],
        "StaffInfo": _plain(business.staff) if business else None,
        "Attachments": [{"name": n, "sha256": s} for n, s in attachments],
    }


def package_document_fields(pkg) -> dict:
    return document_fields(pkg.header, pkg.business, [(a.name, a.sha256) for a in pkg.attachments])


def build_document(directory: Path, kind: str, spec: dict, sender: Party, receiver: Party,
                   label: str | None = None) -> Built:
    header, business = header_from_spec(spec)
    content = (f"Tệp đính kèm kiểm thử ({kind}, {spec['code']['notation']}).\n" * 40).encode("utf-8")
    attachment = AttachmentSource(name=f"kiem-thu-{kind}.txt", data=content, content_type="text/plain",
                                  description="Tệp kiểm thử")
    label = label or kind
    path = directory / f"edoc-{label}-{sender.letter}2{receiver.letter}.edxml"
    write_package(path, header, [attachment], business=business)
    fields = document_fields(header, business, [(attachment.name, hashlib.sha256(content).hexdigest())])
    return Built(path, "edoc", label, sender, receiver, fields, sha256_file(path),
                 ("edoc", header.document_id, business.doc_type))


def status_fields(pkg: StatusPackage) -> dict:
    return {
        "From": pkg.from_.organ_id,
        "To": [o.organ_id for o in pkg.to],
        "StatusCode": pkg.status_code,
        "Description": pkg.description,
        "StaffInfo": _plain(pkg.staff),
        "ResponseFor": _plain(pkg.response_for),
        "Timestamp": _plain(pkg.timestamp),
    }


def build_status(directory: Path, code: str, run_id: str, sender: Party, receiver: Party, document: dict,
                 timestamp: dt.datetime) -> Built:
    """Status `code` about the test document `document` (its spec), from `sender` to `receiver`."""
    doc_code = document["code"]
    status = StatusPackage(
        from_=Organization(**_org(sender)),
        to=[Organization(**_org(receiver))],
        status_code=code,
        response_for=[ResponseFor(
            organ_id=document["from"]["organ_id"], code=f"{doc_code['number']}/{doc_code['notation']}",
            document_id=original_document_id(document),
            promulgation_date=dt.datetime.strptime(document["promulgation"]["date"], "%Y/%m/%d").date())],
        staff=StaffInfo(**_staff(sender)),
        description=f"{STATUS_NAMES.get(code, code)}: kiểm thử tương thích (lượt {run_id})",
        timestamp=timestamp.replace(microsecond=0),
    )
    path = directory / f"status-{code}-{sender.letter}2{receiver.letter}.edxml"
    write_status(path, status)
    return Built(path, "status", code, sender, receiver, status_fields(status), sha256_file(path),
                 ("status", status.document_id, code, status.description))


def match_key(pkg) -> tuple:
    """The key of `Built.match_key` for a package read back."""
    if pkg.kind == "status":
        return ("status", pkg.document_id, pkg.status_code, pkg.description)
    return ("edoc", pkg.document_id, pkg.business_type)
