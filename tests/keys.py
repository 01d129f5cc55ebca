"""Secret keys of the processes the tests start. There is no default key (vpdt.core.secret_keys):
the suite's own comes from pyproject.toml ([tool.pytest.ini_options] env, pytest-env), and an
e-office process a test starts gets it explicitly from here (a standalone hub gets its own in
tests/hub/procs.py)."""

from __future__ import annotations

import os

# The test run's key (pyproject.toml), for e-office processes that share its databases.
SECRET_KEY = os.environ["VPDT_SECRET_KEY"]


def eoffice_env(env: dict[str, str]) -> dict[str, str]:
    """`env` with the e-office key of the test run."""
    return {**env, "VPDT_SECRET_KEY": SECRET_KEY}

