"""Packages written by other vendors (the published samples) are received like any other."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests import factories
from vpdt.exchange import inbox
from vpdt.exchange.models import InboxItem
from vpdt.hub import services as hub
from vpdt.records.choices import DeliveryState, Direction, RecipientKind, Source, State
from vpdt.records.models import Document, Recipient
from vpdt.vxp.client import VxpClient

from .conftest import make_agency

pytestmark = pytest.mark.django_db(databases=["default", "hub"])
FIXTURES = Path("/work/shared/fixtures/edxml")
G22 = "000.00.00.G22"
H41 = "000.00.00.H41"
DOC_ID = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"


def _outside(system_id: str, code: str, name: str, wsgi_hub) -> VxpClient:
    """Another vendor's system on the hub (SDK habits on)."""
    import httpx
    from django.core.handlers.wsgi import WSGIHandler

    hub.add_agency(code, name, system_id=system_id, secret="vendor-secret")
    return VxpClient(wsgi_hub, system_id, "vendor-secret", sdk_quirks=True,
                     transport=httpx.WSGITransport(app=WSGIHandler()))


def test_new_document_from_another_vendor_with_zipped_attachment_is_registered(wsgi_hub):
    receiver = make_agency("000.00.00.H17", "Cơ quan nhận mẫu", endpoint=wsgi_hub)
    vendor = _outside("vendor.a80", "000.00.00.A80", "Hệ thống khác", wsgi_hub)
    # its To (28.22.H17) is not a valid code: the sender names the receiver in the `to` header
    vendor.send_edoc(FIXTURES / "edoc_new.edxml", from_code="000.00.00.A80", to=["000.00.00.H17"])
    assert inbox.poll_all() == 1
    doc = Document.objects.get(agency=receiver, direction=Direction.INCOMING)
    assert (doc.state, doc.source) == (State.RECEIVED, Source.ELECTRONIC)
    assert doc.edxml_document_id == DOC_ID
    assert doc.issuer_code == "000.00.00.A80"
    assert doc.number is None and doc.notation == "74fass22/VPCP-TTĐT"  # CodeNumber is not a number
    assert doc.issued_date == dt.date(2019, 1, 16) and doc.place == "Hà Nội"
    assert doc.document_type.name == "Công văn"
    att = doc.attachments.get()
    assert att.name == "1896_QD-TTg_m_294779.doc"  # unzipped from the transport zip
    item = InboxItem.objects.get(document=doc)
    assert item.signature_present and item.signature_valid is False  # recorded, not refused
    assert item.acknowledged_at is not None


def test_update_and_revocation_from_another_vendor_reach_the_copy(wsgi_hub):
    h41 = make_agency(H41, "UBND tỉnh Nghệ An", endpoint=wsgi_hub)
    for code in ("000.00.00.H14", "000.00.00.G17"):
        hub.add_agency(code, code, system_id=f"sys.{code}", secret="x")
    vendor = _outside("vendor.g22", G22, "Văn phòng Chính phủ", wsgi_hub)
    copy = factories.document(h41, direction=Direction.INCOMING, source=Source.ELECTRONIC, number=7816,
                              notation="VPCP-TTĐT", issuer_code=G22, edxml_document_id=DOC_ID)
    vendor.send_edoc(FIXTURES / "edoc_update.edxml", from_code=G22, to=[H41])
    inbox.poll_all()
    copy.refresh_from_db()
    assert copy.attachments.count() == 1  # the update's file joined the copy
    vendor.send_edoc(FIXTURES / "edoc_revocation.edxml", from_code=G22, to=[H41])
    inbox.poll_all()
    copy.refresh_from_db()
    assert copy.state == State.RECALLED


def test_statuses_from_another_vendor_update_the_recipient(wsgi_hub):
    g22 = make_agency(G22, "Văn phòng Chính phủ", endpoint=wsgi_hub)
    vendor = _outside("vendor.h41", H41, "UBND tỉnh Nghệ An", wsgi_hub)
    doc = factories.document(g22, state=State.RELEASED, number=7816, notation="VPCP-TTĐT", edxml_document_id=DOC_ID)
    recipient = Recipient.objects.create(document=doc, kind=RecipientKind.AGENCY, organ_id=H41, name="Nghệ An",
                                         state=DeliveryState.SENT)
    seen = []
    for name in ("status_inbox_01", "status_acceptance_03", "status_assignment_04", "status_processing_05",
                 "status_finish_06"):
        vendor.send_edoc(FIXTURES / f"{name}.edxml", from_code=H41, to=[G22], message_type="status")
        inbox.poll_all()
        recipient.refresh_from_db()
        seen.append((recipient.status_code, recipient.state))
    assert seen == [("01", "delivered"), ("03", "accepted"), ("04", "assigned"), ("05", "processing"),
                    ("06", "completed")]
    assert recipient.status_events.count() == 5


@pytest.mark.parametrize("serves_download", [True, False])
def test_packages_are_fetched_raw_where_the_hub_serves_download_edoc_else_with_get_edoc(wsgi_hub, serves_download):
    """vpdt's hub serves downloadEdoc (the raw bytes): the e-office fetches with it. A hub that
    does not (another vendor's, answering 404) still delivers, through getEdoc."""
    import httpx
    from django.core.handlers.wsgi import WSGIHandler

    from vpdt.exchange import clients, connections

    seen: list[str] = []
    app = WSGIHandler()

    def hub_app(environ, start_response):
        op = environ["PATH_INFO"].rsplit("/", 1)[1]
        seen.append(op)
        if op == "downloadEdoc" and not serves_download:
            start_response("404 Not Found", [("Content-Type", "text/html")])
            return [b"<html>404</html>"]
        return app(environ, start_response)

    connections.transport_factory = lambda connection: httpx.WSGITransport(app=hub_app)
    clients.close_all()
    receiver = make_agency("000.00.00.H17", "Cơ quan nhận mẫu", endpoint=wsgi_hub)
    vendor = _outside("vendor.a80", "000.00.00.A80", "Hệ thống khác", wsgi_hub)
    vendor.send_edoc(FIXTURES / "edoc_new.edxml", from_code="000.00.00.A80", to=["000.00.00.H17"])
    assert inbox.poll_all() == 1
    fetched = [op for op in seen if op in ("downloadEdoc", "getEdoc")]
    # not served: asked once, then getEdoc at once (and only getEdoc for the next hour)
    assert fetched == (["downloadEdoc"] if serves_download else ["downloadEdoc", "getEdoc"])
    doc = Document.objects.get(agency=receiver, direction=Direction.INCOMING)
    assert doc.edxml_document_id == DOC_ID and doc.attachments.get().name == "1896_QD-TTg_m_294779.doc"
    assert InboxItem.objects.get(document=doc).acknowledged_at is not None
    clients.close_all()
