"""API bearer tokens live with the person (vpdt.directory.models.ApiToken, table api_apitoken):
their own page lists and revokes them, the agency admin those of system accounts. Names kept
here for the callers of the API; the idempotency keys of POST requests are the API's own."""

from django.db import models

from vpdt.directory.models import ApiToken, hash_token

__all__ = ["ApiToken", "IdempotencyKey", "hash_token"]


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key` header, per token, kept 24 h
    (vpdt.api.idempotency): the same key with the same request gets it again, with another
    request 422 IDEMPOTENCY_KEY_REUSED. `status` is null while the first request runs."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+", verbose_name="khóa API")
    key = models.CharField("khóa chống lặp", max_length=255)
    fingerprint = models.CharField("dấu vân tay yêu cầu", max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField("mã trả lời", null=True, blank=True)
    body = models.JSONField("nội dung trả lời", null=True, blank=True)
    created_at = models.DateTimeField("lúc", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "khóa chống lặp API"
        verbose_name_plural = "khóa chống lặp API"
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_token_key")]

    def __str__(self) -> str:
        return self.key
