"""The transfer pages (/ho-so/nop-luu/): who sees them, what each person can do there, and the
package's download; the rules themselves are tested in test_transfer.py."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

from django.urls import reverse

from tests.archive import test_transfer as transfer_world
from vpdt.archive import package
from vpdt.archive.models import DossierState, TransferItemState, TransferList, TransferState
from vpdt.core.models import AuditEntry

# The agency's closed dossiers and its seal (test_transfer.py), as fixtures of this module.
world = transfer_world.world
archive_ca = transfer_world.archive_ca
YEAR = transfer_world.YEAR
submitted = transfer_world.submitted


def client_for(client, user):
    client.force_login(user)
    return client


def test_the_menu_shows_nop_luu_to_the_clerk_and_the_archivist_only(world, client):
    w = world
    for who, shown in ((w.clerk, True), (w.archivist, True), (w.spec, False)):
        client.force_login(who)
        page = client.get(reverse("web:transfers")).content.decode()
        assert ('data-testid="transfers-link"' in page) is shown
    assert client.get(reverse("web:transfers")).status_code == 403  # the specialist


def test_the_clerk_prepares_and_submits_from_the_pages(world, client):
    w = world
    c = client_for(client, w.clerk)
    page = c.get(reverse("web:transfer_prepare") + f"?nam={YEAR}").content.decode()
    assert w.due.code in page and w.later.code in page and w.open.code not in page
    assert f'value="{w.due.pk}" id="d{w.due.pk}" data-testid="pick-{w.due.pk}" checked' in page
    response = c.post(reverse("web:transfer_prepare"), {"year": YEAR, "dossier": [w.due.pk]})
    t = TransferList.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:transfer_detail", args=[t.pk])
    c.post(reverse("web:transfer_add", args=[t.pk]), {"dossier": [w.later.pk]})
    assert t.items.count() == 2
    c.post(reverse("web:transfer_submit", args=[t.pk]))
    t.refresh_from_db()
    assert t.state == TransferState.SUBMITTED
    # nothing chosen: refused with the reason, nothing made
    page = c.post(reverse("web:transfer_prepare"), {"year": YEAR}, follow=True).content.decode()
    assert "Hãy chọn ít nhất một hồ sơ" in page and TransferList.objects.count() == 1


def test_the_archivist_checks_accepts_and_downloads(world, client, tmp_path):
    w = world
    t = submitted(w)
    first, second = list(t.items.order_by("order"))
    c = client_for(client, w.archivist)
    inbox = c.get(reverse("web:transfers")).content.decode()
    assert f'data-testid="inbox-{t.pk}"' in inbox
    page = c.post(reverse("web:transfer_item_return", args=[t.pk, second.pk]), {"reason": ""}, follow=True)
    assert "Hãy ghi lý do trả lại hồ sơ." in page.content.decode()
    c.post(reverse("web:transfer_item_return", args=[t.pk, second.pk]), {"reason": "Thiếu chú giải"})
    c.post(reverse("web:transfer_item_accept", args=[t.pk, first.pk]))
    first.refresh_from_db()
    assert first.state == TransferItemState.ACCEPTED
    c.post(reverse("web:transfer_accept", args=[t.pk]))
    t.refresh_from_db()
    assert t.state == TransferState.ACCEPTED
    response = c.get(reverse("web:transfer_download", args=[t.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert package.RECORD in zf.namelist()
    assert AuditEntry.objects.filter(action="transfer.download").count() == 1


def test_others_cannot_act_on_the_pages(world, client):
    w = world
    t = submitted(w)
    item = t.items.first()
    c = client_for(client, w.clerk)  # the clerk may read, not check
    assert c.get(reverse("web:transfer_detail", args=[t.pk])).status_code == 200
    c.post(reverse("web:transfer_item_accept", args=[t.pk, item.pk]))
    item.refresh_from_db()
    assert item.state == TransferItemState.PENDING
    for stranger in (w.other_archivist, w.spec):
        client.force_login(stranger)
        assert client.get(reverse("web:transfer_detail", args=[t.pk])).status_code == 404
        assert client.post(reverse("web:transfer_item_accept", args=[t.pk, item.pk])).status_code == 404
        assert client.get(reverse("web:transfer_download", args=[t.pk])).status_code == 404
    item.refresh_from_db()
    assert item.state == TransferItemState.PENDING
    w.due.refresh_from_db()
    assert w.due.state == DossierState.TRANSFERRING


def test_a_large_file_is_packed_in_bounded_memory(world, tmp_path):
    """A 40 MB scan goes through the package and its verification without being held in memory."""
    import os

    from vpdt.archive import verify
    from vpdt.archive.services import transfer
    from vpdt.core import blobs
    from vpdt.records.models import Attachment

    w = world
    size = 40 << 20
    blob = blobs.store_stream(iter([os.urandom(1 << 20) for _ in range(size >> 20)]))
    Attachment.objects.create(document=w.doc2, blob=blob, name="Bản quét.pdf", kind=Attachment.Kind.SCAN)
    out = tmp_path / "big.zip"
    tracemalloc.start()
    try:
        with out.open("wb") as fh:
            transfer.export(w.clerk, w.agency, fh, dossier_code=w.later.code)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        report = verify.verify(str(out))
        _, verify_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.stat().st_size > size and report.ok, report.problems
    assert peak < 12 << 20 and verify_peak < 12 << 20, (peak, verify_peak)


def test_a_list_whose_every_dossier_was_returned_leaves_the_inbox(world, client):
    from vpdt.archive.services import transfer

    w = world
    t = submitted(w)
    for item in t.items.all():
        transfer.return_item(w.archivist, item, "Chưa đủ văn bản")
    page = client_for(client, w.archivist).get(reverse("web:transfers")).content.decode()
    assert f'data-testid="inbox-{t.pk}"' not in page and "Lưu trữ trả lại toàn bộ" in page



def test_a_closed_dossier_exports_from_its_page_as_a_package_that_verifies(world, client, tmp_path):
    """The dossier page's "Xuất gói hồ sơ": the clerk gets the sealed ZIP, `vpdt archive verify`
    accepts it; an open dossier offers no export and a specialist may not export."""
    from vpdt.archive import verify

    w = world
    c = client_for(client, w.clerk)
    page = c.get(reverse("web:dossier", args=[w.due.pk])).content.decode()
    assert 'data-testid="dossier-export"' in page
    assert 'data-testid="dossier-export"' not in c.get(reverse("web:dossier", args=[w.open.pk])).content.decode()
    response = c.post(reverse("web:dossier_export", args=[w.due.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    path = tmp_path / "export.zip"
    path.write_bytes(b"".join(response.streaming_content))
    report = verify.verify(str(path))
    assert report.ok, report.problems
    assert AuditEntry.objects.filter(action="archive.export").count() == 1
    client.force_login(w.spec)
    assert client.post(reverse("web:dossier_export", args=[w.due.pk])).status_code in (403, 404)
    assert AuditEntry.objects.filter(action="archive.export").count() == 1
