"""The demo province has this year's file plan in every agency, published, and its pages read
as a person reads them (no internal code, no English in Vietnamese mode)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.web.test_crawl import english_sentences, internal_codes, visible_text
from vpdt.archive.models import FilePlan, FilePlanState
from vpdt.core.models import AuditEntry
from vpdt.directory.models import Agency, User


@pytest.mark.django_db
@pytest.mark.slow
def test_the_demo_has_a_published_file_plan_for_this_year_in_every_agency(monkeypatch, settings, tmp_path, client):
    monkeypatch.setattr("vpdt.demo.loader.EXTENSIONS", ["vpdt.archive.demo"])
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "blobs")}}}
    from vpdt.demo.loader import load_demo
    from vpdt.records.models import DocumentType
    from vpdt.records.seed import seed_document_types

    if not DocumentType.objects.exists():
        seed_document_types(DocumentType)
    load_demo()
    year = timezone.localdate().year
    plans = FilePlan.objects.filter(year=year, state=FilePlanState.PUBLISHED)
    assert plans.count() == Agency.objects.count()
    skhcn = plans.get(agency__code="000.00.13.H90")
    assert skhcn.entries.count() == 10 and skhcn.approved_by.username == "skhcn.lanhdao"
    assert skhcn.entries.get(notation="02.TH").title == f"Hồ sơ hội nghị tổng kết công tác năm {year}"
    assert skhcn.entries.filter(owner__isnull=False).count() >= 8
    assert AuditEntry.objects.filter(action="file_plan.publish", object_id=str(skhcn.pk)).exists()

    usernames = set(User.objects.values_list("username", flat=True))
    client.force_login(User.objects.get(username="skhcn.chuyenvien2a"))
    client.cookies["django_language"] = "vi"
    for url in ("/ho-so/danh-muc/", f"/ho-so/danh-muc/{year}/"):
        response = client.get(url)
        assert response.status_code == 200
        text = visible_text(response.content.decode())
        assert internal_codes(text, usernames) == [] and english_sentences(text) == [], url
    assert "Sổ đăng ký văn bản đi, văn bản đến năm" in text
