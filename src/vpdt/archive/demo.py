"""The demo province's file plans and dossiers: every agency with a clerk and a leader has this
year's file plan (danh mục hồ sơ), drafted by its clerk, approved by its leader and published;
the Sở KH&CN has dossiers holding its documents and one dossier already handed to its archive.
All built through the services the pages call (so the audit log and the notices are as in real
use)."""

from __future__ import annotations

from django.utils import timezone

from vpdt.archive.models import FilePlan, RetentionPeriod, TransferList
from vpdt.archive.seed import seed_retention_periods
from vpdt.archive.services import dossiers, fileplan, transfer
from vpdt.core.errors import VpdtError
from vpdt.directory.models import Agency, Unit, User
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document

# The agency whose dossiers the demo fills and transfers (the Sở KH&CN of the walk-through).
DEMO_ARCHIVE_AGENCY = "000.00.13.H90"

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


def file_documents(agency: Agency, year: int) -> list:
    """Open this year's dossiers of the plan's lines "Công văn trao đổi" (05.TH) and "Tập lưu
    văn bản đi" (07.VT) and file the agency's registered or completed incoming and released
    outgoing documents in them (the states in which filing is offered), as its clerk would."""
    clerk = _first(agency, Role.CLERK)
    plan = FilePlan.objects.filter(agency=agency, year=year).first()
    if clerk is None or plan is None:
        return []
    opened = []
    for notation, direction, states in [("05.TH", Direction.INCOMING, [State.COMPLETED, State.REGISTERED]),
                                        ("07.VT", Direction.OUTGOING, [State.RELEASED])]:
        entry = plan.entries.filter(notation=notation).first()
        if entry is None or entry.dossiers.exists():
            continue
        dossier = fileplan.open_dossier_from_entry(clerk, entry)
        for document in (Document.objects.filter(agency=agency, direction=direction, state__in=states)
                         .exclude(dossier_items__isnull=False).order_by("issued_date", "id")[:12]):
            dossiers.add_document(clerk, dossier, document)
        opened.append(dossier)
    return opened


def transfer_done(agency: Agency, year: int) -> TransferList | None:
    """One finished task's dossier, closed and handed to the agency archive: the clerk opens it
    with the agency's two earliest completed incoming documents, closes it, lists it for transfer and sends
    it; the archive officer accepts it and the signed package is built (the agency's seal key
    comes from the signing demo)."""
    clerk, archivist = _first(agency, Role.CLERK), _first(agency, Role.ARCHIVIST)
    documents = list(Document.objects.filter(agency=agency, direction=Direction.INCOMING, state=State.COMPLETED)
                     .order_by("received_at", "id")[:2])
    if clerk is None or archivist is None or not documents or TransferList.objects.filter(agency=agency).exists():
        return None
    dossier = dossiers.create_dossier(clerk, title=f"Hồ sơ tổ chức Ngày Chuyển đổi số năm {year}", year=year,
                                      notation="11.CĐS", retention_years=10)
    for document in documents:
        dossiers.add_document(clerk, dossier, document)
    dossiers.close_dossier(clerk, dossier, sheets=len(documents) * 2,
                           note="Đủ văn bản chỉ đạo, kế hoạch và báo cáo kết quả.")
    listed = transfer.prepare(clerk, agency, year, [dossier.pk], note="Nộp lưu sớm: nhiệm vụ đã hoàn thành.")
    transfer.submit(clerk, listed)
    for item in listed.items.all():
        transfer.accept_item(archivist, item)
    return transfer.accept(archivist, listed)


def extend_demo(context: dict) -> None:
    progress = context.get("progress", lambda _m: None)
    progress("Lập danh mục hồ sơ năm nay của các cơ quan…")
    if not RetentionPeriod.objects.exists():  # a flushed test database
        seed_retention_periods(RetentionPeriod)
    year = timezone.localdate().year
    for agency in Agency.objects.order_by("code"):
        build_plan(agency, year)
    progress("Lưu văn bản vào hồ sơ, nộp lưu một hồ sơ đã kết thúc…")
    main = Agency.objects.filter(code=DEMO_ARCHIVE_AGENCY).first()
    if main is not None:
        try:
            transfer_done(main, year)
        except VpdtError as exc:  # e.g. the signing demo left out: no seal key, no package
            progress(f"Chưa nộp lưu được hồ sơ mẫu: {exc.message}")
        file_documents(main, year)
