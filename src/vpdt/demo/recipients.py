"""The demo's recipient groups (issue 13): two province-wide groups kept by the platform admin
and one group of the Sở Khoa học và Công nghệ kept by its admin, made through the service."""

from __future__ import annotations

from vpdt.directory import recipients
from vpdt.directory.models import Agency, User

PROVINCE_GROUPS = ("Các sở, ban, ngành", "UBND các xã")
AGENCY_GROUP = ("000.00.13.H90", "skhcn.quantri", "Đơn vị phối hợp chuyển đổi số",
                ("000.00.01.H90", "000.00.02.H90", "000.00.03.H90"))


def extend_demo(context: dict) -> None:
    context.get("progress", lambda _m: None)("Tạo nhóm nơi nhận…")
    admin = User.objects.get(username="admin")
    active = Agency.objects.filter(active=True)
    departments = [a for a in active.filter(level=2) if a.name.startswith(("Sở ", "Văn phòng "))]
    communes = [a for a in active.filter(level=3) if a.name.startswith("Ủy ban nhân dân")]
    for name, members in zip(PROVINCE_GROUPS, (departments, communes), strict=True):
        recipients.save_group(admin, agency=None, name=name, members=members)
    code, username, name, member_codes = AGENCY_GROUP
    agency = Agency.objects.filter(code=code).first()
    keeper = User.objects.filter(username=username).first()
    if agency is not None and keeper is not None:
        recipients.save_group(keeper, agency=agency, name=name, members=active.filter(code__in=member_codes))
