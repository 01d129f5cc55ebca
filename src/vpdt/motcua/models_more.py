"""The one-stop shop's tables for deadlines, joint processing, opinions, fees and citizen notices.

- DossierDelay: one delay counted against one body (a step it held past its deadline, or the
  appointment it let pass), with the working days it was late;
- ApologySlip: the apology and the one new date (Mẫu 04) issued by the body that is late;
- JointLink: a dossier carried between two agencies over the interconnection (liên thông): the
  receiving agency's dossier (role SENDER) and the resolving agency's linked dossier (role
  RESOLVER), each pointing at the partner's code and at the official documents that carried it;
- DossierOpinion: an opinion asked of another agency as an official document, and its reply;
- FeePayment: a fee recorded as paid (at the counter, or online through a payment adapter);
- CitizenNotice: a notice sent to the citizen (e-mail, SMS), kept for the record.

Only the modules deadlines, joint, opinions, payment and notify write these tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vpdt.directory.models import Agency, Unit


class DossierDelay(models.Model):
    """A delay counted against a body: the step it held (or the appointment) went past its time."""

    class Kind(models.TextChoices):
        STEP = "step", _("Quá hạn bước xử lý")
        APPOINTMENT = "appointment", _("Quá hạn trả kết quả")

    dossier = models.ForeignKey("motcua.Dossier", on_delete=models.CASCADE, related_name="delays",
                                verbose_name="hồ sơ")
    step = models.ForeignKey("motcua.DossierStep", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="delays", verbose_name="bước")
    kind = models.CharField("loại", max_length=12, choices=Kind.choices, default=Kind.STEP)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="motcua_delays",
                               verbose_name="cơ quan chậm")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="đơn vị chậm")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name="người xử lý")
    due_at = models.DateTimeField("hạn")
    days_late = models.PositiveSmallIntegerField("số ngày làm việc chậm", default=0)
    detected_at = models.DateTimeField("phát hiện lúc")
    ended_at = models.DateTimeField("xong lúc", null=True, blank=True)

    class Meta:
        verbose_name = "lần chậm xử lý"
        verbose_name_plural = "hồ sơ chậm xử lý"
        ordering = ["dossier", "detected_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["step"], condition=Q(step__isnull=False), name="motcua2_delay_step"),
            models.UniqueConstraint(fields=["dossier", "agency"], condition=Q(kind="appointment"),
                                    name="motcua2_delay_appointment"),
        ]


class ApologySlip(models.Model):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04): one new date, by the body that is late."""

    dossier = models.ForeignKey("motcua.Dossier", on_delete=models.CASCADE, related_name="apologies",
                                verbose_name="hồ sơ")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name="cơ quan xin lỗi")
    old_date = models.DateField("ngày hẹn cũ", null=True, blank=True)
    new_date = models.DateField("ngày hẹn mới")
    reason = models.TextField("lý do chậm")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name="người ký")
    issued_at = models.DateTimeField("lúc")
    file = models.ForeignKey("motcua.DossierFile", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name="phiếu (PDF)")

    class Meta:
        verbose_name = "phiếu xin lỗi, hẹn lại"
        verbose_name_plural = "phiếu xin lỗi, hẹn lại"
        ordering = ["dossier", "issued_at", "id"]
        constraints = [models.UniqueConstraint(fields=["dossier", "agency"], name="motcua2_one_apology_per_body")]


class JointRole(models.TextChoices):
    SENDER = "sender", _("Cơ quan tiếp nhận, chuyển liên thông")
    RESOLVER = "resolver", _("Cơ quan giải quyết liên thông")


class JointLink(models.Model):
    """One side of a dossier carried between agencies over the interconnection."""

    dossier = models.ForeignKey("motcua.Dossier", on_delete=models.CASCADE, related_name="joint_links",
                                verbose_name="hồ sơ")
    role = models.CharField("vai trò", max_length=10, choices=JointRole.choices)
    partner_code = models.CharField("mã định danh cơ quan bên kia", max_length=40)
    partner_dossier_code = models.CharField("mã hồ sơ bên kia", max_length=40, blank=True)
    # The official documents that carried it: the transfer (outgoing here for the sender,
    # incoming for the resolver) and the result (the other way).
    transfer_document = models.ForeignKey("records.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+", verbose_name="văn bản chuyển hồ sơ")
    result_document = models.ForeignKey("records.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name="văn bản trả kết quả")
    # The resolver's last dossier status reported back to the sender (0: none yet).
    reported_status = models.PositiveSmallIntegerField("trạng thái đã báo", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "liên thông hồ sơ"
        verbose_name_plural = "liên thông hồ sơ"
        constraints = [models.UniqueConstraint(fields=["dossier", "role"], name="motcua2_joint_one_per_role")]


class DossierOpinion(models.Model):
    """An opinion asked of another agency (lấy ý kiến) as an official document; the reply links back."""

    dossier = models.ForeignKey("motcua.Dossier", on_delete=models.CASCADE, related_name="opinions",
                                verbose_name="hồ sơ")
    asked_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="cơ quan được hỏi ý kiến")
    question = models.TextField("nội dung xin ý kiến")
    request_document = models.ForeignKey("records.Document", on_delete=models.PROTECT, related_name="+",
                                         verbose_name="văn bản xin ý kiến")
    reply_document = models.ForeignKey("records.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", verbose_name="văn bản trả lời")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name="người hỏi")
    asked_at = models.DateTimeField("hỏi lúc")
    answered_at = models.DateTimeField("trả lời lúc", null=True, blank=True)

    class Meta:
        verbose_name = "ý kiến cơ quan phối hợp"
        verbose_name_plural = "ý kiến cơ quan phối hợp"
        ordering = ["dossier", "asked_at", "id"]


class FeePayment(models.Model):
    """A fee recorded as paid: at the counter, or online (the adapter's transaction reference)."""

    class Method(models.TextChoices):
        COUNTER = "counter", _("Nộp tại Bộ phận Một cửa")
        ONLINE = "online", _("Thanh toán trực tuyến")

    dossier = models.ForeignKey("motcua.Dossier", on_delete=models.CASCADE, related_name="payments",
                                verbose_name="hồ sơ")
    amount = models.PositiveBigIntegerField("số tiền (đồng)")
    method = models.CharField("hình thức", max_length=8, choices=Method.choices)
    provider = models.CharField("đơn vị thanh toán", max_length=60, blank=True)
    reference = models.CharField("mã giao dịch", max_length=120, blank=True)
    paid_at = models.DateTimeField("lúc")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="người ghi nhận")

    class Meta:
        verbose_name = "khoản phí đã nộp"
        verbose_name_plural = "phí, lệ phí đã nộp"
        ordering = ["dossier", "paid_at", "id"]
        constraints = [models.UniqueConstraint(fields=["provider", "reference"], condition=~Q(reference=""),
                                               name="motcua2_payment_reference_once")]


class CitizenNotice(models.Model):
    """A notice to the citizen (e-mail or SMS) and how its sending went."""

    dossier = models.ForeignKey("motcua.Dossier", on_delete=models.CASCADE, related_name="notices",
                                verbose_name="hồ sơ")
    channel = models.CharField("kênh", max_length=8)
    to = models.CharField("gửi đến", max_length=254)
    event = models.CharField("sự kiện", max_length=40)
    message = models.TextField("nội dung")
    key = models.CharField("khóa chống trùng", max_length=120)
    sent_at = models.DateTimeField("gửi lúc", null=True, blank=True)
    error = models.CharField("lỗi", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "thông báo cho công dân"
        verbose_name_plural = "thông báo cho công dân"
        ordering = ["dossier", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="motcua2_notice_once")]
