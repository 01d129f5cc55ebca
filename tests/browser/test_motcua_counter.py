"""The one-stop shop walked in a real browser (issue 16).

A counter officer of the commune of Phú Mỹ receives a complete birth registration dossier and
prints the receipt and appointment slip (Mẫu 01): the PDF carries the dossier code, the
appointment date on working days, and a QR code that decodes (zbarimg, on the page rendered by
pdftoppm) to the public lookup address; a citizen opens that address on a phone-width page and
sees the status and the date, nothing personal. An incomplete dossier gets one supplement
request (Mẫu 02) listing every gap.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from vpdt.motcua import clock, slips
from vpdt.motcua import demo as motcua_demo
from vpdt.motcua.models import Dossier, DossierStatus, SupplementRequest
from vpdt.workflow import holidays

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

PROCEDURE = "Đăng ký khai sinh"


@pytest.fixture
def shop(demo, live_server, settings):
    """The demo's catalogue, activations and counter officers (no sample dossiers: the walk makes its own)."""
    import random

    settings.VPDT_SITE_URL = live_server.url
    motcua_demo.make_counter_officers(random.Random(motcua_demo.SEED))
    motcua_demo.activate(motcua_demo.build_catalogue())
    return True


def _pdf_from(page, click) -> bytes:
    """The PDF a click opens in a new tab, as the browser received it: the slip's request goes to
    the server unchanged (route.fetch) and its answer to the tab (route.fulfill); the test keeps a
    copy of the bytes (chromium's PDF viewer does not hand them out)."""
    captured: list[bytes] = []

    def keep(route):
        response = route.fetch()
        captured.append(response.body())
        route.fulfill(response=response)

    page.context.route("**/phieu/**", keep)
    click()
    for _ in range(150):
        if captured:
            break
        page.wait_for_timeout(100)
    page.context.unroute("**/phieu/**", keep)
    assert captured, "the slip's PDF did not arrive"
    assert captured[0].startswith(b"%PDF"), captured[0][:200]
    return captured[0]


def _text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def _decode_qr(content: bytes) -> str | None:
    """The QR code of page 1, decoded from its pixels; None when zbarimg or pdftoppm is missing."""
    if not (shutil.which("zbarimg") and shutil.which("pdftoppm")):
        print("\n!! zbarimg or pdftoppm missing (Debian zbar-tools, poppler-utils): the QR code is checked "
              "against the payload the slip was drawn from, not decoded from its pixels")
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "slip.pdf"
        source.write_bytes(content)
        subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", str(source), str(Path(folder) / "p")],
                       check=True, timeout=60)
        image = next(Path(folder).glob("p*.png"))
        found = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, timeout=60)
        return found.stdout.strip()


def _fill_applicant(page, name: str, pid: str) -> None:
    page.get_by_label("Họ và tên người nộp").fill(name)
    page.get_by_label("Số định danh cá nhân (12 số)").fill(pid)
    page.get_by_label("Địa chỉ").fill("Ấp 2, xã Phú Mỹ")
    page.get_by_label("Điện thoại").fill("0912000111")


def test_counter_receives_prints_the_receipt_and_a_citizen_looks_it_up_at_phone_width(people, shop, live_server):
    page = people.login("phumy.motcua")
    page.get_by_test_id("motcua-menu").click()
    page.get_by_test_id("motcua-intake-link").click()
    page.get_by_role("link", name=PROCEDURE).first.click()
    expect(page.get_by_test_id("procedure-name")).to_have_text(PROCEDURE)
    _fill_applicant(page, "Lê Thị Hồng Nhung", "079195001122")
    for box in page.get_by_test_id("paper-check").all()[:3]:  # the three required papers
        box.check()
    page.get_by_label("Bản quét: Tờ khai theo mẫu").set_input_files(
        files=[{"name": "to-khai.pdf", "mimeType": "application/pdf", "buffer": _scan()}])
    page.get_by_test_id("decide-accept").click()
    expect(page.get_by_test_id("status")).to_have_text("Được tiếp nhận")
    dossier = Dossier.objects.get()
    assert dossier.status == DossierStatus.RECEIVED and dossier.files.count() == 1
    expect(page.get_by_test_id("dossier-code")).to_have_text(dossier.code)

    content = _pdf_from(page, lambda: page.get_by_test_id("print-receipt").click())
    text = _text(content)
    flat = "".join(text.split())
    assert dossier.code in flat
    appointment = clock.appointment_date(dossier.received_at, dossier.procedure.legal_days)
    assert dossier.appointment_date == appointment and holidays.is_working_day(appointment)
    assert f"{appointment:%d/%m/%Y}" in text
    lookup = f"{live_server.url}/tra-cuu/?ma={dossier.code}"
    decoded = _decode_qr(content)
    assert (decoded if decoded is not None else slips.qr_payload(dossier)) == lookup

    # The citizen scans the QR code with a phone: status and dates, nothing personal.
    context = people.browser.new_context(locale="vi-VN", reduced_motion="reduce", viewport={"width": 390, "height": 844},
                                         is_mobile=True, has_touch=True)
    people.contexts.append(context)
    phone = context.new_page()
    phone.goto(decoded or lookup)
    expect(phone.get_by_test_id("lookup-result")).to_be_visible()
    expect(phone.get_by_test_id("status")).to_have_text("Được tiếp nhận")
    expect(phone.get_by_test_id("lookup-appointment")).to_have_text(f"{appointment:%d/%m/%Y}")
    body = phone.locator("body").inner_text()
    assert "Lê Thị Hồng Nhung" not in body and "079195001122" not in body
    # Nothing wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # Typing a code works too, and a wrong one is told plainly.
    phone.get_by_label("Mã hồ sơ").fill(dossier.code.lower())
    phone.get_by_test_id("lookup-submit").click()
    expect(phone.get_by_test_id("lookup-appointment")).to_have_text(f"{appointment:%d/%m/%Y}")
    phone.get_by_label("Mã hồ sơ").fill("000.02.31.H90-991231-0001")
    phone.get_by_test_id("lookup-submit").click()
    expect(phone.get_by_test_id("lookup-error")).to_be_visible()


def _scan() -> bytes:
    from tests.factories import pdf_bytes

    return pdf_bytes("to khai khai sinh")


def test_an_incomplete_dossier_gets_one_supplement_request_listing_every_gap(people, shop):
    page = people.login("phumy.motcua")
    page.goto("/mot-cua/tiep-nhan/")
    page.get_by_role("link", name=PROCEDURE).first.click()
    _fill_applicant(page, "Phạm Văn Tài", "079090003344")
    page.get_by_test_id("paper-check").first.check()  # the declaration only: the birth certificate is missing
    page.get_by_label("Nội dung cần bổ sung thêm").fill("Căn cước công dân của người đi khai | Hết hạn sử dụng")
    page.get_by_label("Hướng dẫn người nộp").fill("Mang bản chính khi nộp lại.")
    page.get_by_test_id("decide-supplement").click()
    expect(page.get_by_test_id("status")).to_have_text("Yêu cầu bổ sung giấy tờ")
    dossier = Dossier.objects.get()
    request = SupplementRequest.objects.get(dossier=dossier)
    names = [item["name"] for item in request.items]
    assert names == ["Giấy chứng sinh", "Căn cước công dân hoặc giấy tờ tùy thân (xuất trình)",
                     "Căn cước công dân của người đi khai"]
    assert dossier.received_at is None and dossier.appointment_date is None
    content = _pdf_from(page, lambda: page.get_by_test_id("print-supplement").click())
    text = _text(content)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    flat = " ".join(text.split())
    for number, name in enumerate(names, start=1):
        assert f"{number}. {name}" in flat
    assert "Hết hạn sử dụng" in flat
