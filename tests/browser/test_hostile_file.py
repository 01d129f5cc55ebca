"""A hostile file received over the province hub runs no script in the leader's browser.

Another agency's system (here Sở Tài chính's, as an attacker holding its credentials would)
sends a package whose attachment is HTML with a <script>, declared text/html and named
cong-van.pdf. The document must still arrive (the sender's official document is not lost):
the file is kept, typed application/octet-stream from its bytes, flagged, never put in the
viewer. The leader opens the document page and the file's own address: no script runs
(the title the script would set stays, the beacon it would send never arrives).
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from vpdt import edxml

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "hub"])

HOSTILE = (b"<!doctype html><html><head><title>cong van</title></head><body>"
           b"<script>document.title='PWNED';fetch('/pwned-by-script/?c='+document.cookie)</script>"
           b"<img src=x onerror=\"document.title='PWNED'\"></body></html>")
SUBJECT = "Về việc rà soát tệp đính kèm liên thông"


def _send_hostile_package(tmp_path) -> None:
    from vpdt.directory.models import Agency
    from vpdt.exchange import clients, keys, mapping

    sender = Agency.objects.get(code="000.00.03.H90")  # Sở Tài chính
    receiver = Agency.objects.get(code="000.00.13.H90")  # Sở Khoa học và Công nghệ
    header = edxml.MessageHeader(
        from_=mapping.organization(sender), to=[mapping.receiver_organization(receiver.code)],
        document_id=f"{sender.code},2026/03/02,99/STC-VP", code=edxml.Code(number="99", notation="STC-VP"),
        promulgation=edxml.PromulgationInfo(place="Bình Sơn", date=dt.date(2026, 3, 2)),
        document_type=edxml.DocumentType(type=1, type_name="Công văn"), subject=SUBJECT,
        signer=edxml.SignerInfo(position="Giám đốc", full_name="Trần Thị B"), to_places=[receiver.name])
    path = tmp_path / "hostile.edxml"
    edxml.write_package(str(path), header, [edxml.AttachmentSource("cong-van.pdf", HOSTILE, "text/html")],
                        signer=keys.signer_for(sender))
    connection = sender.hub_connections.get()
    clients.shared(connection).send_edoc(path, from_code=sender.code, to=[receiver.code])


def test_an_html_attachment_from_the_hub_runs_no_script_for_the_leader(people, live_server, settings, tmp_path):
    settings.VPDT_SITE_URL = live_server.url
    from vpdt.core import tasks
    from vpdt.records.models import Attachment

    _send_hostile_package(tmp_path)
    for _ in range(3):
        tasks.run_once()
    attachment = Attachment.objects.get(document__subject=SUBJECT)
    assert (attachment.file_kind, attachment.flag, attachment.content_type) == (
        "refused", "refused_type", "application/octet-stream")

    leader = people.login("skhcn.lanhdao")
    beacons = []
    leader.on("request", lambda request: beacons.append(request.url) if "pwned" in request.url else None)
    leader.goto(f"/van-ban/{attachment.document_id}/")
    expect(leader.get_by_test_id("attachments")).to_contain_text("cong-van.pdf")
    expect(leader.get_by_test_id("file-flag")).to_contain_text("Loại tệp không được chấp nhận")
    expect(leader.get_by_test_id("pdf-viewer")).to_have_count(0)  # never in the viewer

    # The file's own address, as a link in a message would open it: a download, never a page.
    response = leader.request.get(f"/tep/{attachment.pk}/")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("sandbox")
    with leader.expect_download() as download:
        leader.evaluate(f"window.location.href = '/tep/{attachment.pk}/'")
    assert download.value.suggested_filename == "cong-van.pdf"
    leader.goto(f"/van-ban/{attachment.document_id}/")
    assert "PWNED" not in leader.title()
    assert beacons == []

    # On a phone the flag's long message wraps inside the card: nothing sticks out sideways.
    phone = people.login("skhcn.lanhdao", width=390)
    phone.goto(f"/van-ban/{attachment.document_id}/")
    expect(phone.get_by_test_id("file-flag")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
