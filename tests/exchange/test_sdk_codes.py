"""Both agency code schemes end to end through the embedded hub: a package addressed by a
QĐ 20/2020 code reaches the e-office agency that carries it, and a status answered under a
QĐ 20 code counts for the recipient the document was sent to under its QCVN 102 code."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tests.hub import factories as packages
from vpdt.directory.models import Agency
from vpdt.exchange import inbox
from vpdt.hub import services as hub
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document
from vpdt.vxp.client import VxpClient

from .conftest import SENDER, make_agency, released, run_exchange

pytestmark = pytest.mark.django_db(databases=["default", "hub"])
RECEIVER_QD20 = "H90.02"
VENDOR, VENDOR_QD20 = "000.00.00.A80", "A80"


def _vendor(wsgi_hub) -> VxpClient:
    """Another vendor's system on the hub, its agency carrying both codes."""
    from django.core.handlers.wsgi import WSGIHandler

    hub.add_agency(VENDOR, "Hệ thống hãng khác", system_id="vendor.a80", secret="vendor-secret",
                   code_qd20=VENDOR_QD20)
    return VxpClient(wsgi_hub, "vendor.a80", "vendor-secret", sdk_quirks=True,
                     transport=httpx.WSGITransport(app=WSGIHandler()))


def _status(path: Path, *, from_code: str, document_id: str, about: str, code: str) -> Path:
    ns = packages.NS
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{ns}" xmlns:edXML="{ns}">'
           f'<edXML:edXMLEnvelope xmlns:edXML="{ns}"><edXML:edXMLHeader><edXML:MessageHeader>'
           + packages._organ("From", from_code)
           + f"<edXML:ResponseFor><edXML:OrganId>{about}</edXML:OrganId><edXML:Code>01/UBND-VP</edXML:Code>"
           f"<edXML:PromulgationDate>2026/03/02</edXML:PromulgationDate>"
           f"<edXML:DocumentId>{escape(document_id)}</edXML:DocumentId></edXML:ResponseFor>"
           f"<edXML:StaffInfo><edXML:Department>Văn thư</edXML:Department><edXML:Staff>Lê Thị Bình</edXML:Staff>"
           f"</edXML:StaffInfo><edXML:StatusCode>{code}</edXML:StatusCode>"
           "<edXML:Description>Đã tiếp nhận</edXML:Description><edXML:Timestamp>2026/03/03 08:00:00</edXML:Timestamp>"
           "</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>")
    path.write_bytes(xml.encode("utf-8"))
    return path


def test_a_package_addressed_by_a_qd20_code_reaches_the_agency_that_carries_it(wsgi_hub, tmp_path):
    receiver = make_agency("000.00.02.H90", "Sở Nội vụ tỉnh Bình Sơn", endpoint=wsgi_hub)
    receiver.code_qd20 = RECEIVER_QD20
    receiver.save()
    # the operator gives the hub the same second code (the demo does it from the directory)
    hub.add_agency(receiver.code, receiver.name, system_id=f"sys.{receiver.code}", secret=f"secret-{receiver.code}",
                   code_qd20=RECEIVER_QD20)
    vendor = _vendor(wsgi_hub)
    pkg = packages.document(tmp_path / "d.edxml", from_code=VENDOR_QD20, to=[RECEIVER_QD20], number=4)
    doc_id = vendor.send_edoc(pkg, from_code=VENDOR_QD20, to=[RECEIVER_QD20])
    assert inbox.poll_all() == 1
    incoming = Document.objects.get(agency=receiver, direction=Direction.INCOMING)
    assert incoming.state == State.RECEIVED and incoming.issuer_code == VENDOR_QD20
    # status 01 goes back to the vendor, and the vendor's hub view shows it
    run_exchange()
    (row,) = vendor.get_sent_edoc_list(doc_id)
    assert (row["toCode"], row["receiveStatus"]) == (RECEIVER_QD20, "01")


def test_a_status_under_the_qd20_code_counts_for_the_recipient_named_by_its_102_code(wsgi_hub, tmp_path):
    sender = make_agency(SENDER, "Văn phòng UBND tỉnh Bình Sơn", endpoint=wsgi_hub)
    clerk = factories.person(sender, "clerk", "leader")
    vendor_agency = factories.agency(code=VENDOR, name="Hệ thống hãng khác", code_qd20=VENDOR_QD20)
    vendor = _vendor(wsgi_hub)
    doc = released(sender, clerk, [vendor_agency])
    run_exchange()
    (item,) = vendor.get_received_edoc_list()
    assert item["to"] == VENDOR
    vendor.update_status(item["docId"], "done")
    status = _status(tmp_path / "s.edxml", from_code=VENDOR_QD20, document_id=doc.edxml_document_id, about=SENDER,
                     code="03")
    vendor.send_edoc(status, from_code=VENDOR_QD20, to=SENDER, message_type="status")
    run_exchange()
    recipient = doc.recipients.get()
    assert recipient.status_code == "03"


def test_the_directory_keeps_a_qd20_code_valid_and_once(db):
    a = factories.agency(code="000.00.13.H53", code_qd20=" H53.13 ")
    assert a.code_qd20 == "H53.13"
    assert {x.pk for x in Agency.by_code("H53.13")} == {a.pk} == {x.pk for x in Agency.by_code("000.00.13.H53")}
    bad = Agency(code="000.00.14.H53", name="x", abbreviation="X", code_qd20="13.H53")
    with pytest.raises(ValidationError):
        bad.full_clean()
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.agency(code="000.00.15.H53", code_qd20="H53.13")
