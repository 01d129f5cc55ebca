"""A person's ways in: the lockout policy (django-axes), their sessions, API tokens, login history.

The lockout is django-axes with its database handler (attempts in a table, so every process
and every way in — the login page, /admin/ and the API's token — counts the same failures).
Failures count per account and per account + address; the address alone never locks (an
office behind one NAT address would lock everyone). Each new lockout of an account within a
day lasts twice as long as the one before (`cool_off`), up to a ceiling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import Max
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vpdt.core import audit, request_context
from vpdt.core.errors import NotFound, PermissionDenied
from vpdt.core.prepared import Read
from vpdt.directory.models import Agency, ApiToken, User, UserSession, hash_token, password_changed
from vpdt.directory.roles import Role

# The person's typed username, for the parts of axes that only get the request (the API's
# JSON body is not request.POST).
LOGIN_USERNAME_ATTR = "vpdt_login_username"


class LockoutBackend(AxesStandaloneBackend):
    """axes' gate in front of the password check. Without a request (the test client's
    `login()`, a management command) there is no client to count, so it stands aside."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        if username is not None and not getattr(request, LOGIN_USERNAME_ATTR, None):
            setattr(request, LOGIN_USERNAME_ATTR, username)
        return super().authenticate(request, username=username, password=password, **kwargs)


# The signed-in person and their agency, loaded on every request: two prepared statements
# (vpdt.core.prepared) instead of the ORM writing them out each time.
_USER = Read(lambda pk: User.objects.filter(pk=pk), pk=int)
_AGENCY = Read(lambda pk: Agency.objects.filter(pk=pk), pk=int)


def signed_in_user(user_id) -> User | None:
    """The active person `user_id` of a session, their agency already loaded (every page's frame
    shows it), or None."""
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    user = _USER.instance(pk=pk)
    if user is None or not user.is_active:
        return None
    if user.agency_id is not None:
        User.agency.field.set_cached_value(user, _AGENCY.instance(pk=user.agency_id))
    return user


class PasswordBackend(ModelBackend):
    """Django's ModelBackend (username and password), with the session's person loaded by
    `signed_in_user`. Sessions signed in under Django's own path are read as this one's
    (vpdt.core.sessions)."""

    def get_user(self, user_id):
        return signed_in_user(user_id)


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler, counting each attempt until its own expiry: with a cool-off
    that grows at each lockout, a window computed from today's cool-off would bring back
    failures whose lockout had already run out."""

    def get_user_attempts(self, request, credentials=None):
        now = timezone.now()
        return [qs.filter(expiration__expires_at__gt=now) for qs in self.filter_user_attempts(request, credentials)]


def attempted_username(request, credentials) -> str | None:
    """The username as typed, lowercased: `Clerk` and `clerk` are one account's failures."""
    name = None
    if credentials:
        name = credentials.get("username")
    if name is None and request is not None:
        name = getattr(request, LOGIN_USERNAME_ATTR, None) or request.POST.get("username")
    return name.strip().lower() if isinstance(name, str) else name


def _base() -> timedelta:
    return timedelta(minutes=settings.VPDT_LOGIN_COOLOFF_MINUTES)


def lockouts_today(username: str | None) -> int:
    """How many times this account was locked in the last 24 hours."""
    if not username:
        return 0
    since = timezone.now() - timedelta(days=1)
    return AccessFailureLog.objects.filter(username=username, locked_out=True, attempt_time__gte=since).count()


def cool_off(request=None) -> timedelta:
    """The wait after a lockout: the base, doubled for each earlier lockout of the same day."""
    username = attempted_username(request, getattr(request, "axes_credentials", None)) if request else None
    doubled = _base() * (2 ** min(lockouts_today(username), 16))
    return min(doubled, timedelta(minutes=settings.VPDT_LOGIN_COOLOFF_MAX_MINUTES))


@dataclass(frozen=True)
class Lockout:
    until: datetime

    @property
    def seconds(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.seconds / 60))
        local = timezone.localtime(self.until)
        return ngettext(
            "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Thử lại sau %(minutes)d phút (lúc %(at)s) "
            "hoặc nhờ quản trị cơ quan mở khóa.",
            "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Thử lại sau %(minutes)d phút (lúc %(at)s) "
            "hoặc nhờ quản trị cơ quan mở khóa.", minutes) % {
            "minutes": minutes, "at": date_format(local, "d/m/Y H:i")}


def lockout_of(username: str | None) -> Lockout | None:
    """The account's lockout now, if its failures reached the limit."""
    if not username:
        return None
    now = timezone.now()
    attempts = AccessAttempt.objects.filter(username=username.strip().lower(), expiration__expires_at__gt=now)
    failures = sum(attempts.values_list("failures_since_start", flat=True))
    if failures < settings.AXES_FAILURE_LIMIT:
        return None
    until = attempts.aggregate(until=Max("expiration__expires_at"))["until"]
    return Lockout(until=until) if until else None


def lockout_for(request, credentials=None) -> Lockout:
    """The lockout axes just applied to this request (for the answer saying when to retry)."""
    found = lockout_of(attempted_username(request, credentials))
    if found is None:  # reached per account + address only: the same wait from now
        found = Lockout(until=(getattr(request, "axes_attempt_time", None) or timezone.now()) + cool_off(request))
    return found


def locked_candidates(usernames) -> list[str]:
    """Those of these usernames with failures still counting (lockout_of says which are locked)."""
    counting = set(AccessAttempt.objects.filter(expiration__expires_at__gt=timezone.now())
                   .values_list("username", flat=True))
    return [u for u in usernames if u.lower() in counting]


def token_login(request, user: User) -> None:
    """What a successful login does for axes, for the API's token (which opens no session)."""
    AccessLog.objects.create(
        username=user.get_username(), ip_address=request_context.client_ip(request),
        user_agent=_user_agent(request), http_accept=request.META.get("HTTP_ACCEPT", "")[:1025],
        path_info=request.path[:255], attempt_time=timezone.now())
    AxesProxyHandler.reset_attempts(username=user.get_username().lower())


def can_manage(actor, person: User) -> bool:
    """The platform admin for anyone; an agency admin for the people of their agency."""
    if actor.is_superuser or actor.is_platform_admin:
        return True
    return bool(person.agency_id) and person.agency_id in actor.admin_agency_ids()


def unlock(actor, person: User) -> int:
    """Forget the person's failed logins so they may sign in again at once. `actor` None is the
    operator at the server (`vpdt manage unlock_login`)."""
    if actor is not None and not can_manage(actor, person):
        raise PermissionDenied(_("Chỉ quản trị cơ quan của người này mới được mở khóa."))
    count = AxesProxyHandler.reset_attempts(username=person.get_username().lower())
    audit.record("auth.unlock", person, user=actor, detail={"username": person.get_username(), "attempts": count})
    return count


# --- sessions ---------------------------------------------------------------------------

SESSION_LOGIN_AT = "_vpdt_login_at"  # when this browser signed in (absolute length)
SESSION_SEEN = "_vpdt_seen"  # the person's last action (idle timeout)
SESSION_ROW = "_vpdt_row"  # the session key its UserSession row was written for


def _session_store() -> type[SessionBase]:
    return import_string(settings.SESSION_ENGINE + ".SessionStore")


def _user_agent(request) -> str:
    return (request.META.get("HTTP_USER_AGENT") or "")[:255]


def touch_session(request, user) -> None:
    """Keep the row of this browser's session: who, from where, when last seen."""
    key = request.session.session_key
    if not key:
        return
    UserSession.objects.update_or_create(session_key=key, defaults={
        "user_id": user.pk, "ip": request_context.client_ip(request), "user_agent": _user_agent(request),
        "last_seen": timezone.now()})
    request.session[SESSION_ROW] = key


@receiver(user_logged_in, dispatch_uid="vpdt-login-session")
def _on_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    # (axes writes the login history: AccessLog for a success, AccessFailureLog for a failure)
    request.session[SESSION_LOGIN_AT] = timezone.now().timestamp()
    request.session[SESSION_SEEN] = timezone.now().timestamp()
    if not request.session.session_key:
        request.session.save()
    touch_session(request, user)


@receiver(user_logged_out, dispatch_uid="vpdt-logout-session")
def _on_logout(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def sessions_of(user: User):
    return UserSession.objects.filter(user=user).order_by("-last_seen")


def end_session(actor, session: UserSession) -> None:
    """End one signed-in browser of the person (their own, or one of their agency's people)."""
    if session.user_id != actor.pk and not can_manage(actor, session.user):
        raise PermissionDenied(_("Không được kết thúc phiên đăng nhập của người khác."))
    _session_store()(session_key=session.session_key).delete()
    session.delete()
    audit.record("auth.session_end", session.user, user=actor, detail={"ip": session.ip})


def end_all_sessions(user: User, *, keep: str | None = None) -> int:
    rows = list(UserSession.objects.filter(user=user).exclude(session_key=keep or ""))
    store = _session_store()
    for row in rows:
        store(session_key=row.session_key).delete()
    UserSession.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


# --- API tokens -------------------------------------------------------------------------


def tokens_of(user: User):
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def create_token(actor: User, *, name: str, lifetime_days: int) -> str:
    """A new token for the person themselves; the clear token is returned once, never stored."""
    token = ApiToken.issue(actor, lifetime_seconds=lifetime_days * 86400, name=name)
    created = ApiToken.objects.get(key_hash=hash_token(token))
    audit.record("auth.token_create", created, user=actor, agency_code=_agency_code(actor),
                 detail={"name": name, "days": lifetime_days})
    return token


def revoke_token(actor: User, token_id: int) -> ApiToken:
    found = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if found is None:
        raise NotFound(_("Không tìm thấy khóa API."))
    if found.user_id != actor.pk and not can_manage(actor, found.user):
        raise PermissionDenied(_("Không được thu hồi khóa API của người khác."))
    if found.revoked_at is None:
        found.revoked_at = timezone.now()
        found.save(update_fields=["revoked_at"])
        audit.record("auth.token_revoke", found, user=actor, agency_code=_agency_code(found.user),
                     detail={"name": found.name})
    return found


def _agency_code(user: User) -> str:
    return user.agency.code if user.agency_id else ""


@receiver(password_changed, dispatch_uid="vpdt-password-changed")
def _on_password_changed(sender, user, **kwargs):
    """A new password ends every API token and every session of the person (the page that
    changed it keeps its own: Django re-keys it right after, see update_session_auth_hash)."""
    now = timezone.now()
    with transaction.atomic():
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        ended = end_all_sessions(user)
    audit.record("auth.password_change", user, detail={"tokens_revoked": revoked, "sessions_ended": ended})


# --- login history ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginEvent:
    at: datetime
    username: str
    ok: bool
    ip: str | None
    user_agent: str
    path: str


def login_history(usernames, limit: int = 100) -> list[LoginEvent]:
    """Successful and failed logins of these accounts, newest first."""
    names = [u.lower() for u in usernames] + list(usernames)
    ok = AccessLog.objects.filter(username__in=names).order_by("-attempt_time")[:limit]
    failed = AccessFailureLog.objects.filter(username__in=names).order_by("-attempt_time")[:limit]
    events = [LoginEvent(r.attempt_time, r.username, True, r.ip_address, r.user_agent, r.path_info) for r in ok]
    events += [LoginEvent(r.attempt_time, r.username, False, r.ip_address, r.user_agent, r.path_info) for r in failed]
    return sorted(events, key=lambda e: e.at, reverse=True)[:limit]


def managed_people(actor: User):
    """The people whose history and lockouts this administrator may see."""
    if actor.is_superuser or actor.is_platform_admin:
        return User.objects.all()
    agencies = actor.admin_agency_ids()
    return User.objects.filter(agency_id__in=agencies) if agencies else User.objects.none()


def is_agency_admin(actor: User) -> bool:
    return actor.is_superuser or actor.is_platform_admin or Role.AGENCY_ADMIN in actor.role_set()
