"""`/metrics`: the e-office's state in the Prometheus text format, for the province's monitoring.

prometheus_client (the Prometheus project's own Python client) writes the exposition format and
keeps the request latency histogram; the queues are read from the database at each scrape by a
custom collector (nothing is counted twice, nothing drifts from what the tables say):

- the exchange's outbox: waiting packages per sending agency and the age of the oldest, those
  being retried, those given up (failed), those sent;
- the exchange's inbox: packages per receiving agency and outcome (quarantined ones awaiting an
  administrator), those not yet acknowledged to the hub and the oldest;
- each hub connection: consecutive failures, last success;
- the embedded hub: deliveries per route and state, waiting per receiver, the oldest waiting;
- the background jobs (Huey): tasks in the queue, how late each job's next run is, how long a
  wake-up has waited;
- every request's duration (a middleware), per method, route pattern (not the path: bounded
  labels) and status class.

Who may read it: with VPDT_METRICS_TOKEN set, a request carrying `Authorization: Bearer <token>`
(from anywhere); without it, requests from the loopback address only (a scraper on the same
machine, or through the reverse proxy's own allow list). The histogram lives in each process's
memory: with several server processes each answers for itself (the queues are the same from any).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger("vpdt.ops")
REGISTRY = CollectorRegistry()  # not the global one: only what is described here
REQUEST_SECONDS = Histogram(
    "vpdt_http_request_duration_seconds", "Thời gian trả lời một yêu cầu HTTP (giây), theo mẫu đường dẫn.",
    ["method", "route", "status"], registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


class RequestMetricsMiddleware:
    """Times every request into the histogram (labels: method, route pattern, status class)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route = _route(getattr(request, "resolver_match", None))
        method = request.method if request.method in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"} else "OTHER"
        REQUEST_SECONDS.labels(method, route[:100], f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started)
        return response


def _route(match) -> str:
    """A request's label: its URL pattern, not its path (a bounded set). The hub serves every VXP
    operation through one pattern (a regular expression): its label is `hub/<operation>` for the
    protocol's operations, `hub/unknown` for any other name (a caller cannot add labels)."""
    if match is None:
        return "unmatched"
    if match.view_name == "hub:operation":
        from vpdt.vxp import protocol as vxp

        op = match.kwargs.get("op")
        return f"hub/{op if op in vxp.OPERATIONS else 'unknown'}"
    return match.route or match.view_name


def _age(now, then) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


def _exchange(now) -> list:
    from vpdt.directory.models import Agency
    from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage

    codes = dict(Agency.objects.values_list("pk", "code"))
    outbox = GaugeMetricFamily("vpdt_outbox_messages", "Gói tin trong hàng gửi, theo cơ quan gửi và tình trạng.",
                               labels=["agency", "state"])
    retrying = GaugeMetricFamily("vpdt_outbox_retrying", "Gói tin chờ gửi đã gửi lỗi ít nhất một lần.",
                                 labels=["agency"])
    oldest = GaugeMetricFamily("vpdt_outbox_oldest_pending_age_seconds",
                               "Tuổi gói tin chờ gửi lâu nhất (giây).", labels=["agency"])
    for row in OutboxMessage.objects.values("agency_id", "state").annotate(
            n=Count("id"), first=Min("created_at"), retried=Count("id", filter=Q(attempts__gt=0))):
        code = codes.get(row["agency_id"], str(row["agency_id"]))
        outbox.add_metric([code, row["state"]], row["n"])
        if row["state"] == OutboxMessage.PENDING:
            oldest.add_metric([code], _age(now, row["first"]))
            retrying.add_metric([code], row["retried"])
    inbox = GaugeMetricFamily("vpdt_inbox_items", "Gói tin nhận từ trục, theo cơ quan nhận và kết quả "
                              "(quarantined: bị cách ly, chờ quản trị xử lý).", labels=["agency", "outcome"])
    for row in InboxItem.objects.values("agency_id", "outcome").annotate(n=Count("id")):
        inbox.add_metric([codes.get(row["agency_id"], "") if row["agency_id"] else "", row["outcome"]], row["n"])
    unack = InboxItem.objects.filter(acknowledged_at__isnull=True).aggregate(n=Count("id"), first=Min("received_at"))
    unacked = GaugeMetricFamily("vpdt_inbox_unacknowledged", "Gói tin đã nhận chưa báo lại trục.", value=unack["n"])
    unacked_age = GaugeMetricFamily("vpdt_inbox_oldest_unacknowledged_age_seconds",
                                    "Tuổi gói tin chưa báo lại trục lâu nhất (giây).", value=_age(now, unack["first"]))
    failures = GaugeMetricFamily("vpdt_hub_connection_consecutive_failures",
                                 "Số lần lỗi liên tiếp của kết nối tới trục.", labels=["connection"])
    last_ok = GaugeMetricFamily("vpdt_hub_connection_last_ok_age_seconds",
                                "Thời gian từ lần kết nối được gần nhất (giây; -1: chưa bao giờ).", labels=["connection"])
    for conn in HubConnection.objects.filter(enabled=True):
        name = f"{conn.system_id}@{conn.endpoint}"
        failures.add_metric([name], conn.failures)
        last_ok.add_metric([name], _age(now, conn.last_ok_at) if conn.last_ok_at else -1)
    return [outbox, retrying, oldest, inbox, unacked, unacked_age, failures, last_ok]


def _hub(now) -> list:
    from vpdt.hub.models import Delivery

    states = GaugeMetricFamily("vpdt_hub_deliveries", "Gói tin trên trục tỉnh, theo đường chuyển và tình trạng.",
                               labels=["route", "state"])
    for row in Delivery.objects.values("route", "state").annotate(n=Count("id")):
        states.add_metric([row["route"], row["state"]], row["n"])
    waiting = GaugeMetricFamily("vpdt_hub_waiting", "Gói tin chờ nơi nhận lấy hoặc chờ chuyển, theo nơi nhận.",
                                labels=["receiver"])
    oldest = GaugeMetricFamily("vpdt_hub_oldest_waiting_age_seconds", "Tuổi gói tin chờ lâu nhất, theo nơi nhận.",
                               labels=["receiver"])
    failed = GaugeMetricFamily("vpdt_hub_failed", "Gói tin chuyển lỗi, theo nơi nhận.", labels=["receiver"])
    for row in Delivery.objects.filter(state__in=[Delivery.PENDING, Delivery.PROCESSING, Delivery.FAIL]).values(
            "to_code").annotate(n=Count("id", filter=~Q(state=Delivery.FAIL)),
                                f=Count("id", filter=Q(state=Delivery.FAIL)),
                                first=Min("created_at", filter=~Q(state=Delivery.FAIL))):
        waiting.add_metric([row["to_code"]], row["n"])
        failed.add_metric([row["to_code"]], row["f"])
        if row["n"]:
            oldest.add_metric([row["to_code"]], _age(now, row["first"]))
    return [states, waiting, oldest, failed]


def _tasks() -> list:
    from vpdt.core import tasks

    now = time.time()
    pending = GaugeMetricFamily("vpdt_task_queue_pending", "Tác vụ nền đang chờ trong hàng đợi (Huey).",
                                value=tasks.huey.pending_count())
    lag = GaugeMetricFamily("vpdt_job_lag_seconds", "Tác vụ định kỳ chạy trễ bao lâu so với lịch (giây).",
                            labels=["job"])
    woken = GaugeMetricFamily("vpdt_job_wake_waiting_seconds", "Lần đánh thức tác vụ đang chờ bao lâu (giây).",
                              labels=["job"])
    for job in tasks.jobs():
        nxt = tasks.huey.get(tasks._next_key(job.name), peek=True)
        lag.add_metric([job.name], max(0.0, now - nxt[1]) if nxt else 0.0)
        stamp = tasks.huey.get(tasks._queued_key(job.name), peek=True)
        woken.add_metric([job.name], max(0.0, now - stamp) if stamp else 0.0)
    return [pending, lag, woken]


class StateCollector:
    """Reads the queues at each scrape; a part that cannot be read is left out and counted."""

    def collect(self):
        now = timezone.now()
        errors = GaugeMetricFamily("vpdt_metrics_errors", "Phần số liệu không đọc được ở lần lấy này.",
                                   labels=["part"])
        parts = [("tasks", _tasks)]
        if "vpdt.exchange" in settings.INSTALLED_APPS:
            parts.append(("exchange", lambda: _exchange(now)))
        if "vpdt.hub" in settings.INSTALLED_APPS:
            parts.append(("hub", lambda: _hub(now)))
        for name, part in parts:
            try:
                yield from part()
                errors.add_metric([name], 0)
            except Exception:  # noqa: BLE001 - one part down must not hide the others
                log.warning("metrics: cannot read %s", name, exc_info=True)
                errors.add_metric([name], 1)
        yield errors


REGISTRY.register(StateCollector())


def _allowed(request) -> bool:
    token = getattr(settings, "VPDT_METRICS_TOKEN", "")
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode())
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics_view(request):
    if not _allowed(request):
        return HttpResponse("Không được phép đọc số liệu vận hành (cần mã VPDT_METRICS_TOKEN, hoặc gọi từ máy này).\n",
                            status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
