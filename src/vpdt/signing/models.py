"""Signing keys of people and agencies, the platform's trust store, and the stored result of
verifying each received PDF.

`SigningKey` is the one key store of people and agencies: a person's signature, the agency's
seal (PAdES) and the key that signs the agency's edXML packages (XML-DSig, the exchange) all
live there (`agency_keys` picks the package key).

Secrets never sit in the database in the clear: a PKCS#12 file, its password (when the owner
chose to keep it on the server) and a remote service's API key are sealed with
`keys.seal_secret` (vpdt.core.sealed) under a key derived from settings.SECRET_KEY. A PKCS#11
token's PIN is never stored: the person types it at signing time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from vpdt.directory.models import Agency
from vpdt.records.models import Attachment, Document


class SigningKey(models.Model):
    """The key a person (chữ ký cá nhân) or an agency (chữ ký cơ quan, the seal) signs with."""

    class Kind(models.TextChoices):
        SOFTWARE = "software", "Tệp khóa PKCS#12 (lưu mã hóa trên máy chủ)"
        PKCS11 = "pkcs11", "Thiết bị ký số (USB token, HSM – PKCS#11)"
        REMOTE = "remote", "Dịch vụ ký số từ xa"

    class Purpose(models.TextChoices):
        # An agency's seal also signs its packages when the server can use it alone
        # (a PKCS#12 file with its password kept); otherwise a package key signs them.
        DOCUMENTS = "documents", "Ký văn bản (chữ ký cá nhân, con dấu cơ quan)"
        PACKAGES = "packages", "Chỉ ký gói tin liên thông (edXML)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="signing_keys", verbose_name="cán bộ")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="signing_keys", verbose_name="cơ quan")
    kind = models.CharField("loại khóa", max_length=10, choices=Kind.choices)
    label = models.CharField("tên gợi nhớ", max_length=150, blank=True)
    subject = models.CharField("chủ thể chứng thư", max_length=500, blank=True, editable=False)
    active = models.BooleanField("đang dùng", default=True)
    purpose = models.CharField("dùng để", max_length=10, choices=Purpose.choices, default=Purpose.DOCUMENTS)

    # software
    pkcs12_encrypted = models.BinaryField("tệp khóa (đã mã hóa)", blank=True, default=b"", editable=False)
    password_encrypted = models.BinaryField(
        "mật khẩu (đã mã hóa)", blank=True, default=b"", editable=False,
        help_text="Trống: người ký nhập mật khẩu mỗi lần ký.")
    # The key checked once and kept ready to open without cryptography's RSA check
    # (vpdt.signing.stored_keys); only for keys the server may use alone.
    ready_encrypted = models.BinaryField("khóa đã kiểm tra (đã mã hóa)", blank=True, default=b"", db_default=b"",
                                         editable=False)  # db_default: a process of the previous release inserts without it
    # pkcs11
    pkcs11_lib = models.CharField("thư viện PKCS#11", max_length=255, blank=True)
    token_label = models.CharField("nhãn token", max_length=100, blank=True)
    key_label = models.CharField("nhãn khóa", max_length=100, blank=True)
    # remote
    remote_url = models.URLField("địa chỉ dịch vụ ký", blank=True)
    remote_key_id = models.CharField("mã khóa ở dịch vụ", max_length=200, blank=True)
    remote_api_key_encrypted = models.BinaryField("khóa truy cập (đã mã hóa)", blank=True, default=b"",
                                                  editable=False)

    image = models.BinaryField("ảnh chữ ký / con dấu (PNG)", blank=True, default=b"", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "khóa ký số"
        verbose_name_plural = "khóa ký số"
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, agency__isnull=True) | Q(user__isnull=True, agency__isnull=False)),
                name="signing_key_one_owner"),
            models.UniqueConstraint(fields=["user"], condition=Q(active=True, user__isnull=False),
                                    name="signing_key_one_active_per_user"),
            models.UniqueConstraint(fields=["agency"], condition=Q(active=True, agency__isnull=False,
                                                                   purpose="documents"),
                                    name="signing_key_one_active_per_agency"),
            # One package key per agency (generated at first use; a race keeps the first).
            models.UniqueConstraint(fields=["agency"], condition=Q(active=True, agency__isnull=False,
                                                                   purpose="packages"),
                                    name="signing_key_one_package_key_per_agency",
                                    violation_error_message="Cơ quan đã có một khóa ký gói tin đang dùng."),
            models.CheckConstraint(condition=Q(purpose="documents") | Q(agency__isnull=False, kind="software"),
                                   name="signing_key_package_key_is_an_agency_file",
                                   violation_error_message="Khóa ký gói tin phải là tệp khóa PKCS#12 của một cơ quan."),
        ]

    def __str__(self) -> str:
        owner = self.user or self.agency
        return f"{owner} – {self.get_kind_display()}"

    @property
    def owner_agency_id(self) -> int | None:
        return self.agency_id or (self.user.agency_id if self.user_id else None)

    @property
    def needs_pin(self) -> bool:
        return self.kind == self.Kind.PKCS11 or (self.kind == self.Kind.SOFTWARE and not self.password_encrypted)


class SigningPolicy(models.Model):
    """Whether an agency's release chain may go on unsigned when a key is missing."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="signing_policy",
                                  verbose_name="cơ quan")
    require_signatures = models.BooleanField(
        "bắt buộc ký số", default=False,
        help_text="Bật: không duyệt ký, cấp số khi người ký hoặc cơ quan chưa có khóa ký số.")

    class Meta:
        verbose_name = "quy định ký số"
        verbose_name_plural = "quy định ký số"

    def __str__(self) -> str:
        return f"{self.agency}: {'bắt buộc' if self.require_signatures else 'không bắt buộc'}"


class TrustAnchor(models.Model):
    """A root or intermediate CA whose certificates the platform trusts (platform admin only)."""

    name = models.CharField("tên", max_length=200)
    pem = models.TextField("chứng thư (PEM)")
    subject = models.CharField("chủ thể", max_length=500, blank=True, editable=False)
    fingerprint = models.CharField("dấu vân tay SHA-256", max_length=64, unique=True, editable=False)
    not_after = models.DateTimeField("hết hạn", null=True, blank=True, editable=False)
    active = models.BooleanField("đang tin cậy", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "chứng thư gốc tin cậy"
        verbose_name_plural = "chứng thư gốc tin cậy"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from vpdt.signing.services import describe_pem

        try:
            self.subject, self.fingerprint, self.not_after = describe_pem(self.pem)
        except ValueError as exc:
            raise ValidationError({"pem": "Không đọc được chứng thư PEM."}) from exc

    def save(self, *args, **kwargs):
        if not self.fingerprint:
            from vpdt.signing.services import describe_pem

            self.subject, self.fingerprint, self.not_after = describe_pem(self.pem)
        super().save(*args, **kwargs)


class SignatureCheck(models.Model):
    """What verification found in one file: the overall verdict and one entry per signature."""

    class Overall(models.TextChoices):
        UNSIGNED = "unsigned", "Không có chữ ký số"
        VALID = "valid", "Chữ ký số hợp lệ"
        VALID_UNTRUSTED = "valid_untrusted", "Chữ ký số đúng nhưng chứng thư không thuộc nơi cấp tin cậy"
        MODIFIED = "modified", "Tệp đã bị sửa đổi sau khi ký"
        INVALID = "invalid", "Chữ ký số không hợp lệ"
        REVOKED = "revoked", "Chứng thư số đã bị thu hồi"
        EXPIRED = "expired", "Chứng thư số đã hết hạn"
        # Not a PDF a reader can open: nothing to verify; registration is blocked unless the clerk
        # gives a reason (signing.services.can_register), as it may be a file disguised as a PDF.
        UNREADABLE = "unreadable", "Không đọc được tệp PDF"

    FAILING = (Overall.MODIFIED, Overall.INVALID, Overall.REVOKED, Overall.EXPIRED)

    attachment = models.OneToOneField(Attachment, on_delete=models.CASCADE, related_name="signature_check",
                                      verbose_name="tệp")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="signature_checks",
                                 verbose_name="văn bản")
    overall = models.CharField("kết quả", max_length=20, choices=Overall.choices)
    signatures = models.JSONField("các chữ ký", default=list, blank=True)
    detail = models.TextField("chi tiết kỹ thuật", blank=True)
    checked_at = models.DateTimeField("kiểm tra lúc")

    class Meta:
        verbose_name = "kết quả kiểm tra chữ ký số"
        verbose_name_plural = "kết quả kiểm tra chữ ký số"

    def __str__(self) -> str:
        return f"{self.attachment.name}: {self.get_overall_display()}"

    @property
    def failed(self) -> bool:
        return self.overall in self.FAILING
