"""One page found without reading every page object (vpdt.signing.pagetree), in a nested tree:
the same page and the same inherited attributes as pypdf's and pyHanko's own walks, which read
every page before it; a tree whose counts lie goes back to their walks."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader

from vpdt.signing import layout, pagetree, pdf

from .conftest import SIGNER_NAME, TITLE


def _pdf(objects: dict[int, bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        out += b"%010d 00000 n \n" % offsets[num] if num in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def _page(parent: int, contents: int, extra: bytes = b"") -> bytes:
    return b"<< /Type /Page /Parent %d 0 R /Contents %d 0 R %s >>" % (parent, contents, extra)


def _stream(text: str) -> bytes:
    body = b"BT /F1 12 Tf 72 700 Td (%s) Tj ET" % text.encode()
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body)


def nested_tree(root_count: int = 6, node_4_count: int = 3) -> bytes:
    """Pages in order 5, 6, 8, 9, 7, 10: root [3, 4, 13 (empty), 10]; 3 [5, 6]; 4 [11, 7];
    11 [8, 9]. Resources on the root (inline), on node 3 (indirect, 20) and on page 8; a media
    box on the root and on page 7."""
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R 4 0 R 13 0 R 10 0 R] /Count %d /MediaBox [0 0 595 842] /Resources %s >>"
           % (root_count, font),
        3: b"<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 2 /Resources 20 0 R >>",
        4: b"<< /Type /Pages /Parent 2 0 R /Kids [11 0 R 7 0 R] /Count %d >>" % node_4_count,
        11: b"<< /Type /Pages /Parent 4 0 R /Kids [8 0 R 9 0 R] /Count 2 >>",
        13: b"<< /Type /Pages /Parent 2 0 R /Kids [] /Count 0 >>",
        5: _page(3, 30), 6: _page(3, 31), 8: _page(11, 32, b"/Resources " + font), 9: _page(11, 33),
        7: _page(4, 34, b"/MediaBox [0 0 300 300]"), 10: _page(2, 35),
        20: font,
    }
    for i, num in enumerate(range(30, 36)):
        objects[num] = _stream(f"Trang {i + 1}")
    return _pdf(objects)


ORDER = [5, 6, 8, 9, 7, 10]


@pytest.mark.parametrize("index", range(-6, 6))
def test_each_page_of_a_nested_tree_is_the_one_pypdf_finds_with_the_same_inherited_attributes(index):
    reader = PdfReader(io.BytesIO(nested_tree()))
    found_index, page = layout._page(reader, index)
    theirs = PdfReader(io.BytesIO(nested_tree())).pages[index]
    assert found_index == index % 6
    assert page.indirect_reference.idnum == theirs.indirect_reference.idnum == ORDER[index]
    assert list(page.mediabox) == list(theirs.mediabox)
    assert page["/Resources"] == theirs["/Resources"]
    assert page.extract_text() == theirs.extract_text() == f"Trang {index % 6 + 1}"


@pytest.mark.parametrize("index", range(-6, 6))
def test_each_page_of_a_nested_tree_is_the_one_pyhanko_finds_with_the_same_resources(index):
    ours = pdf._Writer(io.BytesIO(nested_tree()), strict=False)._walk_page_tree(index, False)
    theirs = IncrementalPdfFileWriter(io.BytesIO(nested_tree()), strict=False)._walk_page_tree(index, False)
    assert ours[0].idnum == theirs[0].idnum == ORDER[index]
    assert ours[1] == theirs[1]


def test_the_last_page_of_a_long_flat_tree_is_read_alone():
    kids = range(10, 210)
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
               2: b"<< /Type /Pages /Kids [%s] /Count 200 /MediaBox [0 0 595 842] >>"
                  % b" ".join(b"%d 0 R" % k for k in kids)}
    objects.update({k: _page(2, 300) for k in kids})
    objects[300] = _stream("x")
    reader = PdfReader(io.BytesIO(_pdf(objects)))
    index, page = layout._page(reader, -1)
    assert (index, page.indirect_reference.idnum) == (199, 209)
    assert [k for k in kids if (0, k) in reader.resolved_objects] == [209]  # pypdf's cache of objects read


def test_a_tree_whose_counts_lie_is_walked_by_the_libraries_own_walk():
    broken = nested_tree(root_count=13, node_4_count=10)  # node 4 holds 3 pages, not 10
    reader = PdfReader(io.BytesIO(broken))
    with pytest.raises(pagetree.PageTreeError):
        pagetree.path_to(reader.root_object.raw_get("/Pages"), 5)
    index, page = layout._page(reader, 5)
    assert (index, page.indirect_reference.idnum) == (5, 10)  # pypdf's own count of the leaves
    with pytest.raises(pagetree.PageTreeError):
        pagetree.path_to(reader.root_object.raw_get("/Pages"), 13)


def test_a_cycle_in_the_tree_is_an_error_not_a_loop():
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
               2: b"<< /Type /Pages /Kids [3 0 R] /Count 2 >>",
               3: b"<< /Type /Pages /Parent 2 0 R /Kids [3 0 R] /Count 2 >>"}
    reader = PdfReader(io.BytesIO(_pdf(objects)))
    with pytest.raises(pagetree.PageTreeError):
        pagetree.path_to(reader.root_object.raw_get("/Pages"), 0)


def test_a_nested_tree_is_signed_on_its_last_page_and_verifies(person_key, demo_ca, signature_image, tmp_path):
    dst = tmp_path / "signed.pdf"
    pdf.sign_as_signer(io.BytesIO(nested_tree()), dst, person_key, signer_name=SIGNER_NAME, title=TITLE,
                       image=signature_image)
    assert pdf.signature_fields(dst)["ChuKyNguoiKy"][0] == 5
    assert pdf.overall(pdf.verify_pdf(dst, trust_roots=[demo_ca.root_cert])) == "valid"


def test_signature_fields_are_read_from_the_form_as_a_reader_of_every_page_finds_them(
        person_key, agency_key, seal_image, signature_image, tmp_path):
    one, two = tmp_path / "1.pdf", tmp_path / "2.pdf"
    pdf.sign_as_signer(io.BytesIO(nested_tree()), one, person_key, signer_name=SIGNER_NAME, title=TITLE,
                       image=signature_image)
    pdf.sign_as_agency(one, two, agency_key, seal_image=seal_image)
    reader = PdfReader(two)
    from_form = pdf._fields_from_form(reader)
    assert list(from_form) == ["ChuKyNguoiKy", "ChuKyCoQuan"]
    assert from_form == pdf._fields_from_pages(PdfReader(two)) == pdf.signature_fields(two)
    assert {page for page, _ in from_form.values()} == {5}
    assert [k for k in (5, 6, 8, 9, 7) if (0, k) in reader.resolved_objects] == []  # no other page read


@pytest.mark.parametrize("index", range(6))
def test_a_page_s_index_from_its_parents_is_its_place_in_the_document(index):
    reader = PdfReader(io.BytesIO(nested_tree()))
    assert pagetree.index_of(reader.pages[index].indirect_reference) == index
