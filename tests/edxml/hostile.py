"""Hostile inputs, generated lazily (never whole in memory or on disk), and a probe.

Run as a script (`python hostile.py CASE`) it reads one case in a fresh process and
prints JSON with the error code, path, seconds and peak RSS growth, so a test can
measure time and memory without the rest of the suite polluting the numbers.
"""

from __future__ import annotations

import io
import json
import re
import resource
import sys
import time
from pathlib import Path

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
GB2 = 2 * 1024**3
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "edxml"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/fixtures/edxml")


class LazyStream(io.RawIOBase):
    """A read-only stream of `head` + `unit` repeated up to `total` bytes + `tail`."""

    def __init__(self, head: bytes, unit: bytes, total: int, tail: bytes = b""):
        self.head, self.unit, self.tail = head, unit, tail
        self.total = total
        self.pos = 0
        self.block = unit * max(1, (1 << 20) // len(unit))

    def readable(self):
        return True

    def read(self, n=-1):
        if self.head:
            out, self.head = self.head, b""
            return out
        if self.pos >= self.total:
            out, self.tail = self.tail, b""
            return out
        out = self.block[: max(0, min(n if n > 0 else len(self.block), self.total - self.pos))]
        out = out[: len(out) - len(out) % len(self.unit)] or self.unit
        self.pos += len(out)
        return out


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def case(name: str):
    root = f'<edXML xmlns="{NS}">'.encode()
    if name == "billion_laughs":
        ents = "".join(
            f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
        )
        return io.BytesIO(
            f'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY l0 "lol">{ents}]><edXML xmlns="{NS}">&l9;</edXML>'.encode()
        )
    if name == "external_entity":
        return io.BytesIO(
            f'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<edXML xmlns="{NS}">&x;</edXML>'.encode()
        )
    if name == "external_dtd":
        return io.BytesIO(f'<!DOCTYPE edXML SYSTEM "http://example.invalid/e.dtd"><edXML xmlns="{NS}"/>'.encode())
    if name == "deep_2gb":
        return LazyStream(root, b"<a>", GB2)
    if name == "many_elements_2gb":
        return LazyStream(root + b"<x>", b"<a/>", GB2)
    if name == "huge_attribute_2gb":
        return LazyStream(root + b'<x a="', b"A" * 64, GB2)
    if name == "huge_header_text_2gb":
        head = root + f'<edXML:edXMLEnvelope xmlns:edXML="{NS}"><edXML:edXMLHeader><edXML:MessageHeader><edXML:Subject>'.encode()
        return LazyStream(head, "Văn bản ".encode() * 8, GB2)
    if name == "undeclared_prefix":
        data = fixture("status_inbox_01.edxml").replace(b"<edXML:Description>", b"<vb:Description>", 1)
        return io.BytesIO(data.replace(b"</edXML:Description>", b"</vb:Description>", 1))
    if name == "truncated":
        data = fixture("edoc_new.edxml")
        return io.BytesIO(data[: len(data) // 2])
    if name == "truncated_in_header":
        data = fixture("edoc_new.edxml")
        return io.BytesIO(data[: data.index("số 62".encode())])
    if name == "broken_base64":
        data = fixture("edoc_new.edxml")
        data = re.sub(rb"(ContentTransferEncoded[^>]*>.{5000})", rb"\1!*", data, count=1, flags=re.S)
        return io.BytesIO(data)
    raise KeyError(name)


def probe(name: str) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from vpdt.edxml import EdxmlError, read_package

    stream = case(name)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = {"case": name, "code": None, "path": None}
    try:
        read_package(stream)
    except EdxmlError as exc:
        result.update(code=exc.code, path=exc.path, detail=exc.detail)
    result["seconds"] = time.perf_counter() - t0
    result["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return result


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1])))
