"""Who is served here: agencies, systems and their secrets, downstream hubs, the upper hub,
authentication of a caller, routing of a code to its holder, the VXP directory calls.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from django.db import connections
from django.db.models import Q

from vpdt.hub import credentials
from vpdt.hub.models import Agency, Delivery, Grant, LogEntry, Route, System, Upstream
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.services import fastsql, guard
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


def _check_code(code: str, what: str = "code") -> str:
    code = (code or "").strip()
    if not _CODE.match(code) or len(code) > 100:
        raise vxp.VxpError(vxp.BAD_REQUEST, f"{what} {code!r}: letters, digits and dots only")
    return code


def add_agency(code: str, name: str, *, system_id: str, secret: str, parent_code: str = "", mail: str = "",
               code_qd20: str | None = None) -> Agency:
    """Operator: register an agency served by this hub, with its system's VXP credentials.

    `code_qd20`: its code in the QĐ 20/2020 scheme (None keeps the one it has, "" clears it)."""
    code = _check_code(code)
    defaults = {"name": name, "parent_code": parent_code, "active": True, "mail": mail}
    if code_qd20 is not None:
        code_qd20 = _check_code(code_qd20, "QĐ 20 code") if code_qd20.strip() else ""
        defaults["code_qd20"] = code_qd20
    with write() as w:
        if code_qd20:
            clash = Agency.objects.using(DB).filter(Q(code=code_qd20) | Q(code_qd20=code_qd20)).exclude(code=code)
            if clash.exists() or Agency.objects.using(DB).filter(code_qd20=code).exists():
                raise vxp.VxpError(vxp.AGENCY_EXISTS, f"{code_qd20!r} is already the code of another agency")
        system = _upsert_system(system_id, secret, System.AGENCY)
        agency, created = Agency.objects.using(DB).update_or_create(code=code, defaults={**defaults, "system": system})
        w.log(LogEntry.REGISTERED, to_code=code, system_id=system_id,
              detail=f"agency {'added' if created else 'updated'} by the operator"
                     + (f" (QĐ 20 code {agency.code_qd20})" if agency.code_qd20 else ""))
        _bump(w, agency)
    return agency


def _bump(w, agency: Agency) -> None:
    """The agency changed in this write: its version is the log entry just written."""
    Agency.objects.using(DB).filter(pk=agency.pk).update(version=w.head.seq)
    agency.version = w.head.seq


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


def set_time_zone(system_id: str, time_zone: str) -> System:
    """Operator: the zone this system's SDK timestamps are written in ("" = the hub's setting)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise vxp.VxpError(vxp.BAD_REQUEST, f"unknown time zone {time_zone!r}") from None
    system = System.objects.using(DB).filter(system_id=system_id).first()
    if system is None:
        raise vxp.VxpError(vxp.UNKNOWN_SYSTEM, f"systemid {system_id!r}")
    with write() as w:
        System.objects.using(DB).filter(pk=system.pk).update(time_zone=time_zone)
        w.log(LogEntry.REGISTERED, system_id=system_id, detail=f"timestamp time zone {time_zone or 'hub default'}")
    system.time_zone = time_zone
    return system


def generate_secret() -> str:
    return secrets.token_urlsafe(24)


# --------------------------------------------------------------------------- authentication
_secret_cache: dict[str, tuple[str, str]] = {}  # system_id -> (stored, plain)


@dataclass
class Caller:
    system: System
    signed: vxp.SignedHeaders
    # What a `Joined` asked at authentication read in the same statement: its key and its row
    # (None: no such row). `joined_key` None: nothing was read (the caller's service reads it).
    joined_key: str | None = None
    joined: tuple | None = None

    @property
    def system_id(self) -> str:
        return self.system.system_id

    def joined_row(self, key: str | None) -> tuple[bool, tuple | None]:
        """(read at authentication, its row) for `key`; (False, None) when it was not read."""
        if key is None or self.joined_key != key:
            return False, None
        return True, self.joined


@dataclass(frozen=True)
class Joined:
    """A row an operation reads first, read with the caller's system in authentication's one
    statement (PostgreSQL, a system that called this process before): `sql` a SELECT of at most
    one row whose first column is never NULL, which names the caller's system row `s` (e.g.
    `... WHERE d.holder_id = s.id`), taking `key` as its one parameter."""

    sql: str
    key: str


def authenticate(headers, join: Callable[[vxp.SignedHeaders], Joined | None] | None = None) -> Caller:
    """The caller of a request: signature verified, timestamp within the window, signature
    not seen before. A refusal after the system is identified carries `system_id` (and
    `authenticated` once the HMAC verified) so that the view records it.

    `join(signed)`: what the operation reads first, read in the same statement where it can be
    (`Caller.joined_row`): a download or an acknowledgement reads its delivery there, one round
    trip fewer. The refusals and their order are the same: the row is used only once the caller
    is authenticated."""
    signed = vxp.read_signed_headers(headers)
    known = _authenticate_known(signed, join)
    if known is not None:
        return known
    system = _active_system(signed.system_id)
    if system is None:
        raise vxp.VxpError(vxp.UNKNOWN_SYSTEM, f"systemid {signed.system_id!r}")
    secret = _secret(system)
    if not signed.verify(secret):
        raise _identified(vxp.VxpError(vxp.BAD_SIGNATURE, f"for systemid {signed.system_id!r}"), system, False)
    try:
        guard.check_fresh_and_once(signed, system.system_id, time_zone=system.time_zone)
    except vxp.VxpError as exc:
        raise _identified(exc, system, True) from None
    _zones[system.system_id] = system.time_zone
    return Caller(system, signed)


def _secret(system: System) -> str:
    cached = _secret_cache.get(system.system_id)
    if cached and cached[0] == system.secret_encrypted:
        return cached[1]
    secret = credentials.decrypt(system.secret_encrypted)
    _secret_cache[system.system_id] = (system.secret_encrypted, secret)
    return secret


def _identified(exc: vxp.VxpError, system: System, authenticated: bool) -> vxp.VxpError:
    exc.system_id, exc.authenticated = system.system_id, authenticated
    return exc


_zones: dict[str, str] = {}  # system_id -> its time zone when it last called here


def _authenticate_known(signed: vxp.SignedHeaders,
                        join: Callable[[vxp.SignedHeaders], Joined | None] | None = None) -> Caller | None:
    """`authenticate` in one statement for a system that called this process before
    (PostgreSQL): the signature is verified with the secret it had then, the timestamp read in
    its zone then; one statement remembers the signature and reads the system as it is now,
    and what changed since (deactivated, new secret, other zone) is judged on that row, as the
    full path would. None where the full path must answer (first call, another secret, a
    timestamp out of the window, SQLite, no replay window)."""
    system_id = signed.system_id or ""
    cached, zone = _secret_cache.get(system_id), _zones.get(system_id)
    if (cached is None or zone is None or guard.clock_skew() <= 0 or connections[DB].vendor != "postgresql"
            or not signed.verify(cached[1])):
        return None
    now = datetime.now(UTC)
    try:
        expires_at = guard.fresh_until(signed, now, zone)
    except vxp.VxpError:
        return None
    joined = join(signed) if join is not None else None
    if joined is None:
        select, params = _active_system_sql(), [system_id]
    else:
        select, params = _active_system_and_sql(joined.sql), [joined.key, system_id]
    inserted, row = fastsql.insert_unless_present_and_select(
        guard.seen(signed, system_id, expires_at), "signature", select, params)
    if row is None:
        _zones.pop(system_id, None)
        raise vxp.VxpError(vxp.UNKNOWN_SYSTEM, f"systemid {system_id!r}")
    system = _system_from_row(row[:len(_SYSTEM_COLUMNS)])
    if system.secret_encrypted != cached[0] and not signed.verify(_secret(system)):
        raise _identified(vxp.VxpError(vxp.BAD_SIGNATURE, f"for systemid {system_id!r}"), system, False)
    if system.time_zone != zone:
        _zones[system_id] = system.time_zone
        try:
            guard.fresh_until(signed, now, system.time_zone)
        except vxp.VxpError as exc:
            raise _identified(exc, system, True) from None
    if not inserted:
        raise _identified(guard.replayed(signed), system, True)
    guard.maybe_prune(now)
    if joined is None:
        return Caller(system, signed)
    extra = row[len(_SYSTEM_COLUMNS):]
    return Caller(system, signed, joined_key=joined.key, joined=None if extra[0] is None else tuple(extra))


_SYSTEM_COLUMNS = ["id", "system_id", "kind", "secret_encrypted", "active", "time_zone"]


def _active_system(system_id: str | None) -> System | None:
    """The active system `system_id` (every request asks): one SQL statement on its unique
    key, only the fields authentication and routing read (the rest load on access)."""
    if not system_id:
        return None
    with fastsql.cursor() as cursor:
        cursor.execute(_active_system_sql(), [system_id])
        row = cursor.fetchone()
    return None if row is None else _system_from_row(row)


@functools.cache
def _active_system_sql() -> str:
    """The SELECT of an active system by its id (`_SYSTEM_COLUMNS`), built once."""
    quote = connections[DB].ops.quote_name
    return (f"SELECT {', '.join(quote(c) for c in _SYSTEM_COLUMNS)} FROM {quote(System._meta.db_table)} "
            f"WHERE system_id = %s AND active")


@functools.lru_cache(maxsize=16)
def _active_system_and_sql(joined: str) -> str:
    """`_active_system_sql` with the row of `joined` beside the system's (NULLs when it has none)."""
    quote = connections[DB].ops.quote_name
    return (f"SELECT {', '.join('s.' + quote(c) for c in _SYSTEM_COLUMNS)}, j.* "
            f"FROM {quote(System._meta.db_table)} s LEFT JOIN LATERAL ({joined}) AS j ON TRUE "
            f"WHERE s.system_id = %s AND s.active")


def _system_from_row(row) -> System:
    values = list(row)
    values[4] = bool(values[4])
    return System.from_db(DB, _SYSTEM_COLUMNS, values)


# --------------------------------------------------------------------------- routing
@dataclass
class Destination:
    route: str
    holder: System | None = None


def _by_either_code(code: str):
    return Q(code=code) | Q(code_qd20=code)


def _active_agencies(codes: Iterable[str]) -> dict[str, Agency]:
    """The active agencies among `codes` (QCVN 102 or QĐ 20 codes), with their systems, in
    one statement; keyed by the code asked for.

    Written as SQL (it runs on every accept; the ORM's compiling cost several times its
    execution), the OR of both codes as a UNION of two index lookups."""
    return _active_agencies_and(codes, [], [])[0]


_AGENCY_COLS = ["id", "code", "code_qd20", "system_id", "active"]
_AGENCY_SYSTEM_COLS = ["id", "system_id", "kind", "active"]


def _active_agencies_and(codes: Iterable[str], columns: list[str], params: list) -> tuple[dict[str, Agency], list]:
    """`_active_agencies`, and in the same statement the scalar SQL expressions `columns`
    (with their `params`, placed before the agencies'): their values come back as a list.
    The accept path asks its duplicate check this way, one round trip instead of two."""
    asked = sorted({c for c in codes if c})
    found: dict[str, Agency] = {}
    if not asked and not columns:
        return found, []
    # only what routing reads; other fields load on access (deferred), as with .only()
    quote = connections[DB].ops.quote_name
    agency_t, system_t = quote(Agency._meta.db_table), quote(System._meta.db_table)
    marks = ", ".join(["%s"] * len(asked)) or "NULL"
    picked = ([f"a.{quote(c)} AS a_{c}" for c in _AGENCY_COLS]
              + [f"s.{quote(c)} AS s_{c}" for c in _AGENCY_SYSTEM_COLS])
    agencies = (f"SELECT {', '.join(picked)} FROM {agency_t} a "
                f"LEFT JOIN {system_t} s ON s.id = a.system_id WHERE a.active AND a.id IN ("
                f"SELECT id FROM {agency_t} WHERE code IN ({marks}) UNION "
                f"SELECT id FROM {agency_t} WHERE code_qd20 IN ({marks}))")
    if columns:  # one row even without an agency
        sql = (f"SELECT {', '.join(columns)}, ag.* FROM (SELECT 1 AS one) AS x "
               f"LEFT JOIN ({agencies}) AS ag ON 1 = 1")
    else:
        sql = agencies
    with fastsql.cursor() as cursor:
        cursor.execute(sql, [*params, *asked, *asked])
        rows = cursor.fetchall()
    extra = list(rows[0][:len(columns)]) if columns else []
    n = len(_AGENCY_COLS)
    for row in rows:
        row = row[len(columns):]
        if row[0] is None:
            continue  # the one row of the extra columns, no agency
        a = Agency.from_db(DB, _AGENCY_COLS, [*row[:n - 1], bool(row[n - 1])])
        if row[n] is not None:
            a.system = System.from_db(DB, _AGENCY_SYSTEM_COLS, [*row[n:-1], bool(row[-1])])
        else:
            a.system = None
        for key in (a.code, a.code_qd20):
            if key and key in asked:
                found[key] = a
    return found, extra


def aliases(code: str) -> set[str]:
    """`code` and the other code of the agency that carries it (QCVN 102 ⇄ QĐ 20)."""
    found = {code}
    for a in Agency.objects.using(DB).filter(_by_either_code(code)).only("code", "code_qd20"):
        found.update(c for c in (a.code, a.code_qd20) if c)
    return found


def _route_of(code: str, *, allow_upstream: bool, known: dict[str, Agency] | None = None) -> Destination | None:
    if known is None:
        agency = Agency.objects.using(DB).filter(_by_either_code(code), active=True).select_related("system").first()
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
    elif Agency.objects.using(DB).filter(_by_either_code(code), system=system, active=True).exists():
        return True
    if system.kind == System.HUB:
        return any(code == r.suffix or code.endswith("." + r.suffix) for r in system.routes.using(DB).all())
    return False


# --------------------------------------------------------------------------- directory
def agencies() -> list[Agency]:
    return list(Agency.objects.using(DB).filter(active=True).order_by("code"))


def synchronize_units(since: int | None = None) -> list[Agency]:
    """getSynchronizeUnit: every agency (removed ones too, marked deleted), or only those
    changed after version `since`, oldest change first."""
    query = Agency.objects.using(DB).all()
    if since is not None:
        query = query.filter(version__gt=since)
    return list(query.order_by("version", "code"))


def code_level(code: str) -> int:
    """1 for `000.00.00.H53`, 2 for `000.00.13.H53`, ...: number of non-zero segments."""
    return sum(1 for part in code.split(".") if part.strip("0"))


# --------------------------------------------------------------------------- authority over codes
# Only the operator registers and removes agency codes (`vpdt hub add-agency`, `remove-agency`).
# A system registers or removes codes over VXP only strictly below a subtree the operator
# granted it (`vpdt hub grant-subtree`), never a code held here or listed by the upper hub.
_CODE = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")


def _below(code: str, suffix: str) -> bool:
    """`code` strictly inside the subtree `*.suffix` (not its root)."""
    return code.endswith("." + suffix) and subtree_suffix(code) != suffix


def _grant_for(system: System, code: str) -> Grant | None:
    for grant in system.grants.using(DB).all():
        if _below(code, grant.suffix):
            return grant
    return None


def grant_subtree(system_id: str, code: str) -> Grant:
    """Operator: `system_id` may register and remove the agencies strictly below `code`."""
    code = code.strip()
    if not _CODE.match(code):
        raise vxp.VxpError(vxp.BAD_REQUEST, f"code {code!r} is not an agency code")
    system = System.objects.using(DB).filter(system_id=system_id).first()
    if system is None:
        raise vxp.VxpError(vxp.UNKNOWN_SYSTEM, f"systemid {system_id!r}")
    suffix = subtree_suffix(code)
    with write() as w:
        grant, created = Grant.objects.using(DB).get_or_create(system=system, suffix=suffix, defaults={"code": code})
        if created:
            w.log(LogEntry.GRANTED, to_code=code, system_id=system_id, detail=f"may register agencies under *.{suffix}")
    return grant


def revoke_subtree(system_id: str, code: str) -> bool:
    """Operator: withdraw a grant (the agencies registered under it stay; `remove_agency` them)."""
    suffix = subtree_suffix(code)
    with write() as w:
        deleted, _ = Grant.objects.using(DB).filter(system__system_id=system_id, suffix=suffix).delete()
        if deleted:
            w.log(LogEntry.REVOKED, to_code=code.strip(), system_id=system_id, detail=f"grant *.{suffix} withdrawn")
    return bool(deleted)


def grants() -> list[Grant]:
    return list(Grant.objects.using(DB).select_related("system").order_by("system__system_id", "suffix"))


def remove_agency(code: str) -> Agency:
    """Operator: an agency is no longer served here (its row is kept, inactive)."""
    agency = Agency.objects.using(DB).filter(code=code.strip(), active=True).select_related("system").first()
    if agency is None:
        raise vxp.VxpError(vxp.AGENCY_NOT_FOUND, f"{code!r}")
    with write() as w:
        Agency.objects.using(DB).filter(pk=agency.pk).update(active=False)
        w.log(LogEntry.UNREGISTERED, to_code=agency.code,
              system_id=agency.system.system_id if agency.system else "", detail="removed by the operator")
        _bump(w, agency)
    return agency


_upstream_codes: dict[str, tuple[float, frozenset[str]]] = {}  # upstream url -> (fetched, codes)
_upstream_lock = threading.Lock()


def upstream_codes() -> frozenset[str] | None:
    """The codes the upper hub lists (getAgenciesList), cached HUB_UPSTREAM_DIRECTORY_SECONDS
    per process; None without an upper hub. Unreachable and nothing cached: 601."""
    from django.conf import settings

    from vpdt.vxp.client import VxpClient, VxpProtocolError, VxpRemoteError

    upstream = get_upstream()
    if upstream is None:
        return None
    url, system_id, secret = upstream
    ttl = float(getattr(settings, "HUB_UPSTREAM_DIRECTORY_SECONDS", 600))
    with _upstream_lock:
        cached = _upstream_codes.get(url)
        if cached and time.monotonic() - cached[0] < ttl:
            return cached[1]
        try:
            with VxpClient(url, system_id, secret, timeout=15) as client:
                codes = frozenset(str(a.get("code") or "").strip() for a in client.get_agencies_list())
        except (httpx.HTTPError, VxpRemoteError, VxpProtocolError) as exc:
            raise vxp.VxpError(vxp.UPSTREAM_UNREACHABLE, f"upper hub's directory (getAgenciesList): {exc}") from None
        _upstream_codes[url] = (time.monotonic(), codes)
        return codes


def register_agency(caller: Caller, payload: dict) -> Agency:
    """registerAgency: a system adds an agency strictly below a subtree granted to it."""
    code = str(payload.get("code") or "").strip()
    name = str(payload.get("name") or "").strip()
    parent = str(payload.get("pcode") or "").strip()
    code_qd20 = str(payload.get("codeQD20") or payload.get("code_qd20") or "").strip()
    if code_qd20 and (not _CODE.match(code_qd20) or len(code_qd20) > 100):
        raise vxp.VxpError(vxp.BAD_REQUEST, f"codeQD20 {code_qd20!r}: letters, digits and dots only")
    if not code or not name:
        raise vxp.VxpError(vxp.BAD_REQUEST, "code and name are required")
    if not _CODE.match(code) or len(code) > 100 or (parent and not _CODE.match(parent)):
        raise vxp.VxpError(vxp.BAD_REQUEST, f"code {code!r} / pcode {parent!r}: letters, digits and dots only")
    grant = _grant_for(caller.system, code)
    if grant is None:
        granted = ", ".join("*." + g.suffix for g in caller.system.grants.using(DB).all()) or "none"
        raise vxp.VxpError(vxp.NOT_ALLOWED, f"{code!r} is not below a subtree granted to {caller.system_id!r} "
                                            f"(granted: {granted}); ask the hub's operator")
    if parent and parent != grant.code and not _below(parent, grant.suffix):
        raise vxp.VxpError(vxp.NOT_ALLOWED, f"pcode {parent!r} is outside the granted subtree *.{grant.suffix}")
    existing = Agency.objects.using(DB).filter(code=code, active=True).first()
    own = existing is not None and existing.system_id == caller.system.pk
    if not own:
        _check_free(caller, code)
        if code_qd20:
            _check_free(caller, code_qd20)
        known_upstream = upstream_codes()
        if known_upstream is not None and code in known_upstream:
            raise vxp.VxpError(vxp.AGENCY_UPSTREAM, f"{code!r} is listed by the upper hub")
    with write() as w:
        if not own:
            _check_free(caller, code)  # again under the write lock: a concurrent registration
        if code_qd20 and Agency.objects.using(DB).filter(Q(code_qd20=code_qd20) | Q(code=code_qd20)).exclude(
                code=code).exists():
            raise vxp.VxpError(vxp.AGENCY_EXISTS, f"{code_qd20!r} is already the code of another agency")
        defaults = {"name": name[:500], "parent_code": parent, "mail": str(payload.get("mail") or "")[:200],
                    "mobile": str(payload.get("mobile") or "")[:50], "fax": str(payload.get("fax") or "")[:50],
                    "system": caller.system, "active": True}
        if code_qd20:
            defaults["code_qd20"] = code_qd20
        agency, _ = Agency.objects.using(DB).update_or_create(code=code, defaults=defaults)
        w.log(LogEntry.REGISTERED, to_code=code, system_id=caller.system_id,
              detail=f"registerAgency under grant *.{grant.suffix}" + (" (updated)" if own else ""))
        _bump(w, agency)
    return agency


def _check_free(caller: Caller, code: str) -> None:
    """Refuse (401) a code held here: an active agency of another system, or inside the
    subtree a downstream hub serves."""
    holder = Agency.objects.using(DB).filter(_by_either_code(code), active=True).exclude(
        system=caller.system).first()
    if holder is not None:
        raise vxp.VxpError(vxp.AGENCY_EXISTS, f"{code!r}")
    for route in Route.objects.using(DB).select_related("system").filter(system__active=True):
        if route.system_id != caller.system.pk and (code == route.suffix or code.endswith("." + route.suffix)):
            raise vxp.VxpError(vxp.AGENCY_EXISTS, f"{code!r} is served by the downstream hub {route.system.system_id!r}")


def delete_agency(caller: Caller, code: str | None) -> None:
    """deleteAgency: a system removes an agency it registered strictly below a granted subtree."""
    code = (code or "").strip()
    agency = Agency.objects.using(DB).filter(code=code, active=True).first()
    if agency is None:
        raise vxp.VxpError(vxp.AGENCY_NOT_FOUND, f"{code!r}")
    if agency.system_id != caller.system.pk:
        raise vxp.VxpError(vxp.NOT_ALLOWED, f"{code!r} belongs to another system")
    grant = _grant_for(caller.system, code)
    if grant is None:
        raise vxp.VxpError(vxp.NOT_ALLOWED, f"{code!r} is not below a subtree granted to {caller.system_id!r}; "
                                            "only the hub's operator removes it")
    with write() as w:
        Agency.objects.using(DB).filter(pk=agency.pk).update(active=False)
        w.log(LogEntry.UNREGISTERED, to_code=agency.code, system_id=caller.system_id,
              detail=f"deleteAgency under grant *.{grant.suffix}")
        _bump(w, agency)
