"""Issue 13 in Debian's chromium, at desktop and at 390 px phone width: a .docx draft previewed as
PDF and signed.

The specialist makes the draft from the Decree 30 template on the new-draft page (a .docx
download), uploads that very file and submits it; the page tells the PDF is being made; once
LibreOffice has made it (the records.convert job), the page shows it in the viewer. The unit
head approves; the director opens the draft, sees the PDF, and the confirm page says the
signature goes on the PDF converted from the .docx; a one-time code signs it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.second_factor import one_time_code
from vpdt.core import office
from vpdt.directory.models import User
from vpdt.records.choices import State
from vpdt.records.models import Document, Rendition

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, databases=["default", "hub"]),
              pytest.mark.skipif(office.soffice_path() is None, reason=(
                  "LibreOffice (soffice) IS NOT INSTALLED: the .docx walk is NOT TESTED (make system-deps)"))]

SUBJECT = "Về việc đề xuất danh mục dịch vụ công trực tuyến năm 2027"


def _leader_key(tmp_path):
    from vpdt.signing import pki
    from vpdt.signing import services as signing

    leader = User.objects.get(username="skhcn.lanhdao")
    ca = pki.make_demo_ca(tmp_path / "ca", people=[("an", leader.full_name)])
    signing.store_software_key(user=leader, pkcs12=ca.people["an"].read_bytes(), password=ca.password,
                               keep_password=True)
    return leader


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_docx_draft_from_the_template_is_previewed_as_pdf_and_signed(people, shot, tmp_path, width):
    from vpdt.records import renditions
    from vpdt.workflow import services as workflow

    leader = _leader_key(tmp_path)
    spec = people.login("skhcn.chuyenvien2a", width=width, height=860)
    if width < 992:  # the menu folds behind its button on a phone
        spec.get_by_role("button", name="Menu").click()
    spec.get_by_role("link", name="Soạn dự thảo").first.click()
    spec.get_by_label("Trích yếu *").fill(SUBJECT)
    spec.get_by_label("Văn phòng Sở").check()
    with spec.expect_download() as download:
        spec.get_by_role("button", name="Tạo dự thảo từ mẫu (.docx)").click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    assert template.suffix == ".docx" and template.stat().st_size > 5000
    spec.get_by_label("Tệp dự thảo (.docx hoặc .pdf) *").set_input_files(str(template))
    spec.get_by_role("button", name="Lưu và trình duyệt").click()
    expect(spec.get_by_role("alert").filter(has_text="Đã lưu dự thảo và trình duyệt")).to_be_visible()
    rendition = spec.get_by_test_id("rendition")
    expect(rendition).to_contain_text("Chờ chuyển sang PDF")
    expect(rendition).to_contain_text("Chưa ký được cho đến khi có bản PDF.")
    # The background job makes the PDF; the page, asking every 2 s, shows it without a click.
    assert renditions.convert_next() == 1
    expect(rendition).to_contain_text("Đã có bản PDF")
    expect(spec.locator("#pdf-pages canvas").first).to_be_visible()
    expect(spec.locator("#pdf-select")).to_contain_text("(bản PDF chuyển đổi)")
    shot(spec, f"docx-01-ban-pdf-chuyen-doi-{width}")

    doc = Document.objects.get(subject=SUBJECT)
    assert Rendition.objects.get(version__document=doc).state == Rendition.State.READY
    while (review := workflow.current_review(doc)) and not workflow.is_signer_step(doc, review):
        workflow.approve(review.reviewer or workflow.role_holders(doc.agency_id, review.role)[0], doc)

    director = people.login("skhcn.lanhdao", width=width, height=860)
    director.goto(f"/van-ban/{doc.pk}/")
    expect(director.locator("#pdf-pages canvas").first).to_be_visible()
    expect(director.get_by_test_id("signs-rendition")).to_contain_text("Ký trên bản PDF chuyển đổi từ tệp .docx")
    director.get_by_role("button", name="Duyệt ký").click()
    expect(director.get_by_test_id("what-is-signed")).to_contain_text(SUBJECT)
    expect(director.get_by_test_id("signs-rendition")).to_contain_text("Ký trên bản PDF chuyển đổi từ tệp .docx")
    shot(director, f"docx-02-ky-ban-pdf-{width}")
    director.get_by_label("Mã xác thực một lần").fill(one_time_code(leader))
    director.get_by_role("button", name="Ký số và duyệt").click()
    expect(director.get_by_test_id("state")).to_have_text("Đã duyệt, chờ phát hành")
    expect(director.get_by_role("alert").filter(has_text="Văn bản đã được ký số")).to_be_visible()
    doc.refresh_from_db()
    signed = doc.versions.order_by("-number").first()
    assert doc.state == State.APPROVED and signed.file_kind == "pdf" and signed.name.endswith("-da-ky.pdf")
