"""Core records: content-addressed blobs and the append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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

    The model refuses updates and deletes, and database triggers (migration 0002) refuse
    them too, so not even a raw query rewrites history.
    """

    at = models.DateTimeField("thời điểm", auto_now_add=True, db_index=True)
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
