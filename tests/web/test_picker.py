"""The recipient picker's pages: the directory search answers names and codes only, to people of
an agency; favourites; groups chosen on the draft expand into agencies (another agency's group
is refused next to the field, nothing saved); people as co-handlers; the groups' admin page;
the issuer of a paper document taken from the directory."""

from __future__ import annotations

import io

import lxml.html
import pytest

from tests import factories
from tests.factories import doc_type
from tests.workflow.walk import PDF, submitted
from vpdt.core.models import AuditEntry
from vpdt.directory import recipients
from vpdt.directory.models import RecipientGroup
from vpdt.directory.roles import Role
from vpdt.records.models import Document, Recipient
from vpdt.workflow.models import Assignment

SEARCH = "/noi-nhan/tim/"


def page_of(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content.decode())


@pytest.fixture
def more(world):
    """Two more agencies of the province, a province-wide group and a group of the other agency."""
    world.snv = factories.agency(code="000.00.02.H90", abbreviation="SNV", name="Sở Nội vụ")
    world.xa = factories.agency(code="000.02.31.H90", abbreviation="UBND", name="Ủy ban nhân dân xã Phú Mỹ")
    world.platform = factories.person(world.agency, Role.PLATFORM_ADMIN, username="qths")
    world.sectors = recipients.save_group(world.platform, agency=None, name="Các sở, ban, ngành",
                                          members=[world.other, world.snv, world.agency])
    world.stc_admin = factories.person(world.other, Role.AGENCY_ADMIN, username="qtstc")
    world.theirs = recipients.save_group(world.stc_admin, agency=world.other, name="Nhóm của Sở Tài chính",
                                         members=[world.xa])
    return world


def test_typing_tai_chinh_answers_so_tai_chinh_by_level_with_names_and_codes_only(more, login):
    r = login(more.spec).get(SEARCH, {"q": "tai chinh", "nhom": "1"})
    assert r.status_code == 200
    items = r.json()["items"]
    assert [(i["kind"], i["label"], i["hint"], i["section"]) for i in items] == [
        ("agency", "Sở Tài chính", "000.00.03.H90", "Sở, ban, ngành, cấp huyện")]
    assert set(items[0]) == {"kind", "id", "label", "hint", "section", "favourite"}
    # the groups it may use come with a search that names them; never another agency's group
    items = login(more.spec).get(SEARCH, {"q": "cac so", "nhom": "1"}).json()["items"]
    assert [(i["kind"], i["label"], i["hint"]) for i in items] == [("group", "Các sở, ban, ngành", "2 cơ quan")]
    labels = [i["label"] for i in login(more.spec).get(SEARCH, {"q": "nhom", "nhom": "1"}).json()["items"]]
    assert "Nhóm của Sở Tài chính" not in labels


def test_the_search_is_for_people_of_an_agency(more, client):
    assert client.get(SEARCH, {"q": "tai"}).status_code == 302  # to the login page
    nobody = factories.person(more.agency, Role.SPECIALIST, username="khongcoquan")
    nobody.agency = None
    nobody.save()
    client.force_login(nobody)
    r = client.get(SEARCH, {"q": "tai"})
    assert r.status_code == 403 and r.json()["code"] == "NO_AGENCY"


def test_a_favourite_is_marked_from_the_picker_and_comes_first(more, login):
    c = login(more.spec)
    r = c.post("/noi-nhan/thuong-gui/", {"agency": more.xa.pk, "favourite": "on"})
    assert r.status_code == 200 and r.json() == {"favourite": True}
    items = c.get(SEARCH, {"q": ""}).json()["items"]
    assert [(i["label"], i["section"], i["favourite"]) for i in items] == [
        ("Ủy ban nhân dân xã Phú Mỹ", "Thường gửi", True)]
    assert c.post("/noi-nhan/thuong-gui/", {"agency": more.xa.pk}).json() == {"favourite": False}
    assert c.get(SEARCH, {"q": ""}).json()["items"] == []
    r = c.post("/noi-nhan/thuong-gui/", {"agency": more.agency.pk, "favourite": "on"})
    assert r.status_code == 400 and r.json()["code"] == "SELF"


def _draft_post(**extra) -> dict:
    f = io.BytesIO(factories.pdf_bytes("du thao"))
    f.name = "du-thao.pdf"
    return {"subject": "Về việc báo cáo số liệu", "document_type": doc_type("CV").pk, "urgency": "0",
            "file": f, "submit_now": "0", **extra}


def test_a_group_chosen_on_the_draft_becomes_each_of_its_agencies(more, login):
    c = login(more.spec)
    tree = page_of(c.get("/van-ban-di/du-thao/"))
    offered = set(tree.xpath('//input[@name="groups"]/@value'))
    assert offered == {str(more.sectors.pk)}  # the province's group; not the other agency's
    r = c.post("/van-ban-di/du-thao/", _draft_post(groups=[more.sectors.pk], agencies=[more.other.pk]))
    assert r.status_code == 302
    doc = Document.objects.get(subject="Về việc báo cáo số liệu")
    assert set(Recipient.objects.filter(document=doc).values_list("agency__code", flat=True)) == {
        "000.00.03.H90", "000.00.02.H90"}  # each once, never the sender itself


def test_another_agencys_group_is_refused_next_to_the_groups_and_nothing_is_saved(more, login):
    c = login(more.spec)
    tree = page_of(c.post("/van-ban-di/du-thao/", _draft_post(groups=[more.theirs.pk], agencies=[more.snv.pk])))
    assert tree.xpath('//*[@id="groups-error"]')[0].text_content().strip() == "Nhóm nơi nhận không dùng được."
    assert set(tree.xpath('//select[@name="agencies"]//option[@selected]/@value')) == {str(more.snv.pk)}
    assert not Document.objects.filter(subject="Về việc báo cáo số liệu").exists()


def test_the_draft_page_has_the_picker_and_works_without_it(more, login):
    tree = page_of(login(more.spec).get("/van-ban-di/du-thao/"))
    picker = tree.xpath('//*[@data-picker="remote"]')[0]
    assert picker.get("data-url").startswith(SEARCH)
    assert picker.xpath('.//select[@name="agencies"]')  # the plain list, for a browser without JavaScript
    assert tree.xpath('//script[contains(@src, "web/picker.js")]')


def test_the_leader_directs_co_handling_and_information_to_people_as_well_as_units(more, login):
    doc = submitted(more, leader=more.leader)
    c = login(more.leader)
    tree = page_of(c.get(f"/van-ban/{doc.pk}/phan-cong/"))
    co = tree.xpath('//fieldset[.//input[@name="co"]]')[0]
    assert [h.text_content() for h in co.xpath('.//*[contains(@class, "picker-heading")]')] == ["Đơn vị", "Cán bộ"]
    assert f"p:{more.spec_bcvt.pk}" in co.xpath('.//input[@name="co"]/@value')
    r = c.post(f"/van-ban/{doc.pk}/phan-cong/", {"main": f"u:{more.cds.pk}", "co": [f"p:{more.spec_bcvt.pk}"],
                                                "info": [f"p:{more.spec2.pk}", f"u:{more.vp.pk}"]})
    assert r.status_code == 302
    made = {(a.role, a.user_id, a.unit_id) for a in Assignment.objects.filter(document=doc)}
    assert made == {("main", None, more.cds.pk), ("co", more.spec_bcvt.pk, None), ("info", more.spec2.pk, None),
                    ("info", None, more.vp.pk)}


def test_the_unit_head_involves_another_unit_from_the_reassign_page(more, login):
    from tests.workflow.walk import assigned

    doc = assigned(more)
    c = login(more.head)
    tree = page_of(c.get(f"/van-ban/{doc.pk}/phan-cong/"))
    assert f"u:{more.vp.pk}" in tree.xpath('//input[@name="co"]/@value')
    assert f"u:{more.cds.pk}" not in tree.xpath('//input[@name="co"]/@value')  # not their own unit
    r = c.post(f"/van-ban/{doc.pk}/phan-cong/", {"handler": more.spec.pk, "co": [more.spec2.pk],
                                                "info": [f"u:{more.vp.pk}"]})
    assert r.status_code == 302
    assert Assignment.objects.filter(document=doc, unit=more.vp, role="info", parent__unit=more.cds).exists()


def test_the_agency_admin_adds_a_group_of_their_agency_and_sees_no_province_scope(more, login):
    c = login(more.admin)
    tree = page_of(c.get("/quan-tri/nhom-noi-nhan/"))
    assert tree.xpath('//input[@name="scope"]/@value') == [str(more.agency.pk)]
    assert "Các sở, ban, ngành" not in tree.text_content()  # the province's, kept by the platform admin
    before = AuditEntry.objects.filter(action="recipient_group.save").count()
    r = c.post("/quan-tri/nhom-noi-nhan/", {"scope": more.agency.pk, "name": "Phối hợp chuyển đổi số",
                                            "members": [more.other.pk, more.snv.pk], "active": "on"})
    assert r.status_code == 302
    group = RecipientGroup.objects.get(name="Phối hợp chuyển đổi số")
    assert group.agency == more.agency and set(group.members.all()) == {more.other, more.snv}
    assert AuditEntry.objects.filter(action="recipient_group.save").count() == before + 1
    # a refused form says why next to the field and keeps the name typed
    tree = page_of(c.post("/quan-tri/nhom-noi-nhan/", {"scope": more.agency.pk, "name": "Nhóm trống"}))
    assert tree.xpath(f'//*[@id="new{more.agency.pk}_members-error"]')[0].text_content().strip() == (
        "Chọn ít nhất một cơ quan trong nhóm.")
    assert tree.xpath(f'//*[@id="new{more.agency.pk}_name"]/@value') == ["Nhóm trống"]
    # a province-wide scope or another agency's group is not theirs
    assert c.post("/quan-tri/nhom-noi-nhan/", {"scope": "", "name": "X", "members": [more.snv.pk]}).status_code == 404
    assert c.post("/quan-tri/nhom-noi-nhan/", {"group": more.theirs.pk, "name": "X",
                                               "members": [more.snv.pk]}).status_code == 404
    assert not RecipientGroup.objects.filter(name="X").exists()


def test_the_platform_admin_keeps_the_province_groups_and_a_specialist_may_not_enter(more, login):
    c = login(more.platform)
    r = c.post("/quan-tri/nhom-noi-nhan/", {"group": more.sectors.pk, "name": "Các sở, ban, ngành",
                                            "members": [more.other.pk, more.snv.pk]})
    assert r.status_code == 302
    more.sectors.refresh_from_db()
    assert set(more.sectors.members.all()) == {more.other, more.snv} and not more.sectors.active
    assert login(more.spec).get("/quan-tri/nhom-noi-nhan/").status_code == 403


def test_an_issuer_typed_as_the_directory_names_it_gets_its_code_and_a_company_stays_free_text(more, login):
    c = login(more.clerk)
    for name, code in (("Sở Nội vụ", "000.00.02.H90"), ("Công ty TNHH Minh Phát", "")):
        scan = io.BytesIO(PDF)
        scan.name = "ban-quet.pdf"
        r = c.post("/van-ban-den/tiep-nhan/", {"issuer_name": name, "document_type": doc_type("CV").pk,
                                              "subject": f"Thư của {name}", "urgency": "0", "scan": scan})
        assert r.status_code == 302
        doc = Document.objects.get(subject=f"Thư của {name}")
        assert (doc.issuer_name, doc.issuer_code) == (name, code)
    tree = page_of(c.get("/van-ban-den/tiep-nhan/"))
    assert tree.xpath('//*[@data-picker="fill"]//input[@name="issuer_name"]')


def test_the_search_answers_quickly_over_a_large_directory(more, login):
    """A province's directory with its communes' bodies: 3,000 agencies, answered well within a keystroke's wait."""
    import time

    from vpdt.directory.models import Agency

    Agency.objects.bulk_create([Agency(code=f"{v:03d}.{z:02d}.31.H90", name=f"Trường Tiểu học số {v} xã {z}",
                                       abbreviation="TH", level=4) for v in range(1, 101) for z in range(1, 31)])
    c = login(more.spec)
    c.get(SEARCH, {"q": "tai chinh"})  # the first request folds the names once per process
    started = time.perf_counter()
    items = c.get(SEARCH, {"q": "tai chinh", "nhom": "1"}).json()["items"]
    elapsed = time.perf_counter() - started
    assert [i["label"] for i in items] == ["Sở Tài chính"]
    print(f"search over {Agency.objects.count()} agencies: {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0
    # a broad search is cut at 40 results, never the whole directory
    assert len(c.get(SEARCH, {"q": "truong"}).json()["items"]) == 40


def test_a_refused_reassignment_keeps_the_units_and_people_chosen(more, login):
    import datetime as dt

    from tests.workflow.walk import assigned

    doc = assigned(more, deadline=dt.date.today() + dt.timedelta(days=5))
    later = (dt.date.today() + dt.timedelta(days=9)).strftime("%d/%m/%Y")
    tree = page_of(login(more.head).post(f"/van-ban/{doc.pk}/phan-cong/", {
        "handler": more.spec.pk, "co": [more.spec2.pk, f"u:{more.vp.pk}"], "info": [f"u:{more.bcvt.pk}"],
        "deadline": later}))
    assert tree.xpath('//*[@id="deadline-error"]')
    assert set(tree.xpath('//input[@name="co"][@checked]/@value')) == {str(more.spec2.pk), f"u:{more.vp.pk}"}
    assert set(tree.xpath('//input[@name="info"][@checked]/@value')) == {f"u:{more.bcvt.pk}"}
    assert not Assignment.objects.filter(document=doc, parent__isnull=False).exists()


def test_the_platform_admin_may_add_their_own_agency_to_a_province_group_and_nobody_else_theirs(more, login):
    c = login(more.platform)  # a person of the Sở KH&CN
    labels = [i["label"] for i in c.get(SEARCH, {"q": "khoa hoc", "ca-minh": "1"}).json()["items"]]
    assert labels == ["Sở Khoa học và Công nghệ"]
    assert c.get(SEARCH, {"q": "khoa hoc"}).json()["items"] == []
    tree = page_of(c.get("/quan-tri/nhom-noi-nhan/"))
    province = tree.xpath('//form[.//input[@name="scope"][@value=""]]//*[@data-picker="remote"]/@data-url')
    assert province == [f"{SEARCH}?ca-minh=1"]
    assert login(more.spec).get(SEARCH, {"q": "khoa hoc", "ca-minh": "1"}).json()["items"] == []


def test_a_group_chosen_on_the_drafts_page_updates_its_recipients(more, login):
    from tests.workflow.walk import draft

    doc = draft(more)
    c = login(more.spec)
    tree = page_of(c.get(f"/van-ban/{doc.pk}/"))
    assert set(tree.xpath('//select[@name="agencies"]//option[@selected]/@value')) == {str(more.other.pk)}
    assert tree.xpath('//input[@name="groups"]/@value') == [str(more.sectors.pk)]
    r = c.post(f"/van-ban/{doc.pk}/recipients/", {"units": [more.vp.pk], "groups": [more.sectors.pk]})
    assert r.status_code == 302
    assert set(Recipient.objects.filter(document=doc, agency__isnull=False).values_list(
        "agency__code", flat=True)) == {"000.00.03.H90", "000.00.02.H90"}
    tree = page_of(c.post(f"/van-ban/{doc.pk}/recipients/", {"groups": [more.theirs.pk]}))
    assert tree.xpath('//*[@id="groups-error"]')[0].text_content().strip() == "Nhóm nơi nhận không dùng được."
    assert Recipient.objects.filter(document=doc, agency__code="000.00.02.H90").exists()
