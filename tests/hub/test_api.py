"""Every VXP operation, driven with requests shaped as the SDK sends them."""

from __future__ import annotations

import hashlib

import pytest

from vpdt.hub import services
from vpdt.hub.models import Delivery, LogEntry, Package
from vpdt.vxp import protocol as vxp
from vpdt.vxp.client import VxpRemoteError

from . import factories
from .conftest import H53, STT, XA

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def test_document_reaches_each_receiver_with_its_own_doc_id(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT, XA], attachment=5000)
    sender = connect(*agencies[H53])
    doc_id = sender.send_edoc(pkg, from_code=H53, to=[STT, XA])
    assert doc_id
    sent = sender.get_sent_edoc_list(doc_id)
    assert {row["toCode"] for row in sent} == {STT, XA}
    assert {row["senderDocId"] for row in sent} == {doc_id}
    assert len({row["receiverDocId"] for row in sent}) == 2
    assert all(row["sendStatus"] == "pending" for row in sent)

    for code in (STT, XA):
        receiver = connect(*agencies[code])
        assert receiver.count_receive_edoc() == 1
        (item,) = receiver.get_received_edoc_list()
        assert item["from"] == H53 and item["to"] == code and item["messageType"] == "edoc"
        out = tmp_path / f"{code}.edxml"
        assert receiver.get_edoc(item["docId"], out) == hashlib.sha256(pkg.read_bytes()).hexdigest()
        assert out.read_bytes() == pkg.read_bytes()
        raw = tmp_path / f"{code}.raw"
        receiver.download_edoc(item["docId"], raw)
        assert raw.read_bytes() == pkg.read_bytes()
        receiver.update_status(item["docId"], "done")
        receiver.update_status(item["docId"], "done")  # the SDK retries: idempotent
        assert receiver.get_received_edoc_list() == []
        assert receiver.count_receive_edoc() == 0
    assert {row["sendStatus"] for row in sender.get_sent_edoc_list(doc_id)} == {"done"}


def test_to_taken_from_package_when_header_absent(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53)
    assert connect(*agencies[STT]).count_receive_edoc() == 1


def test_status_travels_back_and_is_shown_to_sender(agencies, connect, tmp_path):
    doc = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], number=7)
    sender = connect(*agencies[H53])
    doc_id = sender.send_edoc(doc, from_code=H53, to=[STT])
    receiver = connect(*agencies[STT])
    st = factories.status(tmp_path / "s.edxml", from_code=STT, about_from=H53, number=7, code="03")
    receiver.send_edoc(st, from_code=STT, to=H53, message_type="status")
    assert sender.count_receive_status() == 1
    assert sender.count_receive_edoc() == 0
    (item,) = sender.get_received_edoc_list(message_type="status")
    assert item["messageType"] == "status" and item["from"] == STT
    (row,) = sender.get_sent_edoc_list(doc_id)
    assert row["receiveStatus"] == "03"


def test_status_receiver_defaults_to_response_for_organ(agencies, connect, tmp_path):
    st = factories.status(tmp_path / "s.edxml", from_code=STT, about_from=H53, code="01")
    connect(*agencies[STT]).send_edoc(st, from_code=STT, message_type="status")
    assert connect(*agencies[H53]).count_receive_status() == 1


def test_same_package_sent_twice_is_queued_once_with_same_doc_id(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    sender = connect(*agencies[H53])
    first = sender.send_edoc(pkg, from_code=H53, to=[STT])
    second = sender.send_edoc(pkg, from_code=H53, to=[STT])
    assert first == second
    assert Delivery.objects.using("hub").count() == 1
    assert connect(*agencies[STT]).count_receive_edoc() == 1


def test_same_document_id_rewritten_is_recognised_as_duplicate(agencies, connect, tmp_path):
    sender = connect(*agencies[H53])
    a = factories.document(tmp_path / "a.edxml", from_code=H53, to=[STT], number=3, attachment=10)
    b = factories.document(tmp_path / "b.edxml", from_code=H53, to=[STT], number=3, attachment=20)
    assert a.read_bytes() != b.read_bytes()
    assert sender.send_edoc(a, from_code=H53, to=[STT]) == sender.send_edoc(b, from_code=H53, to=[STT])
    assert connect(*agencies[STT]).count_receive_edoc() == 1


def test_revocation_with_same_document_id_is_not_a_duplicate(agencies, connect, tmp_path):
    sender = connect(*agencies[H53])
    new = factories.document(tmp_path / "n.edxml", from_code=H53, to=[STT], number=4)
    revoke = factories.document(tmp_path / "r.edxml", from_code=H53, to=[STT], number=4, business_type=1)
    assert sender.send_edoc(new, from_code=H53, to=[STT]) != sender.send_edoc(revoke, from_code=H53, to=[STT])
    assert connect(*agencies[STT]).count_receive_edoc() == 2


def test_other_vendor_fixture_is_accepted(hub, connect):
    services.add_agency("000.00.00.A80", "UBND xã Hòa Tiến", system_id="vendor.x", secret="vx")
    services.add_agency("28.22.H17", "UBND xã Hòa Sơn", system_id="vendor.y", secret="vy")
    sender = connect("vendor.x", "vx")
    sender.send_edoc("/work/shared/fixtures/edxml/edoc_new.edxml", from_code="000.00.00.A80")
    assert connect("vendor.y", "vy").count_receive_edoc() == 1


def test_get_edoc_of_someone_elses_doc_is_not_found(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT])
    (item,) = connect(*agencies[STT]).get_received_edoc_list()
    with pytest.raises(VxpRemoteError) as info:
        connect(*agencies[XA]).get_edoc(item["docId"], tmp_path / "x")
    assert info.value.code == vxp.NOT_FOUND.code


def test_update_status_rejects_unknown_status(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT])
    receiver = connect(*agencies[STT])
    (item,) = receiver.get_received_edoc_list()
    with pytest.raises(VxpRemoteError) as info:
        receiver.update_status(item["docId"], "read")
    assert info.value.code == vxp.BAD_STATUS.code
    receiver.update_status(item["docId"], "processing")
    assert len(receiver.get_received_edoc_list()) == 1  # processing stays listed
    receiver.update_status(item["docId"], "fail")
    assert receiver.get_received_edoc_list() == []


def test_agencies_list_register_and_delete(agencies, connect):
    client = connect(*agencies[H53])
    codes = {a["code"]: a for a in client.get_agencies_list()}
    assert set(codes) == {H53, STT, XA}
    assert codes[STT]["pid"] == codes[H53]["id"]
    services.grant_subtree("sys.h53", H53)  # the operator lets it register below its province
    client.register_agency(code="000.00.01.H53", name="Văn phòng UBND tỉnh", pcode=H53, mail="vp@tayninh.gov.vn")
    assert "000.00.01.H53" in {a["code"] for a in client.get_agencies_list()}
    assert {a["code"] for a in client.get_agencies_list_qd20(1)} == {H53}
    with pytest.raises(VxpRemoteError) as info:
        client.register_agency(code=STT, name="chiếm mã", pcode=H53)  # granted subtree, but held
    assert info.value.code == vxp.AGENCY_EXISTS.code
    with pytest.raises(VxpRemoteError) as info:
        connect(*agencies[XA]).delete_agency("000.00.01.H53")
    assert info.value.code == vxp.NOT_ALLOWED.code
    client.delete_agency("000.00.01.H53")
    assert "000.00.01.H53" not in {a["code"] for a in client.get_agencies_list()}


def test_double_slash_endpoint_and_non_ascii_escaped(agencies, connect, tmp_path):
    client = connect(*agencies[H53])
    assert client.url("getAgenciesList") == "http://testserver//getAgenciesList"
    response = client._http.post(client.url("getAgenciesList"), headers=client.headers({}), content=b"")
    response.content.decode("ascii")  # escaped
    assert b"\\u" in response.content


def test_every_operation_answers_status_errorcode_errordesc(agencies, connect, tmp_path):
    client = connect(*agencies[H53])
    for op in vxp.OPERATIONS:
        if op == "downloadEdoc":
            continue
        response = client._http.post(client.url(op), headers=client.headers({}), content=b"{}")
        body = response.json()
        assert body["status"] in ("OK", "FAIL") and body["ErrorCode"] is not None and body["ErrorDesc"], op
        if op == "sendEdoc":
            assert "DocId" in body


def test_log_records_accept_deliver_acknowledge_and_verifies(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT])
    receiver = connect(*agencies[STT])
    (item,) = receiver.get_received_edoc_list()
    receiver.get_edoc(item["docId"], tmp_path / "o")
    receiver.update_status(item["docId"], "done")
    actions = list(LogEntry.objects.using("hub").filter(doc_id=item["docId"]).values_list("action", flat=True))
    assert actions == ["accepted", "delivered", "acknowledged"]
    sha = hashlib.sha256(pkg.read_bytes()).hexdigest()
    assert set(LogEntry.objects.using("hub").filter(doc_id=item["docId"]).values_list("sha256", flat=True)) == {sha}
    assert services.verify_log().ok


@pytest.mark.parametrize("field,value", [("action", "refused"), ("sha256", "0" * 64), ("to_code", "x")])
def test_tampered_log_row_fails_verification(agencies, connect, tmp_path, field, value):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT])
    entry = LogEntry.objects.using("hub").get(action="accepted")
    LogEntry.objects.using("hub").filter(pk=entry.pk).update(**{field: value})
    check = services.verify_log()
    assert not check.ok and check.seq == entry.seq


def test_deleted_log_rows_fail_verification(agencies):
    last = LogEntry.objects.using("hub").order_by("-seq").first()
    LogEntry.objects.using("hub").filter(pk=last.pk).delete()
    assert not services.verify_log().ok
    assert services.verify_log().problem


def test_deleted_middle_log_row_fails_verification(agencies):
    LogEntry.objects.using("hub").filter(seq=2).delete()
    assert "missing" in services.verify_log().problem


def test_retention_purges_delivered_content_and_keeps_log(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT, XA])
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT, XA])
    receiver = connect(*agencies[STT])
    (item,) = receiver.get_received_edoc_list()
    receiver.update_status(item["docId"], "done")
    Package.objects.using("hub").update(created_at="2020-01-01T00:00:00Z")
    Delivery.objects.using("hub").update(done_at="2020-01-01T00:00:00Z")
    assert services.purge_delivered(30) == 0  # XA has not fetched it yet
    other = connect(*agencies[XA])
    (item,) = other.get_received_edoc_list()
    other.update_status(item["docId"], "done")
    Delivery.objects.using("hub").update(done_at="2020-01-01T00:00:00Z")
    before = LogEntry.objects.using("hub").count()
    assert services.purge_delivered(30) == 1
    sha = hashlib.sha256(pkg.read_bytes()).hexdigest()
    assert not services.store().path(sha).exists()
    assert LogEntry.objects.using("hub").count() == before + 1
    assert services.verify_log().ok


def test_every_answer_states_its_length_so_the_connection_serves_the_next_call(agencies, connect, settings,
                                                                                 tmp_path):
    """An HTTP/1.1 answer without Content-Length goes chunked and waitress (`vpdt hub serve`)
    closes its connection after it: each call would cost a new TCP connection on both sides."""
    import httpx
    from django.core.handlers.wsgi import WSGIHandler

    from vpdt.vxp.client import VxpClient

    connect(*agencies[H53])  # the fixture's request signals, as for any client here
    settings.MIDDLEWARE = []  # as `vpdt hub serve` runs (vpdt.hub.settings): no CommonMiddleware to add it
    seen = []

    class Recording(httpx.WSGITransport):
        def handle_request(self, request):
            response = super().handle_request(request)
            response.read()
            seen.append((request.url.path, response.headers.get("content-length"), len(response.content)))
            return response

    def client(code):
        return VxpClient("http://testserver/", *agencies[code], transport=Recording(app=WSGIHandler()))

    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], attachment=2000)
    client(H53).send_edoc(pkg, from_code=H53, to=[STT])
    receiver = client(STT)
    (item,) = receiver.get_received_edoc_list()
    receiver.download_edoc(item["docId"], tmp_path / "got.edxml")
    receiver.get_edoc(item["docId"], tmp_path / "got-base64.edxml")  # streamed, its length known
    receiver.update_status(item["docId"], "done")
    with pytest.raises(VxpRemoteError):
        receiver.update_status("no-such-doc", "done")  # an error answer too
    assert [path.rsplit("/", 1)[-1] for path, _, _ in seen] == [
        "sendEdoc", "getReceivedEdocList", "downloadEdoc", "getEdoc", "updateStatus", "updateStatus"]
    assert (tmp_path / "got-base64.edxml").read_bytes() == pkg.read_bytes()
    assert all(length is not None and int(length) == size for _, length, size in seen), seen
