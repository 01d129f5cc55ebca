"""Who may hold an agency code: the operator registers codes; a system registers children over
VXP only strictly below a subtree the operator granted it, never a code held here or upstream."""

from __future__ import annotations

import re

import pytest

from vpdt.hub import services
from vpdt.hub.models import Agency, Grant, LogEntry, RefusedRequest
from vpdt.vxp import protocol as vxp
from vpdt.vxp.client import VxpRemoteError

from . import factories
from .conftest import H53, STT, XA

pytestmark = pytest.mark.django_db(databases=["default", "hub"])

MINISTRY = "000.00.00.G12"  # Bộ Nội vụ: registered nowhere here
VENDOR = ("sys.vendor", "secret-vendor")


@pytest.fixture
def vendor(agencies):
    """Another vendor's system serving one agency under Sở TT&TT, granted only below that agency."""
    services.add_agency("000.01.13.H53", "Trung tâm CNTT", system_id=VENDOR[0], secret=VENDOR[1], parent_code=STT)
    services.grant_subtree(VENDOR[0], "000.01.13.H53")
    return VENDOR


def refused(call, error: vxp.ErrorCode) -> VxpRemoteError:
    before = set(Agency.objects.using("hub").values_list("code", "active", "system_id"))
    with pytest.raises(VxpRemoteError) as info:
        call()
    assert info.value.code == error.code, info.value.description
    assert info.value.description.startswith(error.message)  # the Vietnamese message, then the detail
    assert set(Agency.objects.using("hub").values_list("code", "active", "system_id")) == before  # nothing registered
    return info.value


def registrations() -> list[tuple[str, str, str]]:
    return list(LogEntry.objects.using("hub").filter(action__in=["registered", "unregistered"])
                .values_list("action", "to_code", "system_id"))


@pytest.mark.backends
def test_unregistered_ministry_code_cannot_be_claimed(vendor, connect):
    client = connect(*vendor)
    error = refused(lambda: client.register_agency(code=MINISTRY, name="Bộ Nội vụ"), vxp.NOT_ALLOWED)
    assert "granted: *.01.13.H53" in error.description
    refused(lambda: client.register_agency(code="001.00.00.G12", name="Vụ", pcode=MINISTRY), vxp.NOT_ALLOWED)


def test_code_under_another_systems_agency_cannot_be_claimed(vendor, connect):
    client = connect(*vendor)
    # below Sở TT&TT (held by sys.stt), outside the vendor's grant *.01.13.H53
    refused(lambda: client.register_agency(code="000.02.13.H53", name="Phòng", pcode=STT), vxp.NOT_ALLOWED)
    refused(lambda: client.register_agency(code="001.30.38.H53", name="Thôn", pcode=XA), vxp.NOT_ALLOWED)
    # a pcode outside the grant with a code inside it
    refused(lambda: client.register_agency(code="001.01.13.H53", name="Tổ", pcode=H53), vxp.NOT_ALLOWED)
    # the granted root itself is the operator's, not a child
    refused(lambda: client.register_agency(code="000.01.13.H53", name="đổi tên"), vxp.NOT_ALLOWED)


@pytest.mark.backends
def test_code_already_held_inside_the_grant_is_refused(vendor, connect, agencies):
    services.add_agency("002.01.13.H53", "Tổ đã có", system_id="sys.stt", secret="secret-stt")
    services.add_downstream("hub.xa", "secret-hub", ["000.09.01.13.H53"])  # a downstream hub's subtree
    client = connect(*vendor)
    refused(lambda: client.register_agency(code="002.01.13.H53", name="chiếm"), vxp.AGENCY_EXISTS)
    error = refused(lambda: client.register_agency(code="001.09.01.13.H53", name="chiếm"), vxp.AGENCY_EXISTS)
    assert "hub.xa" in error.description


@pytest.mark.backends
def test_granted_child_is_accepted_logged_can_send_and_is_removed(vendor, connect, tmp_path):
    client = connect(*vendor)
    child = "001.01.13.H53"
    client.register_agency(code=child, name="Tổ phần mềm", pcode="000.01.13.H53", mail="pm@tayninh.gov.vn")
    client.register_agency(code=child, name="Tổ phần mềm", pcode="000.01.13.H53")  # the SDK's retry: same answer
    agency = Agency.objects.using("hub").get(code=child)
    assert agency.active and agency.system.system_id == VENDOR[0]
    assert ("registered", child, VENDOR[0]) in registrations()
    assert LogEntry.objects.using("hub").filter(action="granted", to_code="000.01.13.H53").exists()

    # it sends with its new code, and cannot send with another system's
    pkg = factories.document(tmp_path / "d.edxml", from_code=child, to=[STT])
    assert client.send_edoc(pkg, from_code=child, to=[STT])
    forged = factories.document(tmp_path / "f.edxml", from_code=STT, to=[H53])
    with pytest.raises(VxpRemoteError) as info:
        client.send_edoc(forged, from_code=STT, to=[H53])
    assert info.value.code == vxp.FORGED_FROM.code

    # deleteAgency: not the operator's root, not another system's; its own child yes
    refused(lambda: client.delete_agency("000.01.13.H53"), vxp.NOT_ALLOWED)
    refused(lambda: client.delete_agency(STT), vxp.NOT_ALLOWED)
    client.delete_agency(child)
    assert not Agency.objects.using("hub").get(code=child).active
    assert ("unregistered", child, VENDOR[0]) in registrations()
    assert services.verify_log().ok


@pytest.mark.backends
def test_operator_grants_revokes_and_removes(vendor, connect):
    client = connect(*vendor)
    client.register_agency(code="001.01.13.H53", name="Tổ", pcode="000.01.13.H53")
    assert services.revoke_subtree(VENDOR[0], "000.01.13.H53")
    assert not Grant.objects.using("hub").exists()
    refused(lambda: client.register_agency(code="002.01.13.H53", name="Tổ 2"), vxp.NOT_ALLOWED)
    refused(lambda: client.delete_agency("001.01.13.H53"), vxp.NOT_ALLOWED)
    services.remove_agency("001.01.13.H53")
    actions = list(LogEntry.objects.using("hub").values_list("action", "to_code"))
    assert ("revoked", "000.01.13.H53") in actions and ("unregistered", "001.01.13.H53") in actions
    with pytest.raises(vxp.VxpError) as info:
        services.grant_subtree("no.such.system", H53)
    assert info.value.code == vxp.UNKNOWN_SYSTEM.code


def test_refused_registrations_are_recorded_with_their_reason(vendor, connect):
    client = connect(*vendor)
    with pytest.raises(VxpRemoteError):
        client.register_agency(code=MINISTRY, name="Bộ Nội vụ")
    (row,) = RefusedRequest.objects.using("hub").all()
    assert (row.system_id, row.operation, row.error_code, row.authenticated) == (
        VENDOR[0], "registerAgency", vxp.NOT_ALLOWED.code, True)
    assert MINISTRY in row.reason
    assert services.refused(VENDOR[0])[0].pk == row.pk


@pytest.mark.e2e
def test_code_known_upstream_is_refused_and_an_unreachable_directory_fails_closed(vendor, connect, tmp_path,
                                                                                  settings):
    from .procs import HubProcess, run_all

    national = HubProcess("national", tmp_path)
    run_all({national: [("add-downstream", H53, "--system-id", "hub.h53", "--secret", "n-p1"),
                        ("add-agency", "003.01.13.H53", "Đơn vị đăng ký ở trục quốc gia", "--system-id", "sys.n",
                         "--secret", "n")]})
    national.start()
    services.registry._upstream_codes.clear()
    try:
        services.set_upstream(national.url, "hub.h53", "n-p1")
        client = connect(*vendor)
        refused(lambda: client.register_agency(code="003.01.13.H53", name="chiếm"), vxp.AGENCY_UPSTREAM)
        client.register_agency(code="004.01.13.H53", name="Tổ mới")  # not listed upstream
        assert Agency.objects.using("hub").get(code="004.01.13.H53").active
    finally:
        national.stop()
    settings.HUB_UPSTREAM_DIRECTORY_SECONDS = 0  # the cached copy is stale: ask again, and fail
    refused(lambda: client.register_agency(code="005.01.13.H53", name="Tổ"), vxp.UPSTREAM_UNREACHABLE)
    services.registry._upstream_codes.clear()


@pytest.mark.e2e
def test_operator_commands_grant_list_remove_and_show_refusals(tmp_path):
    from .procs import HubProcess, run_all

    hub = HubProcess("p", tmp_path)
    (out,) = run_all({hub: [("add-agency", STT, "Sở TT&TT", "--system-id", "sys.stt", "--secret", "s"),
                            ("grant-subtree", "sys.stt", STT), ("grants",)]})
    assert "*.13.H53" in out and "sys.stt\t000.00.13.H53\t*.13.H53" in out
    hub.start()
    try:
        with hub.client("sys.stt", "s") as client:
            client.register_agency(code="001.00.13.H53", name="Phòng", pcode=STT)
            with pytest.raises(VxpRemoteError):
                client.register_agency(code=MINISTRY, name="Bộ")
    finally:
        hub.stop()
    (out,) = run_all({hub: [("refused",), ("remove-agency", "001.00.13.H53"), ("revoke-subtree", "sys.stt", STT),
                            ("grants",), ("verify-log",)]})
    refusal = next(line for line in out.splitlines() if "registerAgency" in line)
    assert "sys.stt" in refusal and "\t403\t" in refusal and MINISTRY in refusal
    assert re.match(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}\t", refusal), refusal  # dd/mm/yyyy, local time
    assert "Đã gỡ đơn vị 001.00.13.H53" in out and "Đã thu hồi" in out and "OK" in out
