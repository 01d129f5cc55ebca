"""Uploads bounded while they stream in: the limit is checked on every chunk, not at the end.

`BoundedUploadHandler` (settings.FILE_UPLOAD_HANDLERS) spools each uploaded file to a
temporary file as Django's own handler does, and counts: once a file passes the limit of
the person's agency (Agency.upload_limit_bytes, else VPDT_MAX_UPLOAD_MB), its temporary file
is deleted at once and the rest of it is dropped as it arrives, so the temporary folder never
holds more than the limit plus one chunk. The form receives a `RefusedUpload` in its place,
which carries the Vietnamese refusal (TooLarge, FILE_TOO_LARGE): web.forms.UploadField shows
it next to the field, and records' services raise it if one reaches them.

The web server bounds the whole request as well (core.serving.BodyLimitMiddleware).
"""

from __future__ import annotations

import contextlib
import io
import os

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from vpdt.core import blobs
from vpdt.core.errors import TooLarge


def limit_for(request) -> int:
    """The upload limit of the person's current agency (the default one without an agency)."""
    user = getattr(request, "user", None)
    agency = getattr(user, "agency", None) if user is not None and user.is_authenticated else None
    return agency.upload_limit_bytes() if agency is not None else blobs.default_limit_bytes()


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"Tệp vượt quá dung lượng cho phép ({max(limit // (1024 * 1024), 1)} MB).",
                    detail=f"limit={limit} bytes, refused while streaming")


class RefusedUpload(UploadedFile):
    """What the form gets instead of a file refused while it arrived: no bytes, the refusal."""

    def __init__(self, name: str, content_type: str, received: int, refusal: TooLarge):
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=received)
        self.refusal = refusal


class BoundedUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.limit: int | None = None
        self.received = 0
        self.refused: TooLarge | None = None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.limit is None:
            self.limit = limit_for(self.request)
        self.received = 0
        self.refused = None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.refused is not None:
            return None  # dropped as it arrives
        if self.received > self.limit:
            self.refused = too_large(self.limit)
            self._discard()
            return None
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        if self.refused is not None:
            return RefusedUpload(self.file_name, self.content_type, self.received, self.refused)
        return super().file_complete(file_size)

    def upload_interrupted(self):
        self._discard()

    def _discard(self) -> None:
        file = getattr(self, "file", None)
        if file is None:
            return
        path = file.temporary_file_path()
        with contextlib.suppress(OSError):
            file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
