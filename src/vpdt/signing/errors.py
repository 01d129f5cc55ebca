"""Errors of the signing library: a code, a sentence for a clerk, detail for integrators."""

from __future__ import annotations


class SigningError(Exception):
    """A signing or verification step failed.

    `code` is stable and machine-readable, `message` is Vietnamese for the person at the
    screen, `detail` says what went wrong with which object for whoever integrates.
    """

    def __init__(self, code: str, message: str, detail: str = ""):
        super().__init__(f"[{code}] {message}" + (f" ({detail})" if detail else ""))
        self.code = code
        self.message = message
        self.detail = detail

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "detail": self.detail}
