"""A .docx/.odt draft version becomes a PDF (its rendition) with LibreOffice headless, in the
background job `records.convert` (issue 13, templates and conversion).

Rules protected:
- a .docx made by the Decree 30 template converts to a PDF whose text says the draft's subject;
  the PDF is stored beside the version (its own blob, hashed), the version's file never changes;
- a .docx LibreOffice cannot read fails cleanly: the rendition is "failed" with a Vietnamese
  reason, nothing else changes, and the job goes on;
- a conversion past the timeout is killed (no soffice left running) and fails with its reason;
- without LibreOffice the rendition fails saying so; a failed one can be tried again;
- a killed worker loses nothing: a converting row whose lease ran out is taken again.
LibreOffice takes 1-3 s to start: the conversions here are few and marked slow; they are
skipped, loudly, when soffice is absent (install it with `make system-deps`).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests import factories
from tests.waiting import wait_until
from vpdt.core import blobs, office
from vpdt.directory.roles import Role
from vpdt.records import draft_template, renditions
from vpdt.records.models import Rendition
from vpdt.workflow import services as workflow

pytestmark = pytest.mark.django_db

needs_soffice = pytest.mark.skipif(
    office.soffice_path() is None,
    reason="LibreOffice (soffice) IS NOT INSTALLED: .docx to PDF conversion is NOT TESTED (make system-deps)")


@pytest.fixture
def world(db, blob_dir):
    agency = factories.agency(code="000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ",
                              place="Bình Sơn")
    cds = factories.unit(agency, "CĐS", "Phòng Chuyển đổi số")
    w = type("W", (), {})()
    w.agency, w.cds = agency, cds
    w.spec = factories.person(agency, Role.SPECIALIST, unit=cds, username="chuyenvien")
    w.outsider = factories.person(factories.agency(code="000.00.03.H90", abbreviation="STC", name="Sở Tài chính"),
                                  Role.SPECIALIST, username="khac")
    return w


SUBJECT = "Về việc triển khai ký số trên bản PDF chuyển đổi"


def _draft(w, data: bytes | None = None, name: str = "du-thao.docx", type_code: str = "QD"):
    doc = workflow.create_draft(w.spec, {"document_type": factories.doc_type(type_code), "subject": SUBJECT})
    if data is None:
        out = io.BytesIO()
        draft_template.build(draft_template.data_of(doc), out)
        data = out.getvalue()
    version = workflow.add_version(w.spec, doc, io.BytesIO(data), name)
    return doc, version


def _run_job():
    from vpdt.records import jobs

    return jobs.convert()


def _odt() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
                    '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:'
                    'xmlns:text:1.0" office:version="1.2"><office:body><office:text><text:p>Dự thảo OpenDocument'
                    '</text:p></office:text></office:body></office:document-content>')
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:'
                    'manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.'
                    'opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type='
                    '"text/xml"/></manifest:manifest>')
    return out.getvalue()


def test_a_docx_or_odt_version_waits_for_its_rendition_and_a_pdf_version_has_none(world):
    _doc, version = _draft(world)
    assert Rendition.objects.get(version=version).state == Rendition.State.WAITING
    _doc, odt_version = _draft(world, data=_odt(), name="du-thao.odt")
    assert odt_version.file_kind == "odt"
    assert Rendition.objects.get(version=odt_version).state == Rendition.State.WAITING
    _doc, pdf_version = _draft(world, data=factories.pdf_bytes("Dự thảo"), name="du-thao.pdf")
    assert not Rendition.objects.filter(version=pdf_version).exists()


@pytest.mark.slow
@needs_soffice
def test_the_template_docx_becomes_a_pdf_that_says_the_subject_and_the_original_is_kept(world):
    doc, version = _draft(world)
    original = version.blob_id
    assert _run_job() == 1
    rendition = Rendition.objects.select_related("blob").get(version=version)
    assert rendition.state == Rendition.State.READY, rendition.error_detail
    assert rendition.blob_id != original and len(rendition.blob_id) == 64  # its own blob, by SHA-256
    version.refresh_from_db()
    assert version.blob_id == original and version.file_kind == "docx"
    with blobs.open_blob(rendition.blob) as fh:
        text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(fh).pages)
    assert SUBJECT in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in " ".join(text.split())
    assert rendition.seconds and rendition.seconds > 0
    assert _run_job() == 0  # nothing left to do


@pytest.mark.slow
@needs_soffice
def test_a_docx_libreoffice_cannot_read_fails_with_a_vietnamese_reason(world):
    doc, version = _draft(world, data=factories.docx_bytes())  # passes the type check, has no body LO can load
    assert _run_job() == 1
    rendition = Rendition.objects.get(version=version)
    assert rendition.state == Rendition.State.FAILED and rendition.blob_id is None
    assert rendition.error_code == "CONVERT_UNREADABLE"
    assert "không đọc được tệp" in renditions.reason(rendition)
    version.refresh_from_db()
    assert version.file_kind == "docx"


@pytest.mark.slow
@needs_soffice
def test_a_conversion_past_the_timeout_is_killed_and_fails(world, settings, tmp_path):
    settings.VPDT_CONVERT_TIMEOUT_SECONDS = 0.3
    source = tmp_path / "in.docx"
    out = io.BytesIO()
    draft_template.build(draft_template.DraftData(type_name="Công văn", type_abbreviation="", type_code="CV",
                                                  agency_name="Sở", agency_abbreviation="S", subject="x"), out)
    source.write_bytes(out.getvalue())
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(office.ConversionFailed) as err:
        office.to_pdf(source, work)
    assert err.value.code == "CONVERT_TIMEOUT"
    assert "quá thời gian" in err.value.message
    # The whole process group was killed: no LibreOffice process of this conversion (its command
    # line names its work folder) is left; a loaded machine may take a moment to reap them. Other
    # tests' conversions, running beside this one, are not counted.
    wait_until(lambda: not _soffice_pids(str(work).encode()), timeout=10, interval=0.1)
    # Through the job: the rendition fails with the reason people read.
    doc, version = _draft(world)
    _run_job()
    rendition = Rendition.objects.get(version=version)
    assert (rendition.state, rendition.error_code) == (Rendition.State.FAILED, "CONVERT_TIMEOUT")
    assert "quá thời gian" in renditions.reason(rendition)


def _soffice_pids(naming: bytes = b"") -> set[int]:
    """LibreOffice processes started by vpdt (their own profile), those whose command line holds
    `naming` when given."""
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    cmd = fh.read()
            except OSError:
                continue
            if b"soffice" in cmd and b"vpdt-lo-profile-" in cmd and naming in cmd:
                pids.add(int(entry))
    return pids


def test_without_libreoffice_the_rendition_fails_saying_so_and_can_be_tried_again(world, settings):
    settings.VPDT_SOFFICE = "/nonexistent/soffice"
    doc, version = _draft(world)
    _run_job()
    rendition = Rendition.objects.get(version=version)
    assert (rendition.state, rendition.error_code) == (Rendition.State.FAILED, "CONVERT_UNAVAILABLE")
    assert "chưa cài LibreOffice" in renditions.reason(rendition)
    with pytest.raises(Exception) as err:
        renditions.retry(world.outsider, version)
    assert getattr(err.value, "code", "") == "PERMISSION_DENIED"
    renditions.retry(world.spec, version)
    rendition.refresh_from_db()
    assert rendition.state == Rendition.State.WAITING and rendition.attempts == 0


def test_a_killed_workers_row_is_taken_again_after_its_lease(world, settings):
    settings.VPDT_SOFFICE = "/nonexistent/soffice"
    doc, version = _draft(world)
    Rendition.objects.filter(version=version).update(
        state=Rendition.State.CONVERTING, attempts=1, lease_until=timezone.now() + dt.timedelta(minutes=5))
    assert renditions._lease() is None  # still leased by the (maybe live) worker
    Rendition.objects.filter(version=version).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    taken = renditions._lease()
    assert taken is not None and taken.attempts == 2
    assert renditions._lease() is None  # one worker wins a row


@pytest.mark.slow
@needs_soffice
def test_conversion_time_per_document(world, capsys):
    """The figure for the closing note: the median time of a few template conversions."""
    times = []
    for _ in range(3):
        _doc, version = _draft(world)
        _run_job()
        rendition = Rendition.objects.get(version=version)
        assert rendition.state == Rendition.State.READY
        times.append(rendition.seconds)
    with capsys.disabled():
        print(f"\n[docx->pdf] median {statistics.median(times):.2f} s over {len(times)}: "
              f"{', '.join(f'{t:.2f}' for t in times)}")
    assert statistics.median(times) < office.timeout_seconds()
