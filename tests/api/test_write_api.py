"""The write API (issue 18): system accounts with scoped tokens act through the same services as
the pages; refusals store nothing; an Idempotency-Key replays the first answer."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from tests import factories
from vpdt.api.models import IdempotencyKey
from vpdt.core.models import AuditEntry, Blob
from vpdt.directory import system_accounts
from vpdt.directory.models import ApiToken
from vpdt.directory.roles import Role
from vpdt.records.choices import DeliveryState, Direction, RecipientKind, State
from vpdt.records.models import Attachment, Document, DraftVersion, Recipient
from vpdt.workflow.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

META = {"subject": "Về việc báo cáo chuyển đổi số quý IV", "issuer_name": "Ủy ban nhân dân tỉnh Kiên Giang",
        "issuer_code": "000.00.00.H33", "number": "125", "notation": "UBND-VP", "issued_date": "2026-11-20",
        "urgency": 1}


@pytest.fixture
def world(blob_dir):
    cache.clear()
    a = factories.agency("000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    b = factories.agency("000.00.03.H90", abbreviation="STC", name="Sở Tài chính")
    factories.doc_type("CV")
    admin_a = factories.person(a, Role.AGENCY_ADMIN, username="admin_a")
    leader = factories.person(a, Role.LEADER, username="leader_a")
    portal = system_accounts.create_account(admin_a, a, name="Cổng dịch vụ công", role=Role.CLERK)
    drafter = system_accounts.create_account(admin_a, a, name="Phần mềm quản lý hồ sơ", role=Role.SPECIALIST)
    admin_b = factories.person(b, Role.AGENCY_ADMIN, username="admin_b")
    portal_b = system_accounts.create_account(admin_b, b, name="Cổng STC", role=Role.CLERK)
    tokens = {
        "portal": system_accounts.issue_token(admin_a, portal, name="cổng", days=30,
                                              scopes=["documents:read", "documents:write", "notifications:read"]),
        "portal_read": system_accounts.issue_token(admin_a, portal, name="chỉ đọc", days=30,
                                                   scopes=["documents:read"]),
        "drafter": system_accounts.issue_token(admin_a, drafter, name="soạn", days=30,
                                               scopes=["documents:read", "drafts:write", "documents:write"]),
        "portal_b": system_accounts.issue_token(admin_b, portal_b, name="cổng b", days=30,
                                                scopes=["documents:read", "documents:write", "notifications:read"]),
        "person": ApiToken.issue(factories.clerk(a, username="clerk_a")),
    }
    return {"a": a, "b": b, "portal": portal, "drafter": drafter, "portal_b": portal_b, "tokens": tokens,
            "leader": leader, "admin_a": admin_a}


def call(method, url, token, key=None, **kw):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    if method == "post" and "data" not in kw:
        kw["content_type"] = "application/json"  # an empty body, as `curl -X POST` sends
    return getattr(Client(), method)(url, **headers, **kw)


def upload(name, content, content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def receive(token, meta=META, files=None, key=None):
    files = files if files is not None else [upload("ban-quet.pdf", factories.pdf_bytes("chính")),
                                             upload("phu-luc.pdf", factories.pdf_bytes("phụ lục"))]
    return call("post", "/api/documents/incoming", token, key, data={"metadata": json.dumps(meta), "files": files})


def counts():
    return (Document.objects.count(), Attachment.objects.count(), Blob.objects.count(), DraftVersion.objects.count())


def error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["message"], body
    return body


# --- receive and register ------------------------------------------------------------------


def test_a_system_account_receives_an_incoming_document_with_its_files(world):
    response = receive(world["tokens"]["portal"])
    assert response.status_code == 201, response.content
    body = response.json()
    doc = Document.objects.get(pk=body["id"])
    assert doc.direction == Direction.INCOMING and doc.state == State.RECEIVED and doc.agency == world["a"]
    assert body["subject"] == META["subject"] and body["issuer_code"] == "000.00.00.H33"
    assert body["number"] == "125" and body["notation"] == "UBND-VP" and body["urgency"] == 1
    assert [(a["name"], a["kind"]) for a in body["attachments"]] == [("ban-quet.pdf", "scan"),
                                                                     ("phu-luc.pdf", "appendix")]
    # the same answer as GET, and the audit log names the system account, via the API
    assert call("get", f"/api/documents/{doc.pk}", world["tokens"]["portal"]).json() == body
    entry = AuditEntry.objects.filter(action="document.receive", object_id=str(doc.pk)).get()
    assert entry.actor_id == world["portal"].user_id and entry.via == "api"
    assert entry.actor_name == "Cổng dịch vụ công"


def test_an_issuer_named_as_in_the_directory_brings_its_code(world):
    body = receive(world["tokens"]["portal"], meta={"subject": "Về việc dự toán", "issuer_name": "sở tài chính"})
    assert body.status_code == 201, body.content
    assert (body.json()["issuer_name"], body.json()["issuer_code"]) == ("Sở Tài chính", "000.00.03.H90")


def test_receiving_needs_the_scope_and_the_clerk_role_and_stores_nothing_otherwise(world):
    before = counts()
    error(receive(world["tokens"]["portal_read"]), 403, "SCOPE_MISSING")
    error(receive(world["tokens"]["person"]), 403, "SCOPE_MISSING")  # a person's token reads only
    error(receive(world["tokens"]["drafter"]), 403, "PERMISSION_DENIED")  # a specialist does not receive
    assert counts() == before


def test_bad_metadata_is_400_and_stores_nothing(world):
    before = counts()
    error(receive(world["tokens"]["portal"], meta={**META, "colour": "red"}), 400, "INVALID_METADATA")
    error(receive(world["tokens"]["portal"], meta={**META, "subject": ""}), 400, "INVALID_METADATA")
    error(receive(world["tokens"]["portal"], meta={**META, "document_type": "XYZ"}), 400, "UNKNOWN_DOCUMENT_TYPE")
    response = call("post", "/api/documents/incoming", world["tokens"]["portal"],
                    data={"metadata": "{not json", "files": [upload("a.pdf", factories.pdf_bytes())]})
    error(response, 400, "INVALID_METADATA")
    response = call("post", "/api/documents/incoming", world["tokens"]["portal"], data={"metadata": json.dumps(META)})
    assert response.status_code == 400
    assert counts() == before


def test_a_refused_file_refuses_the_whole_document_and_stores_nothing(world, blob_dir):
    before = counts()
    files = [upload("ban-quet.pdf", factories.pdf_bytes("chính")),
             upload("chay.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")]
    body = error(receive(world["tokens"]["portal"], files=files), 415, "FILE_TYPE_REFUSED")
    assert "chấp nhận" in body["message"] or body["message"]
    assert counts() == before
    stored = [p for p in blob_dir.rglob("*") if p.is_file() and "tmp" not in p.parts] \
        if blob_dir.exists() else []
    assert stored == []


def test_a_file_past_the_agencys_limit_is_413_and_stores_nothing(world):
    world["a"].max_upload_mb = 1
    world["a"].save()
    before = counts()
    files = [upload("lon.pdf", factories.pdf_bytes(pad=1024 * 1024 + 10))]
    error(receive(world["tokens"]["portal"], files=files), 413, "FILE_TOO_LARGE")
    assert counts() == before


def test_an_idempotent_retry_gets_the_first_answer_and_one_document(world):
    token = world["tokens"]["portal"]
    first = receive(token, key="don-123")
    again = receive(token, key="don-123")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Document.objects.filter(direction=Direction.INCOMING).count() == 1
    assert AuditEntry.objects.filter(action="document.receive").count() == 1
    # the same key with another body is refused, nothing stored
    other = receive(token, meta={**META, "subject": "Một văn bản khác"}, key="don-123")
    error(other, 422, "IDEMPOTENCY_KEY_REUSED")
    assert Document.objects.count() == 1
    # keys are per token: another token's same key is another request
    assert receive(world["tokens"]["portal_b"], key="don-123").status_code == 201
    assert Document.objects.count() == 2


def test_a_refused_request_keeps_no_key_and_its_retry_runs_again(world):
    token = world["tokens"]["portal"]
    files = [upload("chay.pdf", b"MZ" + b"\x00" * 100)]
    error(receive(token, files=files, key="k1"), 415, "FILE_TYPE_REFUSED")
    assert not IdempotencyKey.objects.exists()
    assert receive(token, key="k1").status_code == 201  # fixed, same key: runs (another fingerprint is fine)


def test_an_invalid_idempotency_key_is_400(world):
    error(receive(world["tokens"]["portal"], key="x" * 300), 400, "INVALID_IDEMPOTENCY_KEY")
    assert Document.objects.count() == 0


def test_register_numbers_it_as_the_clerks_page_does(world):
    token = world["tokens"]["portal"]
    doc_id = receive(token).json()["id"]
    response = call("post", f"/api/documents/{doc_id}/register", token, key="vs-1", data={},
                    content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == State.REGISTERED and body["incoming_number"]
    doc = Document.objects.get(pk=doc_id)
    assert doc.incoming_number_text == body["incoming_number"]
    # replayed: the same answer, not a second registration
    assert call("post", f"/api/documents/{doc_id}/register", token, key="vs-1", data={},
                content_type="application/json").json() == body
    # without the key, a second registration is the service's refusal
    again = call("post", f"/api/documents/{doc_id}/register", token)
    assert again.status_code == 409 and again.json()["code"]
    assert AuditEntry.objects.filter(action="document.register", object_id=str(doc_id)).count() == 1


def test_register_permissions(world):
    doc_id = receive(world["tokens"]["portal"]).json()["id"]
    url = f"/api/documents/{doc_id}/register"
    error(call("post", url, world["tokens"]["portal_read"]), 403, "SCOPE_MISSING")
    error(call("post", url, world["tokens"]["portal_b"]), 404, "NOT_FOUND")  # another agency's document
    assert Document.objects.get(pk=doc_id).state == State.RECEIVED
    error(call("post", "/api/documents/999999/register", world["tokens"]["portal"]), 404, "NOT_FOUND")


def test_a_possible_duplicate_asks_for_confirmation(world):
    token = world["tokens"]["portal"]
    first = receive(token).json()["id"]
    assert call("post", f"/api/documents/{first}/register", token).status_code == 200
    second = receive(token).json()["id"]
    error(call("post", f"/api/documents/{second}/register", token), 409, "DUPLICATE_INCOMING")
    confirmed = call("post", f"/api/documents/{second}/register", token, data={"confirm_duplicate": True},
                     content_type="application/json")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == State.REGISTERED


# --- drafts -------------------------------------------------------------------------------------


def make_draft(token, key=None, **extra):
    return call("post", "/api/drafts", token, key, data={"subject": "Kế hoạch chuyển đổi số năm 2027", **extra},
                content_type="application/json")


def test_a_draft_its_version_and_its_submission(world):
    token = world["tokens"]["drafter"]
    unit = factories.unit(world["a"], "CDS")
    response = make_draft(token, key="dt-1", recipients={"units": [unit.pk], "agencies": ["000.00.03.H90"],
                                                           "papers": ["UBND tỉnh"]})
    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["state"] == State.DRAFT and draft["direction"] == Direction.OUTGOING
    assert make_draft(token, key="dt-1", recipients={"units": [unit.pk], "agencies": ["000.00.03.H90"],
                                                     "papers": ["UBND tỉnh"]}).json() == draft
    assert Document.objects.filter(direction=Direction.OUTGOING).count() == 1
    doc = Document.objects.get(pk=draft["id"])
    assert doc.created_by_id == world["drafter"].user_id
    assert doc.recipients.count() == 3
    # submitting with no file is the service's refusal
    error(call("post", f"/api/drafts/{doc.pk}/submit", token), 400, "NO_DRAFT_FILE")
    version = call("post", f"/api/drafts/{doc.pk}/versions", token, "v-1",
                   data={"file": upload("du-thao.docx", factories.docx_bytes(), "application/octet-stream"),
                         "note": "bản đầu"})
    assert version.status_code == 201, version.content
    assert version.json()["number"] == 1 and version.json()["file_kind"] == "docx"
    submitted = call("post", f"/api/drafts/{doc.pk}/submit", token, data={"note": "Kính trình"},
                     content_type="application/json")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == State.IN_REVIEW
    assert Notification.objects.filter(user=world["leader"], document=doc, kind="review").exists()
    entry = AuditEntry.objects.filter(action="document.submit_review", object_id=str(doc.pk)).get()
    assert entry.actor_id == world["drafter"].user_id and entry.via == "api"
    # in review: the drafter no longer adds versions
    late = call("post", f"/api/drafts/{doc.pk}/versions", token,
                data={"file": upload("du-thao-2.docx", factories.docx_bytes())})
    assert late.status_code == 403


def test_draft_permissions_and_refused_files(world):
    drafter, portal, other = world["tokens"]["drafter"], world["tokens"]["portal"], world["tokens"]["portal_b"]
    error(make_draft(portal), 403, "SCOPE_MISSING")
    error(make_draft(drafter, recipients={"agencies": ["999.99.99.Z99"]}), 400, "UNKNOWN_RECIPIENT")
    assert Document.objects.count() == 0
    doc_id = make_draft(drafter).json()["id"]
    before = counts()
    url = f"/api/drafts/{doc_id}/versions"
    error(call("post", url, drafter, data={"file": upload("du-thao.txt", b"hello")}), 400, "BAD_DRAFT_TYPE")
    error(call("post", url, drafter, data={"file": upload("du-thao.pdf", b"MZ" + b"\x00" * 64)}), 415,
          "FILE_TYPE_REFUSED")
    error(call("post", url, other, data={"file": upload("du-thao.pdf", factories.pdf_bytes())}), 403,
          "SCOPE_MISSING")
    assert counts() == before
    # another agency's system account with the scope: 404, the document is not theirs to see
    admin_b = factories.person(world["b"], Role.AGENCY_ADMIN)
    writer_b = system_accounts.create_account(admin_b, world["b"], name="Soạn STC", role=Role.SPECIALIST)
    token_b = system_accounts.issue_token(admin_b, writer_b, name="x", days=1, scopes=["drafts:write"])
    error(call("post", url, token_b, data={"file": upload("du-thao.pdf", factories.pdf_bytes())}), 404, "NOT_FOUND")
    error(call("post", f"/api/drafts/{doc_id}/submit", token_b), 404, "NOT_FOUND")
    assert counts() == before


# --- recipients and notifications -----------------------------------------------------------------


def test_each_recipients_delivery_state(world):
    doc = factories.document(world["a"], state=State.RELEASED, subject="Công văn đã ban hành")
    Recipient.objects.create(document=doc, kind=RecipientKind.AGENCY, agency=world["b"], organ_id=world["b"].code,
                             name=world["b"].name, state=DeliveryState.ACCEPTED, status_code="03")
    Recipient.objects.create(document=doc, kind=RecipientKind.PAPER, name="UBND huyện", state=DeliveryState.SENT)
    body = call("get", f"/api/documents/{doc.pk}/recipients", world["tokens"]["portal"]).json()
    assert body["document_id"] == doc.pk and body["state"] == State.RELEASED
    assert [(r["name"], r["state"], r["status_code"]) for r in body["items"]] == [
        ("Sở Tài chính", "accepted", "03"), ("UBND huyện", "sent", "")]
    assert body["items"][0]["state_label"] == "Đã tiếp nhận"
    error(call("get", f"/api/documents/{doc.pk}/recipients", world["tokens"]["portal_b"]), 404, "NOT_FOUND")
    incoming = receive(world["tokens"]["portal"]).json()["id"]
    error(call("get", f"/api/documents/{incoming}/recipients", world["tokens"]["portal"]), 409, "NOT_OUTGOING")


def test_notifications_list_and_read(world):
    user = world["portal"].user
    doc = factories.document(world["a"], direction=Direction.INCOMING)
    old = Notification.objects.create(user=user, document=doc, kind="assigned", message="Văn bản cần xử lý")
    new = Notification.objects.create(user=user, kind="info", message="Thông báo chung")
    other = Notification.objects.create(user=world["portal_b"].user, kind="info", message="Của cơ quan khác")
    token = world["tokens"]["portal"]
    body = call("get", "/api/notifications", token).json()
    assert body["total"] == 2 and body["unread"] == 2
    assert [n["id"] for n in body["items"]] == [new.pk, old.pk]
    assert body["items"][1]["document_id"] == doc.pk
    read = call("post", f"/api/notifications/{old.pk}/read", token, key="n-1")
    assert read.status_code == 200 and read.json()["read_at"]
    assert call("get", "/api/notifications?unread=true", token).json()["total"] == 1
    error(call("post", f"/api/notifications/{other.pk}/read", token), 404, "NOT_FOUND")
    other.refresh_from_db()
    assert other.read_at is None
    error(call("get", "/api/notifications", world["tokens"]["portal_read"]), 403, "SCOPE_MISSING")
    assert call("get", "/api/notifications", world["tokens"]["person"]).status_code == 200  # a person reads


# --- tokens -----------------------------------------------------------------------------------------


def test_a_revoked_token_or_a_deactivated_account_is_refused(world):
    token = world["tokens"]["portal"]
    assert call("get", "/api/documents", token).status_code == 200
    row = ApiToken.objects.get(name="cổng")
    system_accounts.revoke_token(world["admin_a"], world["portal"], row.pk)
    assert call("get", "/api/documents", token).status_code == 401
    drafter = world["tokens"]["drafter"]
    system_accounts.deactivate(world["admin_a"], world["drafter"])
    assert call("get", "/api/documents", drafter).status_code == 401
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"api.account_create", "api.token_issue", "api.token_revoke", "api.account_deactivate"} <= actions


def test_only_the_agencys_admin_manages_its_system_accounts(world):
    from vpdt.core.errors import InvalidInput, PermissionDenied

    admin_b = factories.person(world["b"], Role.AGENCY_ADMIN)
    with pytest.raises(PermissionDenied):
        system_accounts.issue_token(admin_b, world["portal"], name="x", days=1, scopes=["documents:read"])
    with pytest.raises(PermissionDenied):
        system_accounts.create_account(world["leader"], world["a"], name="x", role=Role.CLERK)
    with pytest.raises(InvalidInput):
        system_accounts.create_account(world["admin_a"], world["a"], name="x", role=Role.LEADER)
    with pytest.raises(InvalidInput):
        system_accounts.issue_token(world["admin_a"], world["portal"], name="x", days=1, scopes=["everything"])
    # a system account never logs in with a password
    assert Client().post("/api/auth/token", {"username": world["portal"].user.username, "password": ""},
                         content_type="application/json").status_code == 401


def test_text_no_database_keeps_is_400_and_stores_nothing(world):
    before = counts()
    error(receive(world["tokens"]["portal"], meta={**META, "subject": "trích yếu\x00"}), 400, "INVALID_METADATA")
    response = call("post", "/api/documents/incoming", world["tokens"]["portal"],
                    data={"metadata": '{"subject": "\\ud800", "issuer_name": "UBND"}',
                          "files": [upload("a.pdf", factories.pdf_bytes())]})
    error(response, 400, "INVALID_METADATA")
    error(make_draft(world["tokens"]["drafter"], recipients={"papers": ["\x00"]}), 400, "INVALID_INPUT")
    assert counts() == before


def test_a_key_whose_first_request_still_runs_is_409_then_forgotten_when_stale_or_old(world):
    import datetime as dt

    from django.utils import timezone

    from vpdt.api import idempotency

    token = world["tokens"]["portal"]
    first = receive(token, key="k-run")
    row = IdempotencyKey.objects.get(key="k-run")
    assert row.status == 201 and row.body == first.json()
    # the same request while its first run has not answered yet: 409, nothing done
    IdempotencyKey.objects.filter(pk=row.pk).update(status=None, body=None)
    error(receive(token, key="k-run"), 409, "IDEMPOTENCY_KEY_IN_PROGRESS")
    assert Document.objects.count() == 1
    # a first run that never answered (its process died) is forgotten after a while: runs again
    IdempotencyKey.objects.filter(pk=row.pk).update(created_at=timezone.now() - idempotency.STALE
                                                    - dt.timedelta(seconds=1))
    assert receive(token, key="k-run").status_code == 201
    assert Document.objects.count() == 2
    # after 24 hours a key is free again, whatever it was used for
    IdempotencyKey.objects.update(created_at=timezone.now() - idempotency.KEEP - dt.timedelta(seconds=1))
    assert receive(token, meta={**META, "subject": "Khác"}, key="k-run").status_code == 201
    assert IdempotencyKey.objects.count() == 1
    # and the hourly job forgets the old keys of tokens no longer used
    from vpdt.api.jobs import idempotency_purge

    IdempotencyKey.objects.update(created_at=timezone.now() - idempotency.KEEP - dt.timedelta(seconds=1))
    assert idempotency_purge() == 1 and not IdempotencyKey.objects.exists()


def test_every_post_of_the_schema_documents_the_idempotency_key(client):
    schema = client.get("/api/openapi.json").json()
    posts = {path: op for path, ops in schema["paths"].items() for method, op in ops.items() if method == "post"}
    assert len(posts) >= 7
    for path, op in posts.items():
        names = {p["name"] for p in op.get("parameters", [])}
        assert ("Idempotency-Key" in names) == (path != "/api/auth/token"), path
        if path != "/api/auth/token":
            assert {"403", "404", "409", "422"} <= set(op["responses"]), path
