"""API bearer tokens: only a hash is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "khóa truy cập API"
        verbose_name_plural = "khóa truy cập API"

    @classmethod
    def issue(cls, user, lifetime_seconds: int = 12 * 3600) -> str:
        from datetime import timedelta

        from django.utils import timezone

        token = secrets.token_urlsafe(32)
        cls.objects.create(key_hash=hash_token(token), user=user,
                           expires_at=timezone.now() + timedelta(seconds=lifetime_seconds))
        return token
