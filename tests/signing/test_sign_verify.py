"""Signing and verifying with software keys: what a receiver learns about each signature."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader, PdfWriter

from vpdt.signing import keys, pdf, pki, samples
from vpdt.signing.errors import SigningError

from .conftest import SIGNER_NAME, TITLE


def _sign(src, key, **kw) -> bytes:
    out = io.BytesIO()
    kw.setdefault("field_name", "Sig1")
    pdf.sign_pdf(src, out, key, **kw)
    return out.getvalue()


def _verify(data, demo_ca, **kw):
    kw.setdefault("trust_roots", [demo_ca.root_cert])
    return pdf.verify_pdf(io.BytesIO(data), **kw)


def test_signed_with_software_key_verifies_valid_and_trusted(letter_pdf, person_key, demo_ca):
    signed = _sign(letter_pdf, person_key)
    [report] = _verify(signed, demo_ca, crls=demo_ca.crl_paths)
    assert report.summary == "valid"
    assert report.intact and report.trusted and report.covers_whole_document
    assert report.revocation_checked and not report.revoked and not report.expired
    assert "Nguyễn Văn An" in report.signer_subject
    assert report.signing_time is not None and report.signing_time.utcoffset().total_seconds() == 7 * 3600
    assert pdf.overall([report]) == "valid"


def test_signature_is_pades(letter_pdf, person_key):
    signed = _sign(letter_pdf, person_key)
    sig = PdfReader(io.BytesIO(signed)).trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()["/V"]
    assert sig["/SubFilter"] == "/ETSI.CAdES.detached"


def test_unsigned_pdf_has_no_reports(letter_pdf, demo_ca):
    assert pdf.verify_pdf(letter_pdf, trust_roots=[demo_ca.root_cert]) == []
    assert pdf.overall([]) == "unsigned"


def test_pdf_modified_after_signing_is_reported_modified(letter_pdf, person_key, demo_ca):
    signed = _sign(letter_pdf, person_key)
    # Change one byte of the signed content: the creator "vpdt" in the info dictionary.
    idx = signed.find(b"vpdt")
    assert idx > 0
    tampered = signed[:idx] + b"vpdT" + signed[idx + 4 :]
    [report] = _verify(tampered, demo_ca)
    assert report.summary == "modified"
    assert not report.intact
    assert pdf.overall([report]) == "modified"


def test_incremental_update_adding_a_page_after_signing_is_caught(letter_pdf, person_key, demo_ca):
    signed = _sign(letter_pdf, person_key)
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_blank_page()
    out = io.BytesIO()
    writer.write(out)
    [report] = _verify(out.getvalue(), demo_ca)
    assert report.summary == "modified"
    assert report.intact  # the signed bytes are untouched: only the later revision betrays it
    assert not report.covers_whole_document


def test_incremental_update_changing_the_text_after_signing_is_caught(letter_pdf, person_key, demo_ca):
    signed = _sign(letter_pdf, person_key)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    forged = generic.StreamObject(stream_data=b"BT /F1 12 Tf 100 700 Td (Da sua) Tj ET")
    page["/Contents"] = writer.add_object(forged)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    [report] = _verify(out.getvalue(), demo_ca)
    assert report.summary == "modified"
    assert report.intact


def test_untrusted_root_is_reported_untrusted(letter_pdf, person_key, demo_ca, tmp_path):
    other = pki.make_demo_ca(tmp_path / "other", key_bits=2048)
    signed = _sign(letter_pdf, person_key)
    [report] = pdf.verify_pdf(io.BytesIO(signed), trust_roots=[other.root_cert])
    assert report.summary == "valid_untrusted"
    assert report.intact and not report.trusted
    [no_roots] = pdf.verify_pdf(io.BytesIO(signed), trust_roots=[])
    assert no_roots.summary == "valid_untrusted"


def test_expired_certificate_is_reported_expired(letter_pdf, demo_ca):
    key = keys.SoftwareKey.from_pkcs12(demo_ca.people[pki.EXPIRED_USER].read_bytes(), demo_ca.password)
    [report] = _verify(_sign(letter_pdf, key), demo_ca, crls=demo_ca.crl_paths)
    assert report.summary == "expired"
    assert report.expired and not report.trusted


def test_revoked_certificate_is_reported_revoked_when_the_crl_is_given(letter_pdf, demo_ca):
    key = keys.SoftwareKey.from_pkcs12(demo_ca.people[pki.REVOKED_USER].read_bytes(), demo_ca.password)
    signed = _sign(letter_pdf, key)
    [report] = _verify(signed, demo_ca, crls=demo_ca.crl_paths)
    assert report.summary == "revoked"
    assert report.revoked and report.revocation_checked
    # Without revocation data the same signature looks valid, and says it was not checked.
    [unchecked] = _verify(signed, demo_ca)
    assert unchecked.summary == "valid" and not unchecked.revocation_checked


def test_revocation_is_fetched_from_the_crl_distribution_point(letter_pdf, tmp_path):
    import socket

    with socket.socket() as s:  # a free port, known before the certificates name it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ca = pki.make_demo_ca(tmp_path, crl_base_url=f"http://127.0.0.1:{port}", key_bits=2048)
    server, _ = pki.serve_crl(tmp_path, port=port)
    try:
        key = keys.SoftwareKey.from_pkcs12(ca.people[pki.REVOKED_USER].read_bytes(), ca.password)
        [report] = pdf.verify_pdf(io.BytesIO(_sign(letter_pdf, key)), trust_roots=[ca.root_cert], allow_fetching=True)
    finally:
        server.shutdown()
    assert report.summary == "revoked"


def test_second_signature_keeps_the_first_valid_and_worst_wins(letter_pdf, person_key, agency_key, demo_ca):
    first = _sign(letter_pdf, person_key, field_name="Leader")
    both = _sign(io.BytesIO(first), agency_key, field_name="Agency")
    reports = _verify(both, demo_ca, crls=demo_ca.crl_paths)
    assert [r.field_name for r in reports] == ["Leader", "Agency"]
    assert [r.summary for r in reports] == ["valid", "valid"]
    assert not reports[0].covers_whole_document and reports[1].covers_whole_document
    assert pdf.overall(reports) == "valid"
    reports[0].summary = "valid_untrusted"
    assert pdf.overall(reports) == "valid_untrusted"
    reports[1].summary = "revoked"
    assert pdf.overall(reports) == "revoked"


def test_every_summary_has_a_vietnamese_message():
    for summary in (*pdf.SUMMARIES, "unsigned"):
        assert pdf.MESSAGES_VI[summary].strip()


def test_unreadable_input_raises_a_signing_error(tmp_path, person_key):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    with pytest.raises(SigningError) as err:
        pdf.verify_pdf(bad)
    assert err.value.code == "PDF_UNREADABLE"
    with pytest.raises(SigningError) as err:
        pdf.sign_pdf(bad, tmp_path / "out.pdf", person_key, field_name="S")
    assert err.value.code == "PDF_UNREADABLE"


def test_multi_page_letter_is_signed_on_the_last_page(person_key, demo_ca, signature_image, tmp_path):
    src = tmp_path / "long.pdf"
    src.write_bytes(samples.demo_letter(pages=3, signer_name=SIGNER_NAME, signer_title=TITLE))
    dst = tmp_path / "signed.pdf"
    pdf.sign_as_signer(src, dst, person_key, signer_name=SIGNER_NAME, title=TITLE, image=signature_image)
    assert pdf.signature_fields(dst)["ChuKyNguoiKy"][0] == 2
    assert pdf.overall(pdf.verify_pdf(dst, trust_roots=[demo_ca.root_cert])) == "valid"


def test_a_kept_image_is_written_whole_in_each_signed_file(letter_pdf, person_key, demo_ca, signature_image, tmp_path):
    """The image object is compressed once per image and copied into each file (pdf._KeptImage):
    each file holds the image's own pixels and transparency, and verifies."""
    from PIL import Image
    from pyhanko.pdf_utils.reader import PdfFileReader

    pdf._encoded_image.cache_clear()
    expected = Image.open(io.BytesIO(signature_image))
    for n in range(2):
        out = tmp_path / f"{n}.pdf"
        pdf.sign_as_signer(letter_pdf, out, person_key, signer_name=SIGNER_NAME, title=TITLE, image=signature_image)
        with open(out, "rb") as fh:
            reader = PdfFileReader(fh)
            [field] = [f for f in (r.get_object() for r in reader.root["/AcroForm"]["/Fields"]) if f["/T"] == "ChuKyNguoiKy"]
            appearance = field["/AP"]["/N"]
            images = list(_images(appearance["/Resources"]["/XObject"]))
            [image] = images
            assert (image["/Width"], image["/Height"]) == expected.size
            assert image.data == expected.convert("RGB").tobytes()
            assert image["/SMask"].data == expected.getchannel("A").tobytes()
        assert pdf.overall(pdf.verify_pdf(out, trust_roots=[demo_ca.root_cert])) == "valid"
    assert pdf._encoded_image.cache_info().currsize == 1


def _images(xobjects):
    for obj in (x.get_object() for x in xobjects.values()):
        if obj["/Subtype"] == "/Image":
            yield obj
        elif "/Resources" in obj and "/XObject" in obj["/Resources"]:
            yield from _images(obj["/Resources"]["/XObject"])
