"""Single sign-on through the province's OpenID Connect provider: who a provider's identity is here.

The protocol is mozilla-django-oidc's (authorization code flow, PKCE, state and nonce kept in
the session); this module adds what it leaves to the site:

- the provider's endpoints come from its discovery document (`VPDT_OIDC_ISSUER`), whose
  `issuer` must be the configured one;
- the ID token is verified strictly: RS256 signature by a key of the provider's JWKS, `iss`,
  `aud` (and `azp`), `exp`, `iat`, `sub` required, the nonce of this sign-in;
- `resolve` maps the identity to a person: by the stored link (issuer + `sub`), else, on the
  first sign-in, by one claim chosen in settings (`VPDT_OIDC_MATCH_CLAIM`: `preferred_username`
  against the user name, or `email`, which must be `email_verified`) matching exactly one
  active person, and then stores the link. No account is ever created: an identity nobody
  here matches is refused, and so is an inactive person. Links and refusals are audited.
"""

from __future__ import annotations

import logging

import httpx
import jwt
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from vpdt.core import audit
from vpdt.core.errors import VpdtError
from vpdt.directory.models import ExternalIdentity, User

log = logging.getLogger(__name__)

DISCOVERY_CACHE_SECONDS = 3600


class SSORefused(VpdtError):
    """A provider's identity that may not sign in here; `code` says why, `message` is for the person."""

    code = "SSO_REFUSED"
    http_status = 403


class SSOUnavailable(VpdtError):
    """The provider cannot be reached or answers something that is not OpenID Connect."""

    code = "SSO_UNAVAILABLE"
    http_status = 502


def sso_enabled() -> bool:
    return bool(getattr(settings, "VPDT_OIDC_ISSUER", "") and getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def provider_config() -> dict:
    """The provider's discovery document (cached), checked to name the configured issuer."""
    issuer = settings.VPDT_OIDC_ISSUER
    url = settings.VPDT_OIDC_DISCOVERY_URL or f"{issuer}/.well-known/openid-configuration"
    key = f"vpdt:oidc:discovery:{url}"
    found = cache.get(key)
    if found is not None:
        return found
    try:
        response = httpx.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SSOUnavailable(_("Không kết nối được cổng đăng nhập một cửa, vui lòng thử lại sau."),
                             code="SSO_DISCOVERY_FAILED", detail=f"{url}: {exc}") from exc
    missing = [k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(k)]
    if missing or document["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise SSOUnavailable(_("Không kết nối được cổng đăng nhập một cửa, vui lòng thử lại sau."),
                             code="SSO_DISCOVERY_INVALID",
                             detail=f"{url}: issuer {document.get('issuer')!r}, expected {issuer!r}; missing {missing}")
    cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def _refuse(code: str, message, *, issuer: str, claims: dict, user: User | None = None) -> SSORefused:
    audit.record("sso.refuse", user, detail={"code": code, "issuer": issuer, "sub": claims.get("sub", ""),
                                             "claim": settings.VPDT_OIDC_MATCH_CLAIM,
                                             "value": str(claims.get(settings.VPDT_OIDC_MATCH_CLAIM, ""))})
    return SSORefused(message, code=code, detail=f"{issuer} sub={claims.get('sub', '')}")


NOT_GRANTED = _("Tài khoản chưa được cấp quyền trong hệ thống. Đề nghị liên hệ quản trị hệ thống của cơ quan.")
INACTIVE = _("Tài khoản đã bị khóa trong hệ thống. Đề nghị liên hệ quản trị hệ thống của cơ quan.")


def resolve(issuer: str, claims: dict, *, match_claim: str | None = None) -> User:
    """The active person these verified claims (ID token and userinfo, same `sub`) sign in as.

    Raises SSORefused when nobody here may be this identity.
    """
    match_claim = match_claim or settings.VPDT_OIDC_MATCH_CLAIM
    subject = str(claims.get("sub") or "")
    if not subject:
        raise _refuse("SSO_NO_SUBJECT", NOT_GRANTED, issuer=issuer, claims=claims)
    link = ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if link is not None:
        if not link.user.is_active:
            raise _refuse("SSO_INACTIVE", INACTIVE, issuer=issuer, claims=claims, user=link.user)
        return link.user

    value = claims.get(match_claim)
    if not isinstance(value, str) or not value.strip():
        raise _refuse("SSO_CLAIM_MISSING", NOT_GRANTED, issuer=issuer, claims=claims)
    if match_claim == "email":
        if claims.get("email_verified") is not True:  # an address the provider has not verified proves nothing
            raise _refuse("SSO_EMAIL_UNVERIFIED", NOT_GRANTED, issuer=issuer, claims=claims)
        candidates = list(User.objects.filter(email__iexact=value.strip())[:2])
    else:
        candidates = list(User.objects.filter(username=value.strip())[:2])
    if len(candidates) != 1:
        raise _refuse("SSO_UNKNOWN_IDENTITY" if not candidates else "SSO_AMBIGUOUS", NOT_GRANTED,
                      issuer=issuer, claims=claims)
    user = candidates[0]
    if not user.is_active:
        raise _refuse("SSO_INACTIVE", INACTIVE, issuer=issuer, claims=claims, user=user)
    try:
        with transaction.atomic():
            link = ExternalIdentity.objects.create(issuer=issuer, subject=subject, user=user, matched_by=match_claim)
            audit.record("sso.link", link, user=user, agency_code=getattr(user.agency, "code", "") or "",
                         detail={"issuer": issuer, "sub": subject, "claim": match_claim, "value": value})
    except IntegrityError:
        # The same sign-in finished meanwhile in another tab (then the link is there), or this
        # person is already linked to another account at this provider: never a second one.
        link = ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
        if link is not None and link.user_id == user.pk:
            return user
        raise _refuse("SSO_ALREADY_LINKED", NOT_GRANTED, issuer=issuer, claims=claims, user=user) from None
    return user


class ProvinceSSOBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with endpoints from discovery, strict ID token checks and `resolve`."""

    def __init__(self, *args, **kwargs):
        # The parent reads every endpoint from settings here; ours come from discovery, lazily
        # (Django builds a backend for each request of a signed-in person, to load the user).
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID", "")
        self.OIDC_RP_CLIENT_SECRET = self.get_settings("OIDC_RP_CLIENT_SECRET", "")
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = User

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 - the parent's attribute names
        return provider_config()["token_endpoint"]

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # noqa: N802
        return provider_config().get("userinfo_endpoint", "")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return provider_config()["jwks_uri"]

    def authenticate(self, request, **kwargs):
        # Only the callback of a sign-in we started (it passes the nonce and PKCE verifier); a
        # password sign-in that happens to carry ?code=&state= is not ours.
        if request is None or not sso_enabled() or "nonce" not in kwargs or "code_verifier" not in kwargs:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except VpdtError as exc:
            request.sso_refusal = exc
            return None

    def _verify_jws(self, payload, key):
        try:
            claims = jwt.decode(
                payload, key, algorithms=["RS256"], audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.VPDT_OIDC_ISSUER, options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token refused: azp is not this client")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        if not self.OIDC_OP_USER_ENDPOINT:
            return {}
        return super().get_userinfo(access_token, id_token, payload)

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo and userinfo.get("sub") != payload.get("sub"):
            # OIDC Core 5.3.2: userinfo of another subject must not be used.
            raise SuspiciousOperation("userinfo sub differs from the ID token's")
        # The ID token's claims (signed) win over userinfo's.
        return resolve(settings.VPDT_OIDC_ISSUER, {**userinfo, **payload})

    def get_user(self, user_id):
        # As Django's ModelBackend: a person deactivated meanwhile is signed out at the next request.
        from vpdt.directory.accounts import signed_in_user

        return signed_in_user(user_id)


def unlink(link: ExternalIdentity, *, by: User) -> None:
    """An administrator removes a link (the person's account at the provider was replaced):
    the next sign-in matches by the claim again. Audited."""
    with transaction.atomic():
        audit.record("sso.unlink", link.user, user=by, detail={"issuer": link.issuer, "sub": link.subject})
        link.delete()
