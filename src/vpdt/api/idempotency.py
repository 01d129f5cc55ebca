"""`Idempotency-Key` on every POST of the write API: a client that did not hear the answer (a
timeout, a dropped connection) sends the same request again with the same key and gets the
first answer, nothing done twice.

Per token, kept 24 hours. The request is known by its fingerprint: method, path, and the body
(a JSON body's bytes; a multipart body's fields and each file's name and SHA-256, read from
the spooled temporary file in chunks, never whole in memory). The same key with another
fingerprint: 422 IDEMPOTENCY_KEY_REUSED. The same key while its first request still runs:
409 IDEMPOTENCY_KEY_IN_PROGRESS. Only a success is kept: a refused request stores nothing,
so its retry runs again (after the client fixed what was refused).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder, Status

from vpdt.api.models import IdempotencyKey
from vpdt.core.errors import InvalidInput, InvalidState

HEADER = "Idempotency-Key"
KEEP = dt.timedelta(hours=24)
STALE = dt.timedelta(minutes=10)  # a first request that never finished (the process died) is forgotten
CHUNK = 1024 * 1024

PARAMETER = {"in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
             "description": "Khóa chống lặp (tùy chọn, khuyến nghị): gửi lại cùng khóa và cùng nội dung trong 24 giờ "
                            "nhận lại câu trả lời đầu; cùng khóa, nội dung khác: 422 IDEMPOTENCY_KEY_REUSED."}


def _file_digest(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.content_type == "multipart/form-data":
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(json.dumps(["field", name, value]).encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                received = getattr(upload, "refusal", None)
                content = f"refused:{upload.size}" if received is not None else _file_digest(upload)
                digest.update(json.dumps(["file", name, upload.name, content]).encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def purge() -> int:
    """Forget every key past KEEP; returns how many."""
    return IdempotencyKey.objects.filter(created_at__lt=timezone.now() - KEEP).delete()[0]


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise InvalidInput("Khóa chống lặp (Idempotency-Key) phải có 1–255 ký tự ASCII in được.",
                           code="INVALID_IDEMPOTENCY_KEY", detail="Idempotency-Key: 1-255 printable ASCII characters")
    return key


def run(request, produce: Callable[[], tuple[int, dict]]) -> Status:
    """Answer `produce()` (status, body), or the first answer to the same key."""
    key = _key(request)
    token = getattr(request, "api_token", None)
    if key is None or token is None:
        return Status(*produce())
    now = timezone.now()
    IdempotencyKey.objects.filter(token=token, created_at__lt=now - KEEP).delete()
    mark = fingerprint(request)
    found = IdempotencyKey.objects.filter(token=token, key=key).first()
    if found is not None:
        if found.fingerprint != mark:
            raise InvalidInput("Khóa chống lặp này đã dùng cho một yêu cầu khác: hãy dùng khóa mới.",
                               code="IDEMPOTENCY_KEY_REUSED", http_status=422,
                               detail=f"key first used for {found.method} {found.path} with another body")
        if found.status is not None:
            return Status(found.status, found.body)
        if found.created_at >= now - STALE:
            raise InvalidState("Yêu cầu đầu tiên với khóa chống lặp này đang được xử lý: thử lại sau ít giây.",
                               code="IDEMPOTENCY_KEY_IN_PROGRESS", detail="the first request is still running")
        found.delete()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(token=token, key=key, fingerprint=mark, method=request.method,
                                                path=request.path[:500])
    except IntegrityError as exc:  # the same key sent twice at once: the other one runs
        raise InvalidState("Yêu cầu đầu tiên với khóa chống lặp này đang được xử lý: thử lại sau ít giây.",
                           code="IDEMPOTENCY_KEY_IN_PROGRESS", detail="the first request is still running") from exc
    try:
        status, body = produce()
    except BaseException:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        raise
    body = json.loads(json.dumps(body, cls=NinjaJSONEncoder))  # kept (and answered) as the client reads it
    IdempotencyKey.objects.filter(pk=row.pk).update(status=status, body=body)
    return Status(status, body)
