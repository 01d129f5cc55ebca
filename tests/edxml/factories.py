"""Small builders of models for tests."""

from __future__ import annotations

import datetime as dt

from vpdt.edxml import (
    Code,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    SignerInfo,
)


def header(**kw) -> MessageHeader:
    values = dict(
        from_=Organization("000.00.00.H53", organ_name="UBND tỉnh Tây Ninh"),
        to=[Organization("000.00.13.H53", organ_name="Sở Thông tin và Truyền thông")],
        document_id="000.00.00.H53,2025/03/14,123/UBND-VP",
        code=Code("123", "UBND-VP"),
        promulgation=PromulgationInfo("Tây Ninh", dt.date(2025, 3, 14)),
        document_type=DocumentType(1, 0, "Công văn"),
        subject="V/v triển khai liên thông văn bản điện tử",
        signer=SignerInfo("KT. CHỦ TỊCH", "Phó Chủ tịch", "Nguyễn Văn A"),
        other_info=OtherInfo(priority=1, page_amount=2),
    )
    values.update(kw)
    return MessageHeader(**values)
