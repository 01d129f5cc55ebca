"""The VXP header signature and response shapes, against the request captured from the SDK."""

import json

import pytest

from vpdt.vxp import protocol as vxp

CAPTURED = {
    "Content-Type": "application/octet-stream",
    "XroadVnpt-systemid": "test.system.01",
    "XroadVnpt-servicetype": "eDoc",
    "XroadVnpt-messagetype": "edoc",
    "XroadVnpt-hash-file": "7e4a746b898d9b54749de74b58e7bd24c8b86287a386653f6593adf9db5eb",
    "XroadVnpt-from": "000.00.00.H01",
    "XroadVnpt-timestamp": "21112026T050333+0620",
    "XroadVnpt-Content-Type": "application/octet-stream",
    "XroadVnpt-sign-header-key": "systemid;servicetype;messagetype;hash-file;from;timestamp;Content-Type",
    "XroadVnpt-sign-header": '{"XroadVnpt-systemid":"test.system.01","XroadVnpt-servicetype":"eDoc",'
    '"XroadVnpt-messagetype":"edoc","XroadVnpt-hash-file":"7e4a746b898d9b54749de74b58e7bd24c8b86287a386653f6593adf9db5eb",'
    '"XroadVnpt-from":"000.00.00.H01","XroadVnpt-timestamp":"21112026T050333+0620",'
    '"XroadVnpt-Content-Type":"application/octet-stream"}',
    "XroadVnpt-hash-header": "6e9f5c0a831dd2289f96e08d677abe31fc8deef0568f9963e9a00e4c7a29ac04",
    "User-Agent": "JAVASDKAgent/1.0.0 XRoad/VPCP",
    "XroadVnpt-version": "3.0.201608",
    "Cache-Control": "no-cache",
}


def test_captured_sdk_request_verifies_with_test_secret():
    signed = vxp.read_signed_headers(CAPTURED)
    assert signed.verify("test-secret")
    assert signed.system_id == "test.system.01"
    assert signed.get("from") == "000.00.00.H01"
    assert signed.message_type == "edoc"
    assert signed.to_codes is None


def test_captured_request_fails_with_another_secret():
    assert not vxp.read_signed_headers(CAPTURED).verify("other-secret")


def test_tampered_sign_header_fails_verification():
    headers = dict(CAPTURED)
    headers["XroadVnpt-sign-header"] = headers["XroadVnpt-sign-header"].replace("H01", "H02")
    headers["XroadVnpt-from"] = "000.00.00.H02"
    assert not vxp.read_signed_headers(headers).verify("test-secret")


def test_header_differing_from_signed_value_is_refused():
    headers = dict(CAPTURED, **{"XroadVnpt-from": "000.00.00.H02"})
    with pytest.raises(vxp.VxpError) as info:
        vxp.read_signed_headers(headers)
    assert info.value.code == vxp.HEADER_MISMATCH.code


def test_signature_not_rebuilt_whitespace_in_sign_header_is_kept():
    # A client whose JSON has spaces still verifies: the hub signs the string as received.
    raw = '{"XroadVnpt-systemid": "s1", "XroadVnpt-from": "000.00.00.H53"}'
    headers = {"XroadVnpt-sign-header": raw, "XroadVnpt-hash-header": vxp.sign("k", raw),
               "XroadVnpt-systemid": "s1", "XroadVnpt-from": "000.00.00.H53"}
    assert vxp.read_signed_headers(headers).verify("k")


def test_headers_are_matched_case_insensitively():
    headers = {k.lower(): v for k, v in CAPTURED.items()}
    assert vxp.read_signed_headers(headers).verify("test-secret")


@pytest.mark.parametrize("missing", ["XroadVnpt-sign-header", "XroadVnpt-hash-header"])
def test_missing_signature_header_is_refused(missing):
    headers = {k: v for k, v in CAPTURED.items() if k != missing}
    with pytest.raises(vxp.VxpError) as info:
        vxp.read_signed_headers(headers)
    assert info.value.code == vxp.SIGNATURE_MISSING.code


def test_sign_header_not_json_is_refused():
    with pytest.raises(vxp.VxpError) as info:
        vxp.read_signed_headers(dict(CAPTURED, **{"XroadVnpt-sign-header": "{nope"}))
    assert info.value.code == vxp.SIGNATURE_MISSING.code


def test_unknown_keys_are_ignored_and_unsigned_headers_not_trusted():
    headers = vxp.sign_headers("s1", "k", {"from": "A", "filePath": "/tmp/x", "AgencyCode": "B"})
    headers = dict(headers)
    headers["XroadVnpt-to"] = '"EVIL"'  # not signed
    signed = vxp.read_signed_headers(headers)
    assert signed.verify("k")
    assert signed.to_codes is None
    assert signed.get("filePath") == "/tmp/x"


@pytest.mark.parametrize(
    "raw,codes",
    [
        ('"000.00.00.H41"', ["000.00.00.H41"]),
        ('["A.H41","B.H41"]', ["A.H41", "B.H41"]),
        ('["A","A"]', ["A"]),
        ("000.00.00.H41", ["000.00.00.H41"]),
        ("", []),
    ],
)
def test_to_is_parsed_as_json_string_or_array(raw, codes):
    assert vxp.parse_to(raw) == codes


def test_to_of_wrong_type_is_refused():
    with pytest.raises(vxp.VxpError):
        vxp.parse_to("42")


def test_hash_file_is_unpadded_hex():
    digest = bytes([0x00, 0x0A, 0xFF, 0x10])
    assert vxp.hash_file_hex(digest) == "0aff10"
    assert vxp.hash_file_matches("0aff10", digest)
    assert vxp.hash_file_matches("000aff10", digest)  # padded is accepted too
    assert not vxp.hash_file_matches("0aff11", digest)


def test_hash_file_of_captured_request_is_61_characters():
    assert len(CAPTURED["XroadVnpt-hash-file"]) == 61


def test_sign_headers_reproduces_sdk_header_order_and_signature():
    headers = vxp.sign_headers(
        "test.system.01", "test-secret",
        {"servicetype": "eDoc", "messagetype": "edoc", "from": "000.00.00.H01",
         "hash-file": CAPTURED["XroadVnpt-hash-file"]},
        timestamp="21112026T050333+0620",
    )
    names = [name for name, _ in headers]
    captured_names = [n for n in CAPTURED if n not in ("Cache-Control",)]
    assert names == captured_names
    assert dict(headers)["XroadVnpt-sign-header"] == CAPTURED["XroadVnpt-sign-header"]
    assert dict(headers)["XroadVnpt-hash-header"] == CAPTURED["XroadVnpt-hash-header"]


def test_java_hashmap_order_matches_capture():
    keys = ["timestamp", "systemid", "Content-Type", "servicetype", "messagetype", "hash-file", "from"]
    assert vxp.java_hashmap_order(keys) == CAPTURED["XroadVnpt-sign-header-key"].split(";")


def _java_hashmap_iteration(keys):
    """java.util.HashMap as Java 8 runs it: a table of chained buckets, doubled past 0.75 full
    (each chain split in order), iterated bucket by bucket."""

    def spread(key):
        h = 0
        for unit in key.encode("utf-16-be").hex(" ", 2).split():
            h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
        return h ^ (h >> 16)

    table = [[] for _ in range(16)]
    size = 0
    for key in keys:
        chain = table[spread(key) & (len(table) - 1)]
        if key in chain:
            continue
        chain.append(key)
        size += 1
        if size > len(table) * 0.75:
            bigger = [[] for _ in range(len(table) * 2)]
            for old in table:
                for k in old:
                    bigger[spread(k) & (len(bigger) - 1)].append(k)
            table = bigger
    return [k for chain in table for k in chain]


def test_java_hashmap_order_is_worked_out_once_and_stays_right():
    import random

    rng = random.Random(17)
    words = ["timestamp", "systemid", "Content-Type", "servicetype", "messagetype", "hash-file", "from",
             "docId", "status", "nonce", "to", "Số", "Đơn vị", "x" * 40, "Aa", "BB"]  # "Aa"/"BB": one hash
    for size in (1, 3, 7, 12, 13, 16):
        keys = rng.sample(words, size) + rng.sample(words, 2)  # repeats are kept once, where first put
        expected = _java_hashmap_iteration(keys)
        first = vxp.java_hashmap_order(keys)
        assert first == expected
        first.append("changed by the caller")  # each caller gets its own list
        assert vxp.java_hashmap_order(iter(keys)) == expected


def test_sdk_timestamp_format():
    from datetime import datetime

    assert vxp.sdk_timestamp(datetime(2026, 11, 21, 5, 3, 33, 620000)) == "21112026T050333+0620"


def test_sdk_timestamp_is_read_as_a_wall_time_in_the_given_zone():
    from datetime import UTC, datetime

    assert vxp.parse_sdk_timestamp("21112026T050333+0620") == datetime(2026, 11, 20, 22, 3, 33, 620000, tzinfo=UTC)
    assert vxp.parse_sdk_timestamp("21112026T050333+0620", "UTC") == datetime(2026, 11, 21, 5, 3, 33, 620000,
                                                                             tzinfo=UTC)
    aware = datetime(2026, 11, 20, 22, 3, 33, 620000, tzinfo=UTC)
    assert vxp.sdk_timestamp(aware) == "21112026T050333+0620"  # written in Vietnam time


@pytest.mark.parametrize("value", [None, "", "2026-11-21T05:03:33", "32112026T050333+0620", "21112026T050333"])
def test_malformed_timestamp_is_a_stale_request(value):
    with pytest.raises(vxp.VxpError) as info:
        vxp.parse_sdk_timestamp(value)
    assert info.value.code == vxp.STALE_REQUEST.code


def test_response_success_and_failure_are_never_null_and_ascii():
    ok = vxp.response(DocId="x")
    assert ok == {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "DocId": "x"}
    fail = json.loads(vxp.dumps(vxp.error_response(vxp.VxpError(vxp.FORGED_FROM, "From X"), DocId="")))
    assert fail["status"] == "FAIL" and fail["ErrorCode"] == "204" and fail["DocId"] == ""
    assert "From X" in fail["ErrorDesc"]
    vxp.dumps(fail).decode("ascii")
    assert b"\\u" in vxp.dumps(fail)


def test_error_codes_are_unique():
    codes = [e.code for e in vars(vxp).values() if isinstance(e, vxp.ErrorCode)]
    assert len(codes) == len(set(codes))

