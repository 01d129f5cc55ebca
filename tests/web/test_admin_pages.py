"""The administration pages ("Quản trị") and the guard in /admin/: the takeover of a leader's
account by an agency admin is refused on both ways in; with the platform admin's approval the
leader receives a reset link."""

from __future__ import annotations

import re

import pytest

from tests import factories
from vpdt.core.models import AuditEntry
from vpdt.directory.models import AdminRequest, User
from vpdt.directory.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def province():
    skhcn = factories.agency("000.00.13.H90", abbreviation="SKHCN")
    stc = factories.agency("000.00.03.H90", abbreviation="STC")
    quantri = factories.person(skhcn, Role.AGENCY_ADMIN, username="skhcn.quantri")
    User.objects.filter(pk=quantri.pk).update(is_staff=True)
    quantri.refresh_from_db()
    lanhdao = factories.person(skhcn, Role.LEADER, username="skhcn.lanhdao")
    User.objects.filter(pk=lanhdao.pk).update(email="lanhdao@skhcn.example")
    lanhdao.refresh_from_db()
    root = factories.person(factories.agency("000.00.00.H90"), Role.PLATFORM_ADMIN, username="admin")
    User.objects.filter(pk=root.pk).update(is_staff=True)
    root.refresh_from_db()
    return {"skhcn": skhcn, "stc": stc, "quantri": quantri, "lanhdao": lanhdao, "root": root,
            "chuyenvien": factories.person(skhcn, Role.SPECIALIST, username="skhcn.chuyenvien"),
            "other": factories.person(stc, Role.SPECIALIST, username="stc.chuyenvien")}


def test_the_takeover_through_django_admin_is_refused(client, province):
    quantri, lanhdao = province["quantri"], province["lanhdao"]
    client.force_login(quantri)
    page = client.get(f"/admin/directory/user/{lanhdao.pk}/password/", follow=True)
    assert page.redirect_chain and page.redirect_chain[-1][0] == f"/quan-tri/can-bo/{lanhdao.pk}/"
    assert "cần quản trị hệ thống phê duyệt" in page.content.decode()
    before = User.objects.get(pk=lanhdao.pk).password
    client.post(f"/admin/directory/user/{lanhdao.pk}/password/",
                {"password1": "Kẻ chiếm quyền 2026!", "password2": "Kẻ chiếm quyền 2026!", "usable_password": "true"})
    lanhdao.refresh_from_db()
    assert lanhdao.password == before and not lanhdao.check_password("Kẻ chiếm quyền 2026!")
    # the change form shows the warning and does not let is_staff / is_active / roles be changed
    form = client.get(f"/admin/directory/user/{lanhdao.pk}/change/")
    assert form.status_code == 200 and "Gửi yêu cầu phê duyệt" in form.content.decode()
    assert 'name="is_active"' not in form.content.decode() and 'name="is_staff"' not in form.content.decode()


def test_an_ordinary_persons_password_is_still_set_in_django_admin(client, province):
    client.force_login(province["quantri"])
    person = province["chuyenvien"]
    assert client.get(f"/admin/directory/user/{person.pk}/password/").status_code == 200


def test_the_takeover_through_the_page_becomes_a_request_then_approved_and_mailed(
        client, province, mailoutbox, django_capture_on_commit_callbacks):
    quantri, lanhdao, root = province["quantri"], province["lanhdao"], province["root"]
    client.force_login(quantri)
    page = client.get(f"/quan-tri/can-bo/{lanhdao.pk}/")
    assert page.status_code == 200 and 'data-testid="protected"' in page.content.decode()
    answer = client.post(f"/quan-tri/can-bo/{lanhdao.pk}/",
                         {"action": "change", "kind": "password_reset", "reason": "Giám đốc quên mật khẩu"})
    assert answer.status_code == 302
    found = AdminRequest.objects.get(target=lanhdao)
    assert found.state == AdminRequest.State.PENDING and not mailoutbox
    # the agency admin sees the request but has no approve button; a POST is refused
    listing = client.get("/quan-tri/yeu-cau/").content.decode()
    assert "Giám đốc quên mật khẩu" in listing and 'value="approve"' not in listing
    client.post("/quan-tri/yeu-cau/", {"pk": found.pk, "decision": "approve"})
    found.refresh_from_db()
    assert found.state == AdminRequest.State.PENDING
    # the platform admin approves
    client.force_login(root)
    assert "skhcn.lanhdao" in client.get("/quan-tri/an-ninh/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/quan-tri/yeu-cau/", {"pk": found.pk, "decision": "approve", "note": "Đã xác minh"})
    found.refresh_from_db()
    assert found.state == AdminRequest.State.DONE
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["lanhdao@skhcn.example"]
    assert re.search(r"/dat-lai-mat-khau/[^/]+/[^/]+/", mailoutbox[0].body)
    assert AuditEntry.objects.filter(action="admin_request.create", actor_id=quantri.pk).exists()
    assert AuditEntry.objects.filter(action="admin_request.approve", actor_id=root.pk).exists()


def test_agency_admin_sees_only_their_agency(client, province):
    client.force_login(province["quantri"])
    page = client.get("/quan-tri/can-bo/").content.decode()
    assert "skhcn.chuyenvien" in page and "stc.chuyenvien" not in page
    assert client.get(f"/quan-tri/can-bo/{province['other'].pk}/").status_code == 404
    assert client.get("/quan-tri/an-ninh/").status_code == 403


def test_a_specialist_has_no_administration(client, province):
    client.force_login(province["chuyenvien"])
    assert client.get("/quan-tri/").status_code == 403
    assert 'data-testid="admin-link"' not in client.get("/tai-khoan/").content.decode()


def test_the_agency_admin_moves_an_ordinary_person_and_it_is_audited(client, province):
    unit = factories.unit(province["skhcn"], "KHTC", "Phòng Kế hoạch – Tài chính")
    client.force_login(province["quantri"])
    assert 'data-testid="admin-link"' in client.get("/quan-tri/").content.decode()
    person = province["chuyenvien"]
    answer = client.post(f"/quan-tri/can-bo/{person.pk}/", {
        "action": "update", "full_name": "Nguyễn Văn Chuyên", "email": "", "phone": "", "unit": unit.pk,
        "position": "Chuyên viên chính"})
    assert answer.status_code == 302
    person.refresh_from_db()
    assert person.unit == unit and person.position == "Chuyên viên chính"
    entry = AuditEntry.objects.get(action="account.update")
    assert entry.detail["after"]["unit_id"] == unit.pk and entry.detail["before"]["unit_id"] is None


def test_the_agency_admin_sees_and_edits_the_approval_steps(client, province):
    from vpdt.workflow.models import ApprovalChain, ApprovalStep

    chain = ApprovalChain.objects.create(agency=province["skhcn"], name="Quy trình văn bản đi")
    ApprovalStep.objects.create(chain=chain, order=1, label="Trưởng phòng duyệt", kind="unit_head")
    ApprovalChain.objects.create(agency=province["stc"], name="Quy trình của STC")
    client.force_login(province["quantri"])
    page = client.get("/quan-tri/quy-trinh/").content.decode()
    assert "Trưởng phòng duyệt" in page and "Quy trình của STC" not in page
    refused = client.post("/quan-tri/quy-trinh/", {"chain": chain.pk, "order": 2, "label": "Giám đốc ký",
                                                   "kind": "role", "role": ""})
    assert refused.status_code == 200 and "Chọn vai trò của người duyệt." in refused.content.decode()
    client.post("/quan-tri/quy-trinh/", {"chain": chain.pk, "order": 2, "label": "Giám đốc ký", "kind": "role",
                                         "role": "leader", "is_signer": "on"})
    step = ApprovalStep.objects.get(chain=chain, order=2)
    assert step.is_signer and step.role == "leader"
    entry = AuditEntry.objects.get(action="chain.step_save")
    assert entry.detail["before"] == {} and entry.detail["after"]["label"] == "Giám đốc ký"


def test_the_agency_admin_lists_their_agencys_keys_and_takes_one_out_of_use(client, province):
    from vpdt.signing.models import SigningKey

    mine = SigningKey.objects.create(user=province["chuyenvien"], kind="remote", remote_url="https://ky.example/",
                                     label="Khóa của chuyên viên")
    theirs = SigningKey.objects.create(user=province["other"], kind="remote", remote_url="https://ky.example/",
                                       label="Khóa STC")
    client.force_login(province["quantri"])
    page = client.get("/quan-tri/khoa-ky/").content.decode()
    assert "skhcn.chuyenvien" in page and "stc.chuyenvien" not in page
    assert client.post("/quan-tri/khoa-ky/", {"pk": theirs.pk}).status_code == 404
    client.post("/quan-tri/khoa-ky/", {"pk": mine.pk})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert not mine.active and theirs.active
    entry = AuditEntry.objects.get(action="signing.key_deactivate")
    assert entry.actor_id == province["quantri"].pk and entry.detail["after"] == {"active": False}


def test_hub_connections_are_the_platform_admins(client, province):
    from vpdt.exchange.models import HubConnection

    connection = HubConnection.objects.create(name="Trục tỉnh", endpoint="http://truc.example:8100",
                                              system_id="skhcn", secret_encrypted="x", last_error="Hết thời gian chờ")
    connection.agencies.add(province["skhcn"])
    client.force_login(province["quantri"])
    assert client.get("/quan-tri/truc-lien-thong/").status_code == 403
    client.force_login(province["root"])
    page = client.get("/quan-tri/truc-lien-thong/").content.decode()
    assert "Trục tỉnh" in page and "Hết thời gian chờ" in page and "SKHCN" in page


def test_the_leaders_email_which_receives_reset_links_is_not_changed_by_the_agency_admin(client, province):
    lanhdao = province["lanhdao"]
    client.force_login(province["quantri"])
    answer = client.post(f"/quan-tri/can-bo/{lanhdao.pk}/", {
        "action": "update", "full_name": lanhdao.full_name, "email": "ke.gian@example.com", "phone": "",
        "unit": "", "position": ""})
    assert answer.status_code == 200 and "chỉ quản trị hệ thống" in answer.content.decode()
    assert User.objects.get(pk=lanhdao.pk).email == "lanhdao@skhcn.example"
    form = client.get(f"/admin/directory/user/{lanhdao.pk}/change/").content.decode()
    assert 'name="email"' not in form
    assert client.post(f"/admin/directory/user/{lanhdao.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=lanhdao.pk).exists()


def test_the_agency_admin_adds_and_renames_units_of_their_agency_only(client, province):
    client.force_login(province["quantri"])
    client.post("/quan-tri/co-quan/", {"agency": province["skhcn"].pk, "name": "Văn phòng Sở", "abbreviation": "VP",
                                       "active": "on"})
    unit = province["skhcn"].units.get(abbreviation="VP")
    again = client.post("/quan-tri/co-quan/", {"agency": province["skhcn"].pk, "name": "Khác", "abbreviation": "VP",
                                               "active": "on"})
    assert again.status_code == 200 and "Cơ quan đã có đơn vị mang chữ viết tắt này." in again.content.decode()
    client.post("/quan-tri/co-quan/", {"agency": province["skhcn"].pk, "unit": unit.pk, "name": "Văn phòng",
                                       "abbreviation": "VP"})
    unit.refresh_from_db()
    assert unit.name == "Văn phòng" and not unit.active
    last = AuditEntry.objects.filter(action="unit.save").order_by("-id").first()
    assert last.detail["before"]["name"] == "Văn phòng Sở" and last.detail["after"]["active"] is False
    assert client.post("/quan-tri/co-quan/", {"agency": province["stc"].pk, "name": "X", "abbreviation": "X"}
                       ).status_code == 404
    page = client.get("/quan-tri/co-quan/").content.decode()
    assert province["skhcn"].name in page and province["stc"].name not in page


def test_the_agency_admin_adds_a_person_who_sets_their_own_password_and_a_leader_role_waits_for_approval(
        client, province, mailoutbox, django_capture_on_commit_callbacks):
    quantri, skhcn = province["quantri"], province["skhcn"]
    client.force_login(quantri)
    page = client.get("/quan-tri/can-bo/them/")
    assert page.status_code == 200 and "Thêm cán bộ" in page.content.decode()
    assert province["stc"].name not in page.content.decode()  # only their own agency is offered
    form = {"username": "skhcn.moi", "full_name": "Trần Văn Mới", "email": "moi@skhcn.example",
            "agency": skhcn.pk, "position": "Phó Giám đốc", "roles": [Role.SPECIALIST, Role.LEADER],
            "reason": "Bổ nhiệm theo quyết định 12/QĐ-SKHCN"}
    taken = client.post("/quan-tri/can-bo/them/", {**form, "username": "skhcn.lanhdao"})
    assert "Tên đăng nhập đã có người dùng." in taken.content.decode()
    other = client.post("/quan-tri/can-bo/them/", {**form, "agency": province["stc"].pk})
    assert other.status_code == 200 and not User.objects.filter(username="skhcn.moi").exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/quan-tri/can-bo/them/", form)
    assert done.status_code == 302
    person = User.objects.get(username="skhcn.moi")
    assert person.agency == skhcn and not person.has_usable_password()
    assert person.role_set(skhcn.pk) == {Role.SPECIALIST}  # the leader role waits for the platform admin
    held = AdminRequest.objects.get(target=person, state=AdminRequest.State.PENDING)
    assert held.payload["add"] == [Role.LEADER]
    assert AuditEntry.objects.filter(action="account.create", object_id=str(person.pk), actor=quantri).exists()
    welcome = [m for m in mailoutbox if m.subject == "[vpdt] Tài khoản mới"]
    assert len(welcome) == 1 and welcome[0].to == ["moi@skhcn.example"]
    link = re.search(r"https?://\S+/dat-lai-mat-khau/\S+/", welcome[0].body).group(0)
    client.logout()
    path = link.split("://", 1)[1].split("/", 1)[1]
    set_page = client.get("/" + path, follow=True)
    new_password = "Bốn từ ghép thành mật khẩu dài"
    client.post(set_page.redirect_chain[-1][0] if set_page.redirect_chain else "/" + path,
                {"new_password1": new_password, "new_password2": new_password})
    person.refresh_from_db()
    assert person.check_password(new_password)


def test_the_platform_admin_moves_a_person_who_keeps_their_history_and_loses_the_old_rights(client, province):
    from tests import factories as f

    chuyenvien, stc, root = province["chuyenvien"], province["stc"], province["root"]
    unit = f.unit(stc, "NS", "Phòng Ngân sách")
    client.force_login(province["quantri"])
    assert 'data-testid="move-form"' not in client.get(f"/quan-tri/can-bo/{chuyenvien.pk}/").content.decode()
    client.force_login(root)
    wrong_unit = f.unit(province["skhcn"], "VP2", "Văn phòng 2")
    refused = client.post(f"/quan-tri/can-bo/{chuyenvien.pk}/", {"action": "move", "agency": stc.pk,
                                                               "unit": wrong_unit.pk})
    assert "Đơn vị không thuộc cơ quan mới." in refused.content.decode()
    done = client.post(f"/quan-tri/can-bo/{chuyenvien.pk}/", {"action": "move", "agency": stc.pk,
                                                            "unit": unit.pk, "position": "Chuyên viên"})
    assert done.status_code == 302
    chuyenvien.refresh_from_db()
    chuyenvien._role_cache = None
    assert chuyenvien.agency == stc and chuyenvien.role_set(province["skhcn"].pk) == set()
    moved = AuditEntry.objects.get(action="account.move", object_id=str(chuyenvien.pk))
    assert moved.detail["before"]["roles"] == [Role.SPECIALIST] and moved.actor == root
    # Their history stays: the page of the person still lists what was done before the move.
    # (named for a person, never by its code: issue 13)
    history = client.get(f"/quan-tri/can-bo/{chuyenvien.pk}/").content.decode()
    assert "Chuyển đơn vị công tác" in history and "account.move" not in history
