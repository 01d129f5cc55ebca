"""What an agency admin does with webhooks: subscribe, pause, resume, delete, send again.

Only an agency admin (Role.AGENCY_ADMIN) of the subscription's agency manages it; every
change is audited (webhook.*). The secret is made here, shown once, and kept sealed.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from vpdt.core import audit, tasks
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.directory.models import Agency
from vpdt.directory.roles import Role
from vpdt.webhooks import events as ev
from vpdt.webhooks.models import SEALER, WebhookDelivery, WebhookSubscription

JOB = "webhooks.dispatch"
MAX_PER_AGENCY = 20


def admin_agencies(actor) -> QuerySet[Agency]:
    """The agencies whose webhooks `actor` manages: those where they hold the agency admin role."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return Agency.objects.none()
    return Agency.objects.filter(pk__in=[a for a in actor.admin_agency_ids()])


def visible(actor) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(agency__in=admin_agencies(actor)).select_related("agency", "created_by")


def _require_admin(actor, agency_id: int) -> None:
    if not actor.has_role(Role.AGENCY_ADMIN, agency_id):
        raise PermissionDenied("Chỉ quản trị của cơ quan được quản lý webhook của cơ quan.",
                               code="WEBHOOK_NOT_ADMIN", detail=f"user {actor.pk} on agency {agency_id}")


def private_address(host: str) -> bool:
    """A loopback, private, link-local, multicast or reserved address (an IP literal), or localhost."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified)


def private_allowed() -> bool:
    return bool(getattr(settings, "VPDT_WEBHOOKS_ALLOW_PRIVATE", False))


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("Địa chỉ nhận phải là địa chỉ http:// hoặc https:// đầy đủ.", code="WEBHOOK_URL_SCHEME")
    if parts.username or parts.password:
        raise InvalidInput("Địa chỉ nhận không được chứa tên đăng nhập, mật khẩu.", code="WEBHOOK_URL_CREDENTIALS")
    if not private_allowed() and private_address(parts.hostname):
        raise InvalidInput("Địa chỉ nhận thuộc mạng nội bộ; hệ thống chỉ gửi tới địa chỉ công khai.",
                           code="WEBHOOK_URL_PRIVATE")
    if len(url) > 500:
        raise InvalidInput("Địa chỉ nhận quá dài (tối đa 500 ký tự).", code="WEBHOOK_URL_LONG")
    return url


def check_events(names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in ev.EVENTS]
    if unknown:
        raise InvalidInput("Có sự kiện không hợp lệ.", code="WEBHOOK_UNKNOWN_EVENT", detail=f"unknown {unknown}")
    if not names:
        raise InvalidInput("Chọn ít nhất một sự kiện.", code="WEBHOOK_NO_EVENT")
    return [n for n in ev.EVENTS if n in names]


def shown(url: str) -> str:
    """The URL as the audit log keeps it: without its query (a receiver's token may sit there)."""
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl()


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@transaction.atomic
def subscribe(actor, agency: Agency, url: str, events: Iterable[str], description: str = "",
              ) -> tuple[WebhookSubscription, str]:
    """Subscribe `url` to `events` of `agency`: (the subscription, its secret, shown once)."""
    _require_admin(actor, agency.pk)
    url, names = check_url(url), check_events(events)
    if WebhookSubscription.objects.filter(agency=agency).count() >= MAX_PER_AGENCY:
        raise InvalidState(f"Mỗi cơ quan có tối đa {MAX_PER_AGENCY} đăng ký webhook.", code="WEBHOOK_TOO_MANY")
    secret = new_secret()
    ev.start_cursor()
    subscription = WebhookSubscription.objects.create(
        agency=agency, url=url, events=names, description=(description or "").strip()[:200],
        secret=SEALER.encrypt(secret), created_by=actor, created_at=timezone.now())
    audit.record("webhook.create", subscription, user=actor, detail={"url": shown(url), "events": names})
    return subscription, secret


@transaction.atomic
def set_active(actor, subscription: WebhookSubscription, active: bool) -> WebhookSubscription:
    """Pause (no new events are taken, nothing is sent) or resume (what was waiting goes out)."""
    _require_admin(actor, subscription.agency_id)
    if subscription.active == active:
        return subscription
    subscription.active = active
    subscription.save(update_fields=["active"])
    audit.record("webhook.resume" if active else "webhook.pause", subscription, user=actor,
                 detail={"url": shown(subscription.url)})
    if active:
        transaction.on_commit(lambda: tasks.wake(JOB))
    return subscription


@transaction.atomic
def delete(actor, subscription: WebhookSubscription) -> None:
    _require_admin(actor, subscription.agency_id)
    audit.record("webhook.delete", subscription, user=actor, detail={
        "url": shown(subscription.url), "events": subscription.events,
        "pending": subscription.deliveries.filter(state=WebhookDelivery.State.PENDING).count()})
    subscription.delete()


@transaction.atomic
def resend(actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (failed, or delivered and lost by the receiver): it goes next, in its place."""
    subscription = delivery.subscription
    _require_admin(actor, subscription.agency_id)
    if delivery.state == WebhookDelivery.State.PENDING:
        raise InvalidState("Lần báo này đang chờ gửi.", code="WEBHOOK_ALREADY_PENDING")
    previous = delivery.state
    delivery.state, delivery.attempts, delivery.next_attempt_at = WebhookDelivery.State.PENDING, 0, timezone.now()
    delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
    audit.record("webhook.resend", subscription, user=actor, detail={
        "delivery": str(delivery.uuid), "event": delivery.event, "from": previous})
    transaction.on_commit(lambda: tasks.wake(JOB))
    return delivery
