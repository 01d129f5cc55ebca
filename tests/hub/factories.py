"""edXML packages for hub tests, written by template (the hub only needs well-formed packages)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from xml.sax.saxutils import escape

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def _organ(tag: str, code: str) -> str:
    return (f"<edXML:{tag}><edXML:OrganId>{escape(code)}</edXML:OrganId>"
            f"<edXML:OrganName>Đơn vị {escape(code)}</edXML:OrganName></edXML:{tag}>")


def document(path: Path, *, from_code: str, to: list[str], number: int = 1, attachment: bytes | int = 0,
             business_type: int = 0) -> Path:
    """A document package; `attachment` is bytes or a size (random bytes)."""
    if isinstance(attachment, int):
        attachment = os.urandom(attachment) if attachment else b""
    document_id = f"{from_code},2026/11/21,{number}/UBND-VP"
    attachments = ""
    manifest = ""
    if attachment:
        manifest = ('<edXML:edXMLBody><edXML:edXMLManifest version="1.0"><edXML:Reference>'
                    "<edXML:ContentId>cid:1</edXML:ContentId><edXML:ContentType>application/pdf</edXML:ContentType>"
                    "<edXML:AttachmentName>vb.pdf</edXML:AttachmentName></edXML:Reference></edXML:edXMLManifest>"
                    "</edXML:edXMLBody>")
        attachments = ("<AttachmentEncoded><Attachment><ContentId>cid:1</ContentId><AttachmentName>vb.pdf"
                       "</AttachmentName><ContentType>application/pdf</ContentType><edXML:ContentTransferEncoded>"
                       + base64.b64encode(attachment).decode() + "</edXML:ContentTransferEncoded></Attachment>"
                       "</AttachmentEncoded>")
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}" xmlns:edXML="{NS}">'
           f'<edXML:edXMLEnvelope xmlns:edXML="{NS}"><edXML:edXMLHeader><edXML:MessageHeader>'
           + _organ("From", from_code) + "".join(_organ("To", c) for c in to)
           + f"<edXML:DocumentId>{escape(document_id)}</edXML:DocumentId>"
           f"<edXML:Code><edXML:CodeNumber>{number}</edXML:CodeNumber><edXML:CodeNotation>UBND-VP</edXML:CodeNotation>"
           "</edXML:Code><edXML:PromulgationInfo><edXML:Place>Tây Ninh</edXML:Place>"
           "<edXML:PromulgationDate>2026/11/21</edXML:PromulgationDate></edXML:PromulgationInfo>"
           "<edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>"
           f"<edXML:Subject>Văn bản số {number}</edXML:Subject></edXML:MessageHeader>"
           "<edXML:TraceHeaderList><edXML:Bussiness>"
           f"<edXML:BussinessDocType>{business_type}</edXML:BussinessDocType></edXML:Bussiness>"
           "</edXML:TraceHeaderList></edXML:edXMLHeader>"
           + manifest + "</edXML:edXMLEnvelope>" + attachments + "</edXML>")
    path.write_bytes(xml.encode("utf-8"))
    return path


def status(path: Path, *, from_code: str, about_from: str, number: int = 1, code: str = "01") -> Path:
    """A status package from `from_code` about document `number` of `about_from`."""
    document_id = f"{about_from},2026/11/21,{number}/UBND-VP"
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}" xmlns:edXML="{NS}">'
           f'<edXML:edXMLEnvelope xmlns:edXML="{NS}"><edXML:edXMLHeader><edXML:MessageHeader>'
           + _organ("From", from_code)
           + f"<edXML:ResponseFor><edXML:OrganId>{about_from}</edXML:OrganId><edXML:Code>{number}/UBND-VP</edXML:Code>"
           f"<edXML:PromulgationDate>2026/11/21</edXML:PromulgationDate>"
           f"<edXML:DocumentId>{escape(document_id)}</edXML:DocumentId></edXML:ResponseFor>"
           f"<edXML:StatusCode>{code}</edXML:StatusCode><edXML:Description>Đã đến</edXML:Description>"
           "<edXML:Timestamp>2026/11/21 08:00:00</edXML:Timestamp>"
           "</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>")
    path.write_bytes(xml.encode("utf-8"))
    return path
