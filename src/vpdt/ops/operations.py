"""The operator's view of the interconnection: each agency's connection and queues, the hub's
federation links, and the incidents of a period (failure episodes recorded by vpdt.core.incidents
where the failures were seen: hub connections, agencies' sending, the upper hub link).

Everything here is read from the tables as they are; nothing is estimated."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from vpdt.core.models import Incident


@dataclass
class AgencyRow:
    code: str
    name: str
    connections: list[dict] = field(default_factory=list)
    last_poll: dt.datetime | None = None
    waiting: int = 0
    oldest: dt.datetime | None = None
    retrying: int = 0
    failed: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)
    quarantined: int = 0
    last_received: dt.datetime | None = None
    open_incident: Incident | None = None


def agencies() -> list[AgencyRow]:
    """One row per agency with a hub connection or packages in its queues."""
    if "vpdt.exchange" not in settings.INSTALLED_APPS:
        return []
    from vpdt.directory.models import Agency
    from vpdt.exchange.connections import link_name
    from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage

    rows: dict[int, AgencyRow] = {}

    def row(agency_id: int) -> AgencyRow:
        if agency_id not in rows:
            rows[agency_id] = AgencyRow("", "")
        return rows[agency_id]

    for conn in HubConnection.objects.filter(enabled=True).prefetch_related("agencies"):
        for agency in conn.agencies.all():
            r = row(agency.pk)
            r.connections.append({"name": link_name(conn), "failures": conn.failures, "last_error": conn.last_error,
                                  "retry_at": conn.retry_at})
            if conn.last_ok_at and (r.last_poll is None or conn.last_ok_at > r.last_poll):
                r.last_poll = conn.last_ok_at
    for o in OutboxMessage.objects.values("agency_id").annotate(
            waiting=Count("id", filter=Q(state=OutboxMessage.PENDING)),
            oldest=Min("created_at", filter=Q(state=OutboxMessage.PENDING)),
            retrying=Count("id", filter=Q(state=OutboxMessage.PENDING, attempts__gt=0)),
            failed=Count("id", filter=Q(state=OutboxMessage.FAILED))):
        r = row(o["agency_id"])
        r.waiting, r.oldest, r.retrying, r.failed = o["waiting"], o["oldest"], o["retrying"], o["failed"]
    reasons: dict[int, Counter] = {}
    for agency_id, error in OutboxMessage.objects.filter(
            Q(state=OutboxMessage.FAILED) | Q(state=OutboxMessage.PENDING, attempts__gt=0)).exclude(
            last_error="").values_list("agency_id", "last_error")[:5000]:
        reasons.setdefault(agency_id, Counter())[error[:200]] += 1
    for agency_id, counter in reasons.items():
        row(agency_id).reasons = counter.most_common(3)
    for i in InboxItem.objects.filter(agency__isnull=False).values("agency_id").annotate(
            quarantined=Count("id", filter=Q(outcome=InboxItem.QUARANTINED, resolved_at__isnull=True)),
            last=Max("received_at")):
        r = row(i["agency_id"])
        r.quarantined, r.last_received = i["quarantined"], i["last"]
    names = {a.pk: a for a in Agency.objects.filter(pk__in=list(rows))}
    open_ones = {i.subject: i for i in Incident.objects.filter(kind=Incident.OUTBOX, ended_at__isnull=True)}
    for agency_id, r in rows.items():
        agency = names.get(agency_id)
        r.code, r.name = (agency.code, agency.name) if agency else (str(agency_id), "")
        r.open_incident = open_ones.get(r.code)
    return sorted(rows.values(), key=lambda r: (-(r.failed + r.retrying + r.quarantined), r.code))


@dataclass
class Federation:
    installed: bool = False
    upstream: str = ""
    upstream_system: str = ""
    up_waiting: int = 0
    up_failed: int = 0
    up_oldest: dt.datetime | None = None
    up_last_error: str = ""
    up_last_forwarded: dt.datetime | None = None
    open_incident: Incident | None = None
    receivers: list[dict] = field(default_factory=list)


def federation() -> Federation:
    """The embedded hub: its link to the upper hub and what waits for each receiver."""
    if "vpdt.hub" not in settings.INSTALLED_APPS:
        return Federation()
    from vpdt.hub.models import Delivery, Upstream

    fed = Federation(installed=True)
    upstream = Upstream.objects.filter(pk=1).first()
    if upstream is not None:
        fed.upstream, fed.upstream_system = upstream.url, upstream.system_id
        fed.open_incident = Incident.objects.filter(kind=Incident.UPSTREAM, subject=upstream.url,
                                                    ended_at__isnull=True).first()
    ups = Delivery.objects.filter(route=Delivery.UPSTREAM)
    agg = ups.aggregate(waiting=Count("id", filter=Q(state__in=[Delivery.PENDING, Delivery.PROCESSING])),
                        failed=Count("id", filter=Q(state=Delivery.FAIL)),
                        oldest=Min("created_at", filter=Q(state__in=[Delivery.PENDING, Delivery.PROCESSING])),
                        last=Max("done_at"))
    fed.up_waiting, fed.up_failed, fed.up_oldest, fed.up_last_forwarded = (
        agg["waiting"], agg["failed"], agg["oldest"], agg["last"])
    last_error = ups.exclude(error_desc="").order_by("-updated_at").values_list("error_desc", flat=True).first()
    fed.up_last_error = last_error or ""
    for d in (Delivery.objects.exclude(route__in=[Delivery.UPSTREAM, Delivery.REFUSED]).values("to_code").annotate(
            waiting=Count("id", filter=Q(state__in=[Delivery.PENDING, Delivery.PROCESSING])),
            failed=Count("id", filter=Q(state=Delivery.FAIL)),
            oldest=Min("created_at", filter=Q(state__in=[Delivery.PENDING, Delivery.PROCESSING])),
            last_fetch=Max("fetched_at")).filter(Q(waiting__gt=0) | Q(failed__gt=0)).order_by("-waiting")[:300]):
        fed.receivers.append(d)
    return fed


def incidents(start: dt.date, end: dt.date) -> list[Incident]:
    """Episodes that overlap the days start..end (local time), the longest first."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    found = list(Incident.objects.filter(started_at__lt=until).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=since)).order_by("-started_at")[:5000])
    return found


def summary(found: list[Incident]) -> list[dict]:
    """Per link: how many episodes, their total duration, the longest."""
    per: dict[tuple[str, str], dict] = {}
    for i in found:
        s = per.setdefault((i.kind, i.subject), {"kind": i.get_kind_display(), "subject": i.subject, "count": 0,
                                                 "total": dt.timedelta(0), "longest": dt.timedelta(0)})
        s["count"] += 1
        s["total"] += i.duration
        s["longest"] = max(s["longest"], i.duration)
    return sorted(per.values(), key=lambda s: -s["total"])


def duration_text(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if not days:
        return text
    from django.utils.translation import ngettext

    return ngettext("%(days)d ngày %(time)s", "%(days)d ngày %(time)s", days) % {"days": days, "time": text}


def incidents_xlsx(found: list[Incident], start: dt.date, end: dt.date, out) -> None:
    """The report as XLSX (openpyxl, write-only: rows go to a temporary file, not memory)."""
    from django.utils.translation import gettext as _
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Sự cố"))
    local = timezone.localtime
    sheet.append([_("Sự cố kết nối liên thông từ %(start)s đến %(end)s") % {
        "start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")}])
    sheet.append([_("Loại"), _("Đối tượng"), _("Mã cơ quan"), _("Bắt đầu"), _("Kết thúc"), _("Thời gian (giây)"),
                  _("Thời gian"), _("Số lần lỗi"), _("Nguyên nhân"), _("Lỗi gần nhất")])
    for i in found:
        sheet.append([i.get_kind_display(), i.subject, i.agency_code, local(i.started_at).strftime("%d/%m/%Y %H:%M:%S"),
                      local(i.ended_at).strftime("%d/%m/%Y %H:%M:%S") if i.ended_at else _("đang diễn ra"),
                      int(i.duration.total_seconds()), duration_text(i.duration), i.failures, i.cause[:1000],
                      i.last_error[:1000]])
    totals = book.create_sheet(_("Tổng hợp"))
    totals.append([_("Loại"), _("Đối tượng"), _("Số sự cố"), _("Tổng thời gian (giây)"), _("Lâu nhất (giây)")])
    for s in summary(found):
        totals.append([s["kind"], s["subject"], s["count"], int(s["total"].total_seconds()),
                       int(s["longest"].total_seconds())])
    book.save(out)
