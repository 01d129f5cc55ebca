"""The one-stop shop across agencies, walked in a real browser (issue 16, motcua3).

1. A dossier received at the commune of Phú Mỹ for a procedure the Department of Science and
   Technology resolves: the commune's counter sends it over the hub (the button of the dossier
   page), the department's counter transfers the linked dossier to its unit, the unit's officer
   takes it and submits it, the director approves with the result; the result comes back over the
   hub and the commune's counter returns it to the citizen.
2. A step runs past its deadline: the late body's counter issues the apology slip (Mẫu 04) with
   one new date from the dossier page; the appointment moves, the delay is shown, the slip's PDF
   carries the lookup address of its QR code.
"""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.factories import pdf_bytes
from vpdt.directory.models import Agency, Unit, User
from vpdt.directory.roles import Role
from vpdt.motcua import demo as motcua_demo
from vpdt.motcua import slips
from vpdt.motcua.models import ApologySlip, Dossier, DossierStatus, Procedure
from vpdt.motcua.services import catalogue, counter, processing
from vpdt.records import actors

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

JOINT_PROCEDURE = "1.003862"  # resolved by the Department of Science and Technology (unit BCVT)


@pytest.fixture
def shop(demo, live_server, settings):
    settings.VPDT_SITE_URL = live_server.url  # the demo's agencies reach the hub embedded in it
    motcua_demo.make_counter_officers(random.Random(motcua_demo.SEED))
    motcua_demo.activate(motcua_demo.build_catalogue())
    commune, department = motcua_demo._agency("phumy"), motcua_demo._agency("skhcn")
    catalogue.set_activation(actors.system_actor(commune, actors.IMPORT), Procedure.objects.get(code=JOINT_PROCEDURE),
                             commune, resolving_agency=department,
                             processing_unit=Unit.objects.get(agency=department, abbreviation="BCVT"))
    return commune, department


def _received(agency: Agency, code: str) -> Dossier:
    officer = User.objects.get(username="phumy.motcua")
    procedure = Procedure.objects.get(code=code)
    papers = [p for p in procedure.papers.all() if p.required]
    intake = counter.Intake(
        applicant=counter.Applicant(name="Trần Văn Bình", personal_id="079090005566", phone="0912000222"),
        ticked={p.pk for p in papers},
        uploads=[counter.Upload(io.BytesIO(pdf_bytes("don de nghi")), "don-de-nghi.pdf", papers[0].pk)])
    return counter.receive(officer, agency, procedure, intake, decision="accept")


def _interconnect(rounds: int = 3) -> None:
    """What the worker does in the background: the jobs (the outbox, the hub, the joint sync)."""
    from vpdt.core import tasks

    for _ in range(rounds):
        tasks.run_once()


def _person(agency: Agency, role: str, **filters) -> User:
    return (User.objects.filter(is_active=True, role_assignments__role=role, role_assignments__agency=agency, **filters)
            .order_by("id").first())


def test_commune_sends_to_the_department_over_the_hub_and_returns_its_result(people, shop):
    commune, department = shop
    d = _received(commune, JOINT_PROCEDURE)
    page = people.login("phumy.motcua")
    page.goto(f"/mot-cua/ho-so/{d.pk}/")
    expect(page.get_by_test_id("transfer")).to_have_count(0)  # not to a unit of another agency
    page.get_by_test_id("send-joint").click()
    expect(page.get_by_role("alert").filter(has_text="qua trục liên thông")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Đang xử lý")
    expect(page.get_by_test_id("joint-links")).to_contain_text(department.name)

    _interconnect()
    linked = Dossier.objects.get(agency=department, external_id=d.code)
    assert linked.status == DossierStatus.RECEIVED

    dept = people.login("skhcn.motcua")
    dept.goto(f"/mot-cua/ho-so/{linked.pk}/")
    expect(dept.get_by_test_id("joint-links")).to_contain_text(d.code)
    dept.get_by_test_id("transfer").click()
    expect(dept.get_by_test_id("status")).to_have_text("Đang xử lý")

    unit = Unit.objects.get(agency=department, abbreviation="BCVT")
    officer = people.login(_person(department, Role.SPECIALIST, unit=unit).username)
    officer.goto(f"/mot-cua/ho-so/{linked.pk}/")
    officer.get_by_test_id("take").click()
    officer.get_by_test_id("submit-approval").click()
    expect(officer.get_by_role("alert").filter(has_text="Đã trình lãnh đạo")).to_be_visible()

    director = people.login(_person(department, Role.LEADER).username)
    director.goto(f"/mot-cua/ho-so/{linked.pk}/")
    director.get_by_label("Tệp kết quả (bản điện tử)").set_input_files(
        files=[{"name": "giay-phep.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("giay phep")}])
    director.get_by_label("Kết quả giải quyết").fill("Cấp giấy phép số 12/GP")
    director.get_by_test_id("approve").click()
    expect(director.get_by_test_id("status")).to_have_text("Đã xử lý xong")

    _interconnect()
    d.refresh_from_db()
    assert d.status == DossierStatus.DONE and d.result_note == "Cấp giấy phép số 12/GP"
    page.reload()
    expect(page.get_by_test_id("status")).to_have_text("Đã xử lý xong")
    page.get_by_test_id("return").click()
    expect(page.get_by_test_id("status")).to_have_text("Đã trả kết quả")
    assert [e.action for e in d.events.order_by("at", "id")][-2:] == ["joint_result", "return"]
    assert d.notices.filter(event="returned").exists()  # the citizen is told


def test_a_late_step_gets_the_apology_slip_from_the_button(people, shop):
    commune, _department = shop
    d = _received(commune, "1.001193")
    officer = User.objects.get(username="phumy.motcua")
    processing.transfer(officer, d, Unit.objects.filter(agency=commune, active=True).order_by("id").first())
    d.refresh_from_db()
    d.current_step.due_at = d.current_step.sent_at - dt.timedelta(days=3)  # the step ran past its time
    d.current_step.save(update_fields=["due_at"])
    old = d.appointment_date

    page = people.login("phumy.motcua")
    page.goto(f"/mot-cua/ho-so/{d.pk}/")
    new_date = page.get_by_test_id("apology-date").input_value()
    page.get_by_test_id("apology-reason").fill("Cần xác minh thêm tại nơi cư trú")
    page.get_by_test_id("apology").click()
    expect(page.get_by_role("alert").filter(has_text="Mẫu 04")).to_be_visible()
    expect(page.get_by_test_id("appointment")).to_contain_text(new_date)
    expect(page.get_by_test_id("delays")).to_contain_text(commune.name)
    expect(page.get_by_test_id("apology")).to_have_count(0)  # one new date, once

    slip = ApologySlip.objects.get(dossier=d)
    assert slip.old_date == old and f"{slip.new_date:%d/%m/%Y}" == new_date
    content = page.request.get(page.get_by_test_id("print-apology").get_attribute("href")).body()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    flat = "".join(text.split())
    assert "PHIẾU XIN LỖI" in text and d.code in flat and "".join(slips.qr_payload(d).split()) in flat
