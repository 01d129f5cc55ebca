"""Memory stays flat: a large attachment is decoded in pieces, never held whole.

The package is generated lazily (never whole in memory) and read in a fresh process,
so the peak RSS growth measured is the reader's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

SCRIPT = textwrap.dedent(
    """
    import base64, json, os, resource, sys, time
    sys.path.insert(0, sys.argv[3])
    from vpdt.edxml import read_package

    NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
    HEAD = ('<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="%s"><edXML:edXMLEnvelope xmlns:edXML="%s">'
            '<edXML:edXMLHeader><edXML:MessageHeader><edXML:From><edXML:OrganId>000.00.00.H53</edXML:OrganId>'
            '</edXML:From><edXML:To><edXML:OrganId>000.00.13.H53</edXML:OrganId></edXML:To>'
            '<edXML:DocumentId>x</edXML:DocumentId></edXML:MessageHeader></edXML:edXMLHeader><edXML:edXMLBody>'
            '<edXML:edXMLManifest><edXML:Reference><edXML:ContentId>cid:1</edXML:ContentId></edXML:Reference>'
            '</edXML:edXMLManifest></edXML:edXMLBody></edXML:edXMLEnvelope><AttachmentEncoded><Attachment>'
            '<ContentId>cid:1</ContentId><AttachmentName>big.bin</AttachmentName><ContentTransferEncoded>'
            % (NS, NS)).encode()
    TAIL = b"</ContentTransferEncoded></Attachment></AttachmentEncoded></edXML>"

    class Package:
        def __init__(self, mb, wrap):
            self.parts = [HEAD]
            block = base64.encodebytes(os.urandom(3 << 18)) if wrap else base64.b64encode(os.urandom(3 << 18))
            self.block, self.left, self.tail = block, mb * 4 // 3, TAIL  # blocks of 768 KiB raw
        def read(self, n=-1):
            if self.parts:
                return self.parts.pop()
            if self.left:
                self.left -= 1
                return self.block
            out, self.tail = self.tail, b""
            return out

    mb, wrap = int(sys.argv[1]), sys.argv[2] == "1"
    pkg_in = Package(mb, wrap)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pkg = read_package(pkg_in)
    grow = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(json.dumps({"size": pkg.attachments[0].size, "rss_growth_mb": grow}))
    """
)


def _read(mb: int, wrap: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(mb), "1" if wrap else "0", str(SRC)], capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("wrap", [False, True], ids=["one-line", "76-column"])
def test_memory_does_not_grow_with_attachment_size(wrap):
    small = _read(12, wrap)
    large = _read(96, wrap)
    assert large["size"] == 96 * 1024 * 1024 == 8 * small["size"]
    assert large["rss_growth_mb"] < 30, large
    # Eight times the data, about the same memory: growth is not proportional to size.
    assert large["rss_growth_mb"] < small["rss_growth_mb"] + 10, (small, large)
