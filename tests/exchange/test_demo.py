"""The demo province: every agency is a system on the embedded hub, with matching credentials."""

import pytest

from tests import factories
from vpdt.exchange import demo
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
        assert connection.endpoint == "http://127.0.0.1:8000/hub"
        hub_agency = HubAgency.objects.using("hub").select_related("system").get(code=agency.code)
        assert hub_agency.system.system_id == connection.system_id
        assert "fernet:" in connection.secret_encrypted and connection.secret not in connection.secret_encrypted
