"""The archive's pages (/luu-tru/): the holdings for the archivist and the leader, reading on
request (each opening logged), disposal with both approvals; isolation between agencies."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from tests import factories
from tests.archive.test_keep import World
from vpdt.archive.models import ArchiveReading, DisposalList, DisposalState, DossierState, ReadingState
from vpdt.core import blobs
from vpdt.core.models import AuditEntry
from vpdt.records.models import Attachment

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def world(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    return World()


def _as(client, user):
    client.force_login(user)
    return client


def test_the_archivist_and_the_leader_see_the_holdings_others_do_not(client, world):
    d = world.dossier(documents=3, retention=None, end=dt.date(2020, 12, 31))
    old = world.dossier(retention=5, end=dt.date(2010, 12, 31))
    world.dossier(state=DossierState.CLOSED)  # not in the archive
    theirs = world.dossier(agency=world.other)
    page = _as(client, world.archivist).get("/luu-tru/")
    html = page.content.decode()
    assert page.status_code == 200
    assert d.code in html and "Vĩnh viễn" in html and "Lưu trữ cơ quan" in html
    assert theirs.code not in html
    assert 'data-testid="archive-keep-link"' in html
    filtered = client.get("/luu-tru/", {"thoi-han": "vv"}).content.decode()
    assert d.code in filtered and f'data-testid="held-{old.pk}"' not in filtered
    searched = client.get("/luu-tru/", {"q": "số 2"}).content.decode()
    assert f'data-testid="held-{old.pk}"' in searched and f'data-testid="held-{d.pk}"' not in searched
    assert _as(client, world.leader).get("/luu-tru/").status_code == 200
    assert _as(client, world.specialist).get("/luu-tru/").status_code == 403
    assert 'data-testid="archive-keep-link"' not in client.get("/luu-tru/doc/").content.decode()


def test_request_approve_read_and_the_log(client, world):
    d = world.dossier(documents=1)
    doc = d.documents.first()
    blob = blobs.store_stream(io.BytesIO(factories.pdf_bytes("x")))
    att = Attachment.objects.create(document=doc, blob=blob, name="vb.pdf", content_type="application/pdf",
                                    file_kind="pdf")
    reader = _as(client, world.specialist)
    assert d.code in reader.get("/luu-tru/doc/").content.decode()
    reader.post(f"/luu-tru/doc/ho-so/{d.pk}/de-nghi/", {"purpose": "Tra cứu"})
    r = ArchiveReading.objects.get()
    assert reader.get(f"/luu-tru/doc/{r.pk}/").status_code == 403  # not approved yet
    assert reader.post(f"/luu-tru/doc/{r.pk}/quyet-dinh/", {"decision": "approve"}).status_code == 403
    archivist = _as(client, world.archivist)
    assert f'data-testid="request-{r.pk}"' in archivist.get("/luu-tru/").content.decode()
    archivist.post(f"/luu-tru/doc/{r.pk}/quyet-dinh/", {"decision": "approve"})
    r.refresh_from_db()
    assert r.state == ReadingState.APPROVED
    reader = _as(client, world.specialist)
    assert doc.subject in reader.get(f"/luu-tru/doc/{r.pk}/").content.decode()
    page = reader.get(f"/luu-tru/doc/{r.pk}/van-ban/{doc.pk}/")
    assert page.status_code == 200 and "vb.pdf" in page.content.decode()
    file = reader.get(f"/luu-tru/doc/{r.pk}/tep/{att.pk}/")
    assert file.status_code == 200 and b"".join(file.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="archive.read", actor_id=world.specialist.pk).count() == 2
    from lxml import html

    page = html.fromstring(_as(client, world.archivist).get("/luu-tru/").content.decode())
    log = [row.text_content() for row in page.xpath('//table[@data-testid="reading-log"]/tbody/tr')]
    assert len(log) == 2  # each opening: the document's page and its file
    assert all(world.specialist.get_full_name() in row and d.code in row and doc.subject in row for row in log)
    assert "Tra cứu" in page.xpath('//table[@data-testid="reading-decided"]')[0].text_content()
    # another agency's person finds nothing
    stranger = _as(client, world.stranger)
    assert stranger.get(f"/luu-tru/doc/{r.pk}/").status_code == 404
    assert stranger.post(f"/luu-tru/doc/ho-so/{d.pk}/de-nghi/", {"purpose": "x"}).status_code == 404
    assert d.code not in stranger.get("/luu-tru/doc/").content.decode()


def test_refusal_without_a_reason_changes_nothing(client, world):
    d = world.dossier()
    _as(client, world.specialist).post(f"/luu-tru/doc/ho-so/{d.pk}/de-nghi/", {"purpose": "Tra cứu"})
    r = ArchiveReading.objects.get()
    archivist = _as(client, world.archivist)
    archivist.post(f"/luu-tru/doc/{r.pk}/quyet-dinh/", {"decision": "refuse", "reason": ""})
    r.refresh_from_db()
    assert r.state == ReadingState.REQUESTED
    archivist.post(f"/luu-tru/doc/{r.pk}/quyet-dinh/", {"decision": "refuse", "reason": "Tài liệu hạn chế"})
    r.refresh_from_db()
    assert r.state == ReadingState.REFUSED


def test_disposal_through_the_pages(client, world):
    d = world.dossier(retention=5, end=dt.date(2010, 12, 31))
    forever = world.dossier(retention=None, end=dt.date(1990, 12, 31))
    archivist = _as(client, world.archivist)
    page = archivist.get("/luu-tru/huy/").content.decode()
    assert d.code in page and forever.code not in page
    archivist.post("/luu-tru/huy/", {"dossier": [str(forever.pk)]})
    assert not DisposalList.objects.exists()  # permanent: refused, nothing made
    archivist.post("/luu-tru/huy/", {"dossier": [str(d.pk)], "note": "Hết hạn"})
    dl = DisposalList.objects.get()
    archivist.post(f"/luu-tru/huy/{dl.pk}/", {"action": "submit"})
    archivist.post(f"/luu-tru/huy/{dl.pk}/", {"action": "approve_archive"})
    archivist.post(f"/luu-tru/huy/{dl.pk}/", {"action": "destroy", "confirm": "1"})
    dl.refresh_from_db()
    assert dl.state == DisposalState.SUBMITTED  # only one approval: not destroyed
    assert _as(client, world.specialist).get(f"/luu-tru/huy/{dl.pk}/").status_code == 403
    leader = _as(client, world.leader)
    assert 'data-testid="approve-leader"' in leader.get(f"/luu-tru/huy/{dl.pk}/").content.decode()
    leader.post(f"/luu-tru/huy/{dl.pk}/", {"action": "approve_leader"})
    archivist = _as(client, world.archivist)
    archivist.post(f"/luu-tru/huy/{dl.pk}/", {"action": "destroy"})  # not confirmed
    dl.refresh_from_db()
    assert dl.state == DisposalState.APPROVED
    archivist.post(f"/luu-tru/huy/{dl.pk}/", {"action": "destroy", "confirm": "1"})
    dl.refresh_from_db()
    d.refresh_from_db()
    assert dl.state == DisposalState.DESTROYED and d.state == DossierState.DESTROYED
    record = archivist.get(f"/luu-tru/huy/{dl.pk}/bien-ban/")
    assert record.status_code == 200 and b"".join(record.streaming_content).startswith(b"%PDF")
    assert _as(client, world.stranger).get(f"/luu-tru/huy/{dl.pk}/").status_code == 404
