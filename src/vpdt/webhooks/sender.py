"""Sending deliveries: signed POSTs, oldest first per subscription, retried with back-off.

Order: a subscription's deliveries go out in the order they were enqueued (event order). The
sender takes the oldest pending delivery of each subscription; while it waits for its retry,
nothing later of that subscription goes, so a receiver that was down gets every event, once,
in order, when it comes back. After MAX_ATTEMPTS failures in a row a delivery is `failed`
(the next one goes) and an admin may send it again by hand.

Each POST: JSON body, headers X-Vpdt-Event, X-Vpdt-Delivery (the delivery's id, the same on
every retry, so the receiver can drop a repeat), X-Vpdt-Timestamp (Unix seconds) and
X-Vpdt-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>.
Redirects are not followed (a 3xx is a failure): the body never goes to another host.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import socket
import time
from urllib.parse import urlsplit

import httpx
from django.db import transaction
from django.utils import timezone

from vpdt.core import backoff
from vpdt.core.sealed import SealedError
from vpdt.webhooks import services
from vpdt.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

log = logging.getLogger("vpdt.webhooks")

TIMEOUT_SECONDS = 10.0
MAX_ATTEMPTS = 8
BACKOFF_BASE = 30.0  # 30 s, 1 min, 2 min, … capped
BACKOFF_CAP = 3600.0
LEASE_SECONDS = TIMEOUT_SECONDS + 20
PER_RUN = 200
USER_AGENT = "vpdt-webhooks/1"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _lease(delivery: WebhookDelivery, now: dt.datetime) -> bool:
    """Take the delivery for this worker (another worker's lease makes it not due)."""
    return bool(WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.PENDING,
                                               next_attempt_at__lte=now)
                .update(next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS)))


def post(delivery: WebhookDelivery, client: httpx.Client) -> tuple[int | None, str, int]:
    """POST the delivery once: (HTTP status or None, error text, duration in ms)."""
    subscription = delivery.subscription
    body = body_of(delivery)
    stamp = str(int(time.time()))
    try:
        secret = subscription.secret_value()
    except SealedError:
        return None, "Không mở được khóa bí mật của đăng ký (khóa triển khai đã đổi?).", 0
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Vpdt-Event": delivery.event, "X-Vpdt-Delivery": str(delivery.uuid),
               "X-Vpdt-Timestamp": stamp, "X-Vpdt-Signature": sign(secret, stamp, body)}
    if _resolves_inside(subscription.url):
        return None, "Địa chỉ nhận trỏ vào mạng nội bộ; hệ thống không gửi.", 0
    started = time.monotonic()
    try:
        # Streamed and closed unread: the receiver's answer body is never loaded.
        with client.stream("POST", subscription.url, content=body, headers=headers) as answer:
            status, redirect = answer.status_code, answer.is_redirect
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # ValueError: a host name IDNA refuses
        log.info("webhook %s to %s: %s: %s", delivery.uuid, subscription.url, type(exc).__name__, exc)
        return None, _failure_text(exc), int((time.monotonic() - started) * 1000)
    took = int((time.monotonic() - started) * 1000)
    if 200 <= status < 300:
        return status, "", took
    if redirect:
        return status, "Nơi nhận chuyển hướng; hệ thống không theo chuyển hướng.", took
    return status, "Nơi nhận không trả lời thành công.", took


def _resolves_inside(url: str) -> bool:
    """The URL's host is (or its name resolves to) an inside address, and those are not allowed."""
    if services.private_allowed():
        return False
    parts = urlsplit(url)
    host = parts.hostname or ""
    if services.private_address(host):
        return True
    try:
        found = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False  # unresolvable: the POST fails as a connection error
    return any(services.private_address(info[4][0]) for info in found)


def _failure_text(exc: Exception) -> str:
    """What the admin reads for a POST that got no answer (in Vietnamese; the details go to the log)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"Nơi nhận không trả lời trong {TIMEOUT_SECONDS:g} giây."
    if isinstance(exc, httpx.ConnectError):
        return "Không kết nối được tới nơi nhận (máy chủ tắt, từ chối kết nối hoặc sai địa chỉ)."
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL | ValueError):
        return "Địa chỉ nhận không hợp lệ."
    return "Lỗi khi gửi tới nơi nhận."


def attempt(delivery: WebhookDelivery, client: httpx.Client, now: dt.datetime | None = None) -> bool:
    """Send one delivery (already leased) and record the attempt; returns whether it was delivered."""
    status, error, took = post(delivery, client)
    now = now or timezone.now()
    with transaction.atomic():
        if not WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk).exists():
            return True  # deleted with its subscription meanwhile: nothing to record
        WebhookAttempt.objects.create(delivery=delivery, at=timezone.now(), status=status, error=error,
                                      duration_ms=took)
        delivery.last_status, delivery.last_error = status, error
        if not error:
            delivery.state, delivery.delivered_at, delivery.attempts = WebhookDelivery.State.DELIVERED, now, 0
        else:
            delivery.attempts += 1
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = WebhookDelivery.State.FAILED
            delivery.next_attempt_at = now + dt.timedelta(
                seconds=backoff.delay(delivery.attempts, BACKOFF_BASE, BACKOFF_CAP))
        delivery.save(update_fields=["last_status", "last_error", "state", "delivered_at", "attempts",
                                     "next_attempt_at"])
    return not error


def client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False)


def deliver_due(now: dt.datetime | None = None, *, http: httpx.Client | None = None) -> int:
    """Send what is due, oldest first per active subscription; returns how many were attempted."""
    now = now or timezone.now()
    tried = 0
    waiting = (WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, subscription__active=True)
               .values_list("subscription_id", flat=True).distinct())
    subscriptions = list(WebhookSubscription.objects.filter(pk__in=list(waiting)).order_by("pk"))
    if not subscriptions:
        # Nothing to send, which is nearly every run: no client. Building one loads the CA bundle
        # into a new SSL context, about 20 ms of CPU, and the job runs every few seconds.
        return 0
    own = http is None
    http = http or client()
    try:
        for subscription in subscriptions:
            while tried < PER_RUN:
                head = (WebhookDelivery.objects.filter(subscription=subscription, state=WebhookDelivery.State.PENDING)
                        .select_related("subscription").order_by("pk").first())
                # The oldest waits for its retry (or another worker holds it): nothing later goes before it.
                if head is None or head.next_attempt_at > now or not _lease(head, now):
                    break
                tried += 1
                if not attempt(head, http, now):
                    break
    finally:
        if own:
            http.close()
    return tried
