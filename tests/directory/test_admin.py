"""Django admin scoped per agency: an agency admin sees only their own people."""

from __future__ import annotations

import pytest

from tests import factories
from vpdt.directory.roles import Role

pytestmark = pytest.mark.django_db


def test_agency_admin_sees_and_edits_only_their_own_agency(client):
    a = factories.agency("000.00.13.H90", abbreviation="SKHCN")
    b = factories.agency("000.00.03.H90", abbreviation="STC")
    admin_a = factories.person(a, Role.AGENCY_ADMIN, username="qtri_a")
    admin_a.is_staff = True
    admin_a.save()
    factories.person(a, Role.SPECIALIST, username="nguoi_a")
    other = factories.person(b, Role.SPECIALIST, username="nguoi_b")
    client.force_login(admin_a)
    listing = client.get("/admin/directory/user/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "nguoi_a" in page and "nguoi_b" not in page
    assert client.get(f"/admin/directory/user/{other.pk}/change/").status_code in (302, 403, 404)
    # Agencies themselves are the platform admin's.
    assert client.get("/admin/directory/agency/").status_code == 403


def test_platform_admin_sees_every_agency(client):
    factories.agency("000.00.13.H90")
    factories.agency("000.00.03.H90")
    root = factories.person(factories.agency("000.00.00.H90"), Role.PLATFORM_ADMIN, username="root")
    root.is_staff = True
    root.save()
    client.force_login(root)
    page = client.get("/admin/directory/agency/").content.decode()
    assert "000.00.13.H90" in page and "000.00.03.H90" in page


def test_a_specialist_cannot_enter_the_admin(client):
    person = factories.person(factories.agency(), Role.SPECIALIST)
    client.force_login(person)
    assert client.get("/admin/").status_code == 302
