"""The operator's page: incidents are the failure episodes the exchange recorded (built here by
the real failure paths at set times, checked by hand), the agencies' queues, the XLSX report."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests import factories
from vpdt.core import blobs
from vpdt.core.models import Incident
from vpdt.directory.roles import Role

pytestmark = pytest.mark.django_db(databases=["default", "hub"])
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # 15:00 in Hà Nội


@pytest.fixture
def clock(monkeypatch):
    now = {"t": T0}
    monkeypatch.setattr(timezone, "now", lambda: now["t"])

    def at(minutes: float):
        now["t"] = T0 + dt.timedelta(minutes=minutes)
    return at


def _setup():
    from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage

    agency = factories.agency("000.00.05.H99", name="Sở Thử nghiệm")
    conn = HubConnection(endpoint="http://truc.tinh", system_id="vpdt-tn")
    conn.set_secret("s")
    conn.save()
    conn.agencies.add(agency)
    package = blobs.store_stream(io.BytesIO(b"<edXML/>"))
    messages = [OutboxMessage.objects.create(agency=agency, to_code=f"000.00.0{i}.H98", message_type="edoc",
                                             package=package) for i in range(2)]
    InboxItem.objects.create(connection=conn, hub_doc_id="q1", agency=agency, message_type="edoc",
                             outcome=InboxItem.QUARANTINED, reason_code="EDXML_INVALID")
    return agency, conn, messages


def test_failures_become_episodes_with_their_start_end_duration_and_cause(clock):
    from vpdt.exchange import connections, outbox

    agency, conn, (m1, m2) = _setup()
    clock(0)
    connections.failed(conn, "ConnectError: [Errno 111] Connection refused")
    clock(2)
    connections.failed(conn, "ReadTimeout")
    clock(7.5)
    connections.succeeded(conn)  # back after 7 min 30 s
    clock(10)
    connections.succeeded(conn)  # nothing open: nothing changes
    clock(20)
    outbox._mark_retry(m1, "0017 hub busy", timezone.now() + dt.timedelta(minutes=1))
    clock(21)
    outbox._mark_failed(m2, "0004 receiver unknown")
    clock(80)
    outbox._mark_sent(m1, "hub-1")  # the agency sends again after an hour

    episodes = list(Incident.objects.order_by("started_at"))
    assert [(i.kind, i.subject) for i in episodes] == [("connection", "vpdt-tn@http://truc.tinh"),
                                                       ("outbox", "000.00.05.H99")]
    link, sending = episodes
    assert (link.started_at, link.ended_at, link.failures) == (T0, T0 + dt.timedelta(minutes=7.5), 2)
    assert link.cause.startswith("ConnectError") and link.last_error == "ReadTimeout"
    assert link.duration == dt.timedelta(minutes=7, seconds=30)
    assert (sending.started_at, sending.ended_at, sending.failures) == (T0 + dt.timedelta(minutes=20),
                                                                       T0 + dt.timedelta(minutes=80), 2)
    assert sending.cause == "000.00.00.H98: 0017 hub busy" and sending.agency_code == "000.00.05.H99"
    clock(90)
    connections.failed(conn, "ConnectError again")  # a new episode, still going on
    assert Incident.objects.filter(ended_at__isnull=True).count() == 1


def test_a_send_run_looks_for_its_agencys_open_incident_once_and_closes_one_it_opened(monkeypatch):
    """The outbox incident is closed by the run's first success for the agency (one look per run,
    not per message), and again by a later success after a failure in the same run."""
    from vpdt.core import incidents
    from vpdt.exchange import clients, outbox
    from vpdt.exchange.models import OutboxMessage
    from vpdt.vxp.client import VxpRemoteError

    agency, conn, (m1, m2) = _setup()
    m3 = OutboxMessage.objects.create(agency=agency, to_code="000.00.07.H98", message_type="edoc",
                                      package=m1.package)
    outcomes = {}

    class Client:
        def send_edoc(self, path, *, from_code, to, message_type, sha256=None):
            if outcomes.get(to[0]) == "refused":
                raise VxpRemoteError("sendEdoc", {"ErrorCode": "0004", "ErrorDesc": "receiver unknown"})
            return f"hub-{to[0]}"

    monkeypatch.setattr(clients, "shared", lambda connection: Client())
    looks = []
    real = incidents._OPEN.first
    monkeypatch.setattr(incidents._OPEN, "first", lambda **kw: looks.append(kw) or real(**kw))

    assert outbox.send_pending() == 3
    assert len(looks) == 1  # three messages of one agency, one look
    assert not Incident.objects.exists()

    OutboxMessage.objects.filter(pk__in=[m1.pk, m2.pk, m3.pk]).update(state=OutboxMessage.PENDING)
    outcomes["000.00.01.H98"] = "refused"  # m2 (to ...01) fails between m1 and m3
    looks.clear()
    assert outbox.send_pending() == 2
    episode = Incident.objects.get(kind="outbox")
    assert episode.ended_at is not None  # m3's success closed what m2's failure opened
    assert len(looks) == 2


def test_the_operator_page_shows_queues_and_the_period_report_with_its_xlsx(client, clock, monkeypatch):
    from vpdt.exchange import connections, outbox

    agency, conn, (m1, m2) = _setup()
    clock(0)
    connections.failed(conn, "ConnectError: refused")
    clock(5)
    connections.succeeded(conn)
    outbox._mark_failed(m2, "0004 receiver unknown")
    Incident.objects.create(kind="connection", subject="old@x", started_at=T0 - dt.timedelta(days=60),
                            ended_at=T0 - dt.timedelta(days=59), cause="long ago", last_failure_at=T0)
    root = factories.person(factories.agency("000.00.00.H90"), Role.PLATFORM_ADMIN, username="admin")
    clerk = factories.clerk(agency)
    monkeypatch.undo()  # the real clock again: sessions would look expired in March

    client.force_login(clerk)
    assert client.get("/quan-tri/van-hanh/").status_code == 403
    client.force_login(root)
    page = client.get("/quan-tri/van-hanh/", {"start": "01/03/2026", "end": "31/03/2026"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Vận hành liên thông" in html and 'data-agency="000.00.05.H99"' in html
    assert "0004 receiver unknown (1)" in html  # the reason of the failed package
    assert "00:05:00" in html and "02/03/2026 15:00:00" in html  # the episode, in local time, dd/mm/yyyy
    assert "long ago" not in html  # outside the period
    row = html.split('data-agency="000.00.05.H99"')[1].split("</tr>")[0]
    assert '<td data-testid="waiting">1</td>' in row and '<td data-testid="failed">1</td>' in row
    assert ">1</a>" in row  # one quarantined package, linked to the quarantine page

    book = client.get("/quan-tri/van-hanh/", {"start": "01/03/2026", "end": "31/03/2026", "format": "xlsx"})
    assert book.status_code == 200 and book["Content-Disposition"].endswith('su-co-lien-thong-20260301-20260331.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(book.streaming_content)))["Sự cố"]
    rows = list(sheet.iter_rows(values_only=True))
    data = [r for r in rows[2:] if r[0]]
    by_subject = {r[1]: r for r in data}
    assert by_subject["vpdt-tn@http://truc.tinh"][3:6] == ("02/03/2026 15:00:00", "02/03/2026 15:05:00", 300)
    assert by_subject["000.00.05.H99"][4] == "đang diễn ra" and "old@x" not in by_subject

    bad = client.get("/quan-tri/van-hanh/", {"start": "31/03/2026", "end": "01/03/2026"})
    assert "Ngày kết thúc phải từ ngày bắt đầu trở đi." in bad.content.decode()
    client.cookies["django_language"] = "en"
    english = client.get("/quan-tri/van-hanh/", {"start": "01/03/2026", "end": "31/03/2026"}).content.decode()
    assert "Interconnection operations" in english
