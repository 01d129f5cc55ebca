"""An agency with every role of DOMAIN.md "Who", a second agency, and helpers that walk documents."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import factories
from vpdt.directory.roles import Role
from vpdt.workflow.models import ApprovalChain, ApprovalStep


@pytest.fixture
def world(db, blob_dir):
    agency = factories.agency(code="000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    other = factories.agency(code="000.00.03.H90", abbreviation="STC", name="Sở Tài chính")
    vp = factories.unit(agency, "VP", "Văn phòng Sở")
    cds = factories.unit(agency, "CĐS", "Phòng Chuyển đổi số")
    bcvt = factories.unit(agency, "BCVT", "Phòng Bưu chính, Viễn thông")
    w = SimpleNamespace(
        agency=agency, other=other, vp=vp, cds=cds, bcvt=bcvt,
        clerk=factories.person(agency, Role.CLERK, unit=vp, username="vanthu"),
        leader=factories.person(agency, Role.LEADER, username="giamdoc"),
        deputy=factories.person(agency, Role.LEADER, username="phogiamdoc"),
        head=factories.person(agency, Role.UNIT_HEAD, unit=cds, username="truongphong"),
        head_bcvt=factories.person(agency, Role.UNIT_HEAD, unit=bcvt, username="truongphong2"),
        head_vp=factories.person(agency, Role.UNIT_HEAD, unit=vp, username="chanhvanphong"),
        spec=factories.person(agency, Role.SPECIALIST, unit=cds, username="chuyenvien"),
        spec2=factories.person(agency, Role.SPECIALIST, unit=cds, username="chuyenvien2"),
        spec_bcvt=factories.person(agency, Role.SPECIALIST, unit=bcvt, username="chuyenvien3"),
        stranger=factories.person(other, Role.LEADER, username="lanhdaokhac"),
        admin=factories.person(agency, Role.AGENCY_ADMIN, username="quantri"),
    )
    chain = ApprovalChain.objects.create(agency=agency, name="Trưởng phòng → Giám đốc")
    ApprovalStep.objects.create(chain=chain, order=1, label="Trưởng phòng duyệt", kind=ApprovalStep.Kind.UNIT_HEAD)
    ApprovalStep.objects.create(chain=chain, order=2, label="Giám đốc ký", kind=ApprovalStep.Kind.USER,
                                user=w.leader, is_signer=True)
    for u in vars(w).values():
        if hasattr(u, "email") and hasattr(u, "username"):
            u.email = f"{u.username}@example.vn"
            u.save(update_fields=["email"])
    return w
