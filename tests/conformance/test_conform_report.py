"""The report and the command line, without a hub: what a hub answers is escaped, the page needs
no other file, the credentials are read as written and never shown."""

from __future__ import annotations

import json

import pytest

from vpdt.conformance import Check, Party, Report, write_html, write_json
from vpdt.conformance.cli import _party


def report(*checks: Check) -> Report:
    return Report("http://hub.example/vxp", {"role": "sender", "system_id": "kt.gui", "code": "000.00.98.H53"},
                  {"role": "receiver", "system_id": "kt.nhan", "code": "000.00.99.H53"}, "abc123",
                  "2026-11-30T09:05:00+07:00", "2026-11-30T09:05:07+07:00", list(checks))


def test_what_a_hub_answers_is_escaped_and_the_page_stands_alone(tmp_path):
    hostile = Check("auth.wrong_secret.list", "Từ chối khóa bí mật sai (nhận)", "getReceivedEdocList", "FAIL 103",
                    got='status FAIL, ErrorCode 1: <script>alert("x")</script><img src=http://evil/x>',
                    outcome="fail", at="2026-11-30T09:05:01+07:00", duration_ms=12)
    page = write_html(report(hostile), tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert "src=" not in page.replace("&lt;img src=http://evil/x&gt;", "") and "<link" not in page
    assert 'lang="vi"' in page and "KHÔNG ĐẠT" in page and "Không đạt" in page
    assert "30/11/2026" in page and "09:05:01" in page  # dd/mm/yyyy, Vietnam time
    assert '<a href="#auth.wrong_secret.list">' in page
    assert '<tr class="section"><th colspan="7">Từ chối yêu cầu sai</th></tr>' in page


def test_rows_are_grouped_by_the_package_they_are_about():
    from vpdt.conformance.report import section

    assert section("edoc.revoke.fields.r2s") == "Thu hồi văn bản (bên nhận → bên gửi)"
    assert section("status.05.delivered.r2s") == "Trạng thái 05: đang xử lý (bên nhận → bên gửi)"
    assert section("status.05.receive_status.r2s") == section("status.05.sent.r2s")


def test_the_verdict_is_pass_only_when_every_check_passed(tmp_path):
    ok = Check("conn.sender", "n", "w", "e", "g", "pass", "2026-11-30T09:05:01+07:00", 3)
    skipped = Check("conn.receiver", "n", "w", "e", "Không kiểm tra được vì chưa đạt: conn.sender", "skip")
    assert report(ok).ok and not report(ok, skipped).ok and not report().ok
    data = json.loads(write_json(report(ok, skipped), tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["result"] == "fail" and data["summary"] == {"total": 2, "passed": 1, "failed": 0, "skipped": 1}
    assert data["checks"][1]["id"] == "conn.receiver"


def test_credentials_parse_with_colons_and_from_the_environment(monkeypatch):
    assert Party.parse("kt.gui:a:b:c:000.00.98.H53", "sender") == Party("kt.gui", "a:b:c", "000.00.98.H53", "sender")
    monkeypatch.setenv("KT_SECRET", "s3cr:et")
    party = _party("kt.nhan:env:KT_SECRET:000.00.99.H53", "receiver")
    assert (party.secret, party.code, party.letter) == ("s3cr:et", "000.00.99.H53", "r")
    assert "secret" not in json.dumps(party.public())
    for bad in ("", "kt.gui", "kt.gui:000.00.98.H53", ":s:000.00.98.H53", "kt.gui:s:"):
        with pytest.raises(ValueError, match="SYS:SECRET:CODE"):
            Party.parse(bad, "sender")
    with pytest.raises(ValueError, match="NOT_SET_ANYWHERE"):
        _party("kt.nhan:env:NOT_SET_ANYWHERE:000.00.99.H53", "receiver")


def test_an_answer_nobody_foresaw_fails_its_check_and_the_run_goes_on():
    """A 'hub' whose lists are not lists: every check ends with an outcome, the report is whole."""
    import httpx

    from vpdt.conformance import Suite

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "DocId": "1",
                                         "data": "không phải danh sách"})

    sender = Party("kt.gui", "s", "000.00.98.H53", "sender")
    receiver = Party("kt.nhan", "r", "000.00.99.H53", "receiver")
    result = Suite("http://hub.invalid", sender, receiver, timeout=0.1, poll=0.05,
                   transport=httpx.MockTransport(handler)).run()
    outcome = {c.id: c for c in result.checks}
    assert outcome["conn.sender"].outcome == "fail"
    assert outcome["conn.sender"].got.startswith("lỗi không lường trước")
    assert outcome["auth.wrong_secret.list"].outcome == "skip"  # needs conn.sender
    assert outcome["auth.unknown_system"].outcome == "fail"  # accepted: should have been refused
    assert len(result.checks) > 250 and all(c.outcome in ("pass", "fail", "skip") for c in result.checks)
    assert not result.ok
