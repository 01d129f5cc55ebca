"""Small rules: agency codes, base64 pieces, dates, manifest matching, tolerance."""

from __future__ import annotations

import base64
import io
import os

import pytest

from vpdt.edxml import EdxmlError, parent_organ_id, read_package, validate_organ_id
from vpdt.edxml.b64stream import Base64Decoder, Base64Error

from .conftest import FIXTURES


@pytest.mark.parametrize("code", ["000.00.00.G22", "000.00.13.H53", "000.30.38.H53", "777.77.04.D77"])
def test_qcvn102_codes_are_valid(code):
    assert validate_organ_id(code)


@pytest.mark.parametrize("code", ["28.22.H17", "", "000.00.00.g22", "000.00.00.H5", " 000.00.00.H53"])
def test_codes_outside_qcvn102_are_not(code):
    assert not validate_organ_id(code)


def test_parent_zeroes_the_leftmost_non_zero_segment():
    assert parent_organ_id("000.30.38.H53") == "000.00.38.H53"
    assert parent_organ_id("000.00.38.H53") == "000.00.00.H53"
    assert parent_organ_id("000.00.00.H53") is None


def test_base64_decodes_identically_whatever_the_piece_boundaries():
    raw = os.urandom(10_000)
    text = base64.encodebytes(raw).decode()  # with line breaks
    for step in (1, 3, 7, 76, 77, 1000):
        d = Base64Decoder()
        out = b"".join(d.feed(text[i : i + step]) for i in range(0, len(text), step)) + d.finish()
        assert out == raw


@pytest.mark.parametrize("bad", ["QUJD!", "QUJD=QUJD", "Q", "QUJDé"])
def test_broken_base64_is_refused(bad):
    d = Base64Decoder()
    with pytest.raises(Base64Error):
        d.feed(bad)
        d.finish()


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_children_in_any_order_and_lf_line_ends_are_accepted():
    data = _fixture("status_acceptance_03.edxml").replace(b"\r\n", b"\n")
    a = b"<edXML:StatusCode>03</edXML:StatusCode>"
    b = b"<edXML:Description>"
    data = data.replace(a, b"").replace(b, a + b)
    assert read_package(io.BytesIO(data)).status_code == "03"


def test_missing_content_type_is_tolerated_and_zip_is_detected():
    data = _fixture("edoc_new.edxml")
    data = data.replace(b"<ContentType>application/zip</ContentType>", b"")
    data = data.replace(b"<edXML:ContentType>application/zip</edXML:ContentType>", b"")
    pkg = read_package(io.BytesIO(data))
    assert pkg.attachments[0].content_type is None and pkg.attachments[0].zipped


@pytest.mark.parametrize(
    "old,new,code,path",
    [
        (b"<edXML:From>", b"<edXML:Sender>", "EDXML_NO_FROM", "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From"),
        (b"<edXML:OrganId>000.00.00.A80</edXML:OrganId>", b"<edXML:OrganId> </edXML:OrganId>", "EDXML_NO_FROM",
         "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId"),
        ("<edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>".encode(), b"", "EDXML_NO_DOCUMENT_ID",
         "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/DocumentId"),
        (b"<edXML:DueDate>2018/09/28", b"<edXML:DueDate>28 Sept 2018", "EDXML_BAD_DATE",
         "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/DueDate"),
        (b"<ContentId>cid:209</ContentId>", b"<ContentId>cid:210</ContentId>", "EDXML_MANIFEST_MISMATCH",
         "/edXML/edXMLEnvelope/edXMLBody/edXMLManifest/Reference"),
        (b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">', b'<edXML xmlns="urn:other">', "EDXML_BAD_ROOT", "/edXML"),
    ],
)
def test_what_matters_is_checked_with_code_and_path(old, new, code, path):
    data = _fixture("edoc_new.edxml")
    assert old in data
    with pytest.raises(EdxmlError) as exc:
        read_package(io.BytesIO(data.replace(old, new, 1).replace(old.replace(b"<", b"</", 1), new.replace(b"<", b"</", 1), 1)))
    assert (exc.value.code, exc.value.path) == (code, path)
    assert exc.value.message and exc.value.detail
