"""Slows down password guessing: after N failures for a username or an address, refuse for a while."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, ip: str | None) -> list[str]:
    return [f"login-fail:u:{username.lower()}", f"login-fail:ip:{ip or '-'}"]


def blocked_for(username: str, ip: str | None) -> int:
    """Seconds the caller must wait, 0 when they may try."""
    limit = settings.API_LOGIN_MAX_FAILURES
    for key in _keys(username, ip):
        if (cache.get(key) or 0) >= limit:
            return settings.API_LOGIN_WINDOW_SECONDS
    return 0


def record_failure(username: str, ip: str | None) -> None:
    for key in _keys(username, ip):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.API_LOGIN_WINDOW_SECONDS)


def reset(username: str, ip: str | None) -> None:
    cache.delete(_keys(username, ip)[0])
