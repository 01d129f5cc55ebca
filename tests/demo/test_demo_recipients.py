"""The demo's recipient groups: the two province-wide groups of the issue and one group of the
Sở Khoa học và Công nghệ, made through the service (audited) with the right agencies."""

from __future__ import annotations

import pytest

from vpdt.core.models import AuditEntry
from vpdt.directory import recipients
from vpdt.directory.models import RecipientGroup, User


@pytest.mark.django_db
@pytest.mark.slow
def test_the_demo_has_the_province_groups_and_an_agency_group(monkeypatch, settings, tmp_path):
    monkeypatch.setattr("vpdt.demo.loader.EXTENSIONS", ["vpdt.demo.recipients"])
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "blobs")}}}
    from vpdt.demo.loader import load_demo
    from vpdt.records.models import DocumentType
    from vpdt.records.seed import seed_document_types

    if not DocumentType.objects.exists():
        seed_document_types(DocumentType)
    load_demo()
    groups = {g.name: g for g in RecipientGroup.objects.all()}
    assert set(groups) == {"Các sở, ban, ngành", "UBND các xã", "Đơn vị phối hợp chuyển đổi số"}
    sectors = {a.name for a in groups["Các sở, ban, ngành"].members.all()}
    assert "Sở Tài chính tỉnh Bình Sơn" in sectors and "Văn phòng Ủy ban nhân dân tỉnh Bình Sơn" in sectors
    assert not any(n.startswith("Ủy ban nhân dân") for n in sectors)
    communes = {a.code for a in groups["UBND các xã"].members.all()}
    assert communes == {"000.01.31.H90", "000.02.31.H90", "000.01.32.H90", "000.02.32.H90"}
    assert groups["UBND các xã"].agency is None and groups["Đơn vị phối hợp chuyển đổi số"].agency.abbreviation == "SKHCN"
    assert AuditEntry.objects.filter(action="recipient_group.save").count() == 3
    # a specialist of the Sở KH&CN may use all three; one of the Sở Tài chính only the province's
    skhcn = User.objects.get(username="skhcn.chuyenvien1a")
    stc = User.objects.get(username="stc.vanthu")
    assert recipients.usable_groups(skhcn).count() == 3
    assert set(recipients.usable_groups(stc).values_list("name", flat=True)) == {"Các sở, ban, ngành", "UBND các xã"}
