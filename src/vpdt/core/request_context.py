"""Who is acting and from where, for the audit log, without threading `request` everywhere."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    ip: str | None = None
    via: str = "system"  # web, api, cli, worker, system
    # --- ops: named in every log line of the request (vpdt.core.logs)
    request_id: str = ""
    agency_id: int | None = None


_NOBODY = Actor()
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("vpdt_actor", default=_NOBODY)  # noqa: B039 - frozen


def current() -> Actor:
    return _current.get()


def set_current(actor: Actor) -> contextvars.Token:
    return _current.set(actor)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


# --- a read-only request's memo: facts about the person that several parts of one page ask for
# (their secret grants, whom they act for today), looked up once per request. Only for GET and
# HEAD, which change none of them; elsewhere (a form's POST, the worker, the CLI, tests calling
# services) there is no memo and every call looks again.
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("vpdt_request_memo", default=None)


def open_memo() -> contextvars.Token:
    return _memo.set({})


def close_memo(token: contextvars.Token) -> None:
    _memo.reset(token)


def memo_open() -> bool:
    """Whether this is a read-only request, whose facts `remembered` keeps."""
    return _memo.get() is not None


def remembered(key: tuple, compute):
    """`compute()`, once per read-only request for the same `key`; every time outside one."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


_REQUEST_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


def request_id(request) -> str:
    """The request's id: the reverse proxy's X-Request-ID when it is a sane token (so one id follows
    the request through the proxy's log and ours), else a new random one."""
    import uuid

    given = request.META.get("HTTP_X_REQUEST_ID", "")
    if 0 < len(given) <= 64 and set(given) <= _REQUEST_ID_CHARS:
        return given
    return uuid.uuid4().hex
