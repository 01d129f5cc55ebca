"""Errors that carry a code for systems, a Vietnamese message for people and detail for integrators."""

from __future__ import annotations


class VpdtError(Exception):
    """Base of every domain error: `code` is stable, `message` is for a clerk."""

    code = "VPDT_ERROR"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, detail: str = "", http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if http_status:
            self.http_status = http_status
        self.detail = detail

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class PermissionDenied(VpdtError):
    code = "PERMISSION_DENIED"
    http_status = 403


class NotFound(VpdtError):
    code = "NOT_FOUND"
    http_status = 404


class InvalidInput(VpdtError):
    code = "INVALID_INPUT"
    http_status = 400


class InvalidState(VpdtError):
    """An action that the document's current state does not allow."""

    code = "INVALID_STATE"
    http_status = 409


class TooLarge(VpdtError):
    code = "FILE_TOO_LARGE"
    http_status = 413
