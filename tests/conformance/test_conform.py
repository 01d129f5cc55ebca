"""`vpdt conformance` against vpdt's own hub (a `vpdt hub serve` process, two agencies): every
check passes; through a test double in front of it that drops status 05 (answers OK, never
delivers), the report names exactly the two checks of that behaviour (one per direction) and
nothing else fails."""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tests.hub.procs import HubProcess, run_all
from tests.quiet_server import QuietHTTPServer
from vpdt.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

A = "000.00.01.H90"
B = "000.00.02.H90"
B_QD20 = "H90.02"  # B's code in the QĐ 20/2020 scheme
SENDER = f"sys.a:secret-a:{A}"
RECEIVER = f"sys.b:secret:with:colons:{B}"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = HubProcess("conformance", tmp_path_factory.mktemp("hub"))
    run_all({hub: [("add-agency", A, "Cơ quan A", "--system-id", "sys.a", "--secret", "secret-a"),
                   ("add-agency", B, "Cơ quan B", "--system-id", "sys.b", "--secret", "secret:with:colons",
                    "--qd20-code", B_QD20)]})
    hub.start()
    yield hub
    hub.stop()


ORIGINAL = "Kiểm thử tương thích trục: thu hồi văn bản".encode()
ALTERED = "Kiểm thử tương thích trục: THU HỒI văn bản".encode()


class HubDouble:
    """The real hub behind a proxy with one broken behaviour: `drop_status_05` answers sendEdoc of
    a status 05 with OK and a DocId and throws it away; `alter_subject` hands receivers the
    revocation with its Subject changed (getEdoc and downloadEdoc). Everything else goes through
    unchanged."""

    def __init__(self, upstream: str, *, drop_status_05: bool = False, alter_subject: bool = False):
        self.dropped = self.altered = 0
        self.http = httpx.Client(timeout=30)
        double = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if (drop_status_05 and self.path.rstrip("/").endswith("sendEdoc")
                        and re.search(rb"StatusCode>\s*05\s*<", body)):
                    double.dropped += 1
                    answer = json.dumps({"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success",
                                         "DocId": f"dropped-{double.dropped}"}).encode()
                    return self._answer(200, {"Content-Type": "application/json"}, answer)
                headers = [(k, v) for k, v in self.headers.items() if k.lower() not in ("host", "content-length")]
                r = double.http.request(self.command, upstream + self.path, headers=headers, content=body)
                keep = {k: v for k, v in r.headers.items()
                        if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")}
                content = r.content
                if alter_subject and self.path.endswith("getEdoc"):
                    answer = json.loads(content)
                    package = base64.b64decode(answer.get("data") or "")
                    if ORIGINAL in package:
                        double.altered += 1
                        answer["data"] = base64.b64encode(package.replace(ORIGINAL, ALTERED)).decode()
                        content = json.dumps(answer).encode()
                elif alter_subject and self.path.endswith("downloadEdoc") and ORIGINAL in content:
                    double.altered += 1
                    content = content.replace(ORIGINAL, ALTERED)
                self._answer(r.status_code, keep, content)

            def _answer(self, code, headers, body):
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _forward

            def log_message(self, *args):
                pass

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.http.close()


def run(endpoint, out, *extra) -> tuple[int, dict]:
    code = main(["conformance", "--endpoint", endpoint, "--sender", SENDER, "--receiver", RECEIVER,
                 "--out", str(out), "--timeout", "3", "--poll", "0.1", *extra])
    return code, json.loads((out / "conformance.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("habits", [(), ("--sdk-habits",)], ids=["vpdt-client", "sdk-habits"])
def test_vpdt_hub_passes_every_check(hub, tmp_path, capsys, habits):
    code, report = run(hub.url, tmp_path, "--receiver-qd20", B_QD20, *habits)
    failed = [(c["id"], c["got"]) for c in report["checks"] if c["outcome"] != "pass"]
    assert failed == []
    assert code == 0 and report["result"] == "pass"
    ids = {c["id"] for c in report["checks"]}
    # every business type and every status, both directions
    for kind in ("new", "revoke", "update", "replace"):
        for d in ("s2r", "r2s"):
            assert {f"edoc.{kind}.{aspect}.{d}" for aspect in
                    ("sent", "listed", "identical", "download", "list_entry", "counted", "isolated", "fields",
                     "acknowledged", "sent_list")} <= ids
    for status in ("01", "02", "03", "04", "05", "06", "15", "16"):
        assert {f"status.{status}.delivered.r2s", f"status.{status}.delivered.s2r",
                f"status.{status}.fields.r2s", f"status.{status}.receive_status.r2s"} <= ids
    assert {"status.13.delivered.s2r", "status.13.delivered.r2s", "auth.wrong_secret.list", "auth.wrong_secret.send",
            "auth.unknown_system", "route.unknown_receiver", "route.forged_from", "dup.same_docid",
            "dup.listed_once", "edoc.qd20.listed.s2r", "edoc.qd20.fields.s2r", "edoc.qd20.sent_list.s2r"} <= ids
    assert len(ids) == len(report["checks"])  # stable ids, each once
    line = capsys.readouterr().out.splitlines()[0]
    assert f"{len(ids)}/{len(ids)} kiểm tra đạt" in line and "ĐẠT" in line
    page = (tmp_path / "conformance.html").read_text(encoding="utf-8")
    assert "status.05.delivered.r2s" in page and "Đạt" in page
    for secret in ("secret-a", "secret:with:colons"):  # no credential in the record
        assert secret not in json.dumps(report) and secret not in page


def test_a_hub_that_drops_status_05_is_named_exactly(hub, tmp_path, capsys):
    double = HubDouble(hub.url, drop_status_05=True)
    try:
        code, report = run(double.url, tmp_path)
    finally:
        double.close()
    assert double.dropped == 2
    outcome = {c["id"]: c for c in report["checks"]}
    failed = sorted(i for i, c in outcome.items() if c["outcome"] == "fail")
    assert failed == ["status.05.delivered.r2s", "status.05.delivered.s2r"]
    assert "status.05.delivered" in outcome["status.05.delivered.r2s"]["id"]
    assert "không có gói tin này" in outcome["status.05.delivered.r2s"]["got"]
    # what depends on the delivery is not run, and says why; everything else passes
    skipped = {i for i, c in outcome.items() if c["outcome"] == "skip"}
    assert skipped and all(i.startswith("status.05.") for i in skipped)
    assert all("status.05.delivered" in outcome[i]["got"] for i in skipped)
    assert outcome["status.05.sent.r2s"]["outcome"] == "pass"
    assert outcome["status.06.delivered.r2s"]["outcome"] == "pass"
    assert code == 1 and report["result"] == "fail"
    out = capsys.readouterr().out
    assert "KHÔNG ĐẠT" in out and "status.05.delivered.r2s, status.05.delivered.s2r" in out
    page = (tmp_path / "conformance.html").read_text(encoding="utf-8")
    assert 'class="fail" id="status.05.delivered.r2s"' in page


def test_credentials_are_checked_before_anything_is_sent(tmp_path, capsys):
    assert main(["conformance", "--endpoint", "http://127.0.0.1:9", "--sender", "only-two:parts",
                 "--receiver", RECEIVER, "--out", str(tmp_path)]) == 2
    assert "SYS:SECRET:CODE" in capsys.readouterr().err


def test_an_unreachable_hub_fails_at_the_connection_checks(tmp_path, capsys):
    from tests.hub.procs import free_port

    code, report = run(f"http://127.0.0.1:{free_port()}", tmp_path)
    assert code == 1
    outcome = {c["id"]: c for c in report["checks"]}
    assert outcome["conn.sender"]["outcome"] == "fail" and "kết nối" in outcome["conn.sender"]["got"]
    assert outcome["edoc.new.listed.s2r"]["outcome"] == "skip"
    assert "conn.sender" in outcome["edoc.new.listed.s2r"]["got"]
    assert report["summary"]["passed"] == 0


def test_the_kit_runs_without_django(tmp_path):
    """Any province machine runs it: the command imports neither Django nor the hub's code."""
    import subprocess
    import sys

    probe = ("import sys; from vpdt.cli import main; "
             f"rc = main(['conformance', '--endpoint', 'http://127.0.0.1:9', '--sender', '{SENDER}', "
             f"'--receiver', 'x:y:{A}', '--out', {str(tmp_path)!r}]); "
             "loaded = [m for m in sys.modules if m.split('.')[0] == 'django' or m.startswith('vpdt.hub.')"
             " and m != 'vpdt.hub.cli']; print(rc, loaded)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in __import__("os").environ.items() if k != "DJANGO_SETTINGS_MODULE"})
    assert out.stdout.strip() == "2 []", out.stderr


def test_a_hub_that_alters_a_field_is_named_exactly(hub, tmp_path):
    double = HubDouble(hub.url, alter_subject=True)
    try:
        code, report = run(double.url, tmp_path, "--keep-packages")
    finally:
        double.close()
    assert double.altered == 4  # the revocation, each way, by getEdoc and by downloadEdoc
    outcome = {c["id"]: c for c in report["checks"]}
    failed = sorted(i for i, c in outcome.items() if c["outcome"] != "pass")
    assert failed == [f"edoc.revoke.{aspect}.{d}" for aspect in ("download", "fields", "identical")
                      for d in ("r2s", "s2r")]
    # still recognised (by its DocumentId and type) and acknowledged; the field named
    assert outcome["edoc.revoke.listed.s2r"]["outcome"] == "pass"
    assert outcome["edoc.revoke.fields.s2r"]["got"].startswith("Subject: đã gửi")
    assert "THU HỒI" in outcome["edoc.revoke.fields.s2r"]["got"]
    # the evidence: what was sent and what came back, side by side
    kept = tmp_path / "packages"
    sent = (kept / "gui-edoc-revoke-s2r.edxml").read_bytes()
    received = [p.read_bytes() for p in kept.glob("nhan-*.edxml") if ALTERED in p.read_bytes()]
    assert ORIGINAL in sent and len(received) == 2
    assert code == 1
