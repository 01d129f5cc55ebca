"""Hostile packages are rejected with a precise code and path, fast and in bounded memory.

Each case runs in a fresh process so its time and peak RSS growth are its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("hostile.py")

CASES = {
    "billion_laughs": ("EDXML_ENTITY", "/"),
    "external_entity": ("EDXML_ENTITY", "/"),
    "external_dtd": ("EDXML_DTD", "/"),
    "deep_2gb": ("EDXML_TOO_DEEP", "/edXML" + "/a" * 32),
    "many_elements_2gb": ("EDXML_TOO_MANY_ELEMENTS", "/edXML/x/a"),
    "huge_attribute_2gb": ("EDXML_TOO_LARGE", "/edXML"),
    "huge_header_text_2gb": ("EDXML_TOO_LARGE", "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Subject"),
    "undeclared_prefix": ("EDXML_NAMESPACE", "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader"),
    "truncated": ("EDXML_TRUNCATED", "/edXML/AttachmentEncoded/Attachment/ContentTransferEncoded"),
    "truncated_in_header": ("EDXML_TRUNCATED", "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To/OrganAdd"),
    "broken_base64": ("EDXML_BAD_BASE64", "/edXML/AttachmentEncoded/Attachment/ContentTransferEncoded"),
}


@pytest.mark.parametrize("case,expected", CASES.items())
def test_hostile_package_is_rejected_fast_with_its_code(case, expected):
    out = subprocess.run([sys.executable, str(PROBE), case], capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout)
    assert (result["code"], result["path"]) == expected, result
    assert result["seconds"] < 2.0, result
    assert result["rss_growth_mb"] < 100, result
