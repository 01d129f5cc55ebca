"""Errors and warnings of the edXML library: an English code, a Vietnamese message, a path.

The code is a stable constant integrators can match on; the message is written for a
clerk (văn thư); the detail says in English what exactly was wrong; the path names the
element, e.g. ``/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Error codes (the package is rejected).
DTD = "EDXML_DTD"
ENTITY = "EDXML_ENTITY"
MALFORMED = "EDXML_MALFORMED"
NAMESPACE = "EDXML_NAMESPACE"
TRUNCATED = "EDXML_TRUNCATED"
ENCODING = "EDXML_ENCODING"
TOO_LARGE = "EDXML_TOO_LARGE"
TOO_DEEP = "EDXML_TOO_DEEP"
TOO_MANY_ELEMENTS = "EDXML_TOO_MANY_ELEMENTS"
ATTACHMENT_TOO_LARGE = "EDXML_ATTACHMENT_TOO_LARGE"
BAD_ROOT = "EDXML_BAD_ROOT"
NO_ENVELOPE = "EDXML_NO_ENVELOPE"
NO_HEADER = "EDXML_NO_HEADER"
NO_FROM = "EDXML_NO_FROM"
NO_TO = "EDXML_NO_TO"
NO_ORGAN_ID = "EDXML_NO_ORGAN_ID"
NO_DOCUMENT_ID = "EDXML_NO_DOCUMENT_ID"
BAD_DATE = "EDXML_BAD_DATE"
BAD_NUMBER = "EDXML_BAD_NUMBER"
BAD_STATUS_CODE = "EDXML_BAD_STATUS_CODE"
BAD_BASE64 = "EDXML_BAD_BASE64"
MANIFEST_MISMATCH = "EDXML_MANIFEST_MISMATCH"
DUPLICATE_CONTENT_ID = "EDXML_DUPLICATE_CONTENT_ID"
ORGAN_ID = "EDXML_ORGAN_ID"  # a warning, an error only in strict mode
BAD_ZIP = "EDXML_BAD_ZIP"  # a warning, an error only in strict mode
SIGNATURE = "EDXML_SIGNATURE"  # always a warning: trusting it is the receiver's policy
ZIP_BOMB = "EDXML_ZIP_BOMB"  # a zipped attachment inflates beyond the bounds
SINK = "EDXML_SINK"
IO = "EDXML_IO"

MESSAGES = {
    DTD: "Gói tin chứa khai báo DTD (DOCTYPE), không được phép trong gói tin edXML",
    ENTITY: "Gói tin chứa thực thể (entity) không được phép",
    MALFORMED: "Gói tin không đúng cú pháp XML",
    NAMESPACE: "Gói tin dùng tiền tố không gian tên chưa khai báo",
    TRUNCATED: "Gói tin bị cắt cụt, chưa kết thúc",
    ENCODING: "Bảng mã của gói tin không được hỗ trợ (cần UTF-8)",
    TOO_LARGE: "Gói tin vượt quá kích thước cho phép",
    TOO_DEEP: "Gói tin lồng nhau quá nhiều cấp",
    TOO_MANY_ELEMENTS: "Gói tin có quá nhiều phần tử",
    ATTACHMENT_TOO_LARGE: "Tệp đính kèm vượt quá kích thước cho phép",
    BAD_ROOT: "Gói tin không phải edXML (phần tử gốc sai)",
    NO_ENVELOPE: "Gói tin thiếu phong bì edXMLEnvelope",
    NO_HEADER: "Gói tin thiếu phần đầu (edXMLHeader/MessageHeader)",
    NO_FROM: "Gói tin thiếu đơn vị gửi (From)",
    NO_TO: "Gói tin thiếu đơn vị nhận (To)",
    NO_ORGAN_ID: "Thiếu mã định danh đơn vị (OrganId)",
    NO_DOCUMENT_ID: "Gói tin thiếu mã văn bản (DocumentId)",
    BAD_DATE: "Ngày tháng không đúng định dạng",
    BAD_NUMBER: "Giá trị số không hợp lệ",
    BAD_STATUS_CODE: "Mã trạng thái không hợp lệ (cần hai chữ số)",
    BAD_BASE64: "Nội dung tệp đính kèm không đúng mã base64",
    MANIFEST_MISMATCH: "Danh sách tệp đính kèm không khớp với tệp đính kèm thực tế",
    DUPLICATE_CONTENT_ID: "Hai tệp đính kèm trùng mã ContentId",
    ORGAN_ID: "Mã định danh đơn vị không theo QCVN 102:2016 hay QĐ 20/2020/QĐ-TTg",
    BAD_ZIP: "Tệp đính kèm nén (zip) bị hỏng",
    SIGNATURE: "Chữ ký số của gói tin không hợp lệ hoặc không kiểm tra được",
    ZIP_BOMB: "Tệp nén (zip) đính kèm giải nén vượt quá giới hạn cho phép (nghi là bom nén)",
    SINK: "Không ghi được tệp đính kèm",
    IO: "Không đọc/ghi được gói tin",
}


class EdxmlError(Exception):
    """A package that cannot be accepted: `code`, `message` (vi), `path`, `detail` (en)."""

    def __init__(self, code: str, detail: str = "", path: str | None = None, message: str | None = None):
        self.code = code
        self.message = message or MESSAGES.get(code, "Gói tin edXML không hợp lệ")
        self.path = path
        self.detail = detail
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        return f"{self.code}: {self.message}{where}"

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "path": self.path, "detail": self.detail}


@dataclass(frozen=True)
class EdxmlWarning:
    """Something a receiver should see but that does not make the package unreadable."""

    code: str
    detail: str
    path: str | None = None
    message: str = ""

    def __post_init__(self):
        if not self.message:
            object.__setattr__(self, "message", MESSAGES.get(self.code, "Cảnh báo"))

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        return f"{self.code}: {self.message}: {self.detail}{where}"

    def to_error(self) -> EdxmlError:
        return EdxmlError(self.code, self.detail, self.path, self.message)
