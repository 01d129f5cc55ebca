"""What the token of a request may do (vpdt.directory.system_accounts: a system account's token
its scopes, a person's token reading only)."""

from __future__ import annotations

from vpdt.core.errors import PermissionDenied


def need(request, scope: str) -> None:
    """403 SCOPE_MISSING unless the request's token has `scope`."""
    if scope not in getattr(request, "api_scopes", frozenset()):
        raise PermissionDenied(f"Khóa API này không có quyền “{scope}”.", code="SCOPE_MISSING",
                               detail=f"the token lacks the scope {scope}")
