"""A stored file's type: decided from its bytes, or taken from an earlier clean decision on the
same bytes (the approved draft attached on release, a copy between agencies)."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from vpdt.core import blobs
from vpdt.records import services
from vpdt.records.models import Attachment

pytestmark = pytest.mark.django_db


def _looked_up(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT")
            and ('FROM "records_attachment"' in q["sql"] or 'FROM "records_draftversion"' in q["sql"])]


def test_bytes_new_to_the_store_are_typed_from_their_bytes_without_looking_for_an_earlier_decision(blob_dir):
    agency = factories.agency()
    first, second = factories.document(agency), factories.document(agency)
    pdf = factories.pdf_bytes()
    blob = blobs.store_stream(io.BytesIO(pdf))
    assert blob.seen_before is False
    with CaptureQueriesContext(connection) as queries:
        attached = services.attach_stored(None, first, blob, "van-ban.pdf", untrusted=True)
    assert _looked_up(queries) == []  # nothing can have decided on bytes the store did not hold
    assert attached.flag == "" and attached.file_kind and attached.content_type == "application/pdf"

    again = blobs.store_stream(io.BytesIO(pdf))  # the same bytes again: the decision is reused
    assert again.seen_before is True
    with CaptureQueriesContext(connection) as queries:
        copy = services.attach_stored(None, second, again, "ban-sao.pdf", untrusted=True)
    assert len(_looked_up(queries)) == 1
    assert (copy.file_kind, copy.content_type) == (attached.file_kind, attached.content_type)
    assert Attachment.objects.filter(blob=blob).count() == 2
