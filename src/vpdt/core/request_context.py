"""Who is acting and from where, for the audit log, without threading `request` everywhere."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    ip: str | None = None
    via: str = "system"  # web, api, cli, worker, system


_NOBODY = Actor()
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("vpdt_actor", default=_NOBODY)  # noqa: B039 - frozen


def current() -> Actor:
    return _current.get()


def set_current(actor: Actor) -> contextvars.Token:
    return _current.set(actor)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")
