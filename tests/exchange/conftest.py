"""Exchange fixtures: agencies of the demo province, each its own system on a hub reached over
HTTP (in-process WSGI here; real `vpdt hub serve` processes in the e2e tests)."""

from __future__ import annotations

import datetime as dt
import io

import httpx
import pytest
from django.db import transaction

from tests import factories
from vpdt.directory.roles import Role
from vpdt.records.choices import State
from vpdt.records.models import Attachment
from vpdt.records.services import add_attachment

SENDER = "000.00.01.H90"  # Văn phòng UBND tỉnh Bình Sơn
RECEIVER = "000.00.02.H90"  # Sở Nội vụ
THIRD = "000.00.03.H90"  # Sở Tài chính


@pytest.fixture
def exchange_env(settings, tmp_path, blob_dir):
    settings.DATA_DIR = tmp_path
    settings.HUB_DATA_DIR = str(tmp_path / "hubdata")
    settings.HUB_MIN_FREE_BYTES = 0
    settings.EXCHANGE_RETRY_BASE_SECONDS = 0.0
    return tmp_path


@pytest.fixture
def wsgi_hub(exchange_env):
    """Every HubConnection talks to the embedded hub (/hub/) through the WSGI app, in-process."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from vpdt.exchange import connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    app = WSGIHandler()
    connections.transport_factory = lambda connection: httpx.WSGITransport(app=app)
    yield "http://testserver/hub"
    connections.transport_factory = None
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def make_agency(code: str, name: str, *, endpoint: str, hub_register=True):
    from vpdt.exchange import services as exchange
    from vpdt.hub import services as hub

    agency = factories.agency(code=code, name=name, abbreviation="UBND")
    system_id, secret = f"sys.{code}", f"secret-{code}"
    if hub_register:
        hub.add_agency(code, name, system_id=system_id, secret=secret)
    exchange.connect([agency], endpoint=endpoint, system_id=system_id, secret=secret)
    return agency


@pytest.fixture
def province(wsgi_hub):
    """Three agencies on the in-process hub, each with a clerk."""
    out = {}
    for code, name in ((SENDER, "Văn phòng UBND tỉnh Bình Sơn"), (RECEIVER, "Sở Nội vụ tỉnh Bình Sơn"),
                       (THIRD, "Sở Tài chính tỉnh Bình Sơn")):
        agency = make_agency(code, name, endpoint=wsgi_hub)
        out[code] = (agency, factories.person(agency, Role.CLERK, Role.LEADER))
    return out


def released(agency, user, to_agencies, *, subject="Về việc triển khai văn phòng điện tử", attachment=None,
             secrecy=0, **fields):
    """An approved document, released to `to_agencies` through the real services: the clerk
    issues its number (records.services.issue_number, via workflow), attaches the file, sets
    the recipients and releases it (workflow.services.release -> records.services.release ->
    the exchange's deliverer)."""
    document = factories.document(agency, state=State.APPROVED, subject=subject, notation="UBND-VP",
                                  secrecy=secrecy, signer_name="Nguyễn Văn An", signer_position="Chánh Văn phòng",
                                  place="Bình Sơn", **{k: v for k, v in fields.items() if k != "issued_date"})
    if attachment is None:
        attachment = factories.pdf_bytes()
    if attachment:
        add_attachment(None, document, io.BytesIO(attachment), "van-ban.pdf", content_type="application/pdf",
                       kind=Attachment.Kind.MAIN)
    return release_to(document, user, to_agencies, issued_date=fields.get("issued_date", dt.date(2026, 3, 2)))


def release_to(document, user, to_agencies, *, issued_date=None):
    """Number (when not yet), address to `to_agencies` and release `document` as the clerk `user` would."""
    from vpdt.workflow import services as workflow

    if document.number is None:
        document = workflow.issue_number(user, document, date=issued_date)
    with transaction.atomic():  # addressed and released together: a failed release leaves no recipients
        workflow.set_recipients(user, document, agencies=to_agencies)
        workflow.release(user, document)
    document.refresh_from_db()
    return document


def run_exchange(rounds: int = 6) -> None:
    """What the worker does, a few times over: send, then poll."""
    from vpdt.exchange import inbox, outbox

    for _ in range(rounds):
        sent = outbox.send_pending()
        got = inbox.poll_all()
        if not sent and not got:
            break
