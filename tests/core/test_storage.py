"""Blob storage chosen by settings alone: any Django storage backend, S3 by environment."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from vpdt.core import blobs

pytestmark = pytest.mark.django_db


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
