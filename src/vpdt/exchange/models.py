"""What the exchange keeps: hub connections, the outbox, the inbox, status history.

All delivery state lives here, in the database, so a worker killed at any point and
restarted carries on where it stopped (ARCHITECTURE.md invariant 1).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from vpdt.core.models import Blob
from vpdt.directory.models import Agency
from vpdt.exchange import crypto  # also declares the sealed secret for `vpdt rotate-secrets`
from vpdt.records.models import Document, Recipient


class HubConnection(models.Model):
    """One system's credentials at one hub; it acts for the agencies listed (one or many)."""

    name = models.CharField("tên kết nối", max_length=200, blank=True)
    endpoint = models.CharField("địa chỉ trục", max_length=500, help_text="Ví dụ http://truc.tinh.gov.vn:8100, hoặc /hub cho trục gắn trong hệ thống này")
    system_id = models.CharField("mã hệ thống (systemid)", max_length=120)
    secret_encrypted = models.TextField("khóa bí mật (đã mã hóa)", editable=False)
    agencies = models.ManyToManyField(Agency, related_name="hub_connections", verbose_name="cơ quan")
    enabled = models.BooleanField("đang dùng", default=True)
    last_ok_at = models.DateTimeField("kết nối được lúc", null=True, blank=True)
    last_error = models.TextField("lỗi gần nhất", blank=True)
    # Back-off of the whole connection while the hub does not answer: keeps the order of
    # packages to each receiver and does not hammer a hub that is down.
    failures = models.PositiveIntegerField("số lần lỗi liên tiếp", default=0)
    retry_at = models.DateTimeField("thử lại lúc", null=True, blank=True)
    # One poller per connection at a time (several worker processes may run).
    polling_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "kết nối trục liên thông"
        verbose_name_plural = "kết nối trục liên thông"
        constraints = [models.UniqueConstraint(fields=["endpoint", "system_id"], name="hub_connection_unique")]

    def __str__(self) -> str:
        return self.name or f"{self.system_id} @ {self.endpoint}"

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt(secret)


class OutboxMessage(models.Model):
    """One package for one receiver, waiting to be sent (or sent) to the hub."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STATES = [(PENDING, "Chờ gửi"), (SENT, "Đã gửi lên trục"), (FAILED, "Gửi lỗi (không thử lại)"),
              (CANCELLED, "Đã hủy")]
    EDOC = "edoc"
    STATUS = "status"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name="cơ quan gửi")
    to_code = models.CharField("mã nơi nhận", max_length=40)
    message_type = models.CharField("loại gói tin", max_length=10, choices=[(EDOC, "Văn bản"), (STATUS, "Trạng thái")])
    business_type = models.PositiveSmallIntegerField("nghiệp vụ", default=0)
    status_code = models.CharField("mã trạng thái", max_length=4, blank=True)
    edxml_document_id = models.CharField("mã văn bản liên thông", max_length=255, blank=True, db_index=True)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name="văn bản")
    recipient = models.ForeignKey(Recipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name="nơi nhận")
    package = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+", verbose_name="gói tin")
    state = models.CharField("tình trạng", max_length=10, choices=STATES, default=PENDING)
    attempts = models.PositiveIntegerField("số lần gửi", default=0)
    next_attempt_at = models.DateTimeField("gửi lại lúc", null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField("lỗi gần nhất", blank=True)
    hub_doc_id = models.CharField("DocId trên trục", max_length=100, blank=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    sent_at = models.DateTimeField("gửi xong lúc", null=True, blank=True)

    class Meta:
        verbose_name = "gói tin chờ gửi"
        verbose_name_plural = "hộp thư đi liên thông"
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        what = f"trạng thái {self.status_code}" if self.message_type == self.STATUS else "văn bản"
        return f"{what} {self.edxml_document_id} → {self.to_code}"


class InboxItem(models.Model):
    """One package fetched from the hub: recorded with what became of it, before it is acknowledged."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    INVALID = "invalid"  # before quarantine existed: a malformed package, acknowledged `fail`
    UNMATCHED = "unmatched"
    QUARANTINED = "quarantined"  # could not be taken in: kept, told the hub `fail`, awaits retry or discard
    DISCARDED = "discarded"  # a quarantined package an administrator gave up on
    OUTCOMES = [(STORED, "Đã lưu"), (DUPLICATE, "Trùng, bỏ qua"), (INVALID, "Không hợp lệ"),
                (UNMATCHED, "Không khớp văn bản nào"), (QUARANTINED, "Bị cách ly"), (DISCARDED, "Đã bỏ")]

    # no index of its own: the unique (connection, hub_doc_id) below begins with it
    connection = models.ForeignKey(HubConnection, on_delete=models.PROTECT, related_name="+", db_index=False)
    hub_doc_id = models.CharField("DocId trên trục", max_length=100)
    agency = models.ForeignKey(Agency, null=True, on_delete=models.PROTECT, related_name="+", verbose_name="cơ quan nhận")
    message_type = models.CharField("loại gói tin", max_length=10)
    from_code = models.CharField("mã nơi gửi", max_length=40, blank=True)
    edxml_document_id = models.CharField("mã văn bản liên thông", max_length=255, blank=True, db_index=True)
    business_type = models.PositiveSmallIntegerField("nghiệp vụ", default=0)
    status_code = models.CharField("mã trạng thái", max_length=4, blank=True)
    outcome = models.CharField("kết quả", max_length=12, choices=OUTCOMES, db_index=True)
    detail = models.TextField("chi tiết", blank=True)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    package = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signature_present = models.BooleanField("có chữ ký số", default=False)
    signature_valid = models.BooleanField("chữ ký hợp lệ", null=True)
    signature_subject = models.CharField("người ký gói tin", max_length=500, blank=True)
    warnings = models.JSONField("cảnh báo", default=list, blank=True)
    received_at = models.DateTimeField("nhận lúc", auto_now_add=True)
    acknowledged_at = models.DateTimeField("đã báo trục lúc", null=True, blank=True)
    # Quarantine: why the package could not be taken in, and what was kept of it (the whole
    # package as `package` when within EXCHANGE_QUARANTINE_KEEP_MB, else its first bytes).
    reason_code = models.CharField("mã lý do", max_length=60, blank=True)
    package_sha256 = models.CharField("SHA-256 gói tin", max_length=64, blank=True)
    package_size = models.BigIntegerField("kích thước gói tin", null=True, blank=True)
    package_head = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="phần đầu gói tin")
    attempts = models.PositiveIntegerField("số lần tiếp nhận", default=1)
    resolved_at = models.DateTimeField("xử lý cách ly lúc", null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="người xử lý cách ly")

    class Meta:
        verbose_name = "gói tin đã nhận"
        verbose_name_plural = "hộp thư đến liên thông"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["connection", "hub_doc_id"], name="inbox_once_per_hub_doc")]


class StatusEvent(models.Model):
    """One status (01–06, 13, 15, 16 …) about a document, sent or received: the history."""

    SENT = "sent"
    RECEIVED = "received"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="exchange_statuses",
                                 verbose_name="văn bản")
    recipient = models.ForeignKey(Recipient, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="status_events", verbose_name="nơi nhận")
    direction = models.CharField("chiều", max_length=10, choices=[(SENT, "Gửi đi"), (RECEIVED, "Nhận về")])
    organ_id = models.CharField("cơ quan báo", max_length=40)
    status_code = models.CharField("mã trạng thái", max_length=4)
    description = models.TextField("mô tả", blank=True)
    staff = models.CharField("cán bộ", max_length=200, blank=True)
    reported_at = models.DateTimeField("thời điểm báo", null=True, blank=True)
    created_at = models.DateTimeField("ghi lúc", auto_now_add=True)

    class Meta:
        verbose_name = "trạng thái liên thông"
        verbose_name_plural = "lịch sử trạng thái liên thông"
        ordering = ["document_id", "created_at", "id"]
        indexes = [models.Index(fields=["document", "recipient"], name="status_doc_recipient")]


class TakeBackRequest(models.Model):
    """A take-back request (status 13) about a document, on either side, and its answer (15/16)."""

    OPEN = ""
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="take_back_requests")
    organ_id = models.CharField("cơ quan bên kia", max_length=40)
    reason = models.TextField("lý do", blank=True)
    outgoing = models.BooleanField("do cơ quan này yêu cầu", default=True)
    answer = models.CharField("trả lời", max_length=4, blank=True, help_text="15 đồng ý, 16 từ chối")
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "yêu cầu lấy lại văn bản"
        verbose_name_plural = "yêu cầu lấy lại văn bản"
        constraints = [models.UniqueConstraint(fields=["document", "organ_id"], condition=Q(answer=""),
                                               name="take_back_one_open_per_receiver")]
