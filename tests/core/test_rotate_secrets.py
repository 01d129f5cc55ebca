"""`vpdt rotate-secrets`: every sealed column moves from key A to key B (A a fallback meanwhile);
then, without A, everything still opens. Idempotent, all or nothing, counts printed."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from tests import factories
from vpdt.core import sealed
from vpdt.exchange.models import HubConnection
from vpdt.hub import credentials
from vpdt.hub.models import System, Upstream

KEY_A = "rotation-test-key-A-0123456789-abcdefghijklmnopqrstuvwxyz"
KEY_B = "rotation-test-key-B-0123456789-abcdefghijklmnopqrstuvwxyz"


def test_every_encrypted_column_is_declared_for_rotation():
    columns = {(m._meta.label, f.name) for m in apps.get_models() for f in m._meta.get_fields()
               if f.name.endswith("_encrypted")}
    assert columns and columns <= set(sealed.registered())


def _rotate() -> str:
    out = io.StringIO()
    call_command("rotate_secrets", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(databases=["default", "hub"])
@pytest.mark.backends
def test_rotate_from_a_to_b_then_drop_a(settings):
    from vpdt.signing.keys import open_secret
    from vpdt.signing.models import SigningKey
    from vpdt.signing.services import store_remote_key

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = KEY_A, []
    agency = factories.agency("000.00.13.H90", abbreviation="SKHCN")
    key = store_remote_key(agency=agency, url="https://ky.example/", key_id="k1", api_key="khóa API bí mật")
    connection = HubConnection(endpoint="/hub", system_id="vpdt-h01")
    connection.set_secret("bí mật của kết nối")
    connection.save()
    system = System.objects.create(system_id="vpdt-h01", secret_encrypted=credentials.encrypt("bí mật ở trục"))
    upstream = Upstream.objects.create(url="http://tw.example/", system_id="tinh",
                                       secret_encrypted=credentials.encrypt("bí mật trục trên"))
    before = HubConnection.objects.get(pk=connection.pk).secret_encrypted

    settings.SECRET_KEY = KEY_B  # A forgotten: nothing opens, nothing changes
    with pytest.raises(CommandError, match="VPDT_SECRET_KEY_FALLBACKS"):
        _rotate()
    assert HubConnection.objects.get(pk=connection.pk).secret_encrypted == before

    settings.SECRET_KEY_FALLBACKS = [KEY_A]
    out = _rotate()
    assert "exchange.HubConnection.secret_encrypted: 1 mã hóa lại, 0 đã dùng khóa mới" in out
    assert "signing.SigningKey.remote_api_key_encrypted: 1 mã hóa lại" in out
    assert "hub.System.secret_encrypted: 1 mã hóa lại" in out and "hub.Upstream.secret_encrypted: 1 mã hóa lại" in out
    assert "bỏ khóa cũ khỏi VPDT_SECRET_KEY_FALLBACKS" in out
    again = _rotate()  # idempotent: nothing left to move
    assert "exchange.HubConnection.secret_encrypted: 0 mã hóa lại, 1 đã dùng khóa mới" in again
    assert "Tổng cộng 0 khóa" in again

    settings.SECRET_KEY_FALLBACKS = []
    assert HubConnection.objects.get(pk=connection.pk).secret == "bí mật của kết nối"
    assert credentials.decrypt(System.objects.get(pk=system.pk).secret_encrypted) == "bí mật ở trục"
    assert credentials.decrypt(Upstream.objects.get(pk=upstream.pk).secret_encrypted) == "bí mật trục trên"
    assert open_secret(SigningKey.objects.get(pk=key.pk).remote_api_key_encrypted) == "khóa API bí mật".encode()


@pytest.mark.slow
def test_the_standalone_hub_rotates_its_own_key(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(VPDT_HUB_DATA_DIR=str(tmp_path), VPDT_HUB_SECRET_KEY=KEY_A)

    def hub(*args, **extra):
        return subprocess.run([sys.executable, "-m", "vpdt.cli", "hub", *args], env={**env, **extra},
                              capture_output=True, text=True, timeout=120)

    assert hub("add-agency", "000.00.13.H90", "Sở KH&CN", "--system-id", "s1", "--secret", "x").returncode == 0
    moved = hub("rotate-secrets", VPDT_HUB_SECRET_KEY=KEY_B, VPDT_HUB_SECRET_KEY_FALLBACKS=KEY_A)
    assert moved.returncode == 0, moved.stderr
    assert "hub.System.secret_encrypted: 1 mã hóa lại" in moved.stdout and "VPDT_HUB_SECRET_KEY_FALLBACKS" in moved.stdout
    stale = hub("rotate-secrets")  # under A again: the secret is now B's, A opens nothing
    assert stale.returncode == 1 and "VPDT_HUB_SECRET_KEY_FALLBACKS" in stale.stderr
