"""Issue 12 in Debian's chromium: an administrator without a second factor is made to enrol
before anything else; a signer approves with a one-time code, and a wrong code signs nothing."""

from __future__ import annotations

import base64
import io
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.second_factor import code_now, device_of, one_time_code
from vpdt.core.models import AuditEntry
from vpdt.demo.province import PASSWORD
from vpdt.directory import mfa
from vpdt.directory.models import User
from vpdt.records.choices import State

# No serialized_rollback: the demo fixture seeds the document types again after a flush, and
# restoring a serialized database after another transactional test's flush collides on
# content types (seen with test_hostile_file before test_session_timer on main).
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, databases=["default", "hub"])]


def _sign_in(people, username: str):
    """The login page alone (not People.login, which answers the second factor)."""
    context = people.browser.new_context(locale="vi-VN", base_url=people.base_url)
    people.contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    return page


def test_an_admin_without_a_second_factor_is_made_to_enrol_before_anything_else(people, shot, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0.01  # the wrong code below would make a person wait a second
    admin = User.objects.get(username="skhcn.quantri")
    mfa.reset(admin, by=None)  # e.g. a lost phone: the administrator enrols again
    page = _sign_in(people, "skhcn.quantri")
    assert "/xac-thuc-hai-buoc/dang-ky/" in page.url
    expect(page.get_by_test_id("mfa-required")).to_be_visible()
    page.goto("/admin/")  # anything else leads back to enrolment
    assert "/xac-thuc-hai-buoc/dang-ky/" in page.url
    page.goto("/van-ban-di/")
    assert "/xac-thuc-hai-buoc/dang-ky/" in page.url and "next=" in page.url
    expect(page.get_by_test_id("mfa-qr").locator("svg")).to_be_visible()
    shot(page, "mfa-01-dang-ky")
    secret = page.get_by_test_id("mfa-secret").inner_text().replace(" ", "")
    right = f"{totp(base64.b32decode(secret)):06d}"
    page.get_by_label("Mã xác thực").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_test_id("field-error")).to_contain_text("Mã xác thực không đúng")
    assert not mfa.has_device(admin)
    page.get_by_label("Mã xác thực").fill(right)
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    shot(page, "mfa-02-ma-khoi-phuc")
    page.get_by_role("link", name="Tôi đã lưu mã, tiếp tục").click()
    page.wait_for_url(re.compile(r"/van-ban-di/$"))  # where they wanted to go
    assert mfa.has_device(admin)

    # Next sign-in: the code after the password, a wrong one keeps them out.
    again = _sign_in(people, "skhcn.quantri")
    assert "/xac-thuc-hai-buoc/" in again.url
    device = mfa.totp_device(admin)
    again.get_by_label("Mã xác thực").fill(code_now(device, steps=9))
    again.get_by_role("button", name="Tiếp tục").click()
    expect(again.get_by_test_id("field-error")).to_be_visible()
    again.goto("/van-ban-di/")
    assert "/xac-thuc-hai-buoc/" in again.url


def _pdf_draft_at_the_signers_step(tmp_path):
    from tests import factories
    from vpdt.demo import pdf
    from vpdt.signing import pki
    from vpdt.signing import services as signing
    from vpdt.workflow import services as workflow

    leader = User.objects.get(username="skhcn.lanhdao")
    ca = pki.make_demo_ca(tmp_path / "ca", people=[("an", leader.full_name)])
    signing.store_software_key(user=leader, pkcs12=ca.people["an"].read_bytes(), password=ca.password,
                               keep_password=True)
    drafter = User.objects.get(username="skhcn.chuyenvien2a")
    data = pdf.document_pdf(agency="SỞ KHOA HỌC VÀ CÔNG NGHỆ", code="…/SKHCN-BCVT", date_text="Bình Sơn, ngày …",
                            title="CÔNG VĂN", subject="Về việc ký số thử", body="Nội dung thử.",
                            signer_title="GIÁM ĐỐC", signer_name=leader.full_name)
    doc = workflow.create_draft(drafter, {"document_type": factories.doc_type("CV"), "subject": "Về việc ký số thử"},
                                file=io.BytesIO(data), filename="ky-so-thu.pdf",
                                recipients={"units": [drafter.unit]})
    workflow.submit_for_review(drafter, doc)
    while (review := workflow.current_review(doc)) and not workflow.is_signer_step(doc, review):
        approver = review.reviewer or workflow.role_holders(doc.agency_id, review.role)[0]
        workflow.approve(approver, doc)
    return leader, doc


def test_a_signer_approves_with_a_one_time_code_and_a_wrong_code_signs_nothing(people, shot, settings, tmp_path):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0.01
    leader, doc = _pdf_draft_at_the_signers_step(tmp_path)
    page = people.login("skhcn.lanhdao")  # answers the sign-in code
    page.goto(f"/van-ban/{doc.pk}/")
    page.get_by_label("Ý kiến duyệt").fill("Đồng ý ban hành.")
    page.get_by_role("button", name="Duyệt ký").click()
    what = page.get_by_test_id("what-is-signed")
    expect(what).to_contain_text("Về việc ký số thử")
    expect(what).to_contain_text("ky-so-thu.pdf")
    expect(page.get_by_test_id("sha256")).to_have_text(re.compile(r"^[0-9a-f]{16}…$"))
    expect(page.get_by_test_id("title-lines")).to_contain_text("GIÁM ĐỐC")
    expect(page.get_by_label("Ý kiến duyệt")).to_have_value("Đồng ý ban hành.")

    device = device_of(leader)
    page.get_by_label("Mã xác thực một lần").fill(code_now(device, steps=11))
    page.get_by_role("button", name="Ký số và duyệt").click()
    expect(page.get_by_test_id("field-error")).to_contain_text("Mã xác thực không đúng")
    shot(page, "mfa-03-ky-sai-ma")
    doc.refresh_from_db()
    assert doc.state == State.IN_REVIEW and doc.versions.count() == 1
    assert AuditEntry.objects.filter(action="mfa.signing_failed", object_id=str(doc.pk)).exists()

    page.get_by_label("Mã xác thực một lần").fill(one_time_code(leader))  # the app's next code
    page.get_by_role("button", name="Ký số và duyệt").click()
    expect(page.get_by_test_id("state")).to_have_text("Đã duyệt, chờ phát hành")
    expect(page.get_by_role("alert").filter(has_text="Văn bản đã được ký số")).to_be_visible()
    doc.refresh_from_db()
    assert doc.state == State.APPROVED
    assert doc.versions.order_by("-number").first().name.endswith("-da-ky.pdf")
