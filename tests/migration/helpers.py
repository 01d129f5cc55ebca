"""Builders of legacy exports for the import tests."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from vpdt.core import legacy_text

HEADER = ["Mã", "Sổ", "Chiều", "Số ký hiệu", "Ngày VB", "Trích yếu", "Loại", "Độ khẩn", "Cơ quan ban hành",
          "Người ký", "Số đến", "Ngày đến", "Tệp"]

MAPPING = {
    "source": "vic-test",
    "date_format": "dd/mm/yyyy",
    "columns": {"Mã": "legacy_id", "Sổ": "book", "Chiều": "direction", "Số ký hiệu": "code", "Ngày VB": "issued_date",
                "Trích yếu": "subject", "Loại": "document_type", "Độ khẩn": "urgency",
                "Cơ quan ban hành": "issuer_name", "Người ký": "signer_name", "Số đến": "incoming_number",
                "Ngày đến": "received_date", "Tệp": "files"},
    "values": {"urgency": {"KHAN": 1, "HT": 3}, "direction": {"VBDEN": "incoming", "VBDI": "outgoing"},
               "document_type": {"QĐ": "QD", "CV": "CV"}},
}


def rows(n: int = 6, *, issuer: str = "UBND tỉnh Bình Sơn", start: int = 1) -> list[list[str]]:
    out = []
    for i in range(start, start + n):
        if i % 2:
            out.append([f"DI-{i:05d}", "chung", "VBDI", f"{i}/SKHCN-VP", f"{(i % 27) + 1:02d}/03/2019",
                        f"Về việc chuyển đổi số đợt {i}", "CV", "KHAN" if i % 3 == 0 else "", "", "Nguyễn Văn An",
                        "", "", ""])
        else:
            out.append([f"DEN-{i:05d}", "chung", "VBDEN", f"{i}/QĐ-UBND", f"{(i % 27) + 1:02d}/04/2020",
                        f"Quyết định phê duyệt kế hoạch số {i}", "QĐ", "", issuer, "Trần Thị Bích", str(i),
                        f"{(i % 27) + 2:02d}/04/2020", ""])
    return out


def csv_text(body: list[list[str]], header: list[str] = HEADER) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(body)
    return buf.getvalue()


def write_csv(path: Path, body: list[list[str]], encoding: str = "utf-8", header: list[str] = HEADER) -> Path:
    text = csv_text(body, header)
    if encoding in ("tcvn3", "vni", "cp1258"):
        data = legacy_text.from_unicode(text, encoding)
    elif encoding == "nfd":
        import unicodedata

        data = unicodedata.normalize("NFD", text).encode("utf-8")
    else:
        data = text.encode(encoding)
    path.write_bytes(data)
    return path


def write_mapping(path: Path, **changes) -> Path:
    mapping = json.loads(json.dumps(MAPPING))
    mapping.update(changes)
    path.write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    return path
