"""The pages are tested on the same agency as workflow's services (every role, a second agency)."""

from __future__ import annotations

import pytest

from tests.records.conftest import book_world, register_ca  # noqa: F401 - the registers' year (issue 14)
from tests.workflow.conftest import world  # noqa: F401 - fixtures shared with tests/workflow


@pytest.fixture
def login(client):
    """The test client, signed in as `user`."""
    def as_(user):
        client.force_login(user)
        return client
    return as_
