"""The one-stop shop's tables: the procedure catalogue and the citizens' dossiers.

Catalogue: a province-wide list of administrative procedures (Procedure) with their papers
(ProcedurePaper) and internal steps (ProcedureStep); each agency activates the ones it receives
(ProcedureActivation), naming the body that resolves them when it is another (liên thông).

A dossier (Dossier, hồ sơ thủ tục hành chính) has the code `<receiving agency code>-<YYMMDD>-<NNNN>`
numbered per agency per day through DossierCounter (no gap, no duplicate under concurrency); its
status is the national portal's 1–10 (DossierStatus); its papers (DossierPaper) and files
(DossierFile); its hand-overs (DossierStep, the rows of the control slip, Mẫu 05); its history
(DossierEvent); the requests to supplement (SupplementRequest, Mẫu 02) and the periods the clock
stood still (ClockPause). Only `vpdt.motcua.services` writes these tables.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from vpdt.core.models import Blob
from vpdt.directory.models import Agency, Unit

personal_id_validator = RegexValidator(r"^\d{12}$", _("Số định danh cá nhân gồm đúng 12 chữ số."),
                                       code="invalid_personal_id")


class Level(models.TextChoices):
    """The level of the bodies that resolve a procedure."""

    CENTRAL = "central", _("Cấp trung ương")
    PROVINCE = "province", _("Cấp tỉnh")
    DISTRICT = "district", _("Cấp huyện")
    COMMUNE = "commune", _("Cấp xã")


class ResultType(models.TextChoices):
    LICENCE = "licence", _("Giấy phép")
    CERTIFICATE = "certificate", _("Giấy chứng nhận")
    DECISION = "decision", _("Quyết định")
    CERTIFIED_COPY = "copy", _("Bản sao được chứng thực")
    REGISTRATION = "registration", _("Đăng ký, xác nhận")
    OTHER = "other", _("Khác")


class PaperForm(models.TextChoices):
    ORIGINAL = "original", _("Bản chính")
    COPY = "copy", _("Bản sao")
    EITHER = "either", _("Bản chính hoặc bản sao")
    CERTIFIED_COPY = "certified", _("Bản sao có chứng thực")


class PaperKind(models.TextChoices):
    FILE = "file", _("Tệp đính kèm")
    EFORM = "eform", _("Biểu mẫu điện tử")


class StepKind(models.TextChoices):
    """Who does a step: the counter, a processing unit, the approver, or another body (liên thông)."""

    COUNTER = "counter", _("Bộ phận Một cửa")
    PROCESSING = "processing", _("Phòng chuyên môn")
    APPROVER = "approver", _("Lãnh đạo phê duyệt")
    OTHER_BODY = "other_body", _("Cơ quan phối hợp, liên thông")
    RETURN = "return", _("Trả kết quả")


class Procedure(models.Model):
    """An administrative procedure (thủ tục hành chính) of the province's catalogue."""

    code = models.CharField("mã thủ tục", max_length=40, unique=True,
                            help_text="Mã trên Cơ sở dữ liệu quốc gia về thủ tục hành chính, ví dụ 1.001612.")
    name = models.CharField("tên thủ tục", max_length=500)
    field = models.CharField("lĩnh vực", max_length=200)
    level = models.CharField("cấp thực hiện", max_length=10, choices=Level.choices)
    resolving_bodies = models.CharField("cơ quan giải quyết", max_length=500, blank=True,
                                        help_text="Ví dụ: Ủy ban nhân dân cấp xã.")
    legal_days = models.PositiveSmallIntegerField("thời hạn giải quyết (ngày làm việc)", default=0,
                                                  help_text="0: giải quyết trong ngày.")
    fee_amount = models.PositiveBigIntegerField("phí, lệ phí (đồng)", default=0)
    fee_note = models.CharField("ghi chú phí, lệ phí", max_length=500, blank=True)
    result_type = models.CharField("loại kết quả", max_length=15, choices=ResultType.choices,
                                   default=ResultType.OTHER)
    result_name = models.CharField("kết quả", max_length=300, blank=True)
    description = models.TextField("trình tự, cách thức thực hiện", blank=True)
    legal_basis = models.TextField("căn cứ pháp lý", blank=True)
    online = models.BooleanField("cho phép nộp trực tuyến", default=True)
    active = models.BooleanField("đang áp dụng", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "thủ tục hành chính"
        verbose_name_plural = "thủ tục hành chính"
        ordering = ["field", "name"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class ProcedurePaper(models.Model):
    """A paper the dossier of a procedure must (or may) contain (thành phần hồ sơ)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="papers",
                                  verbose_name="thủ tục")
    order = models.PositiveSmallIntegerField("thứ tự", default=0)
    name = models.CharField("tên giấy tờ", max_length=500)
    form = models.CharField("bản chính/bản sao", max_length=10, choices=PaperForm.choices,
                            default=PaperForm.ORIGINAL)
    count = models.PositiveSmallIntegerField("số lượng", default=1)
    kind = models.CharField("hình thức", max_length=5, choices=PaperKind.choices, default=PaperKind.FILE)
    required = models.BooleanField("bắt buộc", default=True)
    template = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="mẫu đơn, tờ khai")
    note = models.CharField("ghi chú", max_length=500, blank=True)

    class Meta:
        verbose_name = "thành phần hồ sơ"
        verbose_name_plural = "thành phần hồ sơ"
        ordering = ["procedure", "order", "id"]

    def __str__(self) -> str:
        return self.name


class ProcedureStep(models.Model):
    """A step of the procedure's internal process (quy trình nội bộ) with its time."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps",
                                  verbose_name="thủ tục")
    order = models.PositiveSmallIntegerField("thứ tự", default=0)
    name = models.CharField("tên bước", max_length=300)
    kind = models.CharField("bộ phận thực hiện", max_length=12, choices=StepKind.choices)
    body = models.CharField("cơ quan, đơn vị thực hiện", max_length=300, blank=True,
                            help_text="Ví dụ: Phòng Tư pháp; Sở Xây dựng.")
    # Steps are often half a day: the time is kept in working hours (8 a day).
    working_hours = models.PositiveSmallIntegerField("thời gian (giờ làm việc)", default=8)

    class Meta:
        verbose_name = "bước xử lý"
        verbose_name_plural = "quy trình nội bộ"
        ordering = ["procedure", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    @property
    def working_days(self) -> float:
        return self.working_hours / 8


class ProcedureActivation(models.Model):
    """An agency receives this procedure at its counter; `resolving_agency` empty: it resolves it
    itself; otherwise the dossier goes to that body (liên thông) and comes back for the return."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="activations",
                                  verbose_name="thủ tục")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="motcua_activations",
                               verbose_name="cơ quan tiếp nhận")
    resolving_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="motcua_resolving", verbose_name="cơ quan giải quyết")
    processing_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name="phòng chuyên môn xử lý")
    active = models.BooleanField("đang áp dụng", default=True)
    activated_at = models.DateTimeField("áp dụng từ", auto_now_add=True)

    class Meta:
        verbose_name = "thủ tục áp dụng tại cơ quan"
        verbose_name_plural = "thủ tục áp dụng tại cơ quan"
        ordering = ["agency", "procedure"]
        constraints = [models.UniqueConstraint(fields=["procedure", "agency"], name="motcua_activation_unique")]

    def __str__(self) -> str:
        return f"{self.procedure.code} @ {self.agency.code}"


class DossierStatus(models.IntegerChoices):
    """The statuses the national public service portal shows (MOTCUA.md)."""

    NEW = 1, _("Mới đăng ký")
    RECEIVED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    PROCESSING = 4, _("Đang xử lý")
    SUPPLEMENT = 5, _("Yêu cầu bổ sung giấy tờ")
    FINANCIAL = 6, _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWN = 7, _("Công dân yêu cầu rút hồ sơ")
    STOPPED = 8, _("Dừng xử lý")
    DONE = 9, _("Đã xử lý xong")
    RETURNED = 10, _("Đã trả kết quả")


# Statuses a dossier never leaves.
FINAL_STATUSES = frozenset({DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED,
                            DossierStatus.RETURNED})


class Channel(models.TextChoices):
    COUNTER = "counter", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POST = "post", _("Bưu chính")


class ReturnMethod(models.TextChoices):
    COUNTER = "counter", _("Tại Bộ phận Một cửa")
    POST = "post", _("Qua bưu chính")
    ONLINE = "online", _("Trực tuyến")


class DossierCounter(models.Model):
    """The last dossier number an agency gave on a day: the row is locked while a number is taken."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="motcua_counter_agency_day")]


class Dossier(models.Model):
    """A citizen's dossier for one procedure (hồ sơ thủ tục hành chính)."""

    code = models.CharField("mã hồ sơ", max_length=40, unique=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="dossiers",
                                  verbose_name="thủ tục")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="motcua_dossiers",
                               verbose_name="cơ quan tiếp nhận")
    resolving_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="motcua_resolved",
                                         verbose_name="cơ quan giải quyết")
    channel = models.CharField("hình thức nộp", max_length=8, choices=Channel.choices, default=Channel.COUNTER)
    source = models.CharField("nguồn", max_length=60, blank=True,
                              help_text="Cổng dịch vụ công hay hệ thống đã chuyển hồ sơ đến, nếu có.")
    external_id = models.CharField("mã hồ sơ trên hệ thống nguồn", max_length=80, blank=True)
    # The citizen (or the person acting for an organisation).
    applicant_name = models.CharField("họ và tên người nộp", max_length=200)
    organisation = models.CharField("tên tổ chức", max_length=300, blank=True)
    personal_id = models.CharField("số định danh cá nhân", max_length=12, validators=[personal_id_validator])
    address = models.CharField("địa chỉ", max_length=500, blank=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    subject = models.CharField("nội dung yêu cầu", max_length=500, blank=True)
    status = models.PositiveSmallIntegerField("trạng thái", choices=DossierStatus.choices, default=DossierStatus.NEW)
    # Dates and the clock (motcua/clock.py).
    submitted_at = models.DateTimeField("nộp lúc", auto_now_add=True)
    received_at = models.DateTimeField("tiếp nhận lúc", null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="người tiếp nhận")
    appointment_date = models.DateField("ngày hẹn trả", null=True, blank=True)
    # The date first promised, before pauses moved it (and before any apology slip gave a new one).
    original_appointment_date = models.DateField("ngày hẹn trả ban đầu", null=True, blank=True)
    transfer_due = models.DateTimeField("hạn chuyển xử lý", null=True, blank=True)
    paused_at = models.DateTimeField("dừng tính thời gian từ", null=True, blank=True)
    current_step = models.ForeignKey("DossierStep", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name="bước hiện tại")
    finished_at = models.DateTimeField("xử lý xong lúc", null=True, blank=True)
    returned_at = models.DateTimeField("trả kết quả lúc", null=True, blank=True)
    return_method = models.CharField("hình thức trả kết quả", max_length=8, choices=ReturnMethod.choices,
                                     default=ReturnMethod.COUNTER)
    closing_reason = models.TextField("lý do (từ chối, rút, dừng)", blank=True)
    # The citizen proves the dossier is theirs with this secret, printed on the receipt (only its hash is kept).
    lookup_secret_hash = models.CharField("mã bí mật (băm)", max_length=200, blank=True)
    result = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name="kết quả giải quyết")
    result_filename = models.CharField("tên tệp kết quả", max_length=255, blank=True)
    result_note = models.TextField("nội dung kết quả", blank=True)
    fee_amount = models.PositiveBigIntegerField("phí, lệ phí (đồng)", default=0)
    fee_paid_at = models.DateTimeField("nộp phí lúc", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "hồ sơ thủ tục hành chính"
        verbose_name_plural = "hồ sơ thủ tục hành chính"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "status"], name="motcua_dossier_agency_status"),
            models.Index(fields=["resolving_agency", "status"], name="motcua_dossier_resolver_status"),
            models.Index(fields=["appointment_date"], name="motcua_dossier_appointment"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.applicant_name}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_joint(self) -> bool:
        return self.resolving_agency_id != self.agency_id


class DossierPaper(models.Model):
    """A paper of the dossier, ticked against the procedure's list at the counter."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="papers", verbose_name="hồ sơ")
    paper = models.ForeignKey(ProcedurePaper, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name="theo thành phần")
    name = models.CharField("tên giấy tờ", max_length=500)
    form = models.CharField("bản chính/bản sao", max_length=10, choices=PaperForm.choices,
                            default=PaperForm.ORIGINAL)
    count = models.PositiveSmallIntegerField("số lượng", default=1)
    provided = models.BooleanField("đã nộp", default=False)
    note = models.CharField("ghi chú", max_length=500, blank=True)

    class Meta:
        verbose_name = "giấy tờ trong hồ sơ"
        verbose_name_plural = "giấy tờ trong hồ sơ"
        ordering = ["dossier", "id"]


class FileKind(models.TextChoices):
    SCAN = "scan", _("Bản số hóa giấy tờ")
    APPRAISAL = "appraisal", _("Tài liệu thẩm định")
    SUPPLEMENT = "supplement", _("Giấy tờ bổ sung")
    RESULT = "result", _("Kết quả giải quyết")
    SLIP = "slip", _("Phiếu, giấy biên nhận")
    OTHER = "other", _("Khác")


class DossierFile(models.Model):
    """A file of a dossier: a scan of a paper, an appraisal note's attachment, the result, a slip."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="files", verbose_name="hồ sơ")
    paper = models.ForeignKey(DossierPaper, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="files", verbose_name="giấy tờ")
    step = models.ForeignKey("DossierStep", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="files", verbose_name="bước")
    kind = models.CharField("loại", max_length=12, choices=FileKind.choices, default=FileKind.SCAN)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField("tên tệp", max_length=255)
    content_type = models.CharField("kiểu tệp", max_length=100, blank=True)
    size = models.BigIntegerField("kích thước", default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="người tải lên")
    uploaded_at = models.DateTimeField("tải lên lúc", auto_now_add=True)

    class Meta:
        verbose_name = "tệp của hồ sơ"
        verbose_name_plural = "tệp của hồ sơ"
        ordering = ["dossier", "id"]


class DossierStep(models.Model):
    """A hand-over of the dossier (a row of the control slip, Mẫu 05): who gave it to whom, when,
    by when the receiver must be done, when they were done and what they noted."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps", verbose_name="hồ sơ")
    order = models.PositiveSmallIntegerField("thứ tự", default=0)
    procedure_step = models.ForeignKey(ProcedureStep, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", verbose_name="theo bước quy trình")
    kind = models.CharField("bộ phận thực hiện", max_length=12, choices=StepKind.choices)
    name = models.CharField("tên bước", max_length=300)
    from_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="cơ quan giao")
    from_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name="đơn vị giao")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name="người giao")
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="motcua_steps",
                                  verbose_name="cơ quan nhận")
    to_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name="đơn vị nhận")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="motcua_steps", verbose_name="người nhận")
    sent_at = models.DateTimeField("giao lúc")
    received_at = models.DateTimeField("nhận lúc", null=True, blank=True)
    due_at = models.DateTimeField("hạn xử lý", null=True, blank=True)
    done_at = models.DateTimeField("xong lúc", null=True, blank=True)
    note = models.TextField("ý kiến, kết quả thẩm định", blank=True)

    class Meta:
        verbose_name = "bước giao nhận hồ sơ"
        verbose_name_plural = "phiếu kiểm soát quá trình giải quyết"
        ordering = ["dossier", "order", "id"]
        indexes = [models.Index(fields=["to_agency", "done_at"], name="motcua_step_agency_done")]

    def __str__(self) -> str:
        return f"{self.dossier.code} #{self.order} {self.name}"


class DossierEvent(models.Model):
    """A line of the dossier's history: a change of status or a hand-over, by whom, with a note."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events", verbose_name="hồ sơ")
    at = models.DateTimeField("lúc")
    action = models.CharField("thao tác", max_length=40)
    status_from = models.PositiveSmallIntegerField("trạng thái trước", choices=DossierStatus.choices,
                                                   null=True, blank=True)
    status_to = models.PositiveSmallIntegerField("trạng thái sau", choices=DossierStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name="người thực hiện")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name="cơ quan")
    note = models.TextField("ghi chú", blank=True)
    detail = models.JSONField("chi tiết", default=dict, blank=True)

    class Meta:
        verbose_name = "diễn biến hồ sơ"
        verbose_name_plural = "diễn biến hồ sơ"
        ordering = ["dossier", "at", "id"]

    @property
    def audit_action(self) -> str:
        """The audit action written with this line (its label is in core/labels.py)."""
        return f"motcua.{self.action}"


class SupplementStage(models.TextChoices):
    COUNTER = "counter", _("Khi tiếp nhận")
    PROCESSING = "processing", _("Khi giải quyết")


class SupplementRequest(models.Model):
    """One request to supplement or correct the dossier (Mẫu 02), listing every gap at once.
    `items`: [{"paper": <ProcedurePaper id or null>, "name": ..., "reason": ...}, ...]."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplements",
                                verbose_name="hồ sơ")
    stage = models.CharField("giai đoạn", max_length=10, choices=SupplementStage.choices)
    step = models.ForeignKey(DossierStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="tại bước")
    items = models.JSONField("nội dung cần bổ sung", default=list)
    note = models.TextField("hướng dẫn", blank=True)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name="người yêu cầu")
    asked_at = models.DateTimeField("yêu cầu lúc")
    answered_at = models.DateTimeField("bổ sung lúc", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="người nhận bổ sung")
    answer_note = models.TextField("ghi chú khi nhận bổ sung", blank=True)

    class Meta:
        verbose_name = "yêu cầu bổ sung hồ sơ"
        verbose_name_plural = "yêu cầu bổ sung hồ sơ"
        ordering = ["dossier", "asked_at", "id"]


class PauseReason(models.TextChoices):
    SUPPLEMENT = "supplement", _("Chờ bổ sung hồ sơ")
    FINANCIAL = "financial", _("Chờ thực hiện nghĩa vụ tài chính")
    OTHER = "other", _("Khác")


class ClockPause(models.Model):
    """A period the legal time did not run (a supplement asked during processing, a financial
    obligation): when it ends, the appointment moves by the working days it lasted (clock.py)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="pauses", verbose_name="hồ sơ")
    reason = models.CharField("lý do", max_length=12, choices=PauseReason.choices)
    supplement = models.ForeignKey(SupplementRequest, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="pauses", verbose_name="yêu cầu bổ sung")
    started_at = models.DateTimeField("dừng từ")
    ended_at = models.DateTimeField("tính lại từ", null=True, blank=True)
    working_days = models.PositiveSmallIntegerField("số ngày làm việc dừng", default=0)

    class Meta:
        verbose_name = "thời gian dừng tính"
        verbose_name_plural = "thời gian dừng tính"
        ordering = ["dossier", "started_at", "id"]
        constraints = [models.UniqueConstraint(fields=["dossier"], condition=models.Q(ended_at__isnull=True),
                                               name="motcua_one_open_pause")]


__all__ = [
    "Channel", "ClockPause", "Dossier", "DossierCounter", "DossierEvent", "DossierFile", "DossierPaper",
    "DossierStatus", "DossierStep", "FINAL_STATUSES", "FileKind", "Level", "PaperForm", "PaperKind", "PauseReason",
    "Procedure", "ProcedureActivation", "ProcedurePaper", "ProcedureStep", "ResultType", "ReturnMethod",
    "StepKind", "SupplementRequest", "SupplementStage", "personal_id_validator",
]

# The tables of deadlines, joint processing, opinions, fees and notices (motcua2; models_more.py).
from vpdt.motcua.models_more import (  # noqa: E402, F401
    ApologySlip,
    CitizenNotice,
    DossierDelay,
    DossierOpinion,
    FeePayment,
    JointLink,
    JointRole,
)
