"""Filing as work happens, walked in a real browser by the demo province's people (issue 19).

A specialist of the Sở KH&CN completes an incoming document with the reply they drafted; the
document's page then offers the dossier that already holds the reply ("Cùng luồng văn bản với …")
and files it there with one click. The clerk opens "Hồ sơ công việc" (at phone width), finds the
dossier, and closes it with its closing note; the closed dossier offers no more changes.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from vpdt.archive.models import DossierItem, DossierState
from vpdt.archive.services import dossiers
from vpdt.demo import pdf
from vpdt.directory.models import Unit, User
from vpdt.records.models import DocumentType
from vpdt.workflow import holidays, services
from vpdt.workflow.delegation import today

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

SUBJECT = "Về việc rà soát hạ tầng số phục vụ chính quyền điện tử"


def _pdf(subject: str) -> bytes:
    return pdf.document_pdf(agency="BỘ NỘI VỤ", code="81/BNV-VP", date_text="Hà Nội, ngày 02/03/2026",
                            title="CÔNG VĂN", subject=subject, body="Đề nghị rà soát, báo cáo.",
                            signer_title="KT. BỘ TRƯỞNG", signer_name="Nguyễn Văn An")


def _world():
    """An incoming document handed to the specialist, the reply they drafted, and two open dossiers
    of theirs: one already holding the reply, one sharing words with the subject."""
    clerk = User.objects.get(username="skhcn.vanthu")
    leader = User.objects.get(username="skhcn.lanhdao")
    head = User.objects.get(username="skhcn.truongphong2")
    spec = User.objects.get(username="skhcn.chuyenvien2a")
    doc = services.receive_paper(clerk, clerk.agency, {
        "document_type": DocumentType.objects.get(code="CV"), "subject": SUBJECT, "issuer_name": "Bộ Nội vụ",
        "issuer_code": "000.00.00.G14", "number": 81, "notation": "BNV-VP", "issued_date": dt.date(2026, 3, 2)},
        scan=io.BytesIO(_pdf(SUBJECT)), scan_name="ban-quet.pdf")
    doc = services.register(clerk, doc, confirm_duplicate=True)
    deadline = holidays.add_working_days(today(), 5)
    services.assign(leader, doc, main=Unit.objects.get(agency=leader.agency, abbreviation="CĐS"), deadline=deadline)
    services.reassign(head, doc, handler=spec, deadline=deadline)
    reply = services.create_draft(spec, {"document_type": DocumentType.objects.get(code="CV"),
                                         "subject": "Về việc báo cáo kết quả gửi Bộ Nội vụ"},
                                  file=io.BytesIO(_pdf("Dự thảo")), filename="du-thao.pdf")
    chain = dossiers.create_dossier(spec, title="Hồ sơ trao đổi với Bộ Nội vụ năm 2026", year=2026,
                                    notation="09.CĐS", retention_years=10)
    dossiers.add_document(spec, chain, reply)
    words = dossiers.create_dossier(spec, title="Hồ sơ hạ tầng số năm 2026", year=2026, notation="10.CĐS")
    return doc, reply, chain, words


def test_a_specialist_files_the_completed_document_in_the_suggested_dossier_and_the_clerk_closes_it(people, shot):
    doc, reply, chain, words = _world()

    spec = people.login("skhcn.chuyenvien2a")
    spec.goto(f"/van-ban/{doc.pk}/")
    spec.get_by_label("Kết quả xử lý").fill("Đã báo cáo Bộ Nội vụ")
    spec.get_by_label("Văn bản trả lời (nếu có)").select_option(value=str(reply.pk))
    spec.get_by_role("button", name="Hoàn thành").click()
    expect(spec.get_by_test_id("state")).to_have_text("Hoàn thành")
    box = spec.get_by_test_id("filing")
    suggestion = box.get_by_test_id("suggestion")
    expect(suggestion).to_contain_text(chain.code)
    expect(suggestion.get_by_test_id("suggestion-reason")).to_have_text(
        "Cùng luồng văn bản với Về việc báo cáo kết quả gửi Bộ Nội vụ")
    expect(box.get_by_test_id("suggestion-more")).to_contain_text(words.code)  # the next one, shared words
    expect(box.get_by_test_id("suggestion-more")).to_contain_text("Trùng từ khóa: hạ tầng")
    shot(spec, "archive-luu-ho-so-goi-y")
    suggestion.get_by_role("button", name="Lưu vào hồ sơ này").click()
    expect(spec.get_by_role("alert").filter(has_text="Đã lưu văn bản vào hồ sơ")).to_be_visible()
    expect(spec.get_by_test_id("filed-in")).to_contain_text(chain.code)
    assert set(DossierItem.objects.filter(dossier=chain).values_list("document_id", flat=True)) == {reply.pk, doc.pk}
    spec.get_by_test_id("filed-in").get_by_role("link", name=chain.code, exact=False).click()
    documents = spec.get_by_test_id("dossier-documents")
    expect(documents.get_by_test_id("dossier-document")).to_have_count(2)
    expect(documents).to_contain_text(SUBJECT)
    expect(documents).to_contain_text("ban-quet.pdf")

    clerk = people.login("skhcn.vanthu", width=390, height=844)
    clerk.get_by_role("button", name="Menu").click()
    clerk.get_by_test_id("archive-menu").click()
    clerk.get_by_test_id("dossiers-link").click()
    clerk.get_by_label("Mã hoặc tiêu đề hồ sơ").fill("bo noi vu")
    clerk.get_by_role("button", name="Lọc").click()
    expect(clerk.get_by_test_id("dossier-row")).to_have_count(1)
    clerk.get_by_role("link", name=chain.title).click()
    expect(clerk.get_by_test_id("dossier-code")).to_have_text(chain.code)
    clerk.get_by_test_id("dossier-close-link").click()
    expect(clerk.get_by_label("Ngày bắt đầu")).to_have_value("02/03/2026")
    clerk.get_by_label("Số tờ").fill("3")
    clerk.get_by_label("Chú giải").fill("Hồ sơ gồm công văn của Bộ và văn bản trả lời.")
    clerk.get_by_test_id("confirm-close").click()
    expect(clerk.locator("#confirm-error")).to_be_visible()  # the confirmation first
    clerk.get_by_label("Tôi xác nhận kết thúc hồ sơ").check()
    clerk.get_by_test_id("confirm-close").click()
    expect(clerk.get_by_role("alert").filter(has_text="Đã kết thúc hồ sơ")).to_be_visible()
    expect(clerk.get_by_test_id("dossier-state")).to_have_text("Đã kết thúc")
    note = clerk.get_by_test_id("closing-note")
    expect(note).to_contain_text("Hồ sơ gồm công văn của Bộ và văn bản trả lời.")
    chain.refresh_from_db()
    assert chain.state == DossierState.CLOSED and chain.sheets == 3
    expect(clerk.get_by_test_id("transfer-due")).to_have_text(chain.transfer_due.strftime("%d/%m/%Y"))
    expect(clerk.get_by_role("button", name="Bỏ khỏi hồ sơ")).to_have_count(0)
    expect(clerk.get_by_test_id("dossier-history")).to_contain_text("Kết thúc hồ sơ")
    shot(clerk, "archive-ket-thuc-ho-so-390")
