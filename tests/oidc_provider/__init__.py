"""A real OpenID Connect provider for the single sign-on tests, started in a subprocess.

It is django-oauth-toolkit (a maintained OAuth 2 / OIDC server) with OIDC enabled in a tiny
Django project of its own (`settings.py`, `urls.py`): discovery, JWKS (RS256), authorize with
PKCE required, token, userinfo, and a login form the browser fills. Nothing of the protocol
is mocked: vpdt talks to it over HTTP as it would to a province's single sign-on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(workdir: Path, *, redirect_uri: str, users: list[dict], client_id: str = "vpdt-test",
          client_secret: str = "vpdt-test-secret-0123456789") -> Provider:
    """Start the provider; return once it answers (its discovery document is served)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.json"
    config.write_text(json.dumps({"workdir": str(workdir), "redirect_uri": redirect_uri, "users": users,
                                  "client_id": client_id, "client_secret": client_secret}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VPDT_", "DJANGO_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")])
    log = open(workdir / "provider.log", "w")  # noqa: SIM115 - the process writes to it until stopped
    process = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider", str(config)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=log, text=True)
    line = process.stdout.readline()  # the provider prints READY only once it listens and is set up
    if not line.startswith("READY "):
        process.kill()
        process.wait()
        raise RuntimeError(f"the test OIDC provider did not start: {(workdir / 'provider.log').read_text()[-3000:]}")
    return Provider(issuer=line.split()[1], client_id=client_id, client_secret=client_secret, process=process)
