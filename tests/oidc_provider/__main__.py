"""Run the local OpenID Connect provider: `python -m tests.oidc_provider CONFIG.json`.

It binds a free port on 127.0.0.1 first (so the issuer, which names the port, is known before
Django starts), creates its database, signing key, people and the one client application from
CONFIG, prints `READY <issuer>` and serves until killed.
"""

import json
import os
import socket
import sys
import tempfile
from pathlib import Path


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    workdir = Path(config.get("workdir") or tempfile.mkdtemp(prefix="oidc-provider-"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    issuer = f"http://127.0.0.1:{sock.getsockname()[1]}/o"

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = workdir / "signing-key.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.environ.update(OIDC_TEST_ISSUER=issuer, OIDC_TEST_DATABASE=str(workdir / "provider.sqlite3"),
                      OIDC_TEST_KEY_FILE=str(key_file), DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)

    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    for person in config["users"]:
        User.objects.create_user(**person)
    Application.objects.create(
        name="vpdt", client_id=config["client_id"], client_secret=config["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=config["redirect_uri"], algorithm=Application.RS256_ALGORITHM, skip_authorization=True,
    )

    from django.core.wsgi import get_wsgi_application
    from waitress import serve

    print(f"READY {issuer}", flush=True)
    serve(get_wsgi_application(), sockets=[sock], threads=4, _quiet=True)


if __name__ == "__main__":
    main(sys.argv[1])
