"""Registers, documents (incoming, outgoing, internal), attachments and versions (dossiers are in
vpdt.archive).

Fields follow the registers of Decree 30 Phụ lục IV and what an edXML package carries,
so a document maps to and from a package without loss.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vpdt.core.models import Blob, ChoiceLabels
from vpdt.core.text import fold
from vpdt.directory.models import Agency, Unit
from vpdt.records.choices import (
    AccessReason,
    DeliveryState,
    Direction,
    RecipientKind,
    Secrecy,
    Source,
    State,
    SteeringType,
    Urgency,
)


class DocumentType(models.Model):
    """Tên loại văn bản and its abbreviation (Phụ lục III); công văn has none."""

    code = models.CharField("mã", max_length=20, unique=True)
    name = models.CharField("tên loại", max_length=100)
    abbreviation = models.CharField("chữ viết tắt", max_length=10, blank=True)
    is_normative = models.BooleanField("văn bản quy phạm pháp luật", default=False)
    is_copy = models.BooleanField("bản sao", default=False)
    edxml_type = models.PositiveSmallIntegerField("mã loại edXML", default=1)
    order = models.PositiveSmallIntegerField("thứ tự", default=100)

    class Meta:
        verbose_name = "loại văn bản"
        verbose_name_plural = "loại văn bản"
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cong_van(self) -> bool:
        return not self.abbreviation


class Register(models.Model):
    """A register (sổ đăng ký) of one series for one agency and one year; it owns the counter."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="registers", verbose_name="cơ quan")
    direction = models.CharField("loại sổ", max_length=10, choices=[
        (Direction.OUTGOING.value, "Sổ văn bản đi"), (Direction.INCOMING.value, "Sổ văn bản đến"),
    ])
    series = models.CharField("mã sổ", max_length=30, help_text="chung, mat, sao, hoặc chữ viết tắt loại văn bản.")
    name = models.CharField("tên sổ", max_length=200)
    year = models.PositiveSmallIntegerField("năm")
    last_number = models.PositiveIntegerField("số cuối đã cấp", default=0)
    closed = models.BooleanField("đã khóa sổ", default=False)

    class Meta:
        verbose_name = "sổ đăng ký"
        verbose_name_plural = "sổ đăng ký văn bản"
        ordering = ["agency", "-year", "direction", "series"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "direction", "series", "year"], name="register_unique_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year} – {self.agency.abbreviation}"


def folded_search_fields(notation: str, issuer_name: str, signer_name: str) -> tuple[str, str]:
    """(notation_folded, people_folded) of a document: what records.search compares with."""
    return fold(notation)[:60], f" {fold(issuer_name)} / {fold(signer_name)}"


class Document(ChoiceLabels, models.Model):
    # No index of its own for the agency, the direction or the urgency, nor for the drafting unit
    # and the creator below: every read of them goes through Meta.indexes, which begin with
    # agency_id (or with created_by_id, drafting_unit_id), and two or three values of a column
    # are never worth an index. Each one more was an entry to write with every document and
    # every change of its state (issue 17).
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="documents", verbose_name="cơ quan",
                               db_index=False)
    direction = models.CharField("chiều", max_length=10, choices=Direction.choices)
    state = models.CharField("trạng thái", max_length=20, choices=State.choices, db_index=True)
    source = models.CharField("nguồn", max_length=12, choices=Source.choices, default=Source.INTERNAL)
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, verbose_name="loại văn bản")

    # Số, ký hiệu and date of issue (of the issuing agency; for incoming: the sender's).
    register = models.ForeignKey(
        Register, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="sổ văn bản đi"
    )
    number = models.PositiveIntegerField("số", null=True, blank=True)
    notation = models.CharField("ký hiệu", max_length=60, blank=True)
    issued_date = models.DateField("ngày ban hành", null=True, blank=True, db_index=True)
    place = models.CharField("địa danh", max_length=100, blank=True)

    subject = models.TextField("trích yếu")
    subject_folded = models.TextField("trích yếu không dấu", blank=True, editable=False)
    content = models.TextField("nội dung tóm tắt", blank=True)

    signer_name = models.CharField("người ký", max_length=150, blank=True)
    signer_position = models.CharField("chức vụ người ký", max_length=150, blank=True)
    signer_competence = models.CharField(
        "thẩm quyền ký", max_length=150, blank=True, help_text="Ví dụ: KT. CHỦ TỊCH, TL. GIÁM ĐỐC."
    )
    urgency = models.PositiveSmallIntegerField("độ khẩn", choices=Urgency.choices, default=Urgency.NORMAL)
    secrecy = models.PositiveSmallIntegerField("độ mật", choices=Secrecy.choices, default=Secrecy.NONE)
    page_count = models.PositiveIntegerField("số trang", null=True, blank=True)
    copies = models.PositiveIntegerField("số lượng bản", null=True, blank=True)
    recipients_text = models.TextField("nơi nhận", blank=True)
    due_date = models.DateField("hạn xử lý", null=True, blank=True, db_index=True)
    steering_type = models.PositiveSmallIntegerField("chỉ đạo", choices=SteeringType.choices, default=SteeringType.NONE)
    sphere = models.CharField("phạm vi ban hành", max_length=100, blank=True)
    typer_notation = models.CharField("ký hiệu người đánh máy", max_length=40, blank=True)
    note = models.TextField("ghi chú", blank=True)

    # The issuing agency, for incoming documents (tác giả).
    issuer_code = models.CharField("mã cơ quan ban hành", max_length=40, blank=True, db_index=True)
    issuer_name = models.CharField("cơ quan ban hành", max_length=255, blank=True)

    # The quick search's folded forms (vpdt.core.text.fold, kept by save()): the ký hiệu for a
    # code typed in any case or with Đ as D, and the issuer and signer as ` issuer / signer`
    # (a leading space, so ` word` matches a word's start). Indexed by raw SQL in records
    # migration 0012 (SQLite: B-tree for covering scans; PostgreSQL: pg_trgm GIN).
    notation_folded = models.CharField("ký hiệu không dấu", max_length=60, blank=True, editable=False)
    people_folded = models.TextField("cơ quan ban hành, người ký không dấu", blank=True, editable=False)

    # Incoming registration (số đến, ngày đến).
    incoming_register = models.ForeignKey(
        Register, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="sổ văn bản đến"
    )
    incoming_number = models.PositiveIntegerField("số đến", null=True, blank=True)
    received_at = models.DateTimeField("ngày đến", null=True, blank=True)

    # Interconnection identity (edXML DocumentId) and the outgoing document it came from.
    edxml_document_id = models.CharField("mã văn bản liên thông", max_length=255, blank=True, db_index=True)
    origin = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies_received",
        verbose_name="văn bản gốc (nội bộ)",
    )

    drafting_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="đơn vị soạn thảo",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="người tạo", db_index=False,
    )
    created_at = models.DateTimeField("ngày tạo", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("cập nhật", auto_now=True)
    completed_at = models.DateTimeField("hoàn thành lúc", null=True, blank=True)

    class Meta:
        verbose_name = "văn bản"
        verbose_name_plural = "văn bản"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "direction", "-created_at"], name="doc_agency_dir_created"),
            models.Index(fields=["agency", "direction", "state", "-created_at"], name="doc_agency_dir_state"),
            models.Index(fields=["agency", "number", "notation"], name="doc_agency_code"),
            # The lists (records.listing, BENCHMARKS.md): the filter columns lead, then the
            # list order (urgent first, newest), so a page is an index walk with no sort and
            # the ids-only query never reads the table. Columns are in `fields`, not
            # `include`, because SQLite ignores `include` and needs them to cover the query.
            # Created by raw SQL in migrations 0003-0006, owned here since 0007: keep names.
            models.Index(fields=["agency", "direction", "secrecy", "-urgency", "-created_at", "-id"],
                         name="doc_list_order"),
            # Filtered by state; secrecy last so a unit head's visibility test stays in the index.
            models.Index(fields=["agency", "direction", "state", "-urgency", "-created_at", "-id", "secrecy"],
                         name="doc_list_state_s"),
            # The API lists both directions together in the same order.
            models.Index(fields=["agency", "secrecy", "-urgency", "-created_at", "-id"], name="doc_agency_order"),
            # The search page's order (vpdt.search.fulltext: newest first, whatever the urgency): a walk of
            # the agency's documents in that order, stopping at the page or the facets' sample.
            models.Index(fields=["agency", "secrecy", "-created_at", "-id"], name="doc_agency_newest"),
            # The quick search by số đến.
            models.Index(fields=["agency", "incoming_number"], name="doc_agency_incoming_no"),
            # "What my unit drafted / what I drafted": ids from the index alone.
            models.Index(fields=["drafting_unit", "id"], name="doc_drafting_unit_ids"),
            models.Index(fields=["created_by", "id"], name="doc_created_by_ids"),
            # The "overdue" and "due soon" queues: a state and a due-date range.
            models.Index(fields=["agency", "direction", "state", "due_date"], name="doc_due"),
        ]
        constraints = [
            # A number is issued once per register (one register is one year).
            models.UniqueConstraint(fields=["register", "number"], condition=Q(number__isnull=False),
                                    name="document_number_unique_in_register"),
            models.UniqueConstraint(fields=["incoming_register", "incoming_number"],
                                    condition=Q(incoming_number__isnull=False),
                                    name="document_incoming_number_unique_in_register"),
        ]

    def __str__(self) -> str:
        return f"{self.code or 'Chưa có số'} – {self.subject[:80]}"

    # What save() does before Model.save, and all it does (vpdt.core.prepared's Insert and
    # SaveFields call it, then write the row with their statements written once).
    prepared_save_derives = "derive_search_fields"

    def derive_search_fields(self, update_fields=None):
        """The folded search fields set from the text they fold; with `update_fields` (the fields a
        save writes), those fields and the folded ones they change."""
        self.subject_folded = fold(self.subject)
        self.notation_folded, self.people_folded = folded_search_fields(
            self.notation, self.issuer_name, self.signer_name)
        if update_fields is None:
            return None
        update_fields = set(update_fields)
        if "subject" in update_fields:
            update_fields.add("subject_folded")
        if "notation" in update_fields:
            update_fields.add("notation_folded")
        if update_fields & {"issuer_name", "signer_name"}:
            update_fields.add("people_folded")
        return update_fields

    def save(self, *args, **kwargs):
        update_fields = self.derive_search_fields(kwargs.get("update_fields"))
        if update_fields is not None:
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    @property
    def number_text(self) -> str:
        """Numbers below 10 take a leading zero (Decree 30)."""
        return f"{self.number:02d}" if self.number is not None else ""

    @property
    def code(self) -> str:
        """Số, ký hiệu: `05/UBND-VP`, `15/QĐ-UBND`."""
        if self.number is None:
            return self.notation
        return f"{self.number_text}/{self.notation}" if self.notation else self.number_text

    @property
    def incoming_number_text(self) -> str:
        return f"{self.incoming_number:02d}" if self.incoming_number is not None else ""

    @property
    def is_secret(self) -> bool:
        return self.secrecy > Secrecy.NONE

    @property
    def is_urgent(self) -> bool:
        return self.urgency > Urgency.NORMAL


class DocumentLink(models.Model):
    """ResponseFor: the document this one answers, in this system or elsewhere (by its edXML identity)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="response_for", verbose_name="văn bản")
    target = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses", verbose_name="trả lời cho"
    )
    organ_id = models.CharField("mã cơ quan", max_length=40, blank=True)
    code = models.CharField("số, ký hiệu", max_length=100, blank=True)
    edxml_document_id = models.CharField("mã văn bản liên thông", max_length=255, blank=True)
    promulgation_date = models.DateField("ngày ban hành", null=True, blank=True)

    class Meta:
        verbose_name = "văn bản được trả lời"
        verbose_name_plural = "văn bản được trả lời"


class Recipient(ChoiceLabels, models.Model):
    """Nơi nhận of an outgoing document, and what became of its copy there."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="recipients", verbose_name="văn bản")
    kind = models.CharField("loại nơi nhận", max_length=10, choices=RecipientKind.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, verbose_name="đơn vị")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name="cơ quan")
    organ_id = models.CharField("mã định danh", max_length=40, blank=True)
    name = models.CharField("tên nơi nhận", max_length=255, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    for_info = models.BooleanField("để biết", default=False)
    state = models.CharField("tình trạng", max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    status_code = models.CharField("mã trạng thái edXML", max_length=4, blank=True)
    status_at = models.DateTimeField("cập nhật lúc", null=True, blank=True)
    delivered_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="bản nhận"
    )

    class Meta:
        verbose_name = "nơi nhận"
        verbose_name_plural = "nơi nhận"

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.unit_id:
            return self.unit.name
        if self.agency_id:
            return self.agency.name
        return self.name or self.email or self.organ_id


class DraftVersion(models.Model):
    """A version of the draft of an outgoing document: who uploaded it and when."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions", verbose_name="văn bản")
    number = models.PositiveIntegerField("phiên bản")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, verbose_name="tệp")
    name = models.CharField("tên tệp", max_length=255)
    content_type = models.CharField("kiểu tệp", max_length=100, blank=True)
    # Decided from the bytes by core.filetypes when stored (pdf, docx, png...; "" before that existed).
    file_kind = models.CharField("loại tệp (theo nội dung)", max_length=12, blank=True)
    flag = models.CharField("cảnh báo", max_length=20, blank=True, choices=[
        ("active_content", "Tệp có mã chạy tự động"), ("refused_type", "Loại tệp không được chấp nhận")])
    note = models.TextField("ghi chú", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("lúc", auto_now_add=True)

    @property
    def viewable(self) -> bool:
        return self.file_kind == "pdf" and not self.flag

    class Meta:
        verbose_name = "phiên bản dự thảo"
        verbose_name_plural = "phiên bản dự thảo"
        ordering = ["document_id", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="draft_version_unique")]


class Attachment(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        MAIN = "main", _("Văn bản chính")
        APPENDIX = "appendix", _("Phụ lục, tệp đính kèm")
        SCAN = "scan", _("Bản quét")
        OPINION = "opinion", _("Tệp ý kiến")
        OTHER = "other", _("Khác")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments", verbose_name="văn bản")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, verbose_name="tệp")
    name = models.CharField("tên tệp", max_length=255)
    content_type = models.CharField("kiểu tệp", max_length=100, blank=True)
    kind = models.CharField("loại", max_length=10, choices=Kind.choices, default=Kind.MAIN)
    # What core.filetypes decided from the bytes when the file was stored; the declared type is
    # never used again. `flag`: kept but never shown in the viewer (FileFlag), "" when clean.
    file_kind = models.CharField("loại tệp (theo nội dung)", max_length=12, blank=True)
    flag = models.CharField("cảnh báo", max_length=20, blank=True, choices=[
        ("active_content", "Tệp có mã chạy tự động"), ("refused_type", "Loại tệp không được chấp nhận")])
    description = models.CharField("mô tả", max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("lúc", auto_now_add=True)

    class Meta:
        verbose_name = "tệp đính kèm"
        verbose_name_plural = "tệp đính kèm"
        ordering = ["document_id", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def size(self) -> int:
        return self.blob.size

    @property
    def viewable(self) -> bool:
        """Shown in the page's PDF viewer: a PDF by its bytes, without active content."""
        return self.file_kind == "pdf" and not self.flag


class DocumentAccess(models.Model):
    """Why a person or a unit may see a document beyond their role: drafting, review, assignment, grant.

    Written by services (records, workflow); read by `records.permissions`, the one place
    that decides who sees what. A secret document is visible only through an access row
    with `secret_grant`.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="access", verbose_name="văn bản")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="document_access", verbose_name="cán bộ")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="document_access",
                             verbose_name="đơn vị")
    reason = models.CharField("lý do", max_length=10, choices=AccessReason.choices)
    secret_grant = models.BooleanField("được xem văn bản mật", default=False)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "quyền truy cập văn bản"
        verbose_name_plural = "quyền truy cập văn bản"
        indexes = [models.Index(fields=["user", "document"]), models.Index(fields=["unit", "document"])]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | Q(unit__isnull=False), name="access_has_subject"),
        ]


class ClosedRegisterFile(models.Model):
    """A file of a register closed at year end (khóa sổ): the register's book (đăng ký đi, đăng ký
    đến, theo dõi giải quyết) as the agency signed it (PDF) and the same rows as XLSX.

    Written once, by records.registers.close_register; from then on the download serves these
    files and the register no longer changes (Register.closed).
    """

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="closed_files",
                                 verbose_name="sổ đăng ký")
    book = models.CharField("sổ", max_length=20)
    file_format = models.CharField("định dạng", max_length=10)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, verbose_name="tệp")
    rows = models.PositiveIntegerField("số dòng", default=0)
    signer_subject = models.CharField("người ký (chứng thư)", max_length=500, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name="người khóa sổ")
    closed_at = models.DateTimeField("khóa sổ lúc", auto_now_add=True)

    class Meta:
        verbose_name = "tệp sổ đã khóa"
        verbose_name_plural = "tệp sổ đã khóa"
        constraints = [models.UniqueConstraint(fields=["register", "book", "file_format"],
                                               name="closed_register_file_unique")]
class Rendition(models.Model):
    """The PDF a .docx/.odt draft version becomes (LibreOffice, records.renditions): for the page's
    viewer and for signing. The original version is never changed; the PDF is a blob of its own.

    One row per version, made with the version; the job `records.convert` takes it from
    waiting to converting (leased until `lease_until`: a killed worker's row becomes due again)
    to ready or failed (`error_code`, shown to people in Vietnamese).
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Chờ chuyển sang PDF")
        CONVERTING = "converting", _("Đang chuyển sang PDF")
        READY = "ready", _("Đã có bản PDF")
        FAILED = "failed", _("Không chuyển được sang PDF")

    version = models.OneToOneField(DraftVersion, on_delete=models.CASCADE, related_name="rendition",
                                   verbose_name="phiên bản dự thảo")
    state = models.CharField("tình trạng", max_length=12, choices=State.choices, default=State.WAITING,
                             db_index=True)
    blob = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name="tệp PDF")
    error_code = models.CharField("mã lỗi", max_length=40, blank=True)
    error_detail = models.TextField("chi tiết lỗi", blank=True)
    attempts = models.PositiveSmallIntegerField("số lần thử", default=0)
    lease_until = models.DateTimeField("giữ đến", null=True, blank=True)
    seconds = models.FloatField("thời gian chuyển đổi (giây)", null=True, blank=True)
    created_at = models.DateTimeField("lúc tạo", auto_now_add=True)
    finished_at = models.DateTimeField("lúc xong", null=True, blank=True)

    class Meta:
        verbose_name = "bản PDF chuyển đổi"
        verbose_name_plural = "bản PDF chuyển đổi"

    # The row stands in for a file where files are served or signed (web.views.files, signing).
    file_kind = "pdf"
    content_type = "application/pdf"
    flag = ""

    @property
    def name(self) -> str:
        stem = self.version.name.rsplit(".", 1)[0] if "." in self.version.name else self.version.name
        return f"{stem}.pdf"

    @property
    def viewable(self) -> bool:
        return self.state == self.State.READY and self.blob_id is not None
