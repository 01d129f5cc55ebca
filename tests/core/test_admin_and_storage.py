"""Django admin scoped per agency; blob storage chosen by settings alone."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from tests import factories
from vpdt.core import blobs
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


def test_blobs_work_through_any_django_storage_backend(settings):
    """A non-filesystem backend (as S3 is) takes the streamed, generic path."""
    settings.STORAGES = {**settings.STORAGES, "blobs": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    blob = blobs.store_stream(io.BytesIO(b"tep tren kho doi tuong"))
    assert blobs.local_path(blob) is None
    assert b"".join(blobs.iter_blob(blob)) == b"tep tren kho doi tuong"


def test_s3_storage_is_selected_by_settings_alone(tmp_path):
    env = {**os.environ, "VPDT_BLOB_STORAGE": "s3", "VPDT_S3_BUCKET": "van-ban",
           "VPDT_S3_ENDPOINT_URL": "http://127.0.0.1:9", "VPDT_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "vpdt.settings"}
    code = ("import django; django.setup(); from django.core.files.storage import storages; "
            "s = storages['blobs']; print(type(s).__module__, s.bucket_name, s.endpoint_url)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["storages.backends.s3", "van-ban", "http://127.0.0.1:9"]
