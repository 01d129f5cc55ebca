"""The registers of Phụ lục IV (issue 14): each book carries the Decree's columns in order, as PDF
and XLSX with the same rows; a register is closed after its year as a PDF signed by the agency,
which `vpdt pdf verify` accepts, and no longer changes."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

import vpdt
from tests import factories
from tests.records.conftest import NAME, YEAR, seal
from vpdt.core import blobs
from vpdt.core.errors import InvalidState, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.records import registers, services
from vpdt.records.choices import Direction, Secrecy, State
from vpdt.records.models import ClosedRegisterFile, Document, Register
from vpdt.records.registers_export import XLSX_HEADER_ROWS

pytestmark = [pytest.mark.django_db]


# The Decree's columns, in its order (Phụ lục IV), as a clerk reads them on the printed book.
DECREE_COLUMNS = {
    registers.OUTGOING: ["Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản",
                         "Người ký", "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản",
                         "Ngày chuyển", "Ký nhận", "Ghi chú"],
    registers.INCOMING: ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu văn bản", "Ngày tháng văn bản",
                         "Tên loại và trích yếu nội dung văn bản", "Đơn vị hoặc người nhận", "Ngày chuyển",
                         "Ký nhận", "Ghi chú"],
    registers.TRACKING: ["Số đến", "Tên loại, số, ký hiệu, ngày tháng và cơ quan ban hành văn bản",
                         "Đơn vị hoặc người nhận", "Thời hạn giải quyết", "Tiến độ giải quyết",
                         "Số, ký hiệu văn bản trả lời", "Ghi chú"],
}


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(page.extract_text() or "" for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _book(register, code: str, fmt: str, user) -> bytes:
    found = registers.export(user, register, code, fmt)
    with found.file:
        return found.file.read()


def _xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]


def _in_order(haystack: str, needles: list[str]) -> bool:
    at = 0
    for needle in needles:
        found = haystack.find(_flat(needle), at)
        if found < 0:
            return False
        at = found + len(_flat(needle))
    return True


@pytest.mark.parametrize("code", [registers.OUTGOING, registers.INCOMING, registers.TRACKING])
def test_each_pdf_book_carries_the_decree_columns_in_order_after_its_cover(book_world, code):
    w = book_world
    register = w.out_register if code == registers.OUTGOING else w.in_register
    assert [str(c.heading) for c in registers.BOOKS[code].columns] == DECREE_COLUMNS[code]
    reader = PdfReader(io.BytesIO(_book(register, code, "pdf", w.clerk)))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # A4 landscape
    cover = _flat(reader.pages[0].extract_text())
    assert NAME.upper() in cover and str(registers.BOOKS[code].title).upper() in cover and f"Năm: {YEAR}" in cover
    table = _flat(reader.pages[1].extract_text())
    numbers = [f"({i})" for i in range(1, len(DECREE_COLUMNS[code]) + 1)]
    assert _in_order(table, DECREE_COLUMNS[code] + numbers), table[:400]
    assert "Trang 2" in table


@pytest.mark.parametrize("code", [registers.OUTGOING, registers.INCOMING, registers.TRACKING])
def test_the_xlsx_opens_with_openpyxl_and_holds_the_same_rows_as_the_pdf(book_world, code):
    w = book_world
    register = w.out_register if code == registers.OUTGOING else w.in_register
    rows = _xlsx_rows(_book(register, code, "xlsx", w.clerk))
    assert rows[XLSX_HEADER_ROWS - 2][: len(DECREE_COLUMNS[code])] == DECREE_COLUMNS[code]
    data = rows[XLSX_HEADER_ROWS:]
    expected = list(registers.book_rows(register, registers.BOOKS[code]))
    assert data == expected and len(data) == (3 if code == registers.OUTGOING else 2)
    pdf = _flat(_pdf_text(_book(register, code, "pdf", w.clerk)))
    for row in data:  # every row, each cell in the columns' order
        assert _in_order(pdf, [cell for cell in row if cell]), row


def test_the_rows_say_what_the_records_hold(book_world):
    w = book_world
    out = list(registers.book_rows(w.out_register, registers.BOOKS[registers.OUTGOING]))
    assert out[0][:7] == ["01/SKHCN-VP", "06/01/2025", "Công văn: Về việc triển khai văn phòng điện tử",
                          "Nguyễn Văn An", "- Như trên;\n- Lưu: VT, VP.", "VT, VP", "3"]
    assert [r[0] for r in out] == ["01/SKHCN-VP", "02/KH-SKHCN", "03/SKHCN-VP"]  # in the order of the numbers
    incoming = list(registers.book_rows(w.in_register, registers.BOOKS[registers.INCOMING]))
    assert incoming[0][:8] == ["10/02/2025", "01", "Ủy ban nhân dân huyện Demo", "11/UBND-VP", "08/02/2025",
                               "Công văn: Đề nghị phối hợp lần 1", "Phòng Chuyển đổi số", "12/02/2025"]
    tracking = list(registers.book_rows(w.in_register, registers.BOOKS[registers.TRACKING]))
    assert tracking[0][:4] == ["01", "Công văn số 11/UBND-VP ngày 08/02/2025 của Ủy ban nhân dân huyện Demo: "
                                     "Đề nghị phối hợp lần 1", "Phòng Chuyển đổi số", "15/12/2025"]
    assert tracking[0][5] == "02/KH-SKHCN"  # the reply
    assert tracking[1][4].endswith("quá hạn")  # still open after its deadline


def test_readers_are_the_agencys_clerks_and_leaders_others_are_refused(book_world):
    w = book_world
    assert _book(w.out_register, registers.OUTGOING, "pdf", w.leader).startswith(b"%PDF")
    for outsider in (w.spec, w.admin, w.stranger):
        with pytest.raises(PermissionDenied):
            registers.export(outsider, w.out_register, registers.OUTGOING, "pdf")
    assert [r.pk for r in registers.registers_page(w.stranger)] == []
    secret = factories.document(w.agency, secrecy=Secrecy.CONFIDENTIAL)
    services.issue_number(w.clerk, secret, date=dt.date(YEAR, 5, 5))
    secret.refresh_from_db()
    assert secret.register.series == registers.SECRET_SERIES
    assert secret.register in registers.registers_page(w.clerk)
    assert secret.register not in registers.registers_page(w.leader)
    with pytest.raises(PermissionDenied):
        registers.export(w.leader, secret.register, registers.OUTGOING, "pdf")
    assert not registers.may_close(w.admin, secret.register) and registers.may_close(w.clerk, secret.register)
    assert registers.may_close(w.admin, w.out_register) and not registers.may_close(w.leader, w.out_register)


def test_closing_waits_for_the_end_of_the_year_and_needs_the_agencys_seal(book_world):
    w = book_world
    with pytest.raises(InvalidState) as exc:
        registers.close_register(w.clerk, w.out_register)
    assert exc.value.code == "REGISTER_SEAL_MISSING"
    with pytest.raises(InvalidState) as exc:
        registers.close_register(w.clerk, w.out_register, today=dt.date(YEAR, 12, 31))
    assert exc.value.code == "REGISTER_YEAR_NOT_ENDED"
    with pytest.raises(PermissionDenied):
        registers.close_register(w.leader, w.out_register)
    w.out_register.refresh_from_db()
    assert not w.out_register.closed and not ClosedRegisterFile.objects.exists()


@pytest.mark.slow
def test_a_closed_register_is_a_signed_pdf_that_vpdt_pdf_verify_accepts(book_world, register_ca, tmp_path):
    w = book_world
    seal(w, register_ca)
    registers.close_register(w.admin, w.in_register)
    assert w.in_register.closed
    files = {(f.book, f.file_format): f for f in ClosedRegisterFile.objects.filter(register=w.in_register)}
    assert set(files) == {(b, f) for b in (registers.INCOMING, registers.TRACKING) for f in ("pdf", "xlsx")}
    assert files[(registers.INCOMING, "pdf")].rows == 2 and NAME in files[(registers.INCOMING, "pdf")].signer_subject
    entry = AuditEntry.objects.get(action="register.close")
    assert entry.object_id == str(w.in_register.pk) and entry.detail["rows"] == 2

    for book in (registers.INCOMING, registers.TRACKING):
        path = tmp_path / f"{book}.pdf"
        path.write_bytes(_book(w.in_register, book, "pdf", w.clerk))  # the download serves the signed file
        assert blobs.local_path(files[(book, "pdf")].blob_id) is not None
        assert path.read_bytes() == Path(blobs.local_path(files[(book, "pdf")].blob_id)).read_bytes()
        env = {**os.environ, "PYTHONPATH": str(Path(vpdt.__file__).parents[1])}
        done = subprocess.run([sys.executable, "-m", "vpdt.cli", "pdf", "verify", str(path),
                               "--trust", str(register_ca.root_pem)], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        assert report["summary"] == "valid" and report["signatures"][0]["covers_whole_document"]
        assert DECREE_COLUMNS[book][1] in _flat(_pdf_text(path.read_bytes()))


@pytest.mark.slow
def test_a_closed_register_no_longer_changes(book_world, register_ca):
    w = book_world
    seal(w, register_ca)
    registers.close_register(w.clerk, w.out_register)
    before = _book(w.out_register, registers.OUTGOING, "xlsx", w.clerk)

    late = factories.document(w.agency)  # numbering into the closed year
    with pytest.raises(InvalidState) as exc:
        services.issue_number(w.clerk, late, date=dt.date(YEAR, 12, 31))
    assert exc.value.code == "REGISTER_CLOSED"
    late.refresh_from_db()
    assert late.number is None

    doc = w.outgoing[0]
    with pytest.raises(InvalidState) as exc:  # editing a document registered in it
        services.update_metadata(w.clerk, doc, {"subject": "Trích yếu khác"})
    assert exc.value.code == "REGISTER_CLOSED" and "đã khóa sổ" in exc.value.message
    with pytest.raises(InvalidState):
        services.set_fields(w.clerk, doc, {"signer_name": "Người khác"}, action="document.sign")
    with pytest.raises(InvalidState):
        services.replace_recipients(w.clerk, doc, [], recipients_text="Nơi khác")
    doc.refresh_from_db()
    assert (doc.subject, doc.signer_name) == ("Về việc triển khai văn phòng điện tử", "Nguyễn Văn An")
    assert Register.objects.get(pk=w.out_register.pk).last_number == 3

    with pytest.raises(InvalidState) as exc:
        registers.close_register(w.clerk, w.out_register)
    assert exc.value.code == "REGISTER_ALREADY_CLOSED"
    assert _book(w.out_register, registers.OUTGOING, "xlsx", w.clerk) == before

    # the incoming register stays open: its documents are still being worked on
    services.set_fields(w.clerk, w.incoming[1], {"due_date": dt.date(2026, 12, 1)}, action="document.due_date")


def test_closing_refuses_when_the_register_changed_meanwhile(book_world, monkeypatch):
    w = book_world

    class ChangingSealer:
        def seal(self, actor, agency, src, dst, *, label, pin=None):
            Document.objects.filter(pk=w.outgoing[0].pk).update(updated_at=timezone.now())  # someone else's edit
            dst.write(src.read())
            return "CN=test"

    monkeypatch.setattr(registers.seams, "book_sealer", lambda: ChangingSealer())
    with pytest.raises(InvalidState) as exc:
        registers.close_register(w.clerk, w.out_register)
    assert exc.value.code == "REGISTER_CHANGED"
    assert not Register.objects.get(pk=w.out_register.pk).closed and not ClosedRegisterFile.objects.exists()


@pytest.mark.slow
def test_a_large_year_is_written_to_a_temporary_file_in_bounded_memory(book_world):
    """5,000 documents: the PDF and the XLSX are built in a temporary file, row by row, and the
    memory used stays far below the file (no table of the year in memory)."""
    import tracemalloc

    w = book_world
    register = Register.objects.create(agency=w.agency, direction=Direction.OUTGOING, series="chung", year=2024,
                                       name="Sổ văn bản đi chung", last_number=5000)
    kind = factories.doc_type("CV")
    Document.objects.bulk_create([
        Document(agency=w.agency, direction=Direction.OUTGOING, state=State.RELEASED, document_type=kind,
                 register=register, number=n, notation="SKHCN-VP", issued_date=dt.date(2024, 1, 1)
                 + dt.timedelta(days=n % 360), subject=f"Về việc số {n}: " + "nội dung trích yếu dài " * 6,
                 signer_name="Nguyễn Văn An", recipients_text="- Các phòng, đơn vị thuộc Sở;\n- Lưu: VT.")
        for n in range(1, 5001)], batch_size=1000)
    for fmt in ("pdf", "xlsx"):
        tracemalloc.start()
        found = registers.export(w.clerk, register, registers.OUTGOING, fmt)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        with found.file:
            assert not isinstance(found.file, io.BytesIO) and found.file.fileno() >= 0  # a real (temporary) file
            size = os.fstat(found.file.fileno()).st_size
            data = found.file.read()
        assert size == len(data) > 200_000
        assert peak < 40 * 1024 * 1024, f"{fmt}: peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
        if fmt == "xlsx":
            rows = _xlsx_rows(data)[XLSX_HEADER_ROWS:]
            assert len(rows) == 5000 and rows[4999][0] == "5000/SKHCN-VP"
        else:
            reader = PdfReader(io.BytesIO(data))
            assert len(reader.pages) > 100 and "5000/SKHCN-VP" in reader.pages[-1].extract_text()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
@pytest.mark.backends
def test_an_edit_racing_the_closing_waits_for_it_and_is_refused(book_world, monkeypatch):
    """The edit starts while the closing holds the register (between its check and its commit): it
    waits, sees the register closed and is refused; the document keeps what the closed book printed."""
    import threading
    import time

    from django.db import connection, connections

    w = book_world
    locked = threading.Event()
    real_summary = registers.summary

    def summary_then_pause(register):
        found = real_summary(register)
        if connection.in_atomic_block:  # the closing's own transaction, register row locked
            locked.set()
            time.sleep(1.5)  # the edit is now waiting on the register
        return found

    class CopySealer:
        def seal(self, actor, agency, src, dst, *, label, pin=None):
            dst.write(src.read())
            return "CN=test"

    monkeypatch.setattr(registers, "summary", summary_then_pause)
    monkeypatch.setattr(registers.seams, "book_sealer", lambda: CopySealer())
    outcome: dict = {}

    def edit():
        try:
            assert locked.wait(60)
            services.update_metadata(w.clerk, Document.objects.get(pk=w.outgoing[0].pk), {"note": "Sửa sau khóa sổ"})
            outcome["edit"] = "saved"
        except InvalidState as exc:
            outcome["edit"] = exc.code
        finally:
            connections.close_all()

    editor = threading.Thread(target=edit)
    editor.start()
    try:
        registers.close_register(w.clerk, w.out_register)
    finally:
        editor.join(120)
    assert outcome["edit"] == "REGISTER_CLOSED", f"{connection.vendor}: {outcome}"
    assert Document.objects.get(pk=w.outgoing[0].pk).note == ""
