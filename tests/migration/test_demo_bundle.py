"""The demo's documents from the old system (vpdt.migration.demo): imported by the real bundle
import, and then found by what issue 15's clerk typed on the demo and found nothing with."""

from __future__ import annotations

import shutil

import pytest

from tests import factories
from vpdt.migration import demo
from vpdt.migration.models import LegacyRecord
from vpdt.records.models import Document
from vpdt.search import fulltext
from vpdt.search import services as search

pytestmark = pytest.mark.django_db


@pytest.fixture
def province(db):
    skhcn = factories.agency(code=demo.AGENCY, abbreviation="SKHCN", name="Sở Khoa học và Công nghệ tỉnh Bình Sơn")
    factories.agency(code="000.00.00.H90", abbreviation="UBND", name="Ủy ban nhân dân tỉnh Bình Sơn")
    factories.agency(code="000.00.03.H90", abbreviation="STC", name="Sở Tài chính tỉnh Bình Sơn")
    other = factories.agency(code="000.00.06.H90", abbreviation="SYT", name="Sở Y tế tỉnh Bình Sơn")
    return factories.clerk(skhcn), factories.clerk(other)


def _found(user, q) -> list[str]:
    return [f"{d.number}/{d.notation}" for d in fulltext.search(user, q).rows]


def test_the_old_systems_documents_come_in_once_with_their_numbers(province):
    report = demo.import_demo_bundle()
    total = report.total
    assert (total.read, total.imported, total.rejected) == (len(demo.RECORDS), len(demo.RECORDS), 0)
    assert list(report.unmatched_issuers) == ["Công ty TNHH Phần mềm Cũ"]  # reported, not invented
    cds = Document.objects.get(notation="SKHCN-CĐS")
    assert (cds.number, cds.register.closed, cds.register.year) == (11, True, 2025)  # as issued, in a closed register
    by_name = Document.objects.get(notation="UBND-KGVX")
    assert by_name.issuer_code == "000.00.00.H90"  # matched by its name typed without accents
    again = demo.import_demo_bundle()
    assert (again.total.imported, again.total.skipped) == (0, len(demo.RECORDS))
    assert LegacyRecord.objects.count() == len(demo.RECORDS) == Document.objects.count()


@pytest.mark.skipif(shutil.which("tesseract") is None or shutil.which("pdftoppm") is None,
                    reason="tesseract (vie) and poppler-utils are installed by `make system-deps`")
def test_the_searches_the_clerk_typed_find_them(province):
    clerk, outsider = province
    demo.import_demo_bundle()
    for q in ("11/SKHCN-CDS", "11/skhcn-cđs", "SKHCN-CĐS", "skhcn-cds"):
        assert "11/SKHCN-CĐS" in _found(clerk, q), q
    assert set(_found(clerk, "uy ban nhan dan tinh binh son")) == {"1520/UBND-KGVX", "93/QĐ-UBND"}
    assert set(_found(clerk, "Vũ Đức Nam")) == {"11/SKHCN-CĐS", "12/KH-SKHCN"}
    assert search.drain() == 5  # three PDFs, a DOCX, a scan
    assert _found(clerk, '"nen tang tich hop, chia se du lieu"') == ["11/SKHCN-CĐS"]  # a PDF's text layer
    assert _found(clerk, '"trục liên thông văn bản quốc gia"') == ["12/KH-SKHCN"]  # a DOCX
    assert _found(clerk, '"văn thư lưu trữ tại các sở ngành"') == ["1520/UBND-KGVX"]  # OCR of the scanned page
    assert _found(outsider, "11/SKHCN-CDS") == [] and _found(outsider, "van thu luu tru") == []
