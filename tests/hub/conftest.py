"""Hub test fixtures: a hub on the test database, reached through its WSGI app by VxpClient."""

from __future__ import annotations

import httpx
import pytest

H53 = "000.00.00.H53"  # UBND tỉnh Tây Ninh
STT = "000.00.13.H53"  # Sở TT&TT
XA = "000.30.38.H53"  # UBND xã Phước Lưu


@pytest.fixture
def hub(settings, tmp_path):
    """Settings of an in-process hub with its data dir in tmp_path; returns the data dir."""
    settings.HUB_DATA_DIR = str(tmp_path / "hubdata")
    settings.HUB_MIN_FREE_BYTES = 0
    settings.HUB_MAX_PACKAGE_BYTES = 2 * 1024 * 1024
    settings.ROOT_URLCONF = "vpdt.hub.standalone_urls"
    return tmp_path / "hubdata"


@pytest.fixture
def agencies(hub):
    from vpdt.hub import services

    services.add_agency(H53, "UBND tỉnh Tây Ninh", system_id="sys.h53", secret="secret-h53")
    services.add_agency(STT, "Sở TT&TT Tây Ninh", system_id="sys.stt", secret="secret-stt", parent_code=H53)
    services.add_agency(XA, "UBND xã Phước Lưu", system_id="sys.xa", secret="secret-xa")
    return {H53: ("sys.h53", "secret-h53"), STT: ("sys.stt", "secret-stt"), XA: ("sys.xa", "secret-xa")}


@pytest.fixture
def connect(hub):
    """connect(system_id, secret) -> VxpClient talking to the hub's WSGI app, SDK habits on."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from vpdt.vxp.client import VxpClient

    # As django.test.Client does: keep the test transaction's connection open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    clients = []

    def make(system_id: str, secret: str, **kw) -> VxpClient:
        kw.setdefault("sdk_quirks", True)
        client = VxpClient("http://testserver/", system_id, secret,
                           transport=httpx.WSGITransport(app=WSGIHandler()), **kw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
