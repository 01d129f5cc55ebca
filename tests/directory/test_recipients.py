"""Choosing recipients: the directory searched without accents, groups that expand into their
agencies (only the sender's own or the province's), favourites first; changes audited."""

from __future__ import annotations

import pytest

from tests import factories
from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.directory import recipients
from vpdt.directory.models import RecipientGroup
from vpdt.directory.roles import Role


@pytest.fixture
def province(db):
    a = {
        "ubnd": factories.agency(code="000.00.00.H90", abbreviation="UBND", name="Ủy ban nhân dân tỉnh Bình Sơn"),
        "stc": factories.agency(code="000.00.03.H90", abbreviation="STC", name="Sở Tài chính tỉnh Bình Sơn"),
        "snv": factories.agency(code="000.00.02.H90", abbreviation="SNV", name="Sở Nội vụ tỉnh Bình Sơn"),
        "skhcn": factories.agency(code="000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ"),
        "tanphu": factories.agency(code="000.00.31.H90", abbreviation="UBND", name="Ủy ban nhân dân thị xã Tân Phú"),
        "phumy": factories.agency(code="000.02.31.H90", abbreviation="UBND", name="Ủy ban nhân dân xã Phú Mỹ"),
        "vpcp": factories.agency(code="000.00.00.G22", abbreviation="VPCP", name="Văn phòng Chính phủ"),
    }
    a["spec"] = factories.person(a["skhcn"], Role.SPECIALIST, username="cv")
    a["admin"] = factories.person(a["skhcn"], Role.AGENCY_ADMIN, username="qt")
    a["stc_admin"] = factories.person(a["stc"], Role.AGENCY_ADMIN, username="qtstc")
    a["stc_spec"] = factories.person(a["stc"], Role.SPECIALIST, username="cvstc")
    a["platform"] = factories.person(a["skhcn"], Role.PLATFORM_ADMIN, username="qths")
    return a


def names(agencies) -> list[str]:
    return [a.name for a in agencies]


def test_typing_tai_chinh_without_accents_finds_so_tai_chinh(province):
    assert names(recipients.search_agencies(province["spec"], "tai chinh")) == ["Sở Tài chính tỉnh Bình Sơn"]
    assert names(recipients.search_agencies(province["spec"], "TÀI CHÍNH")) == ["Sở Tài chính tỉnh Bình Sơn"]
    # by code, or by a piece of it
    assert names(recipients.search_agencies(province["spec"], "00.03.H90")) == ["Sở Tài chính tỉnh Bình Sơn"]


def test_the_search_never_offers_the_senders_own_agency_and_orders_by_level(province):
    found = recipients.search_agencies(province["spec"], "so")
    assert "Sở Khoa học và Công nghệ" not in names(found)
    assert names(recipients.search_agencies(province["spec"], "uy ban")) == [
        "Ủy ban nhân dân tỉnh Bình Sơn", "Ủy ban nhân dân thị xã Tân Phú", "Ủy ban nhân dân xã Phú Mỹ"]
    assert [recipients.level_label(a) for a in (province["vpcp"], province["ubnd"], province["stc"],
                                                province["phumy"])] == [
        "Bộ, ngành trung ương", "Cấp tỉnh", "Sở, ban, ngành, cấp huyện", "Cấp xã"]


def test_an_inactive_agency_is_not_offered(province):
    province["snv"].active = False
    province["snv"].save()
    assert recipients.search_agencies(province["spec"], "noi vu") == []


def test_favourites_come_first_and_are_the_persons_own(province):
    spec = province["spec"]
    recipients.set_favourite(spec, province["phumy"], True)
    assert names(recipients.search_agencies(spec, "uy ban"))[0] == "Ủy ban nhân dân xã Phú Mỹ"
    # an empty search lists the favourites only
    assert names(recipients.search_agencies(spec, "")) == ["Ủy ban nhân dân xã Phú Mỹ"]
    # another person's list is untouched
    assert recipients.search_agencies(province["admin"], "") == []
    assert AuditEntry.objects.filter(action="favourite_agency.add", actor_id=spec.pk).count() == 1
    recipients.set_favourite(spec, province["phumy"], False)
    assert recipients.search_agencies(spec, "") == []
    assert AuditEntry.objects.filter(action="favourite_agency.remove", actor_id=spec.pk).count() == 1
    with pytest.raises(InvalidInput):
        recipients.set_favourite(spec, province["skhcn"], True)


def test_a_group_expands_into_its_active_agencies_without_the_sender(province):
    group = recipients.save_group(province["platform"], agency=None, name="Các sở, ban, ngành",
                                  members=[province["stc"], province["snv"], province["skhcn"]])
    mine = recipients.save_group(province["admin"], agency=province["skhcn"], name="Phối hợp chuyển đổi số",
                                 members=[province["stc"], province["ubnd"]])
    expanded = recipients.expand_groups(province["spec"], [group, mine])
    assert names(expanded) == ["Ủy ban nhân dân tỉnh Bình Sơn", "Sở Nội vụ tỉnh Bình Sơn",
                               "Sở Tài chính tỉnh Bình Sơn"]  # each once, the sender left out
    province["snv"].active = False
    province["snv"].save()
    assert "Sở Nội vụ tỉnh Bình Sơn" not in names(recipients.expand_groups(province["spec"], [group]))


def test_a_group_of_another_agency_cannot_be_used(province):
    theirs = recipients.save_group(province["stc_admin"], agency=province["stc"], name="Các phòng tài chính",
                                   members=[province["tanphu"]])
    assert theirs not in recipients.usable_groups(province["spec"])
    with pytest.raises(PermissionDenied) as refused:
        recipients.expand_groups(province["spec"], [theirs])
    assert refused.value.code == "FOREIGN_GROUP"
    # their own people use it
    assert names(recipients.expand_groups(province["stc_spec"], [theirs])) == ["Ủy ban nhân dân thị xã Tân Phú"]


def test_an_inactive_group_is_neither_offered_nor_expanded(province):
    group = recipients.save_group(province["admin"], agency=province["skhcn"], name="Cũ",
                                  members=[province["stc"]], active=False)
    assert not recipients.usable_groups(province["spec"]).filter(pk=group.pk).exists()
    with pytest.raises(PermissionDenied):
        recipients.expand_groups(province["spec"], [group])


def test_who_keeps_which_groups(province):
    with pytest.raises(PermissionDenied):  # a province-wide group is the platform admin's
        recipients.save_group(province["admin"], agency=None, name="UBND các xã", members=[province["phumy"]])
    with pytest.raises(PermissionDenied):  # another agency's group is its admin's
        recipients.save_group(province["admin"], agency=province["stc"], name="Nhóm", members=[province["ubnd"]])
    with pytest.raises(PermissionDenied):  # a specialist keeps none
        recipients.save_group(province["spec"], agency=province["skhcn"], name="Nhóm", members=[province["ubnd"]])
    mine = recipients.save_group(province["admin"], agency=province["skhcn"], name="Nhóm",
                                 members=[province["ubnd"]])
    with pytest.raises(PermissionDenied):
        recipients.save_group(province["stc_admin"], group=mine, agency=province["skhcn"], name="Đổi",
                              members=[province["ubnd"]])
    assert list(recipients.kept_groups(province["admin"])) == [mine]
    assert list(recipients.kept_groups(province["stc_admin"])) == []
    assert RecipientGroup.objects.count() == 1


def test_a_group_needs_a_name_members_and_not_the_agency_itself(province):
    admin, skhcn = province["admin"], province["skhcn"]
    for name, members, code in (("", [province["stc"]], "GROUP_NAME"), ("Nhóm", [], "GROUP_MEMBERS"),
                                ("Nhóm", [skhcn], "GROUP_MEMBERS")):
        with pytest.raises(InvalidInput) as refused:
            recipients.save_group(admin, agency=skhcn, name=name, members=members)
        assert refused.value.code == code
    recipients.save_group(admin, agency=skhcn, name="Nhóm", members=[province["stc"]])
    with pytest.raises(InvalidInput) as refused:
        recipients.save_group(admin, agency=skhcn, name="nhóm", members=[province["snv"]])
    assert refused.value.code == "GROUP_NAME"
    assert RecipientGroup.objects.count() == 1


def test_every_change_of_a_group_is_audited_with_its_members_before_and_after(province):
    group = recipients.save_group(province["admin"], agency=province["skhcn"], name="Nhóm",
                                  members=[province["stc"]])
    recipients.save_group(province["admin"], group=group, agency=province["skhcn"], name="Nhóm phối hợp",
                          members=[province["stc"], province["snv"]])
    entries = list(AuditEntry.objects.filter(action="recipient_group.save").order_by("id"))
    assert len(entries) == 2
    assert entries[1].detail["before"] == {"name": "Nhóm", "active": True, "members": ["000.00.03.H90"]}
    assert entries[1].detail["after"]["members"] == ["000.00.02.H90", "000.00.03.H90"]
    assert entries[1].agency_code == "000.00.13.H90"


def test_an_issuer_typed_as_the_directory_names_it_is_found_and_others_stay_free_text(province):
    assert recipients.issuer_in_directory("so tai chinh tinh binh son").code == "000.00.03.H90"
    assert recipients.issuer_in_directory("Công ty TNHH Minh Phát") is None
    assert recipients.issuer_in_directory("Sở Tài chính") is None  # not exactly a directory name
