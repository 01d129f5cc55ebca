"""The text of each file (issue 15): what the search reads beside the signed original.

The document's own index lives in the database (see `schema`). This module holds `FileText`:
one row per attachment or draft version, made pending when the file is attached
(`services.queue_text`, or the job's backfill for rows written by bulk SQL), filled by the
background job `search.text` (`extract`): the PDF text layer, DOCX/ODT, or OCR of scans. The
file itself is never opened for writing: the text is a row of its own.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from vpdt.core.models import Blob


class FileText(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Chờ trích nội dung")
        WORKING = "working", _("Đang trích nội dung")
        DONE = "done", _("Đã trích nội dung")
        FAILED = "failed", _("Không trích được nội dung")

    class Method(models.TextChoices):
        NONE = "", _("Chưa trích")
        TEXT = "text", _("Lớp chữ của tệp")
        OCR = "ocr", _("Nhận dạng chữ (OCR)")
        MIXED = "mixed", _("Lớp chữ và OCR")
        SKIPPED = "skipped", _("Loại tệp không có chữ")

    # Exactly one of attachment / version (a check constraint); document is copied for the search's join.
    attachment = models.OneToOneField("records.Attachment", null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="file_text", verbose_name="tệp đính kèm")
    version = models.OneToOneField("records.DraftVersion", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="file_text", verbose_name="phiên bản dự thảo")
    document = models.ForeignKey("records.Document", on_delete=models.CASCADE, related_name="+",
                                 verbose_name="văn bản", db_index=False)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+", verbose_name="tệp", db_index=False)
    file_kind = models.CharField("loại tệp", max_length=12, blank=True)
    state = models.CharField("tình trạng", max_length=10, choices=State.choices, default=State.PENDING)
    method = models.CharField("cách trích", max_length=8, choices=Method.choices, blank=True, default="")
    pages = models.PositiveIntegerField("số trang đã đọc", default=0)
    ocr_pages = models.PositiveIntegerField("số trang nhận dạng (OCR)", default=0)
    truncated = models.BooleanField("đã cắt bớt", default=False)
    text = models.TextField("nội dung", blank=True)
    text_folded = models.TextField("nội dung không dấu", blank=True, editable=False)
    error_code = models.CharField("mã lỗi", max_length=40, blank=True)
    error_detail = models.TextField("chi tiết lỗi", blank=True)
    attempts = models.PositiveSmallIntegerField("số lần thử", default=0)
    lease_until = models.DateTimeField("giữ đến", null=True, blank=True)
    seconds = models.FloatField("thời gian (giây)", null=True, blank=True)
    created_at = models.DateTimeField("lúc tạo", auto_now_add=True)
    finished_at = models.DateTimeField("lúc xong", null=True, blank=True)

    class Meta:
        verbose_name = "nội dung tệp"
        verbose_name_plural = "nội dung tệp"
        indexes = [
            # The search joins file text to documents by document id; the job takes the oldest due row.
            models.Index(fields=["document", "state"], name="search_ft_document"),
            models.Index(fields=["state", "id"], name="search_ft_due"),
            models.Index(fields=["blob", "state"], name="search_ft_blob"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(attachment__isnull=False, version__isnull=True)
                           | models.Q(attachment__isnull=True, version__isnull=False)),
                name="search_filetext_one_file"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} – {self.blob_id[:12]}"


class DocumentText(models.Model):
    """The words of a document beyond its subject and names (issue 15): the summary (nội dung tóm
    tắt), the note (ghi chú), the recipients (nơi nhận: the typed list and each recipient's name)
    and the handling opinions (ý kiến xử lý), folded, one row per document keyed by its id, so a
    match is a document id with no join. Kept by `services.refresh_document_text` (signals on the
    document, its recipients and opinions). Opinions are read by whoever may see the document
    (the document page shows them all), so they are searched under the same visibility."""

    document = models.OneToOneField("records.Document", primary_key=True, on_delete=models.CASCADE,
                                    related_name="+", verbose_name="văn bản")
    text_folded = models.TextField("nội dung không dấu", blank=True)

    class Meta:
        verbose_name = "nội dung khác của văn bản"
        verbose_name_plural = "nội dung khác của văn bản"
