"""Core records: content-addressed blobs and the append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


class ChoiceLabels:
    """`get_<field>_display()` by a dictionary lookup: a model mixin, before `models.Model`.

    Django's own builds `dict(make_hashable(field.flatchoices))` on every call, which hashes
    every lazy label and so translates every choice: ~0.35 ms for a document's 14 states, twice
    per line of a list (docs/BENCHMARKS.md, "People at once"). Here each field's labels are
    kept per field, untranslated, and only the one shown is translated. Same answer: the label
    of the value, or the value itself when it is not one of the choices.
    """

    _choice_labels: dict = {}

    def _get_FIELD_display(self, field):
        labels = ChoiceLabels._choice_labels.get(field)
        if labels is None:
            labels = ChoiceLabels._choice_labels[field] = dict(field.flatchoices)
        value = getattr(self, field.attname)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value (a JSON field's list) is not one of the choices
            label = value
        return force_str(label, strings_only=True)


class Blob(models.Model):
    """A file's bytes, stored once under its SHA-256 whatever the number of documents using it."""

    sha256 = models.CharField("SHA-256", max_length=64, primary_key=True)
    size = models.BigIntegerField("kích thước (byte)")
    created_at = models.DateTimeField("lưu lúc", auto_now_add=True)

    class Meta:
        verbose_name = "tệp lưu trữ"
        verbose_name_plural = "tệp lưu trữ"

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… ({self.size} B)"

    @property
    def storage_name(self) -> str:
        return f"{self.sha256[:2]}/{self.sha256[2:4]}/{self.sha256}"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Nhật ký hệ thống chỉ được ghi thêm, không được sửa.")

    def delete(self):
        raise PermissionError("Nhật ký hệ thống chỉ được ghi thêm, không được xóa.")


class AuditEntry(models.Model):
    """One state change or one sensitive read: who, what, when, from where. Append-only.

    The model refuses updates and deletes, and database triggers (migrations 0003, 0004)
    refuse them too, with no switch to turn them off. Entries form one hash chain
    (`seq`, `prev_hash`, `entry_hash`, written by vpdt.core.audit.record under the
    AuditHead lock), so one who bypasses the triggers (drops them, edits the file) still
    leaves a trace that `vpdt audit verify` names. Rows from before the chain have no
    `seq`; the chain's first entry (`audit.genesis`) holds their digest.
    """

    seq = models.BigIntegerField("số thứ tự", null=True, blank=True, unique=True)
    prev_hash = models.CharField("mã băm mục trước", max_length=64, blank=True)
    entry_hash = models.CharField("mã băm", max_length=64, blank=True)
    at = models.DateTimeField("thời điểm", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+", verbose_name="người thực hiện",
    )
    actor_name = models.CharField("tên người thực hiện", max_length=200, blank=True)
    agency_code = models.CharField("mã cơ quan", max_length=40, blank=True, db_index=True)
    action = models.CharField("hành động", max_length=80, db_index=True)
    object_type = models.CharField("loại đối tượng", max_length=80, blank=True)
    object_id = models.CharField("mã đối tượng", max_length=80, blank=True, db_index=True)
    ip = models.GenericIPAddressField("địa chỉ IP", null=True, blank=True)
    via = models.CharField("kênh", max_length=20, blank=True)
    detail = models.JSONField("chi tiết", default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "nhật ký"
        verbose_name_plural = "nhật ký hệ thống"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor_name or 'hệ thống'}: {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Nhật ký hệ thống chỉ được ghi thêm, không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Nhật ký hệ thống chỉ được ghi thêm, không được xóa.")


class AuditHead(models.Model):
    """The chain's last entry (one row, id 1): the lock every audit writer takes first."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "đầu chuỗi nhật ký"
        verbose_name_plural = "đầu chuỗi nhật ký"


class Incident(models.Model):
    """--- ops: one failure episode of a link (a hub connection, an agency's sending, the upper hub):
    opened at the first failure after success, closed at the next success. Written by the code that
    sees the failure (vpdt.core.incidents), read by the operator's page and its report."""

    CONNECTION = "connection"  # an e-office's connection to a hub (poll, send)
    OUTBOX = "outbox"  # an agency's packages not going out
    UPSTREAM = "upstream"  # the province hub's link to the upper hub
    KINDS = [(CONNECTION, _("Kết nối tới trục")), (OUTBOX, _("Gửi gói tin của cơ quan")),
             (UPSTREAM, _("Liên kết trục cấp trên"))]

    kind = models.CharField("loại", max_length=12, choices=KINDS)
    subject = models.CharField("đối tượng", max_length=300)
    agency_code = models.CharField("mã cơ quan", max_length=40, blank=True)
    started_at = models.DateTimeField("bắt đầu")
    ended_at = models.DateTimeField("kết thúc", null=True, blank=True)
    cause = models.TextField("nguyên nhân (lỗi đầu tiên)")
    last_error = models.TextField("lỗi gần nhất", blank=True)
    failures = models.PositiveIntegerField("số lần lỗi", default=1)
    last_failure_at = models.DateTimeField("lỗi gần nhất lúc")

    class Meta:
        verbose_name = "sự cố"
        verbose_name_plural = "sự cố"
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "subject"], condition=models.Q(ended_at__isnull=True),
                                               name="incident_one_open_per_link")]
        indexes = [models.Index(fields=["started_at"], name="incident_started_idx")]

    @property
    def duration(self):
        from django.utils import timezone

        return (self.ended_at or timezone.now()) - self.started_at
