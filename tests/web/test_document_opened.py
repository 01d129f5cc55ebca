"""Opening a document's page marks the reader's notifications about it read and the document
read, once: a page opened again writes nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from vpdt.directory.roles import Role
from vpdt.workflow.models import DocumentRead, Notification

pytestmark = pytest.mark.django_db


def test_opening_marks_its_notifications_and_the_document_read_then_writes_nothing(client):
    agency = f.agency()
    clerk, other = f.person(agency, Role.CLERK), f.person(agency, Role.CLERK)
    doc, elsewhere = f.document(agency, direction="in"), f.document(agency, direction="in")
    mine = Notification.objects.create(user=clerk, document=doc, kind="incoming", message="Văn bản đến mới")
    not_this = Notification.objects.create(user=clerk, document=elsewhere, kind="incoming", message="Văn bản khác")
    theirs = Notification.objects.create(user=other, document=doc, kind="incoming", message="Văn bản đến mới")
    client.force_login(clerk)
    assert client.get(f"/van-ban/{doc.pk}/").status_code == 200
    for n in (mine, not_this, theirs):
        n.refresh_from_db()
    assert mine.read_at is not None and not_this.read_at is None and theirs.read_at is None
    assert DocumentRead.objects.filter(user=clerk, document=doc).count() == 1
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/van-ban/{doc.pk}/").status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
              and ("notification" in q["sql"] or "documentread" in q["sql"])]
    assert writes == []
    assert DocumentRead.objects.filter(user=clerk, document=doc).count() == 1
