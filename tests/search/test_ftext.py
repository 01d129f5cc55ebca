"""The text of files and the search over it (issue 15): a phrase inside a PDF's text layer, inside
a scanned (image-only) PDF read by tesseract at 300 dpi, inside a DOCX and an ODT; the job's
states; the search page's one box over metadata and file text, ranked, with snippets and facets,
that never shows a document (nor its snippet) to a person without the right.
Run on SQLite and on PostgreSQL (VPDT_TEST_DATABASE_URL)."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from tests import factories
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.choices import Direction
from vpdt.search import fulltext
from vpdt.search import services as search
from vpdt.search.models import FileText

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def text_pdf(lines: list[str]) -> bytes:
    """A PDF whose text layer has `lines` (reportlab, DejaVu for the Vietnamese letters)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", FONT))
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont("DejaVu", 12)
    for i, line in enumerate(lines):
        c.drawString(72, 760 - 18 * i, line)
    c.showPage()
    c.save()
    return out.getvalue()


def scanned_pdf(lines: list[str]) -> bytes:
    """An image-only PDF, one small page: the text drawn by Pillow at 300 dpi (as a scanner would)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 50)  # 12 pt at 300 dpi
    image = Image.new("L", (2480, 120 + 90 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((150, 60 + 90 * i), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, "PDF", resolution=300)
    return out.getvalue()


def docx(paragraphs: list[str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt(paragraphs: list[str]) -> bytes:
    out = io.BytesIO()
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.'
                    'opendocument.text"/></manifest:manifest>')
        zf.writestr("content.xml", '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
                    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
                    f"<office:body><office:text>{body}</office:text></office:body></office:document-content>")
    return out.getvalue()


def attach(document, data: bytes, name: str):
    return records.add_attachment(None, document, io.BytesIO(data), name)


def found(user, q, **params):
    return [d.pk for d in fulltext.search(user, q, params).rows]


@pytest.fixture
def w():
    from types import SimpleNamespace

    agency = factories.agency(abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    other = factories.agency(abbreviation="STC", name="Sở Tài chính")
    w = SimpleNamespace(agency=agency, other=other)
    w.clerk = factories.clerk(agency)
    w.outsider = factories.clerk(other)
    w.specialist = factories.person(agency, Role.SPECIALIST)
    w.cds11 = factories.document(agency, number=11, notation="SKHCN-CĐS", signer_name="Nguyễn Văn An",
                                 subject="Về việc triển khai chuyển đổi số năm 2026")
    w.incoming = factories.document(agency, direction=Direction.INCOMING, incoming_number=40, number=7,
                                    notation="UBND-KT", issuer_name="Ủy ban nhân dân tỉnh Kiên Giang",
                                    signer_name="Phạm Đức Dũng", subject="Về việc giao chỉ tiêu kinh tế xã hội")
    w.report = factories.document(agency, number=12, notation="SKHCN-VP", subject="Báo cáo công tác quý I")
    return w


def test_metadata_searches_find_their_document(w):
    assert found(w.clerk, "11/skhcn-cds") == [w.cds11.pk]
    assert w.cds11.pk in found(w.clerk, "SKHCN-CĐS")
    assert found(w.clerk, "uy ban nhan dan tinh kien giang") == [w.incoming.pk]
    assert found(w.clerk, "pham duc dung") == [w.incoming.pk]
    assert found(w.clerk, "Phạm Đức Dũng") == [w.incoming.pk]


def test_a_phrase_inside_a_pdf_text_layer_is_found_once_the_text_is_in(w):
    attachment = attach(w.report, text_pdf(["Kết quả thẩm định hồ sơ cấp phép bức xạ tại Bình Sơn",
                                            "đã được Hội đồng khoa học thông qua."]), "baocao.pdf")
    row = FileText.objects.get(attachment=attachment)
    assert row.state == FileText.State.PENDING
    assert found(w.clerk, '"cấp phép bức xạ"') == []  # not before the text is in
    assert search.drain() == 1
    row.refresh_from_db()
    assert (row.state, row.method, row.pages, row.ocr_pages) == ("done", "text", 1, 0)
    assert found(w.clerk, '"cap phep buc xa"') == [w.report.pk]
    assert found(w.clerk, "hội đồng thẩm định") == [w.report.pk]  # words in any order, accents optional
    assert found(w.clerk, '"buc xa cap phep"') == []  # a phrase keeps its order
    result = fulltext.search(w.clerk, '"cấp phép bức xạ"')
    snip = result.snippets[w.report.pk]
    assert snip.source == "file" and snip.name == "baocao.pdf"
    assert ("cấp phép bức xạ", True) in snip.parts


def test_a_phrase_inside_a_docx_and_an_odt(w):
    attach(w.report, docx(["Căn cứ Luật Công nghệ thông tin,", "triển khai nền tảng chia sẻ dữ liệu dùng chung."]),
           "duthao.docx")
    attach(w.cds11, odt(["Phụ lục: danh mục thiết bị đo lường chuẩn quốc gia"]), "phuluc.odt")
    assert search.drain() == 2
    assert found(w.clerk, '"nen tang chia se du lieu"') == [w.report.pk]
    assert found(w.clerk, "thiết bị đo lường") == [w.cds11.pk]
    assert set(FileText.objects.values_list("method", flat=True)) == {"text"}


@pytest.mark.skipif(shutil.which("tesseract") is None or shutil.which("pdftoppm") is None,
                    reason="tesseract (vie) and poppler-utils are installed by `make system-deps`")
def test_a_phrase_inside_a_scanned_pdf_is_read_by_ocr(w):
    attachment = attach(w.incoming, scanned_pdf(["QUYẾT ĐỊNH phê duyệt kế hoạch",
                                                 "kiểm tra đê điều trước mùa mưa bão"]), "scan.pdf")
    assert search.drain() == 1
    row = FileText.objects.get(attachment=attachment)
    assert (row.state, row.method, row.ocr_pages) == ("done", "ocr", 1), row.error_detail
    assert found(w.clerk, '"kiểm tra đê điều"') == [w.incoming.pk]
    assert found(w.clerk, "mua bao de dieu") == [w.incoming.pk]


def test_a_person_without_the_right_sees_neither_the_document_nor_its_snippet(w, client):
    attach(w.report, text_pdf(["Biên bản họp xét duyệt đề tài cấp tỉnh về giống lúa chịu mặn"]), "bienban.pdf")
    search.drain()
    assert found(w.clerk, "giong lua chiu man") == [w.report.pk]
    # another agency's clerk, and a specialist of the same agency with no access to it
    for person in (w.outsider, w.specialist):
        result = fulltext.search(person, "giong lua chiu man")
        assert result.rows == [] and result.snippets == {}
        assert not any(result.facets.values())
        client.force_login(person)
        page = client.get("/tim-kiem/", {"q": "giống lúa chịu mặn"}).content.decode()
        assert "chịu mặn" not in page.replace('value="giống lúa chịu mặn"', "")
        assert "Báo cáo công tác" not in page
    client.force_login(w.clerk)
    page = client.get("/tim-kiem/", {"q": "giống lúa chịu mặn"}).content.decode()
    assert "Báo cáo công tác quý I" in page and "<mark>chịu</mark> <mark>mặn</mark>" in page, page[-4000:]


def test_ranked_metadata_first_with_facets_and_filters(w):
    attach(w.report, text_pdf(["Tổng hợp tình hình chuyển đổi số của các huyện"]), "tonghop.pdf")
    search.drain()
    result = fulltext.search(w.clerk, "chuyển đổi số")
    assert [d.pk for d in result.rows] == [w.cds11.pk, w.report.pk]  # the subject's match first
    assert result.snippets[w.cds11.pk].source == "subject"
    assert sum(n for _v, _label, n in result.facets["type"]) == 2 and not result.facets_sampled
    assert [(v, n) for v, _label, n in result.facets["state"]] == [(w.cds11.state, 2)]
    assert found(w.clerk, "chuyen doi so", state=w.cds11.state, urgency=str(w.cds11.urgency)) != []
    assert found(w.clerk, "chuyen doi so", type="999999") == []


def test_the_same_file_is_read_once_and_a_bad_file_fails_with_a_code(w):
    data = text_pdf(["Thông báo lịch tiếp công dân tháng mười"])
    attach(w.report, data, "a.pdf")
    attach(w.cds11, data, "b.pdf")
    assert search.drain() == 2
    assert sorted(found(w.clerk, "tiep cong dan")) == sorted([w.report.pk, w.cds11.pk])
    rows = list(FileText.objects.order_by("pk"))
    assert rows[1].seconds == 0.0 and rows[1].text == rows[0].text  # copied, not parsed again
    status = search.text_status()
    assert status["done"] == 2 and status["pending"] == 0 and status["failed"] == 0


def test_a_file_whose_bytes_were_read_already_has_its_text_at_once(w):
    """The same file attached again (or received by another agency of this e-office) after its
    text is in: its row is written done with that text in the file's own transaction, audited as
    the job audits, and the job has nothing to do; bytes never stored before are not looked up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vpdt.core.models import AuditEntry

    data = text_pdf(["Quyết định phê duyệt danh mục dự án năm 2027"])
    first = attach(w.report, data, "qd.pdf")
    assert search.drain() == 1
    with CaptureQueriesContext(connection) as queries:
        again = attach(w.cds11, data, "qd-ban-sao.pdf")
    row = FileText.objects.get(attachment=again)
    source = FileText.objects.get(attachment=first)
    assert (row.state, row.seconds, row.method, row.pages) == (FileText.State.DONE, 0.0, source.method, source.pages)
    assert row.text == source.text and row.text_folded == source.text_folded and row.finished_at is not None
    assert search.drain() == 0
    assert sorted(found(w.clerk, "danh muc du an")) == sorted([w.report.pk, w.cds11.pk])
    entry = AuditEntry.objects.filter(action="search.file_text", object_id=str(row.pk)).get()
    assert entry.detail["state"] == "done" and entry.detail["attachment"] == again.pk
    assert entry.agency_code == w.agency.code
    looks = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and "search_filetext" in q["sql"]]
    assert len(looks) == 1
    # a file never read (its text still pending) is not copied: the job reads it, then the copy
    pending = text_pdf(["Tờ trình chưa đọc"])
    attach(w.report, pending, "tt.pdf")
    late = attach(w.cds11, pending, "tt-2.pdf")
    assert FileText.objects.get(attachment=late).state == FileText.State.PENDING
    assert search.drain() == 2


def test_rows_written_without_the_signal_are_backfilled(w):
    attachment = attach(w.report, docx(["Giấy mời dự hội nghị tổng kết"]), "moi.docx")
    FileText.objects.all().delete()  # as after a bulk import
    assert search.drain() == 1
    assert FileText.objects.get(attachment=attachment).state == "done"
    assert found(w.clerk, "giay moi hoi nghi") == [w.report.pk]


def test_the_text_job_looks_past_the_newest_file_with_a_row_and_the_hourly_sweep_through_all(
        w, django_capture_on_commit_callbacks):
    """The text job's idle step looks only at files newer than the newest with a row (an index
    range whatever the tables' size); an older file without a row (bulk SQL while other files
    were attached) is found by the hourly job search.backfill, which wakes the text job."""
    from vpdt.core import tasks
    from vpdt.search import jobs

    older = attach(w.report, docx(["Báo cáo cũ ghi bằng SQL"]), "cu.docx")
    newer = attach(w.cds11, docx(["Kế hoạch"]), "kh.docx")
    assert search.drain() == 2
    FileText.objects.filter(attachment=older).delete()  # as if written by bulk SQL
    newest = attach(w.cds11, docx(["Giấy mời"]), "moi.docx")
    FileText.objects.filter(attachment=newest).delete()
    assert search.extract_next() == 1  # past the newest with a row: found
    assert FileText.objects.get(attachment=newest).state == "done"
    assert search.extract_next() == 0
    assert not FileText.objects.filter(attachment=older).exists()  # older than `newer`: left to the sweep
    woken = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "wake", woken.append)
        with django_capture_on_commit_callbacks(execute=True):
            assert jobs.backfill_text() == 1
        assert jobs.backfill_text() == 0
    assert woken == [search.JOB]
    assert FileText.objects.get(attachment=older).state == "pending"
    assert search.extract_next() == 1
    assert FileText.objects.get(attachment=older).state == "done"
    assert found(w.clerk, "bao cao cu ghi bang sql") == [w.report.pk]
    assert newer.pk < newest.pk


def test_a_due_file_is_read_before_files_without_a_row_are_looked_for(w):
    """The job's step leases what is due; the anti-joins that find files written without the
    signal run only when nothing is due. Each outcome is audited against the document's agency."""
    from vpdt.core.models import AuditEntry

    first = attach(w.report, docx(["Giấy mời dự hội nghị"]), "moi.docx")
    second = attach(w.cds11, docx(["Kế hoạch chuyển đổi số"]), "kh.docx")
    FileText.objects.filter(attachment=second).delete()  # as after a bulk import
    assert search.extract_next() == 1
    assert FileText.objects.get(attachment=first).state == "done"
    assert not FileText.objects.filter(attachment=second).exists()  # not looked for yet
    assert search.extract_next() == 1
    assert FileText.objects.get(attachment=second).state == "done"
    assert search.extract_next() == 0
    entries = AuditEntry.objects.filter(action="search.file_text").order_by("seq")
    assert [e.agency_code for e in entries] == [w.agency.code, w.agency.code]


def test_a_row_whose_file_changed_after_it_was_read_is_not_leased_with_the_old_bytes(w, monkeypatch):
    """Between the lease's read and its UPDATE the file is replaced (queue_text resets the row):
    the UPDATE does not take the row as it was read, so the old bytes are never extracted."""
    from vpdt.core import blobs

    attachment = attach(w.report, docx(["Bản cũ"]), "a.docx")
    newer = blobs.store_stream(io.BytesIO(docx(["Bản mới"])))
    real_run = search._LEASE.run

    def changed_meanwhile(**values):  # the lease's UPDATE: the file was replaced just before it
        FileText.objects.all().update(blob_id=newer.pk)
        return real_run(**values)

    monkeypatch.setattr(search._LEASE, "run", changed_meanwhile)
    assert search._lease() is None
    monkeypatch.undo()
    row = search._lease()
    assert (row.blob_id, row.state, row.attempts) == (newer.pk, "working", 1)
    assert FileText.objects.get(attachment=attachment).blob_id == newer.pk


def test_a_word_in_many_files_takes_the_probing_plan_and_finds_the_same(w, monkeypatch):
    attach(w.report, text_pdf(["Kế hoạch kiểm tra công tác văn thư lưu trữ"]), "kh.pdf")
    attach(w.incoming, text_pdf(["Công văn về kiểm tra công tác văn thư"]), "cv.pdf")
    search.drain()
    plain = found(w.clerk, "van thu kiem tra")
    monkeypatch.setattr(fulltext, "_pg_probe", lambda *args: True)  # the per-document probe on PostgreSQL
    for plan in ("probe", "walk", "list"):  # SQLite's three plans
        monkeypatch.setattr(fulltext, "_sqlite_plan", lambda db, match, plan=plan: plan)
        assert found(w.clerk, "van thu kiem tra") == plain and set(plain) == {w.report.pk, w.incoming.pk}
        assert found(w.clerk, '"cong tac van thu luu tru"') == [w.report.pk]
        assert found(w.outsider, "van thu kiem tra") == []


def test_sqlite_plan_follows_the_share_of_matching_files():
    """SQLite lists the matching files while few match, walks the list against their set in the
    middle, probes each document when most files match; the bounds grow with the files' count."""
    plans = [fulltext._sqlite_plan_for(n, 1_000_000) for n in (645, 37_000, 49_146, 115_165, 199_000, 210_000,
                                                               996_417)]
    # 115,165: "de dieu" at 1,000,000, walked since the covering index made the set cheap (search 0009)
    assert plans == ["list", "list", "walk", "walk", "walk", "probe", "probe"]
    assert fulltext._sqlite_plan_for(70_000, 100_000) == "probe"  # a third of that count in a tenth of the files
    assert fulltext._sqlite_plan_for(5, 10) == "list" and fulltext._sqlite_plan_for(0, 0) == "list"


def test_sqlite_plan_counts_the_newest_files_and_scales_the_count_to_all(w, monkeypatch):
    """The share of matching files is counted among the newest SQLITE_PLAN_SAMPLE (a rowid range
    of FTS5's doclists) and scaled to every file: only the plan follows it."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plans")
    for k in range(6):
        attach(w.report, text_pdf([("Kiểm tra đê điều" if k < 3 else "Quy hoạch cảng cá") + f" số {k}"]), f"{k}.pdf")
    search.drain()
    seen = []
    monkeypatch.setattr(fulltext, "_sqlite_plan_for", lambda matching, files: seen.append((matching, files)) or "list")
    files = FileText.objects.order_by("-pk").values_list("pk", flat=True).first()
    monkeypatch.setattr(fulltext, "SQLITE_PLAN_SAMPLE", 3)
    fulltext._sqlite_plan("default", '"de" "dieu"')  # only in the three oldest: none of the sample
    fulltext._sqlite_plan("default", '"cang" "ca"')  # in each of the three newest: every file, scaled
    assert seen == [(0, files), (files, files)]
    monkeypatch.setattr(fulltext, "SQLITE_PLAN_SAMPLE", 50_000)  # more than there are: counted exactly
    fulltext._sqlite_plan("default", '"de" "dieu"')
    assert seen[-1] == (3, files)


def test_sqlite_walk_checks_each_documents_own_files_against_the_matching_rowids(w, monkeypatch):
    """SQLite's walk: each document of the list, in order, has its files (their index) checked
    against the rowids FTS5 lists once per statement; never each rowid of the set looked up for
    each document walked (without the `+`, SQLite planned that: 334 s at 1,000,000 files)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plans")
    monkeypatch.setattr(fulltext, "_sqlite_plan_for", lambda *args: "walk")
    monkeypatch.setattr(fulltext, "_sqlite_plan", lambda *args: "walk")
    from vpdt.records.permissions import visible_documents

    qs = visible_documents(w.clerk)
    for q in ("van thu kiem tra", '"giai phong mat bang"', '"giai phong nhanh mat bang"'):
        condition = fulltext.file_text_condition(qs, fulltext.parse(q))
        template, params, _columns = condition.probe
        assert "+ft.id IN (SELECT rowid FROM" in template
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN SELECT d.id FROM records_document d WHERE "
                           + template.format(t="d"), params)
            plan = " | ".join(row[-1] for row in cursor.fetchall())
        assert "search_ft_document (document_id=? AND state=?)" in plan, plan
        assert "(id=?" not in plan, plan  # no lookup of the set's rowids in search_filetext


def test_the_files_searched_are_the_persons_agencies_and_the_plan_follows_the_statistics(w, monkeypatch):
    """PostgreSQL reads only the files of the person's agencies (search migration 0006's column,
    kept by a trigger); a member of two agencies finds in both. The choice of plan (list the
    matching files, or probe the list's documents) follows ANALYZE's share of the words."""
    other_doc = factories.document(w.other, subject="Về việc khác")
    attach(w.report, text_pdf(["Kế hoạch kiểm tra công tác văn thư lưu trữ"]), "kh.pdf")
    attach(other_doc, text_pdf(["Kế hoạch kiểm tra công tác văn thư lưu trữ"]), "kh.pdf")
    search.drain()
    assert found(w.clerk, "van thu luu tru") == [w.report.pk]
    assert found(w.outsider, "van thu luu tru") == [other_doc.pk]
    from vpdt.directory.models import RoleAssignment

    RoleAssignment.objects.create(user=w.clerk, agency=w.other, role=Role.CLERK)
    both = fulltext.search(type(w.clerk).objects.get(pk=w.clerk.pk), "van thu luu tru")
    assert {d.pk for d in both.rows} == {w.report.pk, other_doc.pk}
    # The subject's words, scoped to the person's agencies the same way (search migration 0008).
    assert found(w.clerk, '"viec khac"') == [] and found(w.outsider, '"viec khac"') == [other_doc.pk]
    both = fulltext.search(type(w.clerk).objects.get(pk=w.clerk.pk), '"viec khac"')
    assert [d.pk for d in both.rows] == [other_doc.pk]
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT document_id, agency_id FROM search_filetext")
            assert {(d, a) for d, a in cursor.fetchall()} == {(w.report.pk, w.agency.pk), (other_doc.pk, w.other.pk)}
    stats = {"rows": 1_000_000, "words": {"ke": 0.99, "hoach": 0.99, "tham": 0.05, "dinh": 0.16},
             "rare": 0.002, "agencies": {w.agency.pk: 0.1}, "other_agency": 0.001}
    monkeypatch.setattr(fulltext, "_pg_stats", lambda db: stats)
    probe = [fulltext._pg_probe("default", fulltext.parse(q), {w.agency.pk}) for q in
             ("ke hoach", "tham dinh", "giong lua", '"ke hoach" giong')]
    assert probe == [True, False, False, False]  # the rarest word decides
    assert fulltext._pg_probe("default", fulltext.parse("ke hoach"), {w.other.pk}) is False  # a small agency
    monkeypatch.setattr(fulltext, "_pg_stats", lambda db: None)  # never analysed: list
    assert fulltext._pg_probe("default", fulltext.parse("ke hoach"), {w.agency.pk}) is False


def test_a_common_signer_checked_on_each_row_finds_the_same(w, monkeypatch):
    """The names checked on each row (PostgreSQL, a name on many documents) find what the id list
    finds; the SQL is a plain LIKE, so it runs on either backend."""
    from vpdt.records.permissions import visible_documents
    from vpdt.records.search import quick_condition

    assert found(w.clerk, "nguyen van an") == [w.cds11.pk]
    monkeypatch.setattr(fulltext, "_pg_inline_names", lambda *args: True)  # walked in list order (PostgreSQL)
    assert found(w.clerk, "nguyen van an") == [w.cds11.pk]
    assert found(w.outsider, "nguyen van an") == []

    qs = visible_documents(w.clerk)
    assert list(qs.filter(quick_condition(qs, "nguyen van an", inline_names=True)).values_list("pk", flat=True)) \
        == [w.cds11.pk]
    assert list(qs.filter(quick_condition(qs, '"van an"', inline_names=True)).values_list("pk", flat=True)) \
        == [w.cds11.pk]
    assert not qs.filter(quick_condition(qs, "nguyen van binh", inline_names=True)).exists()
    outsider = visible_documents(w.outsider)
    assert not outsider.filter(quick_condition(outsider, "nguyen van an", inline_names=True)).exists()


def test_extraction_is_bounded_and_a_broken_part_fails_with_a_code(tmp_path, settings):
    from vpdt.search import extract

    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(extract.ExtractFailed) as failed:
        extract.extract(str(broken), "docx")
    assert failed.value.code == "TEXT_UNREADABLE"
    settings.VPDT_TEXT_MAX_CHARS = 30
    long = tmp_path / "long.docx"
    long.write_bytes(docx(["Một hai ba bốn năm sáu bảy tám chín mười"] * 5))
    out = extract.extract(str(long), "docx")
    assert out.truncated and len(out.text) <= 30
    pdf = tmp_path / "many.pdf"
    pdf.write_bytes(text_pdf(["Trang một có đủ chữ để không phải bản quét"]))
    settings.VPDT_TEXT_MAX_CHARS = 300_000
    settings.VPDT_TEXT_MAX_PAGES = 0
    assert extract.extract(str(pdf), "pdf").pages == 0 and extract.extract(str(pdf), "pdf").truncated


def test_names_and_part_of_a_ky_hieu_are_read_from_the_persons_agencies_only(w):
    """The full search gives the person's agencies to the quick search's names and ký hiệu lists
    (on SQLite scanned from an index leading with the agency, records 0014): another agency's
    document with the same signer or ký hiệu is never found, and a member of two finds both."""
    other_doc = factories.document(w.other, subject="Về việc khác", signer_name="Nguyễn Văn An",
                                   notation="77/QXYZ-VP")
    mine = factories.document(w.agency, subject="Về việc riêng", notation="78/QXYZ-VP")
    assert found(w.clerk, "nguyen van an") == [w.cds11.pk]
    assert found(w.clerk, "qxyz-vp") == [mine.pk]
    assert found(w.outsider, "qxyz-vp") == [other_doc.pk]
    from vpdt.directory.models import RoleAssignment

    RoleAssignment.objects.create(user=w.clerk, agency=w.other, role=Role.CLERK)
    clerk = type(w.clerk).objects.get(pk=w.clerk.pk)
    assert {d.pk for d in fulltext.search(clerk, "qxyz-vp").rows} == {mine.pk, other_doc.pk}
    assert {d.pk for d in fulltext.search(clerk, "nguyen van an").rows} == {w.cds11.pk, other_doc.pk}


def test_a_phrase_is_its_words_in_order_and_adjacent(w, monkeypatch):
    """A quoted phrase needs its words next to each other in that order. On PostgreSQL it is first
    the AND of its adjacent pairs (search migration 0007's vector, answered by the index alone),
    then, for three words or more, checked with positions: "a b" and "b c" apart are not "a b c"."""
    attach(w.report, text_pdf(["Giải phóng nhanh chóng, chạy nhanh mặt bằng đã giải phóng mặt bằng xong"]), "gp.pdf")
    attach(w.incoming, text_pdf(["Báo cáo giải phóng nhanh, còn mặt bằng chưa xong"]), "bc.pdf")
    search.drain()
    assert found(w.clerk, '"giai phong mat bang"') == [w.report.pk]
    assert found(w.clerk, '"giai phong nhanh mat bang"') == []  # every pair there, not in one run
    assert found(w.clerk, '"nhanh mat bang"') == [w.report.pk]
    assert found(w.clerk, '"nhanh con mat bang"') == [w.incoming.pk]  # punctuation is no break
    assert sorted(found(w.clerk, '"giai phong nhanh"')) == sorted([w.report.pk, w.incoming.pk])
    assert found(w.clerk, '"mat bang giai phong"') == []  # order kept
    assert sorted(found(w.clerk, '"nhanh"')) == sorted([w.report.pk, w.incoming.pk])  # one word
    assert found(w.clerk, 'xong "da giai phong"') == [w.report.pk]  # a word and a phrase
    assert found(w.outsider, '"giai phong mat bang"') == []
    monkeypatch.setattr(fulltext, "_pg_probe", lambda *args: True)  # PostgreSQL's per-document probe
    assert found(w.clerk, '"giai phong mat bang"') == [w.report.pk]
    assert found(w.clerk, '"giai phong nhanh mat bang"') == []
    # SQLite: the same answers whichever plan the share of files holding the pairs picks.
    for plan in ("list", "walk", "probe"):
        monkeypatch.setattr(fulltext, "_sqlite_plan_for", lambda *args, plan=plan: plan)
        assert found(w.clerk, '"giai phong mat bang"') == [w.report.pk], plan
        assert found(w.clerk, '"giai phong nhanh mat bang"') == [], plan
        assert found(w.clerk, '"nhanh con mat bang"') == [w.incoming.pk], plan
        assert sorted(found(w.clerk, '"giai phong nhanh"')) == sorted([w.report.pk, w.incoming.pk]), plan
        assert found(w.clerk, 'xong "da giai phong"') == [w.report.pk], plan
        assert found(w.clerk, 'chua "giai phong"') == [w.incoming.pk], plan
        assert found(w.outsider, '"giai phong mat bang"') == [], plan


def test_sqlite_keeps_each_files_pairs_as_its_text_changes(w):
    """SQLite's pairs (search migration 0009): a contentless FTS5 table kept by triggers through a
    function each connection registers; an update or a delete takes the old pairs out."""
    from django.db import connection

    from vpdt.core.text import fold, words
    from vpdt.search import schema

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's pairs table (search migration 0009); PostgreSQL's is test_the_pairs_vector_…")
    text = "Đường 3/2 – QL1A: Ủy ban-nhân dân,  tỉnh\nKIÊN GIANG (2026) đ đ"
    folded = words(text)
    assert schema.word_pairs(fold(text)).split() == list(dict.fromkeys(
        f"{a}_{b}" for a, b in zip(folded, folded[1:], strict=False)))
    assert schema.word_pairs("") == schema.word_pairs("mot") == schema.word_pairs(None) == ""

    def holding(*pairs):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid FROM {schema.FILE_PAIRS_FTS_TABLE} WHERE {schema.FILE_PAIRS_FTS_TABLE} "
                           "MATCH %s ORDER BY rowid", [" ".join(f'"{p}"' for p in pairs)])
            return [row[0] for row in cursor.fetchall()]

    attach(w.report, text_pdf(["Giải phóng mặt bằng"]), "gp.pdf")
    search.drain()
    row = FileText.objects.get(document=w.report)
    assert holding("giai_phong", "mat_bang") == [row.pk]
    FileText.objects.filter(pk=row.pk).update(text_folded="mat bang da giai phong")
    assert holding("giai_phong", "mat_bang") == [row.pk] and holding("phong_mat") == []
    assert holding("bang_da") == [row.pk]
    FileText.objects.filter(pk=row.pk).delete()
    assert holding("giai_phong") == [] and holding("bang_da") == []
    with connection.cursor() as cursor:  # a dropped trigger is put back, the table filled again
        cursor.execute("DROP TRIGGER search_filetext_pairs_ai")
        cursor.execute("DROP INDEX search_ft_id_doc")  # and the files' covering index
    repaired = schema.ensure(connection)
    assert "file pairs index rebuilt" in repaired and "index search_ft_id_doc" in repaired
    attach(w.incoming, text_pdf(["Kế hoạch năm"]), "kh.pdf")
    search.drain()
    assert holding("ke_hoach", "hoach_nam") == [FileText.objects.get(document=w.incoming).pk]


def test_the_pairs_vector_holds_the_pairs_the_query_asks_for(w):
    """PostgreSQL's pairs come from the folded text split as core.text.words splits the query."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's pairs vector (search migration 0007); SQLite's FTS5 checks positions itself")
    from vpdt.core.text import fold, words

    text = "Đường 3/2 – QL1A: Ủy ban-nhân dân,  tỉnh\nKIÊN GIANG (2026) đ đ"
    expected = {f"{a} {b}" for a, b in zip(words(text), words(text)[1:], strict=False)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsvector_to_array(search_word_pairs(%s))", [fold(text)])
        assert set(cursor.fetchone()[0]) == expected
        cursor.execute("SELECT search_word_pairs(''), search_word_pairs('mot')")
        assert cursor.fetchone() == ("", "")
    parsed = fulltext.parse('ke hoach "giai phong mat bang" "xa"')
    assert fulltext.phrase_terms(parsed) == (["ke", "hoach", "xa"], ["giai phong", "phong mat", "mat bang"])


def test_a_new_files_text_row_is_one_insert_and_a_replaced_file_is_read_again(w):
    """A file just stored has no text row yet: its row is one INSERT (no look first, no savepoint
    of its own); a file whose bytes change is made pending again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        attachment = attach(w.report, text_pdf(["Kế hoạch kiểm tra năm 2027"]), "kh.pdf")
    rows = [q["sql"] for q in queries.captured_queries if "search_filetext" in q["sql"]]
    assert len(rows) == 1 and rows[0].startswith("INSERT")
    assert search.drain() == 1 and FileText.objects.get(attachment=attachment).state == "done"

    other = attach(w.cds11, text_pdf(["Kế hoạch kiểm tra năm 2027, bản đã ký"]), "kh-ky.pdf")
    records.replace_attachment_file(w.clerk, attachment, other.blob)
    row = FileText.objects.get(attachment=attachment)
    assert (row.state, row.blob_id, row.text) == (FileText.State.PENDING, other.blob_id, "")
    assert FileText.objects.filter(attachment=attachment).count() == 1
