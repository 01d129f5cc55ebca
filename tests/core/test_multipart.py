"""Multipart bodies parsed by core.multipart (python-multipart) give what Django's own parser
gives, field for field and file for file; a body that is not well-formed multipart is refused
(a 400) and leaves no staged file; the file's bytes reach the upload handler without a copy."""

from __future__ import annotations

import base64
import io
import os
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vpdt.core import blobs, multipart, uploads

BOUNDARY = "vpdt-TEST-b0undary"


class Chunked(io.BytesIO):
    """A request body that hands out at most `step` bytes per read, as a socket may."""

    def __init__(self, data: bytes, step: int):
        super().__init__(data)
        self.step = step

    def read(self, size=-1):
        return super().read(min(size, self.step) if size and size > 0 else self.step)


def _handler(chunk_size: int, only: bool = True) -> uploads.BoundedUploadHandler:
    request = SimpleNamespace(user=AnonymousUser())
    handler = uploads.BoundedUploadHandler(request)
    handler.chunk_size = chunk_size
    request.upload_handlers = [handler] if only else [handler, object()]
    return handler


def _parse(body: bytes, *, ours: bool, chunk_size: int = 64 * 1024, step: int = 1 << 30):
    meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}", "CONTENT_LENGTH": str(len(body))}
    handler = _handler(chunk_size, only=ours)
    parser = MultiPartParser(meta, Chunked(body, step), [handler])
    post, files = parser.parse()
    seen = {}
    for name, items in files.lists():
        seen[name] = []
        for item in items:
            seen[name].append((item.name, item.content_type, item.charset, item.content_type_extra, item.size,
                               item.read()))
            item.close()
    return sorted(post.lists()), seen


def _body(parts: list[tuple[list[str], bytes]], preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    out = [preamble]
    for headers, data in parts:
        out.append(f"--{BOUNDARY}\r\n".encode() + "".join(h + "\r\n" for h in headers).encode() + b"\r\n" + data + b"\r\n")
    out.append(f"--{BOUNDARY}--\r\n".encode() + epilogue)
    return b"".join(out)


_names = st.text(st.characters(categories=("L", "N")) | st.sampled_from(list("-_ .ăđươ")),
                 min_size=1, max_size=12)
# Bytes that look like the boundary in part, to be found or not found across chunk edges.
# (A body whose content holds the whole boundary is not multipart: each parser cuts it its way.)
_tricky = st.sampled_from([b"\r", b"\r\n", b"\r\n-", b"\r\n--", f"\r\n--{BOUNDARY[:5]}".encode(),
                           f"--{BOUNDARY[:-1]}".encode(), b"\n--", b"-"])
_data = st.lists(st.binary(max_size=300) | _tricky, max_size=12).map(b"".join).filter(
    lambda data: f"--{BOUNDARY}".encode() not in data)


@st.composite
def _part(draw):
    kind = draw(st.sampled_from(["field", "file", "file", "empty-filename", "no-name", "no-disposition",
                                 "base64-file", "base64-field", "rfc2231"]))
    name = draw(_names)
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    data = draw(_data)
    if kind == "field":
        return [f'Content-Disposition: form-data; name="{quoted}"'], draw(st.text(max_size=40)).encode()
    if kind == "no-name":
        return ['Content-Disposition: form-data; filename="x.bin"'], data
    if kind == "no-disposition":
        return ["Content-Type: text/plain"], data
    if kind == "empty-filename":
        return [f'Content-Disposition: form-data; name="{quoted}"; filename=""'], b""
    if kind == "base64-field":
        return [f'Content-Disposition: form-data; name="{quoted}"', "Content-Transfer-Encoding: base64"], \
            base64.b64encode(draw(st.text(max_size=40)).encode())
    file_name = draw(st.sampled_from(["du-thao.docx", "C:\\\\tai lieu\\\\bao cao.pdf", "../../etc/passwd",
                                      "tệp &amp; ảnh.png", "..", "a/b/c.txt"]))
    content_type = draw(st.sampled_from(["application/octet-stream", "text/plain; charset=utf-8",
                                         "Application/PDF", "image/png; name=x"]))
    if kind == "rfc2231":
        return [f"Content-Disposition: form-data; name=\"{quoted}\"; filename*=UTF-8''t%E1%BB%87p%20m%E1%BB%9Bi.txt",
                f"Content-Type: {content_type}"], data
    headers = [f'Content-Disposition: form-data; name="{quoted}"; filename="{file_name}"', f"Content-Type: {content_type}"]
    if kind == "base64-file":
        encoded = base64.b64encode(data)
        return headers + ["Content-Transfer-Encoding: base64"], b"\r\n".join(
            encoded[i:i + 76] for i in range(0, len(encoded), 76))
    return headers, data


@hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_part(), max_size=6), chunk_size=st.sampled_from([7, 64, 1000, 64 * 1024]),
       step=st.sampled_from([3, 50, 4096, 1 << 30]), preamble=st.sampled_from([b"", b"preamble\r\n"]),
       epilogue=st.sampled_from([b"", b"epilogue\r\n"]))
def test_a_body_gives_what_django_s_parser_gives(blob_dir, parts, chunk_size, step, preamble, epilogue):
    body = _body(parts, preamble, epilogue)
    expected = _parse(body, ours=False, chunk_size=chunk_size, step=step)
    for left in os.listdir(blobs._spool_dir()):  # Django's parser never completes a file of an empty name
        os.unlink(os.path.join(blobs._spool_dir(), left))
    assert _parse(body, ours=True, chunk_size=chunk_size, step=step) == expected
    assert os.listdir(blobs._spool_dir()) == []


def test_the_fields_and_files_of_a_form(blob_dir):
    body = _body([(['Content-Disposition: form-data; name="subject"'], "Công văn số 12".encode()),
                  (['Content-Disposition: form-data; name="file"; filename="cv.pdf"', "Content-Type: application/pdf"],
                   b"%PDF-1.7\r\n--not the boundary\r\n"),
                  (['Content-Disposition: form-data; name="file"; filename="phu-luc.pdf"'], b"%PDF-1.4"),
                  (['Content-Disposition: form-data; name="subject"'], b"hai")])
    post, files = _parse(body, ours=True, chunk_size=10)
    assert post == [("subject", ["Công văn số 12", "hai"])]
    assert [(f[0], f[1], f[5]) for f in files["file"]] == [
        ("cv.pdf", "application/pdf", b"%PDF-1.7\r\n--not the boundary\r\n"), ("phu-luc.pdf", "", b"%PDF-1.4")]


def test_the_file_reaches_the_handler_as_a_view_of_the_chunk_read(blob_dir, monkeypatch):
    received = []
    real = uploads.BoundedUploadHandler.receive_data_chunk

    def noting(self, raw_data, start):
        received.append(raw_data)
        return real(self, raw_data, start)

    monkeypatch.setattr(uploads.BoundedUploadHandler, "receive_data_chunk", noting)
    data = os.urandom(300_000)
    body = _body([(['Content-Disposition: form-data; name="file"; filename="a.bin"'], data)])
    _, files = _parse(body, ours=True, chunk_size=100_000)
    assert files["file"][0][5] == data
    assert all(isinstance(chunk, memoryview) for chunk in received) and len(received) >= 3


@pytest.mark.parametrize("body", [
    _body([(['Content-Disposition: form-data; name="file"; filename="a.bin"'], b"x" * 5000)])[:-30],  # cut short
    _body([(['Content-Disposition: form-data; name="file"; filename="a.bin"'], b"x" * 5000)]).replace(
        f"--{BOUNDARY}--".encode(), b"--garbage--"),  # no closing boundary
    f"--{BOUNDARY}\r\nContent\x01Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),  # a bad header
    f"--{BOUNDARY}\r\n".encode() + b"".join(f"X-H{i}: v\r\n".encode() for i in range(50)) + b"\r\nx\r\n",  # headers without end
], ids=["truncated", "unclosed", "bad-header", "header-flood"])
def test_a_body_that_is_not_well_formed_is_refused_and_leaves_nothing(blob_dir, body):
    with pytest.raises(MultiPartParserError):
        _parse(body, ours=True, chunk_size=1000)
    assert os.listdir(blobs._spool_dir()) == []


def test_a_file_in_bad_base64_is_refused_and_leaves_nothing(blob_dir):
    body = _body([(['Content-Disposition: form-data; name="file"; filename="a.bin"', "Content-Transfer-Encoding: base64"],
                   b"QUJD" * 100 + b"QUJ")])  # 3 characters left over
    with pytest.raises(MultiPartParserError):
        _parse(body, ours=True)
    assert os.listdir(blobs._spool_dir()) == []


def test_django_s_limits_hold(blob_dir, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    fields = [([f'Content-Disposition: form-data; name="f{i}"'], b"v") for i in range(4)]
    with pytest.raises(TooManyFieldsSent):
        _parse(_body(fields), ours=True)
    assert _parse(_body(fields[:3]), ours=True)[0] == [("f0", ["v"]), ("f1", ["v"]), ("f2", ["v"])]
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    file = (['Content-Disposition: form-data; name="file"; filename="a.bin"'], b"abc")
    with pytest.raises(TooManyFilesSent):
        _parse(_body([file, file]), ours=True)
    assert os.listdir(blobs._spool_dir()) == []  # the first file, staged, removed with the refusal
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    with pytest.raises(RequestDataTooBig):
        _parse(_body([(['Content-Disposition: form-data; name="big"'], b"x" * 200)]), ours=True, chunk_size=16)


def test_another_handler_beside_it_leaves_the_parsing_to_django(blob_dir, monkeypatch):
    calls = []
    monkeypatch.setattr(multipart, "parse", lambda *a, **k: calls.append(a))
    body = _body([(['Content-Disposition: form-data; name="subject"'], b"x")])
    assert _parse(body, ours=False)[0] == [("subject", ["x"])] and calls == []


@pytest.mark.django_db
def test_the_api_and_a_web_form_answer_a_body_that_is_not_multipart_with_a_400(blob_dir, client):
    from django.core.cache import cache

    from tests import factories
    from vpdt.directory import system_accounts
    from vpdt.directory.roles import Role

    cache.clear()
    agency = factories.agency()
    admin = factories.person(agency, Role.AGENCY_ADMIN, username="admin_a")
    account = system_accounts.create_account(admin, agency, name="Phần mềm", role=Role.SPECIALIST)
    token = system_accounts.issue_token(admin, account, name="t", days=1, scopes=["drafts:write"])
    body = f"--{BOUNDARY}\r\nContent\x01Disposition: x\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()
    kind = f"multipart/form-data; boundary={BOUNDARY}"
    r = client.post("/api/drafts/1/versions", data=body, content_type=kind, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 400 and r.json()["code"] == "INVALID_INPUT", r.content
    client.force_login(factories.clerk(agency))
    r = client.post("/van-ban-den/tiep-nhan/", data=body, content_type=kind)
    assert r.status_code == 400
    assert os.listdir(blobs._spool_dir()) == []
