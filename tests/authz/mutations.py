"""A pytest plugin that changes one rule of the code, for tests/authz/test_rule_change.py.

Loaded with `-p tests.authz.mutations` in a separate pytest run; `VPDT_AUTHZ_MUTATION` names
the change. Never loaded by the suite itself.
"""

from __future__ import annotations

import os

import pytest


def _leaders_release(monkeypatch):
    """Leaders may release (phát hành) too, not only the clerk."""
    from vpdt.directory.roles import Role
    from vpdt.workflow.services import common, outgoing

    original = outgoing.check_release

    def check_release(user, document):
        if common._has(user, Role.LEADER, document.agency_id):
            common._state(document, ["approved"], "Chỉ phát hành văn bản đã duyệt ký.")
            return
        original(user, document)

    monkeypatch.setattr(outgoing, "check_release", check_release)


MUTATIONS = {"leaders_release": _leaders_release}


@pytest.fixture(autouse=True)
def _mutation(monkeypatch):
    name = os.environ.get("VPDT_AUTHZ_MUTATION")
    if name:
        MUTATIONS[name](monkeypatch)
    yield
