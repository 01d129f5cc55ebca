"""Who is served here: agencies, systems and their secrets, downstream hubs, the upper hub,
authentication of a caller, routing of a code to its holder, the VXP directory calls.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from vpdt.hub import credentials
from vpdt.hub.models import Agency, Delivery, Route, System, Upstream
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.services.message_log import write
from vpdt.vxp import protocol as vxp

log = logging.getLogger("vpdt.hub")


# --------------------------------------------------------------------------- registry
def subtree_suffix(code: str) -> str:
    """`000.00.38.H53` -> `38.H53`: the codes under an agency end with this."""
    parts = code.strip().split(".")
    while len(parts) > 1 and set(parts[0]) <= {"0"}:
        parts.pop(0)
    return ".".join(parts)


def _upsert_system(system_id: str, secret: str, kind: str, name: str = "") -> System:
    system = System.objects.using(DB).filter(system_id=system_id).first()
    if system is None:
        system = System(system_id=system_id, kind=kind)
    system.secret_encrypted = credentials.encrypt(secret)
    system.kind = kind
    system.active = True
    if name:
        system.name = name
    system.save(using=DB)
    _secret_cache.pop(system_id, None)
    return system


def add_agency(code: str, name: str, *, system_id: str, secret: str, parent_code: str = "", mail: str = "") -> Agency:
    """Operator: register an agency served by this hub, with its system's VXP credentials."""
    with write() as w:
        system = _upsert_system(system_id, secret, System.AGENCY)
        agency, created = Agency.objects.using(DB).update_or_create(
            code=code, defaults={"name": name, "parent_code": parent_code, "system": system, "active": True,
                                 "mail": mail})
        w.log("registered", to_code=code, system_id=system_id, detail=f"agency {'added' if created else 'updated'}")
    return agency


def add_downstream(system_id: str, secret: str, codes: Iterable[str], name: str = "") -> System:
    """Operator: a downstream hub that serves the subtrees of `codes` and pulls their packages."""
    with write() as w:
        system = _upsert_system(system_id, secret, System.HUB, name)
        for code in codes:
            suffix = subtree_suffix(code)
            Route.objects.using(DB).update_or_create(suffix=suffix, defaults={"system": system})
            w.log("registered", to_code=code, system_id=system_id, detail=f"downstream hub serves *.{suffix}")
    return system


def set_upstream(url: str, system_id: str, secret: str) -> Upstream:
    with write() as w:
        upstream, _ = Upstream.objects.using(DB).update_or_create(
            pk=1, defaults={"url": url.rstrip("/"), "system_id": system_id,
                            "secret_encrypted": credentials.encrypt(secret)})
        w.log("registered", system_id=system_id, detail=f"upstream {url}")
    return upstream


def get_upstream() -> tuple[str, str, str] | None:
    upstream = Upstream.objects.using(DB).filter(pk=1).first()
    if upstream is None:
        return None
    return upstream.url, upstream.system_id, credentials.decrypt(upstream.secret_encrypted)


def generate_secret() -> str:
    return secrets.token_urlsafe(24)


# --------------------------------------------------------------------------- authentication
_secret_cache: dict[str, tuple[str, str]] = {}  # system_id -> (stored, plain)


@dataclass
class Caller:
    system: System
    signed: vxp.SignedHeaders

    @property
    def system_id(self) -> str:
        return self.system.system_id


def authenticate(headers) -> Caller:
    signed = vxp.read_signed_headers(headers)
    system = System.objects.using(DB).filter(system_id=signed.system_id, active=True).first()
    if system is None:
        raise vxp.VxpError(vxp.UNKNOWN_SYSTEM, f"systemid {signed.system_id!r}")
    cached = _secret_cache.get(system.system_id)
    if cached and cached[0] == system.secret_encrypted:
        secret = cached[1]
    else:
        secret = credentials.decrypt(system.secret_encrypted)
        _secret_cache[system.system_id] = (system.secret_encrypted, secret)
    if not signed.verify(secret):
        raise vxp.VxpError(vxp.BAD_SIGNATURE, f"for systemid {signed.system_id!r}")
    return Caller(system, signed)


# --------------------------------------------------------------------------- routing
@dataclass
class Destination:
    route: str
    holder: System | None = None


def _active_agencies(codes: Iterable[str]) -> dict[str, Agency]:
    """The active agencies among `codes`, with their systems, in one query."""
    return {a.code: a for a in Agency.objects.using(DB).filter(code__in=set(codes), active=True)
            .select_related("system")}


def _route_of(code: str, *, allow_upstream: bool, known: dict[str, Agency] | None = None) -> Destination | None:
    if known is None:
        agency = Agency.objects.using(DB).filter(code=code, active=True).select_related("system").first()
    else:
        agency = known.get(code)
    if agency is not None and agency.system is not None and agency.system.active:
        kind = Delivery.LOCAL if agency.system.kind == System.AGENCY else Delivery.DOWNSTREAM
        return Destination(kind, agency.system)
    best: Route | None = None
    for route in Route.objects.using(DB).select_related("system").filter(system__active=True):
        if (code == route.suffix or code.endswith("." + route.suffix)) and (
                best is None or len(route.suffix) > len(best.suffix)):
            best = route
    if best is not None:
        return Destination(Delivery.DOWNSTREAM, best.system)
    if allow_upstream and Upstream.objects.using(DB).filter(pk=1).exists():
        return Destination(Delivery.UPSTREAM)
    return None


def route(code: str) -> Destination | None:
    """Where a package for `code` goes: a local system, a downstream hub, the upper hub, or None."""
    return _route_of(code, allow_upstream=True)


def _owns(system: System, code: str, known: dict[str, Agency] | None = None) -> bool:
    if known is not None:
        agency = known.get(code)
        if agency is not None and agency.system_id == system.pk:
            return True
    elif Agency.objects.using(DB).filter(code=code, system=system, active=True).exists():
        return True
    if system.kind == System.HUB:
        return any(code == r.suffix or code.endswith("." + r.suffix) for r in system.routes.using(DB).all())
    return False


# --------------------------------------------------------------------------- directory
def agencies() -> list[Agency]:
    return list(Agency.objects.using(DB).filter(active=True).order_by("code"))


def code_level(code: str) -> int:
    """1 for `000.00.00.H53`, 2 for `000.00.13.H53`, ...: number of non-zero segments."""
    return sum(1 for part in code.split(".") if part.strip("0"))


def register_agency(caller: Caller, payload: dict) -> Agency:
    """registerAgency: a system adds an agency under one it owns (or in its subtree)."""
    code = str(payload.get("code") or "").strip()
    name = str(payload.get("name") or "").strip()
    parent = str(payload.get("pcode") or "").strip()
    if not code or not name:
        raise vxp.VxpError(vxp.BAD_REQUEST, "code and name are required")
    existing = Agency.objects.using(DB).filter(code=code).first()
    if existing is not None and existing.system_id not in (None, caller.system.pk) and existing.active:
        raise vxp.VxpError(vxp.AGENCY_EXISTS, f"{code!r}")
    if not (parent and _owns(caller.system, parent)) and not _owns(caller.system, code) and not (
            existing is None and not parent and not caller.system.agencies.using(DB).exists()):
        raise vxp.VxpError(vxp.NOT_ALLOWED, f"parent {parent!r} is not an agency of {caller.system_id!r}")
    with write() as w:
        agency, _ = Agency.objects.using(DB).update_or_create(code=code, defaults={
            "name": name[:500], "parent_code": parent, "mail": str(payload.get("mail") or "")[:200],
            "mobile": str(payload.get("mobile") or "")[:50], "fax": str(payload.get("fax") or "")[:50],
            "system": caller.system, "active": True})
        w.log("registered", to_code=code, system_id=caller.system_id, detail="registerAgency")
    return agency


def delete_agency(caller: Caller, code: str | None) -> None:
    agency = Agency.objects.using(DB).filter(code=(code or "").strip(), active=True).first()
    if agency is None:
        raise vxp.VxpError(vxp.AGENCY_NOT_FOUND, f"{code!r}")
    if agency.system_id != caller.system.pk:
        raise vxp.VxpError(vxp.NOT_ALLOWED, f"{code!r} belongs to another system")
    with write() as w:
        Agency.objects.using(DB).filter(pk=agency.pk).update(active=False)
        w.log("unregistered", to_code=agency.code, system_id=caller.system_id, detail="deleteAgency")
