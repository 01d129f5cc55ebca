"""Single sign-on: who a provider's identity is here, and the protocol's checks.

The mapping rules are called directly; the protocol runs against the real local provider
(tests/oidc_provider, in its own process) with Django's test client as the browser's vpdt side
and httpx as its provider side. The browser walk is tests/browser/test_oidc.py.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urljoin, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation

from tests import factories, oidc_provider
from vpdt.core.models import AuditEntry
from vpdt.directory import sso
from vpdt.directory.models import ExternalIdentity
from vpdt.directory.roles import Role

pytestmark = pytest.mark.django_db

ISSUER = "https://motcua.example.vn/realms/tinh"
NOT_GRANTED = "Tài khoản chưa được cấp quyền trong hệ thống"


@pytest.fixture
def person():
    user = factories.person(factories.agency(abbreviation="SNV"), Role.SPECIALIST, username="tran.thi.mai")
    user.email = "mai@snv.example.vn"
    user.save()
    return user


def _refusal(claims: dict, issuer: str = ISSUER, **kw) -> sso.SSORefused:
    with pytest.raises(sso.SSORefused) as caught:
        sso.resolve(issuer, claims, **kw)
    return caught.value


# --- mapping rules ---------------------------------------------------------------------------

def test_first_sign_in_links_by_the_chosen_claim_and_is_audited(person):
    assert sso.resolve(ISSUER, {"sub": "u-1", "preferred_username": "tran.thi.mai"}) == person
    link = ExternalIdentity.objects.get()
    assert (link.issuer, link.subject, link.user, link.matched_by) == (ISSUER, "u-1", person, "preferred_username")
    entry = AuditEntry.objects.get(action="sso.link")
    assert entry.actor_id == person.pk and entry.agency_code == person.agency.code
    assert entry.detail == {"issuer": ISSUER, "sub": "u-1", "claim": "preferred_username", "value": "tran.thi.mai"}


def test_later_sign_ins_follow_the_stored_link_not_the_claims(person):
    sso.resolve(ISSUER, {"sub": "u-1", "preferred_username": "tran.thi.mai"})
    factories.person(person.agency, username="renamed")
    # The provider renamed the account: the link (issuer + sub) still says who it is.
    assert sso.resolve(ISSUER, {"sub": "u-1", "preferred_username": "renamed"}) == person
    assert ExternalIdentity.objects.count() == 1


def test_an_unknown_identity_is_refused_and_nothing_is_created(person):
    users_before = type(person).objects.count()
    refused = _refusal({"sub": "u-9", "preferred_username": "khach.la"})
    assert refused.code == "SSO_UNKNOWN_IDENTITY" and NOT_GRANTED in str(refused.message)
    assert type(person).objects.count() == users_before and not ExternalIdentity.objects.exists()
    entry = AuditEntry.objects.get(action="sso.refuse")
    assert entry.detail["code"] == "SSO_UNKNOWN_IDENTITY" and entry.detail["sub"] == "u-9"


def test_a_subject_is_known_only_at_its_own_provider(person):
    sso.resolve(ISSUER, {"sub": "u-1", "preferred_username": "tran.thi.mai"})
    refused = _refusal({"sub": "u-1", "preferred_username": "khach.la"}, issuer="https://other.example.vn")
    assert refused.code == "SSO_UNKNOWN_IDENTITY"


def test_inactive_people_are_refused_whether_matched_or_linked(person):
    person.is_active = False
    person.save()
    refused = _refusal({"sub": "u-1", "preferred_username": "tran.thi.mai"})
    assert refused.code == "SSO_INACTIVE" and "bị khóa" in str(refused.message)
    person.is_active = True
    person.save()
    sso.resolve(ISSUER, {"sub": "u-1", "preferred_username": "tran.thi.mai"})
    person.is_active = False
    person.save()
    assert _refusal({"sub": "u-1"}).code == "SSO_INACTIVE"


def test_an_email_matches_only_when_the_provider_verified_it(person):
    claims = {"sub": "u-1", "email": "MAI@snv.example.vn"}
    assert _refusal(claims, match_claim="email").code == "SSO_EMAIL_UNVERIFIED"
    assert _refusal({**claims, "email_verified": "true"}, match_claim="email").code == "SSO_EMAIL_UNVERIFIED"
    assert sso.resolve(ISSUER, {**claims, "email_verified": True}, match_claim="email") == person


def test_an_email_two_people_share_matches_nobody(person):
    factories.person(person.agency, username="other").__class__.objects.filter(username="other").update(
        email="mai@snv.example.vn")
    refused = _refusal({"sub": "u-1", "email": "mai@snv.example.vn", "email_verified": True}, match_claim="email")
    assert refused.code == "SSO_AMBIGUOUS"


def test_a_missing_claim_or_subject_is_refused(person):
    assert _refusal({"sub": "u-1"}).code == "SSO_CLAIM_MISSING"
    assert _refusal({"sub": "u-1", "preferred_username": "  "}).code == "SSO_CLAIM_MISSING"
    assert _refusal({"preferred_username": "tran.thi.mai"}).code == "SSO_NO_SUBJECT"


def test_a_person_already_linked_is_not_linked_to_a_second_account(person):
    sso.resolve(ISSUER, {"sub": "u-1", "preferred_username": "tran.thi.mai"})
    # Another account at the same provider claims the same user name: a takeover, or a new
    # account an administrator must link by hand. Refused; the first link stays.
    refused = _refusal({"sub": "u-2", "preferred_username": "tran.thi.mai"})
    assert refused.code == "SSO_ALREADY_LINKED"
    assert list(ExternalIdentity.objects.values_list("subject", flat=True)) == ["u-1"]


# --- the ID token's checks -------------------------------------------------------------------

@pytest.fixture
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _id_token(key, **changes) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "vpdt", "sub": "u-1", "iat": now, "exp": now + 300, "nonce": "n-1", **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256")


@pytest.mark.parametrize("changes", [
    {"aud": "another-client"},
    {"iss": "https://evil.example"},
    {"exp": int(time.time()) - 60},
    {"exp": None},
    {"aud": ["vpdt", "another-client"]},  # several audiences and no azp naming us
], ids=["audience", "issuer", "expired", "no-expiry", "azp"])
def test_an_id_token_for_someone_else_or_expired_is_refused(settings, signing_key, changes):
    settings.VPDT_OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID = ISSUER, "vpdt"
    backend = sso.ProvinceSSOBackend()
    good = _id_token(signing_key)
    assert backend._verify_jws(good, signing_key.public_key())["sub"] == "u-1"
    with pytest.raises(SuspiciousOperation):
        backend._verify_jws(_id_token(signing_key, **changes), signing_key.public_key())


def test_an_id_token_signed_with_the_client_secret_or_another_key_is_refused(settings, signing_key):
    settings.VPDT_OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID = ISSUER, "vpdt"
    backend = sso.ProvinceSSOBackend()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SuspiciousOperation):
        backend._verify_jws(_id_token(other), signing_key.public_key())
    hs = jwt.encode({"iss": ISSUER, "aud": "vpdt", "sub": "u-1", "iat": 1, "exp": 2 ** 40}, "s" * 32, algorithm="HS256")
    with pytest.raises(SuspiciousOperation):
        backend._verify_jws(hs, signing_key.public_key())


# --- the login page and the switch -----------------------------------------------------------

def test_without_settings_there_is_no_button_and_no_single_sign_on(client, settings):
    settings.VPDT_OIDC_ISSUER = ""
    page = client.get("/dang-nhap/").content.decode()
    assert "một cửa" not in page
    assert client.get("/dang-nhap/mot-cua/").status_code == 404
    assert client.get("/dang-nhap/mot-cua/xac-thuc/?code=x&state=y").status_code == 404


def test_an_unreachable_provider_brings_the_person_back_with_a_message(client, settings):
    settings.VPDT_OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID = "http://127.0.0.1:9/none", "vpdt"
    assert "Đăng nhập bằng tài khoản một cửa của tỉnh" in client.get("/dang-nhap/").content.decode()
    answer = client.get("/dang-nhap/mot-cua/", follow=True)
    assert answer.redirect_chain[-1][0] == "/dang-nhap/"
    assert "Không kết nối được cổng đăng nhập một cửa" in answer.content.decode()


# --- the protocol against the real local provider ----------------------------------------------

CALLBACK = "http://testserver/dang-nhap/mot-cua/xac-thuc/"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    started = oidc_provider.start(tmp_path_factory.mktemp("oidc-provider"), redirect_uri=CALLBACK, users=[
        {"username": "tran.thi.mai", "password": "MotCua#2026", "email": "mai@snv.example.vn"}])
    yield started
    started.stop()


@pytest.fixture
def configured(settings, provider):
    settings.VPDT_OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = provider.client_id, provider.client_secret
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend",
                                        "vpdt.directory.sso.ProvinceSSOBackend"]
    return provider


def _authorize_at_provider(authorize_url: str, username: str, password: str = "MotCua#2026") -> str:
    """What the person's browser does at the provider; returns the callback address it is sent to."""
    with httpx.Client(timeout=10) as browser:
        to_login = browser.get(authorize_url)
        login_url = urljoin(authorize_url, to_login.headers["location"])
        form = browser.get(login_url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        next_url = parse_qs(urlparse(login_url).query)["next"][0]
        logged = browser.post(login_url, data={"username": username, "password": password,
                                               "csrfmiddlewaretoken": token, "next": next_url})
        assert logged.status_code == 302, logged.text[:500]
        back = browser.get(urljoin(login_url, logged.headers["location"]))
        assert back.status_code == 302, back.text[:500]
        return back.headers["location"]


def test_code_flow_with_pkce_signs_the_person_in_once(client, configured, person):
    start = client.get("/dang-nhap/mot-cua/?next=/van-ban-den/")
    authorize = start.headers["location"]
    query = parse_qs(urlparse(authorize).query)
    assert authorize.startswith(configured.issuer + "/authorize/")
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["scope"] == ["openid profile email"]

    callback = _authorize_at_provider(authorize, "tran.thi.mai")
    assert callback.startswith(CALLBACK)
    landed = client.get(callback)
    assert landed.status_code == 302 and landed.headers["location"] == "/van-ban-den/"
    assert client.session["_auth_user_id"] == str(person.pk)
    assert ExternalIdentity.objects.get().subject  # the provider's sub, linked

    # The same code again, in another browser (no session, so no state): refused.
    from django.test import Client

    stranger = Client()
    replay = stranger.get(callback, follow=True)
    assert "_auth_user_id" not in stranger.session
    assert "Đăng nhập một cửa không thành công" in replay.content.decode()


def test_a_forged_state_is_refused(client, configured, person):
    start = client.get("/dang-nhap/mot-cua/")
    callback = _authorize_at_provider(start.headers["location"], "tran.thi.mai")
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    answer = client.get(forged, follow=True)
    assert "_auth_user_id" not in client.session
    assert "Đăng nhập một cửa không thành công" in answer.content.decode()


def test_an_agency_admin_removes_a_link_of_their_people_and_it_is_audited(client, person):
    sso.resolve(ISSUER, {"sub": "u-1", "preferred_username": "tran.thi.mai"})
    link = ExternalIdentity.objects.get()
    admin = factories.person(person.agency, Role.AGENCY_ADMIN, username="qtri")
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    assert client.get("/admin/directory/externalidentity/").status_code == 200
    assert client.get("/admin/directory/externalidentity/add/").status_code == 403
    answer = client.post(f"/admin/directory/externalidentity/{link.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302 and not ExternalIdentity.objects.exists()
    entry = AuditEntry.objects.get(action="sso.unlink")
    assert entry.actor_id == admin.pk and entry.object_id == str(person.pk) and entry.detail["sub"] == "u-1"
    # The next sign-in matches by the claim again, possibly to the provider's new account.
    assert sso.resolve(ISSUER, {"sub": "u-2", "preferred_username": "tran.thi.mai"}) == person


def test_an_admin_of_another_agency_does_not_see_the_link(client, person):
    sso.resolve(ISSUER, {"sub": "u-1", "preferred_username": "tran.thi.mai"})
    other = factories.person(factories.agency(), Role.AGENCY_ADMIN, username="qtri_khac")
    other.is_staff = True
    other.save()
    client.force_login(other)
    assert "u-1" not in client.get("/admin/directory/externalidentity/").content.decode()
    link = ExternalIdentity.objects.get()
    assert client.post(f"/admin/directory/externalidentity/{link.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
    assert ExternalIdentity.objects.exists()


def test_a_person_deactivated_after_signing_in_is_signed_out(client, configured, person):
    client.force_login(person, backend="vpdt.directory.sso.ProvinceSSOBackend")
    assert client.get("/").status_code == 200
    person.is_active = False
    person.save()
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["location"].startswith("/dang-nhap/")
