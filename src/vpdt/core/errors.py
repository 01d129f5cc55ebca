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


# --- secrets: what an HTTP error says when no view said more (error pages, JSON under /api/).
# (code for systems, Vietnamese message for people); the messages are msgids (English in the .po).
HTTP_ERRORS = {
    400: ("BAD_REQUEST", "Yêu cầu không hợp lệ: có tham số sai hoặc vượt giới hạn."),
    401: ("UNAUTHORIZED", "Cần đăng nhập hoặc mã truy cập (Bearer token) hợp lệ."),
    403: ("FORBIDDEN", "Bạn không có quyền thực hiện thao tác này."),
    404: ("NOT_FOUND", "Không tìm thấy trang hoặc dữ liệu được yêu cầu."),
    405: ("METHOD_NOT_ALLOWED", "Phương thức HTTP này không được hỗ trợ ở địa chỉ này."),
    413: ("TOO_LARGE", "Dữ liệu gửi lên quá lớn."),
    500: ("INTERNAL_ERROR", "Hệ thống gặp lỗi khi xử lý yêu cầu. Vui lòng thử lại sau."),
}
CSRF_FAILED = ("CSRF_FAILED", "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ: tải lại trang rồi thử lại.")


def http_error(status: int) -> tuple[str, str]:
    """(code, Vietnamese message) of an HTTP error status (translated when a language is active)."""
    from django.utils.translation import gettext

    code, message = HTTP_ERRORS.get(status) or HTTP_ERRORS[500 if status >= 500 else 400]
    return code, gettext(message)
