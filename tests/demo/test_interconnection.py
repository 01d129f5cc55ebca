"""The demo province: every agency is a system on the embedded hub, with matching credentials."""

import pytest

from tests import factories
from vpdt.demo import interconnection as demo
from vpdt.exchange.models import HubConnection
from vpdt.hub.models import Agency as HubAgency

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def test_extend_demo_registers_each_agency_on_the_hub_with_its_connection(settings, tmp_path):
    settings.HUB_DATA_DIR = str(tmp_path)
    a = factories.agency(code="000.00.01.H90")
    b = factories.agency(code="000.00.02.H90")
    demo.extend_demo({})
    assert set(HubAgency.objects.using("hub").values_list("code", flat=True)) >= {a.code, b.code}
    for agency in (a, b):
        connection = HubConnection.objects.get(agencies=agency)
        # A path: the hub embedded in this e-office, wherever `vpdt serve` listens.
        assert connection.endpoint == "/hub"
        hub_agency = HubAgency.objects.using("hub").select_related("system").get(code=agency.code)
        assert hub_agency.system.system_id == connection.system_id
        assert "fernet:" in connection.secret_encrypted and connection.secret not in connection.secret_encrypted


def test_embedded_endpoint_follows_the_served_address(settings):
    from vpdt.exchange.connections import resolve_endpoint

    settings.VPDT_SITE_URL = "http://127.0.0.1:8020"
    assert resolve_endpoint("/hub") == "http://127.0.0.1:8020/hub"
    assert resolve_endpoint("http://truc.example:8100") == "http://truc.example:8100"


def test_demo_registers_an_outside_vendor_system_on_the_hub_only(settings, tmp_path):
    settings.HUB_DATA_DIR = str(tmp_path)
    factories.agency(code="000.00.00.H90")
    demo.extend_demo({})
    outside = HubAgency.objects.using("hub").select_related("system").get(code=demo.OUTSIDE_CODE)
    assert outside.system.system_id == demo.OUTSIDE_SYSTEM_ID
    assert not HubConnection.objects.filter(agencies__code=demo.OUTSIDE_CODE).exists()
    assert any(demo.OUTSIDE_SECRET in line for line in demo.banner())
