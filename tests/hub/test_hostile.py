"""Hostile input at the hub: each refused with its own ErrorCode, and nothing stored."""

from __future__ import annotations

import errno

import pytest

from vpdt.hub import services, storage
from vpdt.hub.models import Delivery, Package, Submission
from vpdt.vxp import protocol as vxp
from vpdt.vxp.client import VxpRemoteError

from . import factories
from .conftest import H53, STT, XA

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def assert_nothing_stored(data_dir):
    assert Package.objects.using("hub").count() == 0
    assert Submission.objects.using("hub").count() == 0
    assert Delivery.objects.using("hub").count() == 0
    files = [p for p in data_dir.rglob("*") if p.is_file() and p.name != "secret.key"]
    assert files == []


def refused(call) -> VxpRemoteError:
    with pytest.raises(VxpRemoteError) as info:
        call()
    assert info.value.body["status"] == "FAIL" and info.value.body["DocId"] == ""
    return info.value


def test_forged_from_code_is_refused(agencies, connect, tmp_path, hub):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    attacker = connect(*agencies[XA])  # authenticated, but H53 is not its agency
    error = refused(lambda: attacker.send_edoc(pkg, from_code=H53, to=[STT]))
    assert error.code == vxp.FORGED_FROM.code
    assert_nothing_stored(hub)


def test_header_from_differing_from_package_is_refused(agencies, connect, tmp_path, hub):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    client = connect(*agencies[XA])
    error = refused(lambda: client.send_edoc(pkg, from_code=XA, to=[STT]))
    assert error.code == vxp.FORGED_FROM.code
    assert_nothing_stored(hub)


def test_all_receivers_unknown_is_refused(agencies, connect, tmp_path, hub):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=["000.00.00.H99"])
    error = refused(lambda: connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=["000.00.00.H99"]))
    assert error.code == vxp.UNKNOWN_RECEIVER.code and "000.00.00.H99" in error.description
    assert_nothing_stored(hub)


def test_unknown_receiver_reported_others_still_delivered(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT, "000.00.00.H99"])
    sender = connect(*agencies[H53])
    response = sender._http.post(sender.url("sendEdoc"), headers=sender.headers({
        "from": H53, "to": f'["{STT}","000.00.00.H99"]', "servicetype": "eDoc", "messagetype": "edoc",
        "hash-file": vxp.hash_file_hex(__import__("hashlib").sha256(pkg.read_bytes()).digest())}),
        content=pkg.read_bytes() + b"\r\n")
    body = response.json()
    assert body["status"] == "OK" and body["DocId"]
    assert body["refused"] == [{"code": "000.00.00.H99", "ErrorCode": vxp.UNKNOWN_RECEIVER.code,
                                "ErrorDesc": vxp.UNKNOWN_RECEIVER.message}]
    assert "000.00.00.H99" in body["ErrorDesc"]
    assert connect(*agencies[STT]).count_receive_edoc() == 1
    rows = {r["toCode"]: r for r in sender.get_sent_edoc_list(body["DocId"])}
    assert rows["000.00.00.H99"]["sendStatus"] == "refused"


def test_bad_signature_is_refused(agencies, connect, tmp_path, hub):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    error = refused(lambda: connect("sys.h53", "wrong-secret").send_edoc(pkg, from_code=H53, to=[STT]))
    assert error.code == vxp.BAD_SIGNATURE.code
    assert_nothing_stored(hub)


def test_unknown_system_is_refused(agencies, connect, tmp_path, hub):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    error = refused(lambda: connect("nobody", "x").send_edoc(pkg, from_code=H53, to=[STT]))
    assert error.code == vxp.UNKNOWN_SYSTEM.code
    assert_nothing_stored(hub)


def test_missing_signature_header_is_refused(agencies, connect, tmp_path, hub):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    client = connect(*agencies[H53])
    headers = [(k, v) for k, v in client.headers({"from": H53}) if k != "XroadVnpt-hash-header"]
    body = client._http.post(client.url("sendEdoc"), headers=headers, content=pkg.read_bytes() + b"\r\n").json()
    assert body["ErrorCode"] == vxp.SIGNATURE_MISSING.code and body["DocId"] == ""
    assert_nothing_stored(hub)


def test_oversized_package_is_refused(agencies, connect, tmp_path, hub, settings):
    settings.HUB_MAX_PACKAGE_BYTES = 50_000
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], attachment=60_000)
    error = refused(lambda: connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT]))
    assert error.code == vxp.TOO_LARGE.code
    assert_nothing_stored(hub)


def test_malformed_package_is_refused(agencies, connect, tmp_path, hub):
    pkg = tmp_path / "bad.edxml"
    pkg.write_bytes(b'<?xml version="1.0"?><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><oops>')
    error = refused(lambda: connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT]))
    assert error.code == vxp.MALFORMED.code and "EDXML_" in error.description
    assert_nothing_stored(hub)


def test_xml_bomb_is_refused(agencies, connect, tmp_path, hub):
    pkg = tmp_path / "bomb.edxml"
    pkg.write_bytes(b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&b;</edXML>')
    error = refused(lambda: connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT]))
    assert error.code == vxp.MALFORMED.code
    assert_nothing_stored(hub)


def test_body_not_matching_hash_file_is_refused(agencies, connect, tmp_path, hub):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    client = connect(*agencies[H53])
    headers = client.headers({"from": H53, "messagetype": "edoc", "hash-file": "abc"})
    body = client._http.post(client.url("sendEdoc"), headers=headers, content=pkg.read_bytes() + b"\r\n").json()
    assert body["ErrorCode"] == vxp.HASH_MISMATCH.code
    assert_nothing_stored(hub)


def test_wrong_message_type_is_refused(agencies, connect, tmp_path, hub):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    error = refused(lambda: connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT], message_type="status"))
    assert error.code == vxp.BAD_MESSAGE_TYPE.code
    assert_nothing_stored(hub)


def test_disk_full_while_writing_is_a_clear_error_and_leaves_nothing(agencies, connect, tmp_path, hub, monkeypatch):
    calls = {"n": 0}

    def full(fh, data):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        fh.write(data)

    monkeypatch.setattr(storage, "_write", full)
    monkeypatch.setattr(storage, "CHUNK", 4096)
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], attachment=50_000)
    error = refused(lambda: connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT]))
    assert error.code == vxp.STORAGE_FULL.code and error.retryable
    assert_nothing_stored(hub)
    monkeypatch.setattr(storage, "_write", lambda fh, data: fh.write(data))
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT])  # space back: the retry goes through
    assert connect(*agencies[STT]).count_receive_edoc() == 1


def test_below_minimum_free_space_is_refused(agencies, connect, tmp_path, hub, settings):
    settings.HUB_MIN_FREE_BYTES = 1 << 60
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    error = refused(lambda: connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT]))
    assert error.code == vxp.STORAGE_FULL.code
    assert_nothing_stored(hub)


def test_refusals_do_not_break_the_log(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    refused(lambda: connect(*agencies[XA]).send_edoc(pkg, from_code=H53, to=[STT]))
    assert services.verify_log().ok
