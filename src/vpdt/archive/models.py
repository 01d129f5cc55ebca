"""File plans, dossiers, transfers to the agency archive, readings and disposals.

A dossier (hồ sơ) has the code `OrganId.year.notation` (Decree 30, Phụ lục V); documents join it
through DossierItem, a link and never a copy, so one document may sit in several dossiers. Its
life: open → closed (with the closing note, no longer changes) → in a transfer list →
archived (the archive accepted it) → destroyed (after a disposal both the leader and the
archive approved; the row stays, as the record of what was destroyed and when).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vpdt.core.models import Blob
from vpdt.directory.models import Agency, Unit
from vpdt.records.models import Document


class RetentionPeriod(models.Model):
    """A line of the retention table (bảng thời hạn bảo quản) the platform admin keeps: a kind
    of dossier and how long it is kept; `years` empty means permanent (vĩnh viễn)."""

    code = models.CharField("mã", max_length=30, unique=True)
    name = models.CharField("nhóm hồ sơ, tài liệu", max_length=255)
    years = models.PositiveSmallIntegerField("số năm bảo quản", null=True, blank=True,
                                             help_text="Để trống: bảo quản vĩnh viễn")
    field = models.CharField("lĩnh vực", max_length=100, blank=True)
    order = models.PositiveSmallIntegerField("thứ tự", default=100)

    class Meta:
        verbose_name = "thời hạn bảo quản"
        verbose_name_plural = "bảng thời hạn bảo quản"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.label})"

    @property
    def label(self) -> str:
        return retention_label(self.years)


def retention_label(years: int | None) -> str:
    return "Vĩnh viễn" if years is None else f"{years} năm"


class FilePlanState(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    SUBMITTED = "submitted", _("Chờ lãnh đạo duyệt")
    RETURNED = "returned", _("Trả lại để sửa")
    APPROVED = "approved", _("Đã duyệt")
    PUBLISHED = "published", _("Đã ban hành")


class FilePlan(models.Model):
    """The file plan (danh mục hồ sơ) of an agency for a year: drafted by the clerk (often from
    last year's), approved by the leader, published to the units."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="file_plans", verbose_name="cơ quan")
    year = models.PositiveSmallIntegerField("năm")
    state = models.CharField("trạng thái", max_length=12, choices=FilePlanState.choices, default=FilePlanState.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="người lập")
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name="lập từ danh mục")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="người duyệt")
    approved_at = models.DateTimeField("duyệt lúc", null=True, blank=True)
    published_at = models.DateTimeField("ban hành lúc", null=True, blank=True)
    note = models.TextField("ghi chú", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "danh mục hồ sơ"
        verbose_name_plural = "danh mục hồ sơ"
        ordering = ["agency", "-year"]
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="file_plan_agency_year")]

    def __str__(self) -> str:
        return f"Danh mục hồ sơ năm {self.year} – {self.agency}"


class FilePlanEntry(models.Model):
    """A line of a file plan: a heading (đề mục, by field or unit) or a dossier to open, with its
    notation (the last part of the dossier code), the unit and person responsible, retention."""

    plan = models.ForeignKey(FilePlan, on_delete=models.CASCADE, related_name="entries", verbose_name="danh mục")
    heading = models.CharField("đề mục", max_length=255, help_text="Ví dụ: I. Tổng hợp")
    notation = models.CharField("số, ký hiệu hồ sơ", max_length=40, help_text="Ví dụ: 01.TH")
    title = models.CharField("tên đề mục và tiêu đề hồ sơ", max_length=500)
    retention = models.ForeignKey(RetentionPeriod, null=True, blank=True, on_delete=models.PROTECT,
                                  verbose_name="thời hạn bảo quản")
    retention_years = models.PositiveSmallIntegerField("số năm bảo quản", null=True, blank=True,
                                                       help_text="Để trống: vĩnh viễn")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="đơn vị lập")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name="người lập hồ sơ")
    note = models.CharField("ghi chú", max_length=255, blank=True)
    order = models.PositiveIntegerField("thứ tự", default=0)

    class Meta:
        verbose_name = "dòng danh mục hồ sơ"
        verbose_name_plural = "dòng danh mục hồ sơ"
        ordering = ["plan", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "notation"], name="file_plan_entry_notation")]

    def __str__(self) -> str:
        return f"{self.notation} – {self.title}"

    @property
    def retention_label(self) -> str:
        return retention_label(self.retention_years)


class DossierState(models.TextChoices):
    OPEN = "open", _("Đang lập")
    CLOSED = "closed", _("Đã kết thúc")
    TRANSFERRING = "transferring", _("Đang nộp lưu")
    ARCHIVED = "archived", _("Đã nộp lưu")
    DESTROYED = "destroyed", _("Đã hủy")


class Dossier(models.Model):
    """A dossier (hồ sơ): code `OrganId.year.notation`; documents join it without being copied."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="dossiers", verbose_name="cơ quan")
    plan_entry = models.ForeignKey(FilePlanEntry, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="dossiers", verbose_name="theo danh mục")
    code = models.CharField("mã hồ sơ", max_length=120, unique=True)
    title = models.CharField("tiêu đề hồ sơ", max_length=500)
    year = models.PositiveSmallIntegerField("năm")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="đơn vị lập")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name="người lập")
    retention_years = models.PositiveSmallIntegerField("số năm bảo quản", null=True, blank=True,
                                                       help_text="Để trống: vĩnh viễn")
    state = models.CharField("trạng thái", max_length=12, choices=DossierState.choices, default=DossierState.OPEN)
    # The closing note (Decree 30, điều 30): filled when the dossier is closed.
    start_date = models.DateField("ngày bắt đầu", null=True, blank=True)
    end_date = models.DateField("ngày kết thúc", null=True, blank=True)
    sheets = models.PositiveIntegerField("số tờ", null=True, blank=True)
    pages = models.PositiveIntegerField("số trang", null=True, blank=True)
    closing_note = models.TextField("chú giải", blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name="người kết thúc")
    closed_at = models.DateTimeField("kết thúc lúc", null=True, blank=True)
    transfer_due = models.DateField("hạn nộp lưu", null=True, blank=True)
    archived_at = models.DateTimeField("nộp lưu lúc", null=True, blank=True)
    destroyed_at = models.DateTimeField("hủy lúc", null=True, blank=True)
    documents = models.ManyToManyField(Document, through="DossierItem", related_name="dossiers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"
        ordering = ["-year", "code"]
        indexes = [models.Index(fields=["agency", "state", "year"])]

    def __str__(self) -> str:
        return f"{self.code} – {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state == DossierState.OPEN

    @property
    def retention_label(self) -> str:
        return retention_label(self.retention_years)


class DossierItem(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="items")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="dossier_items")
    order = models.PositiveIntegerField("thứ tự", default=0)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name="người đưa vào")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "văn bản trong hồ sơ"
        verbose_name_plural = "văn bản trong hồ sơ"
        ordering = ["dossier", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["dossier", "document"], name="dossier_item_unique")]


class TransferState(models.TextChoices):
    DRAFT = "draft", _("Đang lập")
    SUBMITTED = "submitted", _("Chờ lưu trữ tiếp nhận")
    ACCEPTED = "accepted", _("Lưu trữ đã tiếp nhận")


class TransferList(models.Model):
    """The transfer list (mục lục hồ sơ, tài liệu nộp lưu) of an agency for a year: the clerk
    prepares it from the closed dossiers due, the archive officer checks each item and accepts or
    returns it; the accepted transfer is a signed package (`package`)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="transfers", verbose_name="cơ quan")
    year = models.PositiveSmallIntegerField("năm của hồ sơ")
    state = models.CharField("trạng thái", max_length=12, choices=TransferState.choices, default=TransferState.DRAFT)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="người lập")
    submitted_at = models.DateTimeField("gửi lúc", null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="người tiếp nhận")
    accepted_at = models.DateTimeField("tiếp nhận lúc", null=True, blank=True)
    package = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name="gói nộp lưu")
    package_sha256 = models.CharField("SHA-256 của gói", max_length=64, blank=True)
    note = models.TextField("ghi chú", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "mục lục hồ sơ nộp lưu"
        verbose_name_plural = "mục lục hồ sơ nộp lưu"
        ordering = ["agency", "-year", "-id"]

    def __str__(self) -> str:
        return f"Mục lục hồ sơ nộp lưu năm {self.year} – {self.agency}"


class TransferItemState(models.TextChoices):
    PENDING = "pending", _("Chờ kiểm tra")
    ACCEPTED = "accepted", _("Đã nhận")
    RETURNED = "returned", _("Trả lại")


class TransferItem(models.Model):
    transfer = models.ForeignKey(TransferList, on_delete=models.CASCADE, related_name="items")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="transfer_items")
    order = models.PositiveIntegerField("thứ tự", default=0)
    state = models.CharField("trạng thái", max_length=10, choices=TransferItemState.choices,
                             default=TransferItemState.PENDING)
    reason = models.TextField("lý do trả lại", blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="người kiểm tra")
    checked_at = models.DateTimeField("kiểm tra lúc", null=True, blank=True)

    class Meta:
        verbose_name = "hồ sơ trong mục lục nộp lưu"
        verbose_name_plural = "hồ sơ trong mục lục nộp lưu"
        ordering = ["transfer", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["transfer", "dossier"], name="transfer_item_unique")]


class ReadingState(models.TextChoices):
    REQUESTED = "requested", _("Chờ duyệt")
    APPROVED = "approved", _("Được đọc")
    REFUSED = "refused", _("Không được đọc")


class ArchiveReading(models.Model):
    """A request to read an archived dossier (phiếu yêu cầu đọc): who asked, why, who decided,
    and when it was read: the archive's log of who read what, when."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="readings", verbose_name="hồ sơ")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name="người đọc")
    purpose = models.CharField("mục đích", max_length=500)
    state = models.CharField("trạng thái", max_length=10, choices=ReadingState.choices,
                             default=ReadingState.REQUESTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="người duyệt")
    decided_at = models.DateTimeField("duyệt lúc", null=True, blank=True)
    refusal_reason = models.CharField("lý do không cho đọc", max_length=500, blank=True)
    requested_at = models.DateTimeField("yêu cầu lúc", auto_now_add=True)
    read_at = models.DateTimeField("đọc lúc", null=True, blank=True)

    class Meta:
        verbose_name = "yêu cầu đọc hồ sơ lưu trữ"
        verbose_name_plural = "yêu cầu đọc hồ sơ lưu trữ"
        ordering = ["-requested_at"]


class DisposalState(models.TextChoices):
    DRAFT = "draft", _("Đang lập")
    SUBMITTED = "submitted", _("Chờ duyệt")
    REFUSED = "refused", _("Không duyệt")
    APPROVED = "approved", _("Đã duyệt (đủ hai bên)")
    DESTROYED = "destroyed", _("Đã hủy")


class DisposalList(models.Model):
    """A list of dossiers past retention proposed for destruction: it needs both the leader's and
    the archive's approval; destroying removes the dossiers' files that no other kept record
    holds and keeps this list, with what and when, as the record (biên bản hủy)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disposals", verbose_name="cơ quan")
    state = models.CharField("trạng thái", max_length=12, choices=DisposalState.choices,
                             default=DisposalState.DRAFT)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="người lập")
    leader_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+",
                                           verbose_name="lãnh đạo duyệt")
    leader_approved_at = models.DateTimeField("lãnh đạo duyệt lúc", null=True, blank=True)
    archive_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+",
                                            verbose_name="lưu trữ duyệt")
    archive_approved_at = models.DateTimeField("lưu trữ duyệt lúc", null=True, blank=True)
    destroyed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name="người thực hiện hủy")
    destroyed_at = models.DateTimeField("hủy lúc", null=True, blank=True)
    record = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name="biên bản hủy")
    note = models.TextField("ghi chú", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "danh sách hồ sơ đề nghị hủy"
        verbose_name_plural = "danh sách hồ sơ đề nghị hủy"
        ordering = ["agency", "-id"]


class DisposalItem(models.Model):
    disposal = models.ForeignKey(DisposalList, on_delete=models.CASCADE, related_name="items")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="disposal_items")
    reason = models.CharField("lý do hủy", max_length=500, default="Hết thời hạn bảo quản")

    class Meta:
        verbose_name = "hồ sơ đề nghị hủy"
        verbose_name_plural = "hồ sơ đề nghị hủy"
        ordering = ["disposal", "id"]
        constraints = [
            models.UniqueConstraint(fields=["disposal", "dossier"], name="disposal_item_unique"),
        ]


__all__ = [
    "ArchiveReading", "DisposalItem", "DisposalList", "DisposalState", "Dossier", "DossierItem", "DossierState",
    "FilePlan", "FilePlanEntry", "FilePlanState", "ReadingState", "RetentionPeriod", "TransferItem",
    "TransferItemState", "TransferList", "TransferState", "retention_label",
]
