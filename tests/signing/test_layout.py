"""Where the images land (NĐ 30, Phụ lục I), read back from the widget rectangles."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from vpdt.signing import layout, pdf

from .conftest import SIGNER_NAME, TITLE

MM = 72 / 25.4


def _line_y(path, text: str) -> float:
    found = []

    def visit(t, cm, tm, font, size):
        if t.strip() == text:
            found.append(tm[5])

    PdfReader(str(path)).pages[-1].extract_text(visitor_text=visit)
    assert found, f"{text!r} not on the page"
    return min(found)


@pytest.fixture(scope="module")
def both_signed(tmp_path_factory, letter_pdf, person_key, agency_key, signature_image, seal_image):
    d = tmp_path_factory.mktemp("layout")
    pdf.sign_as_signer(letter_pdf, d / "1.pdf", person_key, signer_name=SIGNER_NAME, title=TITLE, image=signature_image)
    pdf.sign_as_agency(d / "1.pdf", d / "2.pdf", agency_key, seal_image=seal_image)
    return d / "2.pdf"


def test_signer_image_lies_between_title_and_name(both_signed, letter_pdf):
    page, (x1, y1, x2, y2) = pdf.signature_fields(both_signed)["ChuKyNguoiKy"]
    assert page == 0
    title_y = _line_y(letter_pdf, "PHÓ CHỦ TỊCH")
    name_y = _line_y(letter_pdf, SIGNER_NAME)
    assert name_y < y1 < y2 < title_y
    assert x1 > 100 * MM  # the right half of an A4 page: the signature block column


def test_seal_covers_a_third_of_the_signer_image_on_its_left(both_signed):
    fields = pdf.signature_fields(both_signed)
    sig_page, (sx1, sy1, sx2, sy2) = fields["ChuKyNguoiKy"]
    seal_page, (kx1, ky1, kx2, ky2) = fields["ChuKyCoQuan"]
    assert seal_page == sig_page
    assert kx1 < sx1 < kx2 < sx2  # starts left of the signature, ends inside it
    overlap = (kx2 - sx1) / (sx2 - sx1)
    assert overlap == pytest.approx(1 / 3, abs=0.05)
    assert kx2 - kx1 == pytest.approx(36 * MM, abs=1) and ky2 - ky1 == pytest.approx(36 * MM, abs=1)
    # Vertically the seal is centred on the signature.
    assert (ky1 + ky2) / 2 == pytest.approx((sy1 + sy2) / 2, abs=1)


def test_both_signatures_verify_after_the_seal(both_signed, demo_ca):
    reports = pdf.verify_pdf(both_signed, trust_roots=[demo_ca.root_cert], crls=demo_ca.crl_paths)
    assert [r.summary for r in reports] == ["valid", "valid"]


def test_attachment_is_signed_top_right_of_page_one_with_number_and_iso_time(letter_pdf, agency_key, demo_ca, tmp_path):
    when = dt.datetime(2026, 3, 5, 2, 15, 0, tzinfo=dt.UTC)
    out = tmp_path / "att.pdf"
    pdf.sign_attachment(letter_pdf, out, agency_key, code="123/UBND-VP", when=when)
    page, (x1, y1, x2, y2) = pdf.signature_fields(out)["ChuKyCoQuanDinhKem"]
    reader = PdfReader(str(out))
    pw, ph = (float(v) for v in reader.pages[0].mediabox[2:])
    assert page == 0
    assert x2 > pw * 0.9 and x1 > pw / 2  # right
    assert y2 > ph * 0.95 and y1 > ph * 0.85  # top
    assert pdf.attachment_stamp_text("123/UBND-VP", when) == "123/UBND-VP 2026-03-05T09:15:00+07:00"
    # The appearance holds the text at 10 pt and no image.
    widget = reader.pages[0]["/Annots"][0].get_object()
    ap = widget["/AP"]["/N"].get_object()
    xobjs = [o.get_object() for o in _all_xobjects(ap)]
    assert not any(o.get("/Subtype") == "/Image" for o in xobjs)
    contents = b"".join(o.get_data() for o in [ap, *xobjs])
    assert b" 10 Tf" in contents
    [report] = pdf.verify_pdf(out, trust_roots=[demo_ca.root_cert])
    assert report.summary == "valid"


def _all_xobjects(obj, seen=None):
    seen = seen if seen is not None else set()
    res = obj.get("/Resources")
    for ref in ((res.get_object().get("/XObject") or {}).values() if res else ()):
        if ref.idnum in seen:
            continue
        seen.add(ref.idnum)
        yield ref
        yield from _all_xobjects(ref.get_object(), seen)


def test_signer_box_falls_back_to_the_lower_right_when_the_names_are_absent(letter_pdf):
    page, (x1, y1, x2, y2) = layout.signer_box(letter_pdf, signer_name="Không Có Tên", title="KHÔNG CÓ")
    assert page == 0 and x1 > 100 * MM and y1 > 0


def test_signer_box_on_a_given_page(tmp_path):
    from vpdt.signing import samples

    data = samples.demo_letter(pages=2, signer_name=SIGNER_NAME, signer_title=TITLE)
    page, _ = layout.signer_box(io.BytesIO(data), signer_name=SIGNER_NAME, title=TITLE)
    assert page == 1
