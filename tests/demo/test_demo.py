"""The demo province, loaded once for this module as `make run` loads it (every extension):
every role has an account, documents exist in every state, the accounts printed by `vpdt demo
accounts --json` log in, and the demo signs for real: released outgoing documents carry the
signer's and the agency's signatures, valid and trusted for `vpdt pdf verify --trust
<DATA_DIR>/pki/root.pem`, and the agencies that received them see both verified."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from vpdt.cli import main
from vpdt.core import blobs
from vpdt.demo.loader import load_demo
from vpdt.directory.models import Agency
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Attachment, Document
from vpdt.signing.models import SignatureCheck, SigningKey, TrustAnchor


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole demo, once: loading it (signing every released document twice) is the
    slowest set-up of the suite, and these tests only read it. Its files (blobs, the demo CA,
    the hub's packages) go to a temporary directory."""
    root = Path(tmp_path_factory.mktemp("demo"))
    storages = {**settings.STORAGES, "blobs": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                               "OPTIONS": {"location": str(root / "blobs")}}}
    with override_settings(DATA_DIR=root, HUB_DATA_DIR=str(root / "hub"), STORAGES=storages), \
            django_db_blocker.unblock():
        from vpdt.records.models import DocumentType
        from vpdt.records.seed import seed_document_types

        # pytest-django runs transactional tests last: the audit test below may build the demo
        # again after another module's transactional test flushed the seeded document types.
        if not DocumentType.objects.exists():
            seed_document_types(DocumentType)
        lines: list[str] = []
        load_demo(progress=lines.append)
        yield SimpleNamespace(data_dir=root, progress=lines)
        from django.core.management import call_command

        # The demo registers its agencies in the hub's own store too: empty both.
        for alias in ("default", "hub"):
            call_command("flush", database=alias, interactive=False, verbosity=0)


@pytest.mark.django_db(databases=["default", "hub"])
@pytest.mark.slow
def test_demo_province_shape(demo):
    codes = set(Agency.objects.values_list("code", flat=True))
    assert "000.00.00.H90" in codes and "000.00.01.H90" in codes
    levels = {a.code: a.level for a in Agency.objects.all()}
    assert sum(1 for c in codes if c.startswith("000.00.") and c != "000.00.00.H90") >= 7
    assert levels["000.01.31.H90"] == 3 and Agency.objects.get(code="000.01.31.H90").parent.code == "000.00.31.H90"
    assert Document.objects.count() >= 200
    incoming_states = set(Document.objects.filter(direction=Direction.INCOMING).values_list("state", flat=True))
    outgoing_states = set(Document.objects.filter(direction=Direction.OUTGOING).values_list("state", flat=True))
    assert {State.RECEIVED, State.REGISTERED, State.RETURNED, State.COMPLETED} <= incoming_states
    assert {State.DRAFT, State.IN_REVIEW, State.APPROVED, State.RELEASED, State.RECALLED} <= outgoing_states


@pytest.mark.django_db(databases=["default", "hub"])
@pytest.mark.slow
def test_demo_accounts_json_and_each_logs_in_seeing_only_its_agency(demo, client, capsys):
    assert main(["demo", "accounts", "--json"]) == 0
    accounts = json.loads(capsys.readouterr().out)
    roles = {a["role"] for a in accounts}
    assert set(Role.values) <= roles
    for account in accounts:
        assert set(account) == {"username", "password", "role", "agency_code", "agency_name"}
        from tests.second_factor import token_body
        from vpdt.directory.models import User

        person = User.objects.get(username=account["username"])
        response = client.post("/api/auth/token", token_body(person, account["password"]),
                               content_type="application/json")
        assert response.status_code == 200, account
        tok = response.json()["token"]
        items = client.get("/api/documents?page=1", HTTP_AUTHORIZATION=f"Bearer {tok}").json()["items"]
        if account["agency_code"]:
            assert {i["agency_code"] for i in items} <= {account["agency_code"]}
        if account["role"] == Role.CLERK:
            assert items, f"{account['username']} sees no document"


@pytest.mark.django_db(databases=["default", "hub"])
@pytest.mark.slow
def test_demo_released_documents_verify_valid_and_trusted(demo, capsys):
    assert any(str(demo.data_dir / "pki") in line for line in demo.progress)
    assert TrustAnchor.objects.filter(active=True).count() == 1
    assert SigningKey.objects.filter(agency__isnull=False).exists() and SigningKey.objects.filter(user__isnull=False)

    released = Document.objects.filter(direction=Direction.OUTGOING, state=State.RELEASED)
    main_file = Attachment.objects.filter(document__in=released, kind=Attachment.Kind.MAIN).order_by("id").first()
    path = blobs.local_path(main_file.blob)
    capsys.readouterr()
    code = main(["pdf", "verify", path, "--trust", str(demo.data_dir / "pki" / "root.pem")])
    out = json.loads(capsys.readouterr().out)
    entries = out["signatures"] if isinstance(out, dict) else out
    assert code == 0
    assert [e["summary"] for e in entries] == ["valid", "valid"]
    assert all(e["trusted"] for e in entries)

    checks = SignatureCheck.objects.filter(attachment__blob=main_file.blob)
    assert checks.count() >= 2  # the original and the copies received elsewhere
    received = checks.filter(document__direction=Direction.INCOMING)
    assert received.exists() and set(received.values_list("overall", flat=True)) == {"valid"}


@pytest.mark.django_db(databases=["default", "hub"])
@pytest.mark.slow
def test_demo_agency_admin_cannot_take_over_the_director_alone(demo, client, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    """The finding of issue 12: skhcn.quantri set skhcn.lanhdao's password in /admin/ and logged in
    as the director. Now refused; the platform admin's approval sends the director a reset link."""
    from vpdt.core.models import AuditEntry
    from vpdt.directory.models import AdminRequest, User

    quantri, lanhdao = User.objects.get(username="skhcn.quantri"), User.objects.get(username="skhcn.lanhdao")
    from tests.second_factor import verified_login

    verified_login(client, quantri)  # the demo's admins have the demo's second factor
    assert 'data-testid="admin-link"' in client.get("/quan-tri/").content.decode()
    before = lanhdao.password
    client.post(f"/admin/directory/user/{lanhdao.pk}/password/",
                {"password1": "Chiếm quyền giám đốc 1!", "password2": "Chiếm quyền giám đốc 1!", "usable_password": "true"})
    assert User.objects.get(pk=lanhdao.pk).password == before
    client.post(f"/quan-tri/can-bo/{lanhdao.pk}/", {"action": "change", "kind": "password_reset",
                                                    "reason": "Giám đốc quên mật khẩu"})
    request = AdminRequest.objects.get(target=lanhdao, state=AdminRequest.State.PENDING)
    verified_login(client, User.objects.get(username="admin"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/quan-tri/yeu-cau/", {"pk": request.pk, "decision": "approve"})
    assert [m.to for m in mailoutbox] == [[lanhdao.email]] and "/dat-lai-mat-khau/" in mailoutbox[0].body
    assert AuditEntry.objects.filter(action="admin_request.approve", object_id=str(request.pk)).exists()


@pytest.mark.django_db(databases=["default", "hub"], transaction=True)
@pytest.mark.slow
@pytest.mark.backends
def test_demo_audit_log_verifies_and_names_a_row_changed_behind_the_triggers(demo, settings, tmp_path, capsys):
    """Last of the module: it changes one audit row (as an attacker would) and puts it back
    (a transactional test: the attacker's connection writes while this one reads)."""
    from tests.tamper import raw_sql
    from vpdt.core.models import AuditEntry

    settings.VPDT_AUDIT_ANCHOR_DIR = str(tmp_path / "audit")
    assert main(["audit", "verify"]) == 0, capsys.readouterr().out
    assert "Nhật ký nguyên vẹn" in capsys.readouterr().out
    assert AuditEntry.objects.filter(action="user.create").count() >= 90
    assert main(["audit", "anchor"]) == 0
    target = AuditEntry.objects.filter(action="user.create").order_by("seq")[10]
    forged = '{"after": {"is_superuser": true}}'
    raw_sql([("UPDATE core_auditentry SET detail = %s WHERE id = %s", (forged, target.pk))])
    try:
        capsys.readouterr()
        assert main(["audit", "verify"]) == 1
        out = capsys.readouterr().out
        assert f"Mục số {target.seq}: nội dung đã bị sửa" in out and "user.create" in out
    finally:
        raw_sql([("UPDATE core_auditentry SET detail = %s WHERE id = %s", (json.dumps(target.detail), target.pk))])
    assert main(["audit", "verify"]) == 0


@pytest.mark.django_db(databases=["default", "hub"])
@pytest.mark.slow
def test_demo_dossiers_and_one_transfer_done(demo, tmp_path):
    """Issue 19: this year's file plan, dossiers holding documents, one transfer accepted whose
    package verifies offline."""
    import shutil

    from vpdt.archive import verify
    from vpdt.archive.models import (
        Dossier,
        DossierState,
        FilePlan,
        FilePlanState,
        TransferList,
        TransferState,
    )
    from vpdt.core import blobs

    agency = Agency.objects.get(code="000.00.13.H90")
    plan = FilePlan.objects.get(agency=agency, year=timezone.localdate().year)
    assert plan.state == FilePlanState.PUBLISHED and plan.entries.count() >= 10
    open_ = Dossier.objects.filter(agency=agency, state=DossierState.OPEN)
    assert open_.count() >= 2 and all(d.items.exists() for d in open_)
    transfer = TransferList.objects.get(agency=agency)
    assert transfer.state == TransferState.ACCEPTED
    archived = Dossier.objects.get(agency=agency, state=DossierState.ARCHIVED)
    assert archived.transfer_items.get().transfer == transfer and archived.items.count() == 2
    path = tmp_path / "transfer.zip"
    with blobs.open_blob(transfer.package) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    report = verify.verify(str(path))
    assert report.ok, report.problems
