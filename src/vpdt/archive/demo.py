"""The demo province's file plans: every agency with a clerk and a leader has this year's file
plan (danh mục hồ sơ), drafted by its clerk, approved by its leader and published, built through
the services the pages call (so the audit log and the notices are as in real use)."""

from __future__ import annotations

from django.utils import timezone

from vpdt.archive.models import FilePlan, RetentionPeriod
from vpdt.archive.seed import seed_retention_periods
from vpdt.archive.services import fileplan
from vpdt.directory.models import Agency, Unit, User
from vpdt.directory.roles import Role

# (heading, notation, title ({year} filled), retention code, whose: "office" the office unit and its
# clerk, "unit" the agency's other units in turn and their head)
ENTRIES = [
    ("I. Tổng hợp", "01.TH", "Hồ sơ xây dựng, ban hành quy chế làm việc của cơ quan", "TH.01", "office"),
    ("I. Tổng hợp", "02.TH", "Hồ sơ hội nghị tổng kết công tác năm {year}", "TH.03", "office"),
    ("I. Tổng hợp", "03.TH", "Kế hoạch, báo cáo công tác năm {year}", "TH.05", "office"),
    ("I. Tổng hợp", "04.TH", "Báo cáo công tác tháng, quý năm {year}", "TH.07", "office"),
    ("I. Tổng hợp", "05.TH", "Công văn trao đổi về công tác chung năm {year}", "TH.08", "office"),
    ("II. Văn thư, lưu trữ", "06.VT", "Sổ đăng ký văn bản đi, văn bản đến năm {year}", "VT.01", "office"),
    ("II. Văn thư, lưu trữ", "07.VT", "Tập lưu văn bản đi của cơ quan năm {year}", "VT.02", "office"),
    ("III. Chuyên môn", "08.CM", "Hồ sơ triển khai nhiệm vụ chuyên môn năm {year}", "TH.02", "unit"),
    ("III. Chuyên môn", "09.CM", "Hồ sơ ứng dụng công nghệ thông tin, chuyển đổi số năm {year}", "CN.01", "unit"),
    ("IV. Thi đua, khen thưởng", "10.TĐ", "Hồ sơ thi đua, khen thưởng năm {year}", "TC.03", "office"),
]


def _first(agency: Agency, role: str, **filters) -> User | None:
    return (User.objects.filter(is_active=True, role_assignments__agency=agency, role_assignments__role=role,
                                **filters).order_by("username").first())


def build_plan(agency: Agency, year: int) -> FilePlan | None:
    """This year's published file plan of `agency`; None when it has no clerk or no leader."""
    clerk, leader = _first(agency, Role.CLERK), _first(agency, Role.LEADER)
    if clerk is None or leader is None or FilePlan.objects.filter(agency=agency, year=year).exists():
        return None
    units = list(Unit.objects.filter(agency=agency, active=True).order_by("pk"))
    office = next((u for u in units if u.abbreviation == "VP"), units[0] if units else None)
    others = [u for u in units if u != office] or [office]
    plan = fileplan.create_plan(clerk, year, agency=agency)
    turn = 0
    for heading, notation, title, code, whose in ENTRIES:
        if whose == "office":
            unit, owner = office, clerk
        else:
            unit = others[turn % len(others)]
            turn += 1
            owner = _first(agency, Role.UNIT_HEAD, unit=unit) if unit else None
        fileplan.add_entry(clerk, plan, heading=heading, notation=notation, title=title.format(year=year),
                           retention=RetentionPeriod.objects.get(code=code), unit=unit, owner=owner)
    fileplan.submit(clerk, plan)
    fileplan.approve(leader, plan)
    return fileplan.publish(clerk, plan)


def extend_demo(context: dict) -> None:
    progress = context.get("progress", lambda _m: None)
    progress("Lập danh mục hồ sơ năm nay của các cơ quan…")
    if not RetentionPeriod.objects.exists():  # a flushed test database
        seed_retention_periods(RetentionPeriod)
    year = timezone.localdate().year
    for agency in Agency.objects.order_by("code"):
        build_plan(agency, year)
