"""Webhooks: an agency's subscriptions, the outbox of deliveries, and each attempt.

A subscription (an agency admin's) names a URL and the public events it wants; its secret
(the HMAC key) is sealed at rest (vpdt.core.sealed). The dispatch job (vpdt.webhooks.jobs)
turns new audit entries into deliveries, one per (subscription, event) — `event_id` is unique
per subscription, so an event is never enqueued twice — and sends them oldest first.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vpdt.core import sealed

SEALER = sealed.Sealer(salt=b"vpdt.webhooks", info=b"webhook subscription secret")


class WebhookSubscription(models.Model):
    agency = models.ForeignKey("directory.Agency", on_delete=models.CASCADE, related_name="webhook_subscriptions",
                               verbose_name="cơ quan")
    url = models.URLField("địa chỉ nhận", max_length=500)
    description = models.CharField("ghi chú", max_length=200, blank=True)
    events = models.JSONField("sự kiện", default=list)
    secret = models.TextField("khóa bí mật (đã mã hóa)")
    active = models.BooleanField("đang dùng", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name="người tạo")
    created_at = models.DateTimeField("tạo lúc", default=timezone.now)

    class Meta:
        verbose_name = "đăng ký webhook"
        verbose_name_plural = "đăng ký webhook"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url

    def secret_value(self) -> str:
        return SEALER.decrypt(self.secret)


sealed.register("webhooks.webhooksubscription", "secret", SEALER, text=True)


class WebhookDelivery(models.Model):
    """One event for one subscription: the outbox row the sender works on."""

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        DELIVERED = "delivered", _("Đã gửi")
        FAILED = "failed", _("Gửi không được")

    uuid = models.UUIDField("mã lần báo", default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries",
                                     verbose_name="đăng ký")
    event = models.CharField("sự kiện", max_length=40)
    event_id = models.CharField("mã sự kiện", max_length=80)
    occurred_at = models.DateTimeField("xảy ra lúc")
    payload = models.JSONField("nội dung", default=dict)
    state = models.CharField("trạng thái", max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField("số lần thử liên tiếp", default=0)
    next_attempt_at = models.DateTimeField("thử lại lúc", default=timezone.now)
    last_status = models.PositiveIntegerField("mã trả lời gần nhất", null=True, blank=True)
    last_error = models.CharField("lỗi gần nhất", max_length=500, blank=True)
    delivered_at = models.DateTimeField("đã gửi lúc", null=True, blank=True)
    created_at = models.DateTimeField("tạo lúc", default=timezone.now)

    class Meta:
        verbose_name = "lần báo webhook"
        verbose_name_plural = "lần báo webhook"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_event_once")]
        indexes = [models.Index(fields=["subscription", "state", "id"], name="webhook_queue")]


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, the answer's status or the error, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log",
                                 verbose_name="lần báo")
    at = models.DateTimeField("lúc", default=timezone.now)
    status = models.PositiveIntegerField("mã trả lời", null=True, blank=True)
    error = models.CharField("lỗi", max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField("thời gian (ms)", default=0)

    class Meta:
        verbose_name = "lần gửi webhook"
        verbose_name_plural = "lần gửi webhook"
        ordering = ["-at", "-id"]

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookCursor(models.Model):
    """Where the dispatch job stands (one row): the last audit `seq` read, the last due date checked."""

    seq = models.BigIntegerField(default=0)
    overdue_through = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "mốc đọc nhật ký của webhook"
