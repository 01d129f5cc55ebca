"""Drafts from templates (Decree 30, Phụ lục I) and the PDF rendition on the draft's page (issue 13).

Rules protected:
- every common type (Công văn, Quyết định, Tờ trình, Báo cáo, Thông báo, Kế hoạch, Giấy mời) has a
  template whose parts come in the Decree's order: cơ quan chủ quản and ban hành, "Số: …/ký hiệu",
  quốc hiệu and tiêu ngữ, địa danh ngày tháng năm, tên loại and trích yếu ("V/v …" for a công văn),
  Kính gửi where the type addresses someone, the body, Nơi nhận, quyền hạn and chức vụ, người ký;
  in Times New Roman, on A4;
- "Tạo dự thảo từ mẫu" on the draft's page gives the drafter that .docx filled from the draft;
  someone who may not edit the draft is refused; on the new-draft page it needs no file, and a
  refused field re-renders the page with the error and what was typed;
- the draft's page tells the state of the .docx's PDF (waiting, ready, failed with the reason),
  serves the PDF to the viewer only once ready, and the state answers the page's poller.
"""

from __future__ import annotations

import io

import docx
import pytest

from tests import factories
from vpdt.records import draft_template
from vpdt.records.models import Rendition
from vpdt.workflow import services as workflow

pytestmark = pytest.mark.django_db

TYPES = ["CV", "QD", "TTR", "BC", "TB", "KH", "GM"]


def _texts(data: bytes) -> list[str]:
    """The document's lines in reading order: the body's paragraphs and each table's cells, left to right."""
    document = docx.Document(io.BytesIO(data))
    lines = []
    for block in document.element.body.iterchildren():
        if block.tag.endswith("}p"):
            lines.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif block.tag.endswith("}tbl"):
            for cell in block.iter():
                if cell.tag.endswith("}tc"):
                    for p in cell.iter():
                        if p.tag.endswith("}p"):
                            lines.append("".join(t.text or "" for t in p.iter() if t.tag.endswith("}t")))
    return [line for line in lines if line.strip()]


def _index(lines: list[str], start: str) -> int:
    for i, line in enumerate(lines):
        if line.startswith(start):
            return i
    raise AssertionError(f"{start!r} not in {lines}")


@pytest.mark.parametrize("code", TYPES)
def test_each_common_type_has_the_decree_30_parts_in_order(world, code):
    doc_type = factories.doc_type(code)
    world.agency.parent = factories.agency(code="000.00.00.H90", abbreviation="UBND", name="UBND tỉnh Bình Sơn")
    world.agency.place = "Bình Sơn"
    world.agency.save()
    doc = workflow.create_draft(world.spec, {"document_type": doc_type, "subject": "Về việc chuyển đổi số năm 2027",
                                             "signer_competence": "KT. GIÁM ĐỐC"},
                                recipients={"units": [world.vp], "agencies": [world.other]})
    out = io.BytesIO()
    draft_template.build(draft_template.data_of(doc), out)
    lines = _texts(out.getvalue())
    order = [_index(lines, "UBND TỈNH BÌNH SƠN"), _index(lines, "SỞ KHOA HỌC VÀ CÔNG NGHỆ"), _index(lines, "Số:")]
    if doc_type.is_cong_van:
        order.append(_index(lines, "V/v chuyển đổi số năm 2027"))
        assert lines[order[2]].endswith("/SKHCN-CĐS")
    else:
        assert lines[order[2]].endswith(f"/{doc_type.abbreviation}-SKHCN")
    order += [_index(lines, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), _index(lines, "Độc lập - Tự do - Hạnh phúc"),
              _index(lines, "Bình Sơn, ngày")]
    if not doc_type.is_cong_van:
        order += [_index(lines, doc_type.name.upper()), _index(lines, "Về việc chuyển đổi số năm 2027")]
    if code in ("CV", "TTR", "GM"):
        order.append(_index(lines, "Kính gửi:"))
        assert any("Sở Tài chính" in line for line in lines[order[-1]:order[-1] + 3])
    order += [_index(lines, "Nơi nhận:"), _index(lines, "- Như trên;"), _index(lines, "- Lưu: VT, CĐS."),
              _index(lines, "KT. GIÁM ĐỐC"), _index(lines, "Họ và tên")]
    assert order == sorted(order), lines
    assert lines[-1].endswith("Họ và tên") and any(line.rstrip().endswith("./.") for line in lines)
    document = docx.Document(io.BytesIO(out.getvalue()))
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert {r.font.name for p in document.paragraphs for r in p.runs} == {"Times New Roman"}
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def _docx_draft(world, name="du-thao.docx"):
    doc = workflow.create_draft(world.spec, {"document_type": factories.doc_type("TTR"),
                                             "subject": "Về việc mua sắm thiết bị ký số"})
    version = workflow.add_version(world.spec, doc, io.BytesIO(factories.docx_bytes()), name)
    return doc, version


def test_the_drafter_downloads_the_template_filled_from_the_draft_and_others_are_refused(world, login):
    doc, _version = _docx_draft(world)
    page = login(world.spec).get(f"/van-ban/{doc.pk}/").content.decode()
    assert f'href="/van-ban/{doc.pk}/mau-du-thao/"' in page and "Tạo dự thảo từ mẫu (.docx)" in page
    answer = login(world.spec).get(f"/van-ban/{doc.pk}/mau-du-thao/")
    assert answer.status_code == 200
    assert answer["Content-Type"] == draft_template.CONTENT_TYPE
    assert "attachment" in answer["Content-Disposition"] and ".docx" in answer["Content-Disposition"]
    lines = _texts(b"".join(answer.streaming_content))
    assert "TỜ TRÌNH" in lines and "Về việc mua sắm thiết bị ký số" in lines
    assert lines[-1] == world.leader.get_full_name()  # the signer the agency's chain names
    refused = login(world.head).get(f"/van-ban/{doc.pk}/mau-du-thao/")
    assert refused.status_code == 403 and "Chỉ người soạn thảo" in refused.content.decode()


def test_the_new_draft_page_makes_the_template_without_a_file_and_keeps_what_was_typed(world, login):
    client = login(world.spec)
    gm = factories.doc_type("GM")
    answer = client.post("/van-ban-di/du-thao/mau/", {"document_type": gm.pk, "urgency": 0,
                                                    "subject": "Mời dự hội nghị chuyển đổi số",
                                                    "agencies": [world.other.pk], "papers": "UBND xã Bình An"})
    assert answer.status_code == 200 and answer["Content-Type"] == draft_template.CONTENT_TYPE
    lines = _texts(b"".join(answer.streaming_content))
    assert "GIẤY MỜI" in lines and "Mời dự hội nghị chuyển đổi số" in lines
    assert "- Sở Tài chính;" in lines and "- UBND xã Bình An." in lines
    refused = client.post("/van-ban-di/du-thao/mau/", {"document_type": gm.pk, "urgency": 0, "subject": "",
                                                     "papers": "UBND xã Bình An"})
    page = refused.content.decode()
    assert refused.status_code == 200 and "Trích yếu không được để trống." in page
    assert "UBND xã Bình An" in page  # what was typed is kept
    assert "Chọn tệp dự thảo" not in page  # the file is what the template is for


def test_the_draft_page_tells_the_pdf_state_and_serves_it_only_when_ready(world, login):
    doc, version = _docx_draft(world)
    client = login(world.spec)
    page = client.get(f"/van-ban/{doc.pk}/").content.decode()
    assert 'data-rendition-state="waiting"' in page and "Chờ chuyển sang PDF" in page
    assert "web/renditions.js" in page
    assert client.get(f"/phien-ban/{version.pk}/ban-pdf/").status_code == 404
    assert client.get(f"/phien-ban/{version.pk}/ban-pdf/tinh-trang/").json()["state"] == "waiting"
    assert login(world.stranger).get(f"/phien-ban/{version.pk}/ban-pdf/tinh-trang/").status_code == 404
    # Failed: the reason, in Vietnamese, and a way to try again.
    Rendition.objects.filter(version=version).update(state=Rendition.State.FAILED, error_code="CONVERT_TIMEOUT")
    client = login(world.spec)
    page = client.get(f"/van-ban/{doc.pk}/").content.decode()
    assert "Không chuyển được sang PDF" in page and "quá thời gian cho phép" in page
    assert "CONVERT_TIMEOUT" not in page
    state = client.get(f"/phien-ban/{version.pk}/ban-pdf/tinh-trang/").json()
    assert state["state"] == "failed" and "quá thời gian" in state["reason"]
    client.post(f"/phien-ban/{version.pk}/ban-pdf/chuyen-doi-lai/")
    assert Rendition.objects.get(version=version).state == Rendition.State.WAITING
    # Ready: the viewer lists the PDF and the page says the signature goes on it.
    from vpdt.core import blobs

    blob = blobs.store_stream(io.BytesIO(factories.pdf_bytes("Tờ trình mua sắm")))
    Rendition.objects.filter(version=version).update(state=Rendition.State.READY, blob=blob)
    page = client.get(f"/van-ban/{doc.pk}/").content.decode()
    assert f'value="/phien-ban/{version.pk}/ban-pdf/"' in page and "(bản PDF chuyển đổi)" in page
    assert "Ký trên bản PDF chuyển đổi từ tệp .docx" in page
    pdf = client.get(f"/phien-ban/{version.pk}/ban-pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "inline" in pdf["Content-Disposition"] and pdf["X-Content-Type-Options"] == "nosniff"
