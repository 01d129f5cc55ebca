"""The demo signs for real: released outgoing documents carry the signer's and the agency's
signatures, valid and trusted for `vpdt pdf verify --trust <DATA_DIR>/pki/root.pem`, and the
agencies that received them see both verified."""

from __future__ import annotations

import json

import pytest

from vpdt.cli import main
from vpdt.core import blobs
from vpdt.records.choices import Direction, State
from vpdt.records.models import Attachment, Document
from vpdt.signing.models import SignatureCheck, SigningKey, TrustAnchor


@pytest.mark.slow
@pytest.mark.django_db(databases=["default", "hub"])
def test_demo_released_documents_verify_valid_and_trusted(settings, tmp_path, blob_dir, monkeypatch, capsys):
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr("vpdt.demo.loader.EXTENSIONS", ["vpdt.workflow.demo", "vpdt.signing.demo"])
    from vpdt.demo.loader import load_demo

    lines: list[str] = []
    load_demo(progress=lines.append)
    assert any(str(tmp_path / "pki") in line for line in lines)
    assert TrustAnchor.objects.filter(active=True).count() == 1
    assert SigningKey.objects.filter(agency__isnull=False).exists() and SigningKey.objects.filter(user__isnull=False)

    released = Document.objects.filter(direction=Direction.OUTGOING, state=State.RELEASED)
    main_file = Attachment.objects.filter(document__in=released, kind=Attachment.Kind.MAIN).order_by("id").first()
    path = blobs.local_path(main_file.blob)
    capsys.readouterr()
    code = main(["pdf", "verify", path, "--trust", str(tmp_path / "pki" / "root.pem")])
    out = json.loads(capsys.readouterr().out)
    entries = out["signatures"] if isinstance(out, dict) else out
    assert code == 0
    assert [e["summary"] for e in entries] == ["valid", "valid"]
    assert all(e["trusted"] for e in entries)

    checks = SignatureCheck.objects.filter(attachment__blob=main_file.blob)
    assert checks.count() >= 2  # the original and the copies received elsewhere
    received = checks.filter(document__direction=Direction.INCOMING)
    assert received.exists() and set(received.values_list("overall", flat=True)) == {"valid"}
