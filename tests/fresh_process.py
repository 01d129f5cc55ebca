"""Run a Django script in a fresh process on its own new SQLite databases (migration tests:
what a deployment's `migrate` does, away from the test run's databases)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests import keys


def run_django_script(script: str, tmp_path) -> dict:
    """Run `script` (it sets Django up and prints one JSON line last); return that JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_")}
    env.update(VPDT_DATABASE_URL=f"sqlite:///{tmp_path / 'vpdt.sqlite3'}",
               VPDT_HUB_DATABASE_URL=f"sqlite:///{tmp_path / 'hub.sqlite3'}",
               VPDT_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="vpdt.settings",
               VPDT_SECRET_KEY=keys.SECRET_KEY)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
