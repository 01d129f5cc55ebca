"""The national SDK's last operations on the hub (getSynchronizeUnit, the SDK's unsigned
downloadEdoc2, receiveStatus) and the two agency code schemes (QCVN 102 and QĐ 20/2020)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.hub import factories
from tests.hub.conftest import H53, STT, XA
from vpdt.hub import services
from vpdt.hub.models import Agency, Delivery
from vpdt.vxp.client import VxpRemoteError

pytestmark = pytest.mark.django_db(databases=["default", "hub"])

STT_QD20 = "H53.13"


def _status(path: Path, *, from_code: str, about_from: str, number: int, code: str, stamp: str) -> Path:
    ns = factories.NS
    document_id = f"{about_from},2026/11/21,{number}/UBND-VP"
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{ns}" xmlns:edXML="{ns}">'
           f'<edXML:edXMLEnvelope xmlns:edXML="{ns}"><edXML:edXMLHeader><edXML:MessageHeader>'
           + factories._organ("From", from_code)
           + f"<edXML:ResponseFor><edXML:OrganId>{about_from}</edXML:OrganId><edXML:Code>{number}/UBND-VP</edXML:Code>"
           "<edXML:PromulgationDate>2026/11/21</edXML:PromulgationDate>"
           + f"<edXML:DocumentId>{escape(document_id)}</edXML:DocumentId></edXML:ResponseFor>"
           f"<edXML:StatusCode>{code}</edXML:StatusCode>"
           f"<edXML:Description>Trạng thái {code}</edXML:Description><edXML:Timestamp>{stamp}</edXML:Timestamp>"
           "</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>")
    path.write_bytes(xml.encode("utf-8"))
    return path


def _answer(client, op: str, values: dict | None = None, body: bytes = b"{}") -> dict:
    """The JSON answer, OK or FAIL."""
    try:
        return client.call(op, values or {}, body)
    except VxpRemoteError as exc:
        return exc.body


@pytest.fixture
def with_qd20(agencies):
    services.add_agency(STT, "Sở TT&TT Tây Ninh", system_id="sys.stt", secret="secret-stt", parent_code=H53,
                        code_qd20=STT_QD20)
    return agencies


# --------------------------------------------------------------------------- getSynchronizeUnit
def test_synchronize_unit_lists_every_unit_with_no_null_field(agencies, connect):
    body = connect(*agencies[H53]).call("getSynchronizeUnit", {})
    assert body["status"] == "OK" and body["ErrorCode"] == "0"
    units = {u["code"]: u for u in body["data"]}
    assert set(units) == {H53, STT, XA}
    for unit in units.values():
        assert all(v is not None for v in unit.values()), unit
        assert isinstance(unit["version"], int) and unit["version"] > 0
        assert unit["deleted"] is False and unit["isAgency"] is True
        assert isinstance(unit["id"], str) and isinstance(unit["pid"], str)
    assert units[STT]["pid"] == units[H53]["id"]


def test_synchronize_unit_since_a_version_gives_only_changes_and_removals(agencies, connect, with_qd20):
    client = connect(*agencies[H53])
    latest = max(u["version"] for u in client.get_synchronize_unit())
    services.remove_agency(XA)
    changed = client.get_synchronize_unit(from_version=latest)
    assert [(u["code"], u["deleted"]) for u in changed] == [(XA, True)]
    assert client.call("getSynchronizeUnit", {"fromVersion": str(changed[0]["version"])})["data"] == []
    bad = _answer(client, "getSynchronizeUnit", {"fromVersion": "yesterday"})
    assert bad["status"] == "FAIL" and bad["ErrorCode"] == "105"


# --------------------------------------------------------------------------- downloadEdoc2
def test_the_sdks_unsigned_download_gets_an_empty_refusal_not_a_json_body(agencies, connect, tmp_path):
    """downloadEdoc2 GETs {endpoint}/downloadEdoc with no header and saves any non-empty body as
    the package: an empty body is what makes the SDK report the failure."""
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT])
    client = connect(*agencies[STT])
    response = client._http.get("http://testserver/downloadEdoc")
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["XroadVnpt-ErrorCode"] == "109"
    assert "downloadEdoc2" in response.headers["XroadVnpt-ErrorDesc"]
    # signed, it is still served
    (item,) = client.get_received_edoc_list()
    client.download_edoc(item["docId"], tmp_path / "raw.edxml")
    assert (tmp_path / "raw.edxml").read_bytes() == pkg.read_bytes()


# --------------------------------------------------------------------------- receiveStatus
def test_sender_sees_each_receivers_latest_status(agencies, connect, tmp_path):
    doc = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT, XA], number=5)
    sender = connect(*agencies[H53])
    doc_id = sender.send_edoc(doc, from_code=H53, to=[STT, XA])
    stt, xa = connect(*agencies[STT]), connect(*agencies[XA])
    stt.send_edoc(_status(tmp_path / "s3.edxml", from_code=STT, about_from=H53, number=5, code="05",
                          stamp="2026/11/22 09:00:00"), from_code=STT, to=H53, message_type="status")
    # an older status arriving late does not replace the newer one
    stt.send_edoc(_status(tmp_path / "s1.edxml", from_code=STT, about_from=H53, number=5, code="03",
                          stamp="2026/11/22 08:00:00"), from_code=STT, to=H53, message_type="status")
    xa.send_edoc(_status(tmp_path / "x.edxml", from_code=XA, about_from=H53, number=5, code="06",
                         stamp="2026/11/22 10:00:00"),
                 from_code=XA, to=H53, message_type="status")
    rows = {r["toCode"]: r for r in sender.get_sent_edoc_list(doc_id)}
    assert (rows[STT]["receiveStatus"], rows[XA]["receiveStatus"]) == ("05", "06")
    assert rows[STT]["receiveStatusDesc"] and rows[XA]["receiveStatusDesc"]


# --------------------------------------------------------------------------- both code schemes
def test_qd20_list_answers_both_codes(with_qd20, connect):
    rows = connect(*with_qd20[H53]).get_agencies_list_qd20(level=2)
    by_102 = {r["code102"]: r for r in rows}
    assert by_102[STT]["code"] == STT_QD20
    level1 = connect(*with_qd20[H53]).get_agencies_list_qd20(level=1)
    assert [(r["code"], r["code102"]) for r in level1] == [(H53, H53)]  # no QĐ 20 code set: the 102 one


def test_a_package_addressed_by_a_qd20_code_reaches_the_agency_that_carries_it(with_qd20, connect, tmp_path):
    sender = connect(*with_qd20[H53])
    by_header = factories.document(tmp_path / "a.edxml", from_code=H53, to=[STT_QD20], number=1)
    sender.send_edoc(by_header, from_code=H53, to=[STT_QD20])
    by_package = factories.document(tmp_path / "b.edxml", from_code=H53, to=[STT_QD20], number=2)
    sender.send_edoc(by_package, from_code=H53)
    items = connect(*with_qd20[STT]).get_received_edoc_list()
    assert len(items) == 2 and {i["to"] for i in items} == {STT_QD20}


def test_an_agency_sends_under_its_qd20_code_and_its_status_counts(with_qd20, connect, tmp_path):
    sender = connect(*with_qd20[H53])
    doc_id = sender.send_edoc(factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], number=9),
                              from_code=H53, to=[STT])
    stt = connect(*with_qd20[STT])
    stt.send_edoc(_status(tmp_path / "s.edxml", from_code=STT_QD20, about_from=H53, number=9, code="03",
                          stamp="2026/11/22 08:00:00"), from_code=STT_QD20, to=H53, message_type="status")
    (row,) = sender.get_sent_edoc_list(doc_id)
    assert row["receiveStatus"] == "03"
    # another system may not send as that QĐ 20 code
    forged = factories.document(tmp_path / "f.edxml", from_code=STT_QD20, to=[H53], number=3)
    with pytest.raises(VxpRemoteError) as exc:
        connect(*with_qd20[XA]).send_edoc(forged, from_code=STT_QD20, to=[H53])
    assert exc.value.body["ErrorCode"] == "204"


def test_a_status_counts_for_a_document_sent_to_the_other_code_of_its_sender(with_qd20, connect, tmp_path):
    # the document went to the QĐ 20 code, the status comes from the QCVN 102 one, about H53 by its
    # 102 code: both codes of each agency match the delivery, whichever the packages carry
    sender = connect(*with_qd20[H53])
    doc_id = sender.send_edoc(factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT_QD20], number=7),
                              from_code=H53, to=[STT_QD20])
    stt = connect(*with_qd20[STT])
    stt.send_edoc(_status(tmp_path / "s.edxml", from_code=STT, about_from=H53, number=7, code="02",
                          stamp="2026/11/22 08:00:00"), from_code=STT, to=H53, message_type="status")
    (row,) = sender.get_sent_edoc_list(doc_id)
    assert row["receiveStatus"] == "02"
    # a status about another document of the same sender changes nothing here
    stt.send_edoc(_status(tmp_path / "o.edxml", from_code=STT, about_from=H53, number=8, code="06",
                          stamp="2026/11/22 09:00:00"), from_code=STT, to=H53, message_type="status")
    assert sender.get_sent_edoc_list(doc_id)[0]["receiveStatus"] == "02"


def test_a_qd20_code_is_held_once(with_qd20):
    from vpdt.vxp import protocol as vxp

    with pytest.raises(vxp.VxpError) as exc:
        services.add_agency(XA, "UBND xã", system_id="sys.xa", secret="secret-xa", code_qd20=STT_QD20)
    assert exc.value.code == "401"
    assert Agency.objects.using("hub").get(code=XA).code_qd20 == ""


def test_register_agency_with_a_qd20_code_and_the_sdk_examples_broken_body(agencies, connect):
    services.grant_subtree("sys.stt", STT)
    client = connect(*agencies[STT])
    body = ('{"id":"","pcode":"000.00.13.H53","code":"002.77.13.H53","name":"H\\u00e0 giang test V4 ",'
            '"mail":cc"","mobile":333"","fax":333""}')
    answer = _answer(client, "registerAgency", {}, body.encode())
    assert answer["status"] == "OK", answer
    agency = Agency.objects.using("hub").get(code="002.77.13.H53")
    assert (agency.name, agency.mail, agency.parent_code) == ("Hà giang test V4", "", STT)
    answer = _answer(client, "registerAgency", {}, b'{"code":"001.77.13.H53","name":"Phong","codeQD20":"H53.13.77"}')
    assert answer["status"] == "OK", answer
    assert services.route("H53.13.77").holder.system_id == "sys.stt"
    assert _answer(client, "registerAgency", {}, b'{"code": 1, oops')["ErrorCode"] == "105"
    assert Delivery.objects.using("hub").count() == 0


def test_register_agency_refuses_a_qd20_code_of_its_own_other_agency(agencies, connect):
    services.grant_subtree("sys.stt", STT)
    client = connect(*agencies[STT])
    assert _answer(client, "registerAgency", {}, b'{"code":"001.77.13.H53","name":"A","codeQD20":"H53.13.77"}')[
        "status"] == "OK"
    again = _answer(client, "registerAgency", {}, b'{"code":"002.77.13.H53","name":"B","codeQD20":"H53.13.77"}')
    assert again["ErrorCode"] == "401"
    assert not Agency.objects.using("hub").filter(code="002.77.13.H53").exists()
