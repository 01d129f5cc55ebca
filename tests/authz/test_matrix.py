"""The authorization matrix: one test per cell of tests/authz/matrix.py's table.

Each row performs its action through the real HTTP layer (Django's test client with CSRF
checks on, a logged-in session per actor; the JSON API with the actor's bearer token) on a
document in the row's situation, and finds what happened:

- A  allowed: the page answered (200) or the action was done (a redirect, a success message,
     and the audit entry of the action by the actor);
- D  refused by the rules: a redirect with an error message or the form again with its error,
     no audit entry, the document unchanged; for lists, the document is not listed;
- F  403: the person may not open the document; N  404: it does not exist for them;
- L  not signed in: the login page (web) or 401 (API).

The world is built once for the module (tests/authz/world.py) in a transaction rolled back at
its end, with every document the selected rows need; each row runs in pytest-django's savepoint,
rolled back after it.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client, override_settings

from tests.authz import matrix
from tests.authz.actions import ACTIONS
from tests.authz.world import World
from vpdt.api.models import ApiToken
from vpdt.core.models import AuditEntry
from vpdt.records.models import Document

pytestmark = [pytest.mark.backends, pytest.mark.django_db]

CSRF = "authzMatrixCsrfSecret0123456789a"  # 32 letters and digits: a valid CSRF secret
ROWS = matrix.rows()


@pytest.fixture(scope="module")
def world(request, django_db_setup, django_db_blocker, tmp_path_factory):
    storages = {**settings.STORAGES, "blobs": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                               "OPTIONS": {"location": str(tmp_path_factory.mktemp("blobs"))}}}
    with django_db_blocker.unblock(), override_settings(STORAGES=storages):
        from vpdt.records.models import DocumentType
        from vpdt.records.seed import seed_document_types

        atomic = transaction.atomic()
        atomic._from_testcase = True  # a test's wrapping block, as TestCase's (vpdt.signing looks)
        atomic.__enter__()
        try:
            if not DocumentType.objects.exists():
                seed_document_types(DocumentType)
            w = World()
            w.sessions, w.tokens = {}, {}
            for name, user in w.people.actors.items():
                c = Client()
                c.force_login(user)
                w.sessions[name] = c.cookies[settings.SESSION_COOKIE_NAME].value
                w.tokens[name] = ApiToken.issue(user)
            # Every document the selected rows act on, now: each row runs in a savepoint
            # that is rolled back (pytest-django's), which would take a document built there with it.
            w.document("received", "own_agency", "clerk")  # test_post_without_csrf_token_is_refused
            for item in request.session.items:
                row = getattr(item, "callspec", None) and item.callspec.params.get("row")
                if isinstance(row, matrix.Row) and item.module is request.module:
                    action = ACTIONS[row.action]
                    if action.state:
                        w.document(action.state, row.situation, row.actor)
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _client(world, actor_name: str) -> Client:
    c = Client(enforce_csrf_checks=True)
    c.cookies[settings.CSRF_COOKIE_NAME] = CSRF
    if actor_name in world.sessions:
        c.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[actor_name]
    return c


def _levels(response) -> set[int]:
    storage = getattr(response.wsgi_request, "_messages", None)
    return {m.level for m in getattr(storage, "_queued_messages", [])}


def _form_errors(response) -> bool:
    for ctx in response.context or []:
        for value in ctx.flatten().values() if hasattr(ctx, "flatten") else []:
            if hasattr(value, "errors") and hasattr(value, "is_bound") and value.is_bound and value.errors:
                return True
    return False


def _is_login(response) -> bool:
    return response.status_code == 302 and urlparse(response["Location"]).path == "/dang-nhap/"


def observe(world, action, actor_name: str, doc: Document | None) -> str:
    """What happens when `actor_name` performs `action` on `doc`: one of A D F N L, or `?…` (unexpected)."""
    actor = world.actor(actor_name)
    c = _client(world, actor_name)
    path = action.path(world, doc)
    if action.kind in ("api", "api_listed"):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[actor_name]}"} if actor_name in world.tokens else {}
        r = c.get(path, **headers)
        code = {401: "L", 403: "F", 404: "N"}.get(r.status_code)
        if code:
            return code
        if r.status_code != 200:
            return f"?{r.status_code}"
        if action.kind == "api":
            return "A" if r.json()["id"] == doc.pk else "?other document"
        return "A" if doc.pk in [i["id"] for i in r.json()["items"]] else "D"
    if action.kind in ("page", "listed"):
        r = c.get(path)
        if _is_login(r):
            return "L"
        code = {403: "F", 404: "N"}.get(r.status_code)
        if code:
            return code
        if r.status_code != 200:
            return f"?{r.status_code}"
        if action.kind == "listed":
            return "A" if f'href="/van-ban/{doc.pk}/"' in r.content.decode() else "D"
        return "A"
    # A POST: compare the audit log and the document before and after.
    last_audit = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    before = model_to_dict(Document.objects.get(pk=doc.pk)) if doc else None
    data = {"csrfmiddlewaretoken": CSRF, **action.data(world, doc, actor)}
    r = c.post(path, data)
    if _is_login(r):
        return "L"
    if r.status_code == 403 and b"CSRF" in r.content:
        return "?csrf refused"
    code = {403: "F", 404: "N"}.get(r.status_code)
    new = list(AuditEntry.objects.filter(id__gt=last_audit).exclude(action="document.read_secret")
               .values_list("action", "actor_id"))
    after = model_to_dict(Document.objects.get(pk=doc.pk)) if doc else None
    if code:
        return code if not new and before == after else f"?{code} but changed: {new}"
    levels = _levels(r)
    if messages.SUCCESS in levels and any(a in action.audit and who == actor.pk for a, who in new):
        return "A"
    if (messages.ERROR in levels or (r.status_code == 200 and _form_errors(r))) and messages.SUCCESS not in levels:
        if new or before != after:
            return f"?refused but changed: {new}"
        return "D"
    return f"?{r.status_code} messages={sorted(levels)} audit={new}"


_observed: dict = {}


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_authorization(row, world):
    action = ACTIONS[row.action]
    doc = world.document(action.state, row.situation, row.actor) if action.state else None
    assert action.state is None or doc is not None, f"no document for {row.id}: mark the cell '-'"
    got = observe(world, action, row.actor, doc)
    if os.environ.get("VPDT_AUTHZ_RECORD"):
        _observed[(row.action, row.situation, row.actor)] = got
    assert got == row.expect, f"{row.id}: expected {matrix.WORDS[row.expect]}, got {matrix.WORDS.get(got, got)}"


def teardown_module(module):
    path = os.environ.get("VPDT_AUTHZ_RECORD")
    if path and _observed:
        with open(path, "w", encoding="utf-8") as f:
            for (action, situation, actor), got in sorted(_observed.items()):
                f.write(f"{action}\t{situation}\t{actor}\t{got}\n")


def test_every_action_of_the_pages_is_in_the_table():
    """A new action of the document's page, or one left out of the table, fails here."""
    from vpdt.web.views.action_table import ACTIONS as PAGE_ACTIONS

    paths = {ACTIONS[r.action].path(None, SimpleNamespace(pk=1)) for r in ROWS
             if ACTIONS[r.action].state and ACTIONS[r.action].kind == "post"}
    posted = {p.split("/")[3] for p in paths if p.startswith("/van-ban/1/")}
    assert set(PAGE_ACTIONS) - posted == set()
    actions = {r.action for r in ROWS}
    assert actions == set(ACTIONS), set(ACTIONS) ^ actions
    for name in ACTIONS:
        cells = {r.expect for r in ROWS if r.action == name}
        assert "A" in cells, f"{name}: no actor may do it, so its form data is never proven valid"


def test_post_without_csrf_token_is_refused(world):
    """The rows post with a CSRF token because the pages check it: without one, nothing happens."""
    doc = world.document("received", "own_agency", "clerk")
    c = _client(world, "clerk")
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    r = c.post(f"/van-ban/{doc.pk}/register/", {})
    assert r.status_code == 403 and b"CSRF" in r.content
    assert not AuditEntry.objects.filter(id__gt=last).exists()
    assert Document.objects.get(pk=doc.pk).state == doc.state
