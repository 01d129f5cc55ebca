"""The process keeps one VXP client per hub connection (vpdt.exchange.clients): the same client
while the connection is unchanged, a new one when its endpoint or secret changes, and the secret
is not decrypted to tell (the send job asks for every message it sends)."""

from __future__ import annotations

import pytest

from vpdt.exchange import clients, crypto
from vpdt.exchange.models import HubConnection

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub_connection():
    conn = HubConnection(endpoint="http://truc.tinh", system_id="vpdt-tn")
    conn.set_secret("bí mật cũ")
    conn.save()
    yield conn
    clients.close_all()


def test_the_same_client_while_the_connection_is_unchanged(hub_connection):
    first = clients.shared(hub_connection)
    assert clients.shared(HubConnection.objects.get(pk=hub_connection.pk)) is first


def test_a_new_secret_gives_a_new_client_that_signs_with_it(hub_connection):
    first = clients.shared(hub_connection)
    hub_connection.set_secret("bí mật mới")
    hub_connection.save()
    second = clients.shared(HubConnection.objects.get(pk=hub_connection.pk))
    assert second is not first
    assert second.secret == "bí mật mới" and first.secret == "bí mật cũ"


def test_a_new_endpoint_gives_a_new_client(hub_connection):
    first = clients.shared(hub_connection)
    hub_connection.endpoint = "http://truc-moi.tinh"
    hub_connection.save()
    assert clients.shared(HubConnection.objects.get(pk=hub_connection.pk)) is not first


def test_a_known_connection_is_not_decrypted_again(hub_connection, monkeypatch):
    clients.shared(hub_connection)
    calls = []
    decrypt = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda value: calls.append(value) or decrypt(value))
    clients.shared(HubConnection.objects.get(pk=hub_connection.pk))
    assert calls == []
