"""What an import keeps: each legacy record's identity and the document it became.

(source, legacy_id) is unique: a record is imported once, whatever reruns or crashes happen.
The row is written in the same transaction as its document (records.bulk.import_batch), so a
document never exists without its legacy id, nor a legacy id without its document.
"""

from django.db import models

from vpdt.records.models import Document


class LegacyRecord(models.Model):
    source = models.CharField("nguồn dữ liệu cũ", max_length=60)
    legacy_id = models.CharField("mã bản ghi cũ", max_length=200)
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="legacy_record",
                                    verbose_name="văn bản")
    # SHA-256 of the record as normalised when imported: a later run names the records the old
    # system changed since (reported, never applied: the historical register is closed).
    digest = models.CharField("mã băm nội dung", max_length=64)

    class Meta:
        verbose_name = "bản ghi từ hệ thống cũ"
        verbose_name_plural = "bản ghi từ hệ thống cũ"
        constraints = [models.UniqueConstraint(fields=["source", "legacy_id"], name="legacy_record_unique")]

    def __str__(self) -> str:
        return f"{self.source}:{self.legacy_id}"
