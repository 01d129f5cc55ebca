"""The one-stop shop's pages through HTTP: the counter receives and prints, the processing officer
and the approver act, the citizen looks up and downloads; the catalogue and the register."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from tests import factories
from vpdt.motcua import clock, slips
from vpdt.motcua.models import Dossier, DossierStatus, Procedure
from vpdt.motcua.services import counter as counter_service

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def intake_post(w, decision="accept", ticked=None, **extra):
    ticked = [p.pk for p in w.papers[:2]] if ticked is None else ticked
    data = {"name": "Trần Thị Bình", "personal_id": "079188004321", "address": "Tổ 3, ấp Bình Lợi",
            "phone": "0987654321", "email": "", "organisation": "", "subject": "", "decision": decision,
            **{f"paper_{pk}": "1" for pk in ticked}, **extra}
    return data


def test_counter_receives_prints_the_receipt_and_the_citizen_looks_it_up(shop, client):
    w = shop
    client.force_login(w.counter)
    page = client.get(reverse("web:motcua_intake_choose"))
    assert w.procedure.name in page.content.decode()
    scan = SimpleUploadedFile("to-khai.pdf", factories.pdf_bytes("to khai"), content_type="application/pdf")
    response = client.post(reverse("web:motcua_intake", args=[w.procedure.pk]),
                           {**intake_post(w), f"file_{w.papers[0].pk}": scan})
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:motcua_dossier", args=[dossier.pk])
    assert dossier.status == DossierStatus.RECEIVED and dossier.files.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert dossier.code in page and "Mẫu 01" in page
    receipt = client.post(reverse("web:motcua_slip", args=[dossier.pk, "tiep-nhan"]))
    assert receipt["Content-Type"] == "application/pdf"
    text = pdf_text(receipt.content)
    assert dossier.code in text
    assert f"{dossier.appointment_date:%d/%m/%Y}" in text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    secret = re.search(r"Mã bí mật nhận kết quả điện tử: ([A-Z2-9]{8})", text).group(1)
    dossier.refresh_from_db()
    assert counter_service.secret_matches(dossier, secret)
    # A GET never issues a secret.
    assert client.get(reverse("web:motcua_slip", args=[dossier.pk, "tiep-nhan"])).status_code == 302
    # The citizen, signed out, at phone width or not: status and dates, nothing personal.
    client.logout()
    page = client.get(reverse("web:motcua_lookup"), {"ma": dossier.code}).content.decode()
    assert "Được tiếp nhận" in page and f"{dossier.appointment_date:%d/%m/%Y}" in page
    for personal in ("Trần Thị Bình", "079188004321", "Bình Lợi", "0987654321"):
        assert personal not in page


def test_the_qr_code_encodes_the_lookup_address_of_the_code(shop):
    w = shop
    dossier = counter_service.receive(w.counter, w.agency, w.procedure, counter_service.Intake(
        applicant=counter_service.Applicant(name="An", personal_id="075095001234"),
        ticked={p.pk for p in w.papers[:2]}), decision="accept")
    payload = slips.qr_payload(dossier)
    assert payload.endswith(reverse("web:motcua_lookup") + f"?ma={dossier.code}")
    assert payload.startswith("http")


def test_an_incomplete_dossier_gets_one_supplement_slip_listing_every_gap(shop, client):
    w = shop
    client.force_login(w.counter)
    response = client.post(reverse("web:motcua_intake", args=[w.procedure.pk]), intake_post(
        w, decision="supplement", ticked=[w.papers[0].pk], gaps="Tờ khai | Thiếu chữ ký người đi khai"))
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and dossier.status == DossierStatus.SUPPLEMENT
    text = pdf_text(client.get(reverse("web:motcua_slip", args=[dossier.pk, "bo-sung"])).content)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "1. Giấy chứng sinh" in text and "2. Tờ khai" in text and "Thiếu chữ ký" in text
    assert dossier.supplements.count() == 1


def test_a_bad_personal_id_is_shown_next_to_its_field_and_nothing_is_created(shop, client):
    w = shop
    client.force_login(w.counter)
    page = client.post(reverse("web:motcua_intake", args=[w.procedure.pk]),
                       intake_post(w, personal_id="12345678901x")).content.decode()
    assert "12 chữ số" in page and not Dossier.objects.exists()


def test_the_whole_path_through_the_pages(shop, client):
    w = shop
    client.force_login(w.counter)
    client.post(reverse("web:motcua_intake", args=[w.procedure.pk]), intake_post(w))
    dossier = Dossier.objects.get()
    act = lambda name, **data: client.post(reverse("web:motcua_action", args=[dossier.pk, name]), data)  # noqa: E731
    act("chuyen", unit=w.tp.pk, to_user=w.officer.pk)
    client.force_login(w.officer)
    assert dossier.code in client.get(reverse("web:motcua_home") + "?tab=cua-toi").content.decode()
    act("nhan")
    act("tham-dinh", note="Đủ điều kiện")
    act("trinh", to_user=w.leader.pk)
    client.force_login(w.leader)
    act("phe-duyet", result=SimpleUploadedFile("kq.pdf", factories.pdf_bytes("kq"), content_type="application/pdf"),
        result_note="Giấy khai sinh số 15")
    client.force_login(w.counter)
    secret_pdf = client.post(reverse("web:motcua_slip", args=[dossier.pk, "tiep-nhan"])).content
    secret = re.search(r"Mã bí mật nhận kết quả điện tử: ([A-Z2-9]{8})", pdf_text(secret_pdf)).group(1)
    act("tra-ket-qua", method="online")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED
    control = pdf_text(client.get(reverse("web:motcua_slip", args=[dossier.pk, "kiem-soat"])).content)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in control and "Giao:" in control
    client.logout()
    bad = client.post(reverse("web:motcua_result"), {"ma": dossier.code, "bi_mat": "AAAAAAAA"})
    assert bad.status_code == 302
    good = client.post(reverse("web:motcua_result"), {"ma": dossier.code, "bi_mat": secret})
    assert good.status_code == 200 and b"".join(good.streaming_content).startswith(b"%PDF")


def test_someone_else_cannot_open_the_dossier(shop, client):
    w = shop
    dossier = counter_service.receive(w.counter, w.agency, w.procedure, counter_service.Intake(
        applicant=counter_service.Applicant(name="An", personal_id="075095001234"),
        ticked={p.pk for p in w.papers[:2]}), decision="accept")
    for who in (w.other_counter, w.officer2):
        client.force_login(who)
        assert client.get(reverse("web:motcua_dossier", args=[dossier.pk])).status_code == 404
        assert client.post(reverse("web:motcua_slip", args=[dossier.pk, "tiep-nhan"])).status_code == 404


@override_settings(VPDT_MOTCUA_LOOKUP_RATE="3/m")
def test_the_public_lookup_is_rate_limited(shop, client):
    from django.core.cache import cache

    cache.clear()
    url = reverse("web:motcua_lookup")
    answers = [client.get(url, {"ma": "000.01.31.H90-261130-0001"}).status_code for _ in range(5)]
    assert answers[:3] == [200, 200, 200] and answers[3:] == [429, 429]
    cache.clear()


def test_online_submission_then_checked_at_the_counter(shop, client):
    w = shop
    url = reverse("web:motcua_submit", args=[w.agency.code, w.procedure.code])
    files = {f"file_{p.pk}": SimpleUploadedFile(f"{p.pk}.pdf", factories.pdf_bytes("x"),
                                                  content_type="application/pdf") for p in w.papers[:2]}
    page = client.post(url, {**intake_post(w, ticked=[]), **files}).content.decode()
    dossier = Dossier.objects.get()
    assert dossier.code in page and dossier.status == DossierStatus.NEW and dossier.channel == "online"
    client.force_login(w.counter)
    assert dossier.code in client.get(reverse("web:motcua_home")).content.decode()
    client.post(reverse("web:motcua_action", args=[dossier.pk, "tiep-nhan"]),
                {f"paper_{p.pk}": "1" for p in w.papers[:2]})
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RECEIVED
    assert dossier.appointment_date == clock.appointment_date(dossier.received_at, 3)


def test_register_shows_and_exports(shop, client):
    w = shop
    client.force_login(w.counter)
    client.post(reverse("web:motcua_intake", args=[w.procedure.pk]), intake_post(w))
    dossier = Dossier.objects.get()
    page = client.get(reverse("web:motcua_register")).content.decode()
    assert dossier.code in page
    pdf = client.get(reverse("web:motcua_register"), {"format": "pdf"})
    flat = "".join(pdf_text(b"".join(pdf.streaming_content)).split())
    assert dossier.code in flat and f"{dossier.appointment_date:%d/%m/%Y}" in flat
    xlsx = client.get(reverse("web:motcua_register"), {"format": "xlsx"})
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert any(dossier.code in [c for c in row if c] for row in book.active.iter_rows(values_only=True))


def test_catalogue_pages_edit_export_import(shop, client):
    w = shop
    client.force_login(w.admin)
    data = client.get(reverse("web:motcua_catalogue"), {"format": "json"}).content
    exported = json.loads(data)
    assert exported["procedures"][0]["code"] == "1.001193"
    exported["procedures"].append({**exported["procedures"][0], "code": "2.000908", "name": "Chứng thực bản sao"})
    response = client.post(reverse("web:motcua_catalogue_import"), {
        "file": SimpleUploadedFile("c.json", json.dumps(exported).encode(), content_type="application/json")})
    assert response.status_code == 302
    copy = Procedure.objects.get(code="2.000908")
    assert copy.papers.count() == 3 and copy.steps.count() == 4
    # A bad line: nothing changes.
    exported["procedures"].append({"code": "", "name": "x"})
    client.post(reverse("web:motcua_catalogue_import"), {
        "file": SimpleUploadedFile("c.json", json.dumps(exported).encode(), content_type="application/json")})
    assert Procedure.objects.count() == 2
    xlsx = client.get(reverse("web:motcua_catalogue"), {"format": "xlsx"})
    content = b"".join(xlsx.streaming_content)
    response = client.post(reverse("web:motcua_catalogue_import"), {
        "file": SimpleUploadedFile("c.xlsx", content)})
    assert response.status_code == 302 and Procedure.objects.count() == 2
    form = {"code": "1.001193", "name": "Đăng ký khai sinh (sửa)", "field": "Hộ tịch", "level": "commune",
            "legal_days": "5", "fee_amount": "0", "result_type": "certificate", "online": "on", "active": "on",
            "papers-TOTAL_FORMS": "1", "papers-INITIAL_FORMS": "0", "papers-0-name": "Tờ khai", "papers-0-form":
            "original", "papers-0-count": "1", "papers-0-kind": "file", "papers-0-required": "on",
            "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0"}
    response = client.post(reverse("web:motcua_procedure", args=[w.procedure.pk]), form)
    assert response.status_code == 302
    w.procedure.refresh_from_db()
    assert w.procedure.legal_days == 5 and w.procedure.papers.count() == 1
    client.force_login(w.counter)
    assert client.post(reverse("web:motcua_procedure", args=[w.procedure.pk]), form).status_code == 403


def test_the_pages_switch_to_english(shop, client):
    w = shop
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(reverse("web:motcua_lookup")).content.decode()
    assert "Look up the status of an administrative dossier" in page and "Tra cứu tình trạng" not in page
    client.force_login(w.counter)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(reverse("web:motcua_intake", args=[w.procedure.pk])).content.decode()
    assert "Receive a dossier" in page and "Complete and valid" in page
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
