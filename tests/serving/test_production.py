"""Production serving, end to end: two e-office web processes (`vpdt serve --production`), two
hub processes (`vpdt hub serve`), two `vpdt worker` processes, one PostgreSQL, one S3-compatible
store (moto's server) and one Redis queue. A clerk releases a document at one agency through the
first web process; the workers carry it through the hub processes to another agency, whose clerk
opens it and its file through the second web process; status 01 comes back; the files are in S3.

Needs PostgreSQL (VPDT_TEST_DATABASE_URL) and Redis on loopback: skipped loudly without them.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connections, transaction

from tests import factories, keys
from tests.hub.procs import free_port, wait_for
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction
from vpdt.records.models import Attachment, Document

_ON_POSTGRES = (os.environ.get("VPDT_TEST_DATABASE_URL") or "").startswith("postgres")
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.postgres,
              # decided before any test database is made: skipping costs nothing on SQLite
              pytest.mark.skipif(not _ON_POSTGRES, reason="!! PostgreSQL is NOT the test database (set "
                                 "VPDT_TEST_DATABASE_URL): the production serving e2e test is SKIPPED !!"),
              pytest.mark.django_db(databases=["default", "hub"], transaction=True)]

SENDER, RECEIVER = "000.00.01.H90", "000.00.02.H90"
REDIS = ("127.0.0.1", 6379)
BUCKET = "vpdt-e2e"
PASSWORD = "Secret#12345"  # factories.person's


def _answers(address) -> bool:
    try:
        with socket.create_connection(address, timeout=2):
            return True
    except OSError:
        return False


def _database_url(alias: str) -> str:
    conf = connections[alias].settings_dict
    user = conf.get("USER") or ""
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{conf.get('HOST') or '127.0.0.1'}:{conf.get('PORT') or 5432}/{conf['NAME']}"


class Proc:
    """One process of the deployment, its output in a log file, waited for on its port."""

    def __init__(self, name: str, argv: list[str], env: dict, logs: Path, port: int | None = None):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.log = logs / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def ready(self, timeout: float = 60) -> Proc:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{self.name} died:\n{self.log.read_text()[-3000:]}"
            if self.port is None or _answers(("127.0.0.1", self.port)):
                return self
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} did not start:\n{self.log.read_text()[-3000:]}")

    def terminate(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the gunicorn master and its workers

    def wait(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture
def stack(settings, tmp_path):
    if connections["default"].vendor != "postgresql":
        pytest.skip("!! PostgreSQL is NOT the test database (set VPDT_TEST_DATABASE_URL): "
                    "the production serving e2e test is SKIPPED !!")
    if not _answers(REDIS):
        pytest.skip("!! Redis does NOT answer on 127.0.0.1:6379: the production serving e2e test is SKIPPED !!")
    moto = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    if moto is None:
        pytest.skip("!! moto_server (moto[server], a dev dependency) is NOT installed: SKIPPED !!")
    procs: list[Proc] = []
    s3_port = free_port()
    s3 = Proc("s3", [moto, "-H", "127.0.0.1", "-p", str(s3_port)], dict(os.environ), tmp_path, s3_port)
    procs.append(s3.start())
    s3_url = f"http://127.0.0.1:{s3_port}"
    aws = {"AWS_ACCESS_KEY_ID": "e2e", "AWS_SECRET_ACCESS_KEY": "e2e-secret", "AWS_DEFAULT_REGION": "us-east-1"}
    try:
        s3.ready()
        import boto3

        client = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                              aws_access_key_id=aws["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=aws["AWS_SECRET_ACCESS_KEY"])
        client.create_bucket(Bucket=BUCKET)
        # This test process writes the sender's file into the same bucket as the processes.
        settings.STORAGES = {**settings.STORAGES, "blobs": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": BUCKET, "endpoint_url": s3_url, "region_name": "us-east-1",
            "access_key": aws["AWS_ACCESS_KEY_ID"], "secret_key": aws["AWS_SECRET_ACCESS_KEY"],
            "file_overwrite": False, "default_acl": None}}}
        settings.DATA_DIR = tmp_path

        base = {k: v for k, v in os.environ.items()
                if not k.startswith("VPDT_") and k != "DJANGO_SETTINGS_MODULE"}
        hub_env = dict(base, VPDT_HUB_SECRET_KEY=keys.SECRET_KEY, VPDT_HUB_MIN_FREE_MB="0",
                       VPDT_HUB_POLL_SECONDS="0.2")
        hub_args = ["--database", _database_url("hub"), "--data-dir", str(tmp_path / "hubdata")]
        hubs = [Proc(f"hub{i}", [sys.executable, "-m", "vpdt.cli", "hub", "serve", "--host", "127.0.0.1",
                                 "--port", str(port), "--workers", "1", "--threads", "4", *hub_args],
                     hub_env, tmp_path, port) for i, port in enumerate((free_port(), free_port()), 1)]

        # the agencies, each on its own hub process (the two share the hub's database and files)
        from vpdt.exchange import services as exchange
        from vpdt.hub import services as hub

        people = {}
        for code, hub_proc in ((SENDER, hubs[0]), (RECEIVER, hubs[1])):
            agency = factories.agency(code=code, name=f"Cơ quan {code}", abbreviation="UBND")
            hub.add_agency(code, agency.name, system_id=f"sys.{code}", secret=f"secret-{code}")
            exchange.connect([agency], endpoint=f"http://127.0.0.1:{hub_proc.port}", system_id=f"sys.{code}",
                             secret=f"secret-{code}")
            person = factories.person(agency, Role.CLERK)
            # the suite hashes passwords fast (tests/conftest.py); the processes know Argon2 only
            person.password = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
            person.save(update_fields=["password"])
            people[code] = (agency, person)

        eoffice = dict(keys.eoffice_env(base), VPDT_DATABASE_URL=_database_url("default"),
                       VPDT_HUB_DATABASE_URL=_database_url("hub"), VPDT_DATA_DIR=str(tmp_path / "eoffice"),
                       VPDT_BLOB_STORAGE="s3", VPDT_S3_BUCKET=BUCKET, VPDT_S3_ENDPOINT_URL=s3_url,
                       VPDT_S3_REGION="us-east-1", **aws,
                       VPDT_TASKS="redis", VPDT_REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0",
                       VPDT_TASKS_NAME=f"vpdt-e2e-{uuid.uuid4().hex[:12]}",
                       VPDT_EXCHANGE_SEND_SECONDS="0.5", VPDT_EXCHANGE_POLL_SECONDS="0.5", VPDT_LOG_LEVEL="INFO")
        webs = [Proc(f"web{i}", [sys.executable, "-m", "vpdt.cli", "serve", "--production", "--host", "127.0.0.1",
                                 "--port", str(port), "--workers", "1", "--threads", "4"], eoffice, tmp_path, port)
                for i, port in enumerate((free_port(), free_port()), 1)]
        workers = [Proc(f"worker{i}", [sys.executable, "-m", "vpdt.cli", "worker", "--threads", "2"], eoffice,
                        tmp_path) for i in (1, 2)]
        for proc in (*hubs, *webs, *workers):
            procs.append(proc.start())
        for proc in (*hubs, *webs, *workers):
            proc.ready()
        yield {"webs": webs, "hubs": hubs, "workers": workers, "people": people, "s3": client, "logs": tmp_path}
    finally:
        for proc in procs:  # all at once: each may take its graceful seconds
            proc.terminate()
        for proc in procs:
            proc.wait()
        if "eoffice" in locals():
            from huey import RedisHuey

            RedisHuey(eoffice["VPDT_TASKS_NAME"], url=eoffice["VPDT_REDIS_URL"]).flush()


def _login(web: Proc, user) -> httpx.Client:
    client = httpx.Client(base_url=f"http://127.0.0.1:{web.port}", timeout=30)
    page = client.get("/dang-nhap/")
    assert page.status_code == 200, page.text[:500]
    r = client.post("/dang-nhap/", data={"username": user.username, "password": PASSWORD,
                                         "csrfmiddlewaretoken": client.cookies["csrftoken"]})
    assert r.status_code == 302, r.text[:2000]
    return client


def _csrf(client: httpx.Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def test_two_of_each_release_arrives_through_the_hub_status_returns_files_in_s3(stack):
    from vpdt.exchange.models import StatusEvent
    from vpdt.records.services import add_attachment
    from vpdt.workflow import services as workflow

    webs, (sender, clerk), (receiver, their_clerk) = stack["webs"], stack["people"][SENDER], stack["people"][RECEIVER]
    pdf = factories.pdf_bytes("ban chinh thuc", pad=40_000)
    doc = factories.document(sender, subject="Về việc chạy thật hai tiến trình mỗi loại", notation="UBND-VP",
                             signer_name="Nguyễn Văn An", signer_position="Chánh Văn phòng", place="Bình Sơn")
    add_attachment(None, doc, io.BytesIO(pdf), "van-ban.pdf", content_type="application/pdf",
                   kind=Attachment.Kind.MAIN)
    doc = workflow.issue_number(clerk, doc)
    with transaction.atomic():
        workflow.set_recipients(clerk, doc, agencies=[receiver])

    # static files: whitenoise in the web process
    web1 = _login(webs[0], clerk)
    css = re.search(r'href="(/static/[^"]+\.css)"', web1.get("/").text).group(1)
    static = web1.get(css)
    assert static.status_code == 200 and "text/css" in static.headers["content-type"]

    # the release, through the first web process
    r = web1.post(f"/van-ban/{doc.pk}/release/", data={"confirm": "on",
                                                       "csrfmiddlewaretoken": _csrf(web1, f"/van-ban/{doc.pk}/")})
    assert r.status_code == 302, r.text[:2000]

    def arrived():
        return Document.objects.filter(agency=receiver, direction=Direction.INCOMING,
                                       edxml_document_id=Document.objects.get(pk=doc.pk).edxml_document_id).first()

    def status_back():
        return StatusEvent.objects.filter(recipient__document=doc, status_code="01",
                                          direction=StatusEvent.RECEIVED).exists()

    logs = stack["logs"]
    try:
        copy = wait_for(arrived, timeout=60)
        wait_for(status_back, timeout=60)
    except TimeoutError:
        raise AssertionError("\n".join(f"--- {p.name}\n{p.log.read_text()[-2500:]}"
                                       for p in (*stack["workers"], *stack["hubs"]))) from None
    # the receiver's clerk opens it and its file through the other web process: read from S3
    web2 = _login(webs[1], their_clerk)
    assert "Về việc chạy thật hai tiến trình mỗi loại" in web2.get(f"/van-ban/{copy.pk}/").text
    attachment = copy.attachments.get()
    got = web2.get(f"/tep/{attachment.pk}/")
    assert got.status_code == 200 and got.content == pdf
    # every file is in the bucket, none on the processes' local disks
    keys_in_s3 = {o["Key"] for o in stack["s3"].list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    for blob in (doc.attachments.get().blob, attachment.blob):
        assert blob.storage_name in keys_in_s3
    assert not [p for p in (logs / "eoffice" / "blobs").rglob("*") if p.is_file()]
    # each web process served its own requests (two gunicorn masters, one database)
    assert all("production" in (logs / f"web{i}.log").read_text() for i in (1, 2))
