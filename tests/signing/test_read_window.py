"""The PDF a verification reads: pyHanko's one-byte reads are served from one window.

Rules protected (issue 17, the PDF check of a received file):
- whatever the order of the reads (on from the start, back from the end as a trailer is
  read, jumps), each returns exactly the file's bytes there, and a read past the end is short;
- a verification of an unsigned 100 KB PDF reads the disk a few times, not once per byte
  (it read 172 times, 151 of them one byte);
- the window is bounded: a read of the window's size or more goes to the file itself, and a
  read of LAZY_PAYLOAD_BYTES or more stays a view of the mapped file (tests/signing/test_memory.py).
"""

from __future__ import annotations

import io
import os

import pytest

from vpdt.signing import pdf


@pytest.fixture
def counted_preads(monkeypatch):
    calls = []
    real = os.pread

    def pread(fd, n, offset):
        calls.append((n, offset))
        return real(fd, n, offset)

    monkeypatch.setattr(pdf.os, "pread", pread)
    return calls


def _file(tmp_path, size: int) -> tuple[bytes, io.BufferedReader]:
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    return data, open(path, "rb")  # noqa: SIM115 - closed by the test


def test_reads_in_any_order_return_the_files_bytes(tmp_path, counted_preads):
    size = 3 * pdf.READ_WINDOW_BYTES + 123
    data, fh = _file(tmp_path, size)
    with fh:
        lazy = pdf._LazyPayloadFile(fh)
        positions = [0, 1, 2, size - 1, size - 2, size - 3, pdf.READ_WINDOW_BYTES - 1,
                     pdf.READ_WINDOW_BYTES, 2 * pdf.READ_WINDOW_BYTES + 5, 7, size - 10]
        for at in positions:
            for n in (1, 3, 20):
                lazy.seek(at)
                assert lazy.read(n) == data[at:at + n], (at, n)
                assert lazy.tell() == min(at + n, size)
        lazy.seek(size - 2)
        assert lazy.read(10) == data[-2:]
        assert lazy.read(1) == b""
        lazy.seek(-5, os.SEEK_END)
        assert lazy.read() == data[-5:]
        # a read of the window's size or more is the file's own, not a window
        lazy.seek(10)
        counted_preads.clear()
        assert lazy.read(pdf.READ_WINDOW_BYTES) == data[10:10 + pdf.READ_WINDOW_BYTES]
        assert counted_preads == [(pdf.READ_WINDOW_BYTES, 10)]


def test_byte_by_byte_reads_forwards_and_backwards_take_a_pread_per_window(tmp_path, counted_preads):
    size = 2 * pdf.READ_WINDOW_BYTES
    data, fh = _file(tmp_path, size)
    with fh:
        lazy = pdf._LazyPayloadFile(fh)
        for at in range(size - 1, size - 2001, -1):  # back from the end, as a trailer is found
            lazy.seek(at)
            assert lazy.read(1) == data[at:at + 1]
        lazy.seek(0)
        assert b"".join(lazy.read(1) for _ in range(2000)) == data[:2000]
    assert len(counted_preads) == 2
    assert all(n <= pdf.READ_WINDOW_BYTES for n, _ in counted_preads)


def test_verifying_an_unsigned_pdf_reads_the_disk_a_few_times(tmp_path, counted_preads):
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    stream = DecodedStreamObject()
    stream.set_data(b"% " + os.urandom(50_000).hex().encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    path = tmp_path / "unsigned.pdf"
    with open(path, "wb") as out:
        writer.write(out)
    assert pdf.verify_pdf(str(path), trust_roots=[]) == []
    assert 0 < len(counted_preads) <= 8, counted_preads
