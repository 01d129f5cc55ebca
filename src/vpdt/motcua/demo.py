"""The demo province's one-stop shop: a catalogue of about twenty real-looking procedures at
commune, district and department level, activated in the demo agencies (one of them received at
a commune and resolved by the town, liên thông), a counter officer `<slug>.motcua` at each
counter, and dossiers in the statuses the counter and the processing officers meet.

Everything goes through the services the pages call (audit log included). Its own random source
(never the province's: the demo's sequence stays as it was). The procedure codes look like those
of the national database but are illustrative.
"""

from __future__ import annotations

import functools
import io
import random

from django.contrib.auth.hashers import make_password

from vpdt.core.errors import VpdtError
from vpdt.directory.models import Agency, RoleAssignment, Unit, User
from vpdt.directory.roles import Role
from vpdt.motcua.models import Dossier, DossierStatus, Level, Procedure, ReturnMethod, StepKind
from vpdt.motcua.services import catalogue, counter, processing
from vpdt.records import actors

SEED = 1616
PASSWORD = "Demo@2026"  # the demo province's password (vpdt.demo.province.PASSWORD)

# Counter officers: agency slug -> (agency code, name of the counter's unit abbreviation)
COUNTERS = {
    "phumy": "000.02.31.H90", "tanlap": "000.01.31.H90", "hoabinh": "000.02.32.H90",
    "tanphu": "000.00.31.H90", "hoaan": "000.00.32.H90", "skhcn": "000.00.13.H90", "snv": "000.00.02.H90",
}
COMMUNES = ["phumy", "tanlap", "hoabinh"]
# The counters that get sample dossiers (a commune, the town, two departments): enough to show
# every status without lengthening the demo's load much.
WITH_DOSSIERS = ["phumy", "tanphu", "skhcn", "snv"]
DISTRICTS = ["tanphu", "hoaan"]

# Names for the demo's people (the domain apps never import vpdt.demo: a short list of its own).
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Quốc", "Ngọc", "Hữu", "Thu", "Đức", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan", "Long",
         "Mai", "Nam", "Phong", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy"]

P_ORIG, P_COPY, P_CERT, P_EITHER = "original", "copy", "certified", "either"


def _papers(*rows) -> list[dict]:
    out = []
    for row in rows:
        name, form, *rest = row
        out.append({"name": name, "form": form, "count": 1, "required": not rest or rest[0]})
    return out


def _steps(counter_h: int, processing_h: int, approver_h: int, *, body: str, other: str = "") -> list[dict]:
    steps = [{"name": "Tiếp nhận, kiểm tra, chuyển hồ sơ", "kind": StepKind.COUNTER, "working_hours": counter_h,
              "body": "Bộ phận Một cửa"},
             {"name": "Thẩm định hồ sơ, dự thảo kết quả", "kind": StepKind.PROCESSING,
              "working_hours": processing_h, "body": body}]
    if other:
        steps.append({"name": "Lấy ý kiến cơ quan liên quan", "kind": StepKind.OTHER_BODY, "working_hours": 16,
                      "body": other})
    steps += [{"name": "Phê duyệt, ký kết quả", "kind": StepKind.APPROVER, "working_hours": approver_h,
               "body": "Lãnh đạo cơ quan"},
              {"name": "Trả kết quả", "kind": StepKind.RETURN, "working_hours": 4, "body": "Bộ phận Một cửa"}]
    return steps


TK = ("Tờ khai theo mẫu", P_ORIG)
CCCD = ("Căn cước công dân hoặc giấy tờ tùy thân (xuất trình)", P_EITHER)
UQ = ("Văn bản ủy quyền (nếu nộp thay)", P_CERT, False)

PROCEDURES = [
    # commune
    ("1.001193", "Đăng ký khai sinh", "Hộ tịch", Level.COMMUNE, 1, 0, "certificate", "Giấy khai sinh",
     _papers(TK, ("Giấy chứng sinh", P_ORIG), CCCD, UQ), _steps(2, 4, 2, body="Công chức Tư pháp - Hộ tịch")),
    ("1.000656", "Đăng ký khai tử", "Hộ tịch", Level.COMMUNE, 1, 0, "certificate", "Trích lục khai tử",
     _papers(TK, ("Giấy báo tử hoặc giấy tờ thay giấy báo tử", P_ORIG), CCCD),
     _steps(2, 4, 2, body="Công chức Tư pháp - Hộ tịch")),
    ("1.000894", "Đăng ký kết hôn", "Hộ tịch", Level.COMMUNE, 3, 0, "certificate", "Giấy chứng nhận kết hôn",
     _papers(("Tờ khai đăng ký kết hôn", P_ORIG), ("Giấy xác nhận tình trạng hôn nhân", P_ORIG), CCCD),
     _steps(4, 12, 4, body="Công chức Tư pháp - Hộ tịch")),
    ("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân", "Hộ tịch", Level.COMMUNE, 3, 0, "certificate",
     "Giấy xác nhận tình trạng hôn nhân", _papers(TK, CCCD, UQ), _steps(4, 12, 4, body="Công chức Tư pháp - Hộ tịch")),
    ("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực", Level.COMMUNE, 0, 2000, "copy",
     "Bản sao được chứng thực", _papers(("Bản chính giấy tờ, văn bản cần chứng thực", P_ORIG),
                                        ("Bản sao cần chứng thực", P_COPY)), _steps(1, 2, 1, body="Công chức Tư pháp")),
    ("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "Chứng thực", Level.COMMUNE, 0, 10000, "copy",
     "Giấy tờ được chứng thực chữ ký", _papers(("Giấy tờ, văn bản cần chứng thực chữ ký", P_ORIG), CCCD),
     _steps(1, 2, 1, body="Công chức Tư pháp")),
    ("1.003596", "Xác nhận đơn đề nghị hỗ trợ hộ nghèo, hộ cận nghèo", "Bảo trợ xã hội", Level.COMMUNE, 5, 0,
     "registration", "Đơn được xác nhận", _papers(("Đơn đề nghị", P_ORIG), CCCD),
     _steps(4, 24, 8, body="Công chức Văn hóa - Xã hội")),
    # district (town)
    ("2.000575", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh", Level.DISTRICT, 3,
     100000, "certificate", "Giấy chứng nhận đăng ký hộ kinh doanh",
     _papers(("Giấy đề nghị đăng ký hộ kinh doanh", P_ORIG), CCCD,
             ("Biên bản họp thành viên hộ gia đình (nếu có)", P_COPY, False), UQ),
     _steps(4, 12, 4, body="Phòng Tài chính – Kế hoạch")),
    ("2.000720", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh",
     Level.DISTRICT, 3, 50000, "certificate", "Giấy chứng nhận đăng ký hộ kinh doanh",
     _papers(("Thông báo thay đổi nội dung đăng ký hộ kinh doanh", P_ORIG),
             ("Giấy chứng nhận đăng ký hộ kinh doanh đã cấp", P_ORIG)), _steps(4, 12, 4, body="Phòng Tài chính – Kế hoạch")),
    ("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Hoạt động xây dựng", Level.DISTRICT, 15, 75000, "licence",
     "Giấy phép xây dựng", _papers(("Đơn đề nghị cấp giấy phép xây dựng", P_ORIG),
                                   ("Giấy tờ chứng minh quyền sử dụng đất", P_CERT),
                                   ("Bản vẽ thiết kế xây dựng", P_ORIG), ("Bản cam kết bảo đảm an toàn công trình liền kề", P_ORIG, False)),
     _steps(4, 80, 16, body="Phòng Quản lý đô thị", other="Đội quản lý trật tự xây dựng")),
    ("1.001612", "Cấp Giấy phép kinh doanh bán lẻ sản phẩm rượu", "Lưu thông hàng hóa trong nước", Level.DISTRICT, 10,
     1200000, "licence", "Giấy phép kinh doanh bán lẻ sản phẩm rượu",
     _papers(("Đơn đề nghị cấp giấy phép", P_ORIG), ("Giấy chứng nhận đăng ký doanh nghiệp, hộ kinh doanh", P_COPY),
             ("Hợp đồng mua bán rượu với nhà cung cấp", P_COPY)), _steps(4, 56, 8, body="Phòng Kinh tế")),
    ("1.001758", "Cấp bản sao trích lục hộ tịch", "Hộ tịch", Level.DISTRICT, 1, 8000, "copy", "Bản sao trích lục",
     _papers(TK, CCCD), _steps(2, 4, 2, body="Phòng Tư pháp")),
    ("2.001263", "Giải quyết chế độ trợ cấp xã hội hằng tháng", "Bảo trợ xã hội", Level.DISTRICT, 7, 0, "decision",
     "Quyết định trợ cấp xã hội", _papers(("Tờ khai đề nghị trợ cấp", P_ORIG), CCCD),
     _steps(4, 32, 8, body="Phòng Lao động – Thương binh và Xã hội")),
    # department
    ("1.003862", "Cấp giấy phép bưu chính", "Bưu chính", Level.PROVINCE, 20, 0, "licence", "Giấy phép bưu chính",
     _papers(("Đơn đề nghị cấp giấy phép bưu chính", P_ORIG),
             ("Giấy chứng nhận đăng ký doanh nghiệp", P_COPY), ("Phương án kinh doanh", P_ORIG),
             ("Mẫu hợp đồng cung ứng dịch vụ bưu chính", P_ORIG)),
     _steps(4, 120, 16, body="Phòng Bưu chính, Viễn thông")),
    ("1.003901", "Xác nhận thông báo hoạt động bưu chính", "Bưu chính", Level.PROVINCE, 7, 0, "registration",
     "Văn bản xác nhận thông báo hoạt động bưu chính",
     _papers(("Văn bản thông báo hoạt động bưu chính", P_ORIG), ("Giấy chứng nhận đăng ký doanh nghiệp", P_COPY)),
     _steps(4, 32, 8, body="Phòng Bưu chính, Viễn thông")),
    ("2.001505", "Đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ không sử dụng ngân sách nhà nước",
     "Hoạt động khoa học và công nghệ", Level.PROVINCE, 10, 0, "certificate", "Giấy chứng nhận đăng ký kết quả",
     _papers(("Phiếu đăng ký kết quả thực hiện nhiệm vụ", P_ORIG), ("Báo cáo tổng hợp kết quả", P_ORIG)),
     _steps(4, 56, 8, body="Phòng Chuyển đổi số")),
    ("1.005384", "Cấp giấy chứng nhận đăng ký hoạt động khoa học và công nghệ", "Hoạt động khoa học và công nghệ",
     Level.PROVINCE, 15, 0, "certificate", "Giấy chứng nhận đăng ký hoạt động khoa học và công nghệ",
     _papers(("Đơn đăng ký hoạt động", P_ORIG), ("Quyết định thành lập tổ chức", P_CERT),
             ("Điều lệ tổ chức và hoạt động", P_ORIG)), _steps(4, 88, 16, body="Phòng Chuyển đổi số")),
    ("1.003918", "Công nhận ban vận động thành lập hội", "Tổ chức phi chính phủ", Level.PROVINCE, 30, 0, "decision",
     "Quyết định công nhận ban vận động", _papers(("Đơn đề nghị", P_ORIG), ("Danh sách ban vận động", P_ORIG),
                                                  ("Sơ yếu lý lịch người đứng đầu", P_ORIG)),
     _steps(4, 192, 24, body="Phòng Tổ chức, biên chế", other="Công an tỉnh")),
    ("1.005388", "Thẩm định số lượng người làm việc trong đơn vị sự nghiệp công lập", "Tổ chức, biên chế",
     Level.PROVINCE, 20, 0, "decision", "Văn bản thẩm định",
     _papers(("Tờ trình đề nghị thẩm định", P_ORIG), ("Đề án vị trí việc làm", P_ORIG)),
     _steps(4, 128, 16, body="Phòng Tổ chức, biên chế")),
    ("2.001730", "Thi tuyển công chức (đăng ký dự tuyển)", "Công chức, viên chức", Level.PROVINCE, 5, 0, "other",
     "Thông báo kết quả đăng ký dự tuyển", _papers(("Phiếu đăng ký dự tuyển", P_ORIG)),
     _steps(4, 24, 8, body="Phòng Tổ chức, biên chế")),
]
# Where each procedure is received, by level, and the unit that processes it (by abbreviation);
# "2.000575" at Phú Mỹ goes to the town (liên thông: received at the commune, resolved by Tân Phú).
DEPARTMENT_OF = {"1.003862": "skhcn", "1.003901": "skhcn", "2.001505": "skhcn", "1.005384": "skhcn",
                 "1.003918": "snv", "1.005388": "snv", "2.001730": "snv"}
UNIT_OF = {"1.003862": "BCVT", "1.003901": "BCVT", "2.001505": "CĐS", "1.005384": "CĐS", "1.003918": "TCBC",
           "1.005388": "TCBC", "2.001730": "TCBC", "2.000575": "TCKH", "2.000720": "TCKH"}
JOINT = [("2.000575", "phumy", "tanphu")]


def _agency(slug: str) -> Agency | None:
    return Agency.objects.filter(code=COUNTERS[slug]).first()


def _unit(agency: Agency, abbreviation: str | None) -> Unit | None:
    units = Unit.objects.filter(agency=agency, active=True)
    return (units.filter(abbreviation=abbreviation).first() if abbreviation else None) or units.order_by("pk").first()


def _first(agency: Agency, role: str, **filters) -> User | None:
    return User.objects.filter(is_active=True, role_assignments__agency=agency, role_assignments__role=role,
                               **filters).order_by("username").first()


def make_counter_officers(rng: random.Random) -> dict[str, User]:
    officers = {}
    hashed = make_password(PASSWORD)
    for slug in COUNTERS:
        agency = _agency(slug)
        if agency is None or User.objects.filter(username=f"{slug}.motcua").exists():
            continue
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        user = User(username=f"{slug}.motcua", full_name=name, agency=agency, unit=_unit(agency, "VP"),
                    position="Công chức tiếp nhận và trả kết quả", email=f"{slug}.motcua@binhson.demo.vn",
                    password=hashed)
        user.save()
        RoleAssignment.objects.create(user=user, agency=agency, role=Role.COUNTER)
        officers[slug] = user
    # The province's one-stop admin (quản trị một cửa): keeps the catalogue, activates procedures.
    province = Agency.objects.filter(code="000.00.00.H90").first()
    if province is not None and not User.objects.filter(username="ubnd.quantrimotcua").exists():
        admin = User(username="ubnd.quantrimotcua", full_name=f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} "
                     f"{rng.choice(GIVEN)}", agency=province, unit=_unit(province, "VP"),
                     position="Quản trị một cửa", email="ubnd.quantrimotcua@binhson.demo.vn", password=hashed)
        admin.save()
        RoleAssignment.objects.create(user=admin, agency=province, role=Role.MOTCUA_ADMIN)
    return officers


def build_catalogue() -> list[Procedure]:
    province = Agency.objects.filter(code="000.00.00.H90").first() or Agency.objects.order_by("pk").first()
    actor = actors.system_actor(province, actors.IMPORT)
    data = {"format": catalogue.FORMAT, "version": catalogue.VERSION, "procedures": [
        {"code": code, "name": name, "field": field, "level": level, "legal_days": days, "fee_amount": fee,
         "result_type": result_type, "result_name": result_name, "online": True, "active": True,
         "resolving_bodies": {Level.COMMUNE: "Ủy ban nhân dân cấp xã", Level.DISTRICT: "Ủy ban nhân dân cấp huyện",
                              Level.PROVINCE: "Sở chuyên ngành"}[level],
         "papers": papers, "steps": steps}
        for code, name, field, level, days, fee, result_type, result_name, papers, steps in PROCEDURES]}
    catalogue.import_data(actor, data)
    return list(Procedure.objects.filter(code__in=[p[0] for p in PROCEDURES]))


def activate(procedures: list[Procedure]) -> None:
    for procedure in procedures:
        if procedure.level == Level.COMMUNE:
            slugs = COMMUNES
        elif procedure.level == Level.DISTRICT:
            slugs = DISTRICTS
        else:
            slugs = [DEPARTMENT_OF[procedure.code]]
        for slug in slugs:
            agency = _agency(slug)
            if agency is None:
                continue
            catalogue.set_activation(actors.system_actor(agency, actors.IMPORT), procedure, agency,
                                     processing_unit=_unit(agency, UNIT_OF.get(procedure.code)))
    for code, receiving, resolving in JOINT:
        procedure = next((p for p in procedures if p.code == code), None)
        here, there = _agency(receiving), _agency(resolving)
        if procedure and here and there:
            catalogue.set_activation(actors.system_actor(here, actors.IMPORT), procedure, here, resolving_agency=there,
                                     processing_unit=_unit(there, UNIT_OF.get(code)))


@functools.cache
def _pdf(title: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from vpdt.core.pdf_fonts import dejavu_sans

    font, _bold = dejavu_sans()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setFont(font, 14)
    canvas.drawString(72, 760, title)
    canvas.setFont(font, 10)
    canvas.drawString(72, 740, "Bản số hóa mẫu của tỉnh Bình Sơn (dữ liệu thử nghiệm).")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _applicant(rng: random.Random) -> counter.Applicant:
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    return counter.Applicant(name=name, personal_id=f"0{rng.randint(70, 96)}{rng.randint(0, 1)}"
                             f"{rng.randint(50, 99)}{rng.randint(0, 999999):06d}",
                             address=f"Số {rng.randint(1, 200)}, ấp {rng.randint(1, 9)}", phone=f"09{rng.randint(10000000, 99999999)}",
                             email="")


# What happens to the demo's dossiers at each counter, in order.
SCRIPT = ["new", "received", "processing", "supplement", "approving", "done", "returned", "refused",
          "counter_supplement", "withdrawn", "stopped"]


def make_dossiers(rng: random.Random, officers: dict[str, User], procedures: list[Procedure]) -> int:
    made = 0
    by_code = {p.code: p for p in procedures}
    for slug, officer in officers.items():
        if slug not in WITH_DOSSIERS:
            continue
        agency = officer.agency
        codes = list(agency.motcua_activations.filter(active=True).order_by("procedure__code").values_list(
            "procedure__code", flat=True))
        if not codes:
            continue
        for index, fate in enumerate(SCRIPT):
            procedure = by_code.get(codes[index % len(codes)])
            if procedure is None:
                continue
            try:
                _one(rng, officer, agency, procedure, fate)
                made += 1
            except VpdtError:
                continue
    return made


def _one(rng, officer, agency, procedure, fate) -> None:
    papers = list(procedure.papers.all())
    required = {p.pk for p in papers if p.required}
    uploads = [counter.Upload(io.BytesIO(_pdf(p.name)), f"ban-so-hoa-{i + 1}.pdf", p.pk)
               for i, p in enumerate(papers) if p.required]
    intake = counter.Intake(applicant=_applicant(rng), ticked=required, uploads=uploads)
    if fate == "new":
        counter.submit_online(agency, procedure, intake)
        return
    if fate == "refused":
        counter.receive(officer, agency, procedure, intake, decision="refuse",
                        reasons="Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan.")
        return
    if fate == "counter_supplement":
        intake.ticked = set(list(required)[:-1])
        counter.receive(officer, agency, procedure, intake, decision="supplement",
                        gaps=[{"name": "Bản sao giấy tờ tùy thân", "reason": "Ảnh chụp mờ, không đọc được"}],
                        note="Mang bản chính để đối chiếu.")
        return
    dossier = counter.receive(officer, agency, procedure, intake, decision="accept")
    if fate == "received":
        return
    if fate == "withdrawn":
        processing.withdraw(officer, dossier, "Công dân có đơn xin rút hồ sơ.")
        return
    resolver = dossier.resolving_agency
    activation = procedure.activations.filter(agency=agency).first()
    unit = (activation.processing_unit if activation else None) or _unit(resolver, None)
    specialist = _first(resolver, Role.SPECIALIST, unit=unit) or _first(resolver, Role.SPECIALIST)
    if specialist is not None and specialist.unit_id != unit.pk:
        unit = specialist.unit or unit
    leader = _first(resolver, Role.LEADER)
    processing.transfer(officer, dossier, unit, to_user=specialist)
    if specialist is None or leader is None:
        return
    processing.take(specialist, dossier)
    processing.appraise(specialist, dossier, "Hồ sơ đủ thành phần, nội dung hợp lệ; đề nghị giải quyết.")
    if fate == "processing":
        return
    if fate == "supplement":
        processing.ask_supplement(specialist, dossier, [
            {"name": papers[0].name if papers else "Giấy tờ", "reason": "Thông tin kê khai chưa khớp giấy tờ gốc"}],
            note="Đề nghị bổ sung trong 10 ngày làm việc.")
        return
    if fate == "stopped":
        processing.stop(leader, dossier, "Phát hiện giấy tờ có dấu hiệu giả mạo; chuyển cơ quan công an xác minh.")
        return
    processing.submit_for_approval(specialist, dossier, to_user=leader)
    if fate == "approving":
        return
    processing.approve(leader, dossier, result=counter.Upload(io.BytesIO(_pdf(procedure.result_name or "Kết quả")),
                                                              "ket-qua.pdf"),
                       result_note=procedure.result_name)
    if fate == "done":
        return
    processing.return_result(officer, dossier, method=rng.choice([ReturnMethod.COUNTER, ReturnMethod.ONLINE]))


def extend_demo(context: dict) -> None:
    progress = context.get("progress", lambda _m: None)
    progress("Một cửa: danh mục thủ tục hành chính, công chức tiếp nhận, hồ sơ mẫu…")
    rng = random.Random(SEED)
    officers = make_counter_officers(rng)
    procedures = build_catalogue()
    activate(procedures)
    make_dossiers(rng, officers, procedures)
    joint_dossier(officers)
    # motcua3: the around half moves dossiers along (late with an apology; the joint one sent over
    # the hub, delivered when the demo's exchange worker runs). Its own Random: the sequence above stays.
    from vpdt.motcua import demo_flow

    done = demo_flow.advance()
    financial_dossier()
    progress(f"Một cửa: {done['processing']} hồ sơ chuyển xử lý, {done['late']} hồ sơ trễ hẹn có phiếu xin lỗi, "
             f"hồ sơ liên thông {done['joint'] or '—'}")


def financial_dossier() -> None:
    """One dossier waiting for the citizen's financial obligation (status 6), asked by its officer."""
    for d in (Dossier.objects.filter(status=DossierStatus.PROCESSING, current_step__kind=StepKind.PROCESSING,
                                     current_step__to_user__isnull=False)
              .select_related("current_step__to_user").order_by("id")[:1]):
        try:
            processing.ask_financial(d.current_step.to_user, d, "Nộp lệ phí trước bạ theo thông báo của cơ quan thuế.")
        except VpdtError:
            continue


def joint_dossier(officers: dict[str, User]) -> None:
    """A dossier received at the commune for a procedure the district resolves (JOINT), waiting
    to be sent over the hub; drawn from its own Random so the demo's sequence stays."""
    rng = random.Random(SEED + 1)
    for code, receiving, _resolving in JOINT:
        officer = officers.get(receiving)
        procedure = Procedure.objects.filter(code=code).first()
        if officer is None or procedure is None:
            continue
        papers = [p for p in procedure.papers.all() if p.required]
        uploads = [counter.Upload(io.BytesIO(_pdf(p.name)), f"ban-so-hoa-{i + 1}.pdf", p.pk)
                   for i, p in enumerate(papers)]
        intake = counter.Intake(applicant=_applicant(rng), ticked={p.pk for p in papers}, uploads=uploads)
        try:
            counter.receive(officer, officer.agency, procedure, intake, decision="accept")
        except VpdtError:
            continue
