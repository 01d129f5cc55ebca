"""Secret keys of the processes the tests start. There is no default key (vpdt.core.secret_keys):
the suite's own comes from pyproject.toml ([tool.pytest.ini_options] env, pytest-env), and a
process a test starts gets one explicitly from here."""

from __future__ import annotations

import os

# The test run's key (pyproject.toml), for e-office processes that share its databases.
SECRET_KEY = os.environ["VPDT_SECRET_KEY"]


def eoffice_env(env: dict[str, str]) -> dict[str, str]:
    """`env` with the e-office key of the test run."""
    return {**env, "VPDT_SECRET_KEY": SECRET_KEY}


def hub_key(name: str) -> str:
    """A standalone test hub's own key: one per hub name, the same across its restarts."""
    return f"vpdt-tests-hub-{name}-secret-key-never-deployed-0123456789"
