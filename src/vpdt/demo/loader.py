"""Loads the demo province: agencies, units, people for every role, and documents in every state.

Documents are made through the services where rules matter (numbering, registration), so
the demo's registers have no gaps and its audit trail is real. Apps that build on the core
(workflow, signing) extend the demo through a `demo.py` module with `extend_demo(context)`,
called after the core data is in; the interconnection (exchange and hub together) is
`vpdt.demo.interconnection`.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import io
import random
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vpdt.core import audit
from vpdt.demo import pdf, province
from vpdt.directory.models import Agency, RoleAssignment, Unit, User
from vpdt.directory.roles import Role
from vpdt.records import services
from vpdt.records.actors import interconnection
from vpdt.records.choices import AccessReason, DeliveryState, RecipientKind, Source, State, Urgency
from vpdt.records.models import Attachment, Document, DocumentAccess, DocumentType, Recipient

EXTENSIONS = ["vpdt.workflow.demo", "vpdt.signing.demo", "vpdt.demo.interconnection", "vpdt.demo.recipients"]
EXTENSIONS += ["vpdt.demo.directions"]  # canned direction texts (issue 13)
EXTENSIONS += ["vpdt.archive.demo"]  # --- archive fileplan: this year's file plans (issue 19)
EXTENSIONS += ["vpdt.motcua.demo"]  # --- motcua: the one-stop shop's catalogue, counters, dossiers (issue 16)
EXTENSIONS += ["vpdt.migration.demo"]  # the Sở KH&CN's 2024–2025 documents from its old system (issue 15)
EXTENSIONS.append("vpdt.reports.demo")  # last: its usage facts count the whole demo


def _name(rng: random.Random) -> str:
    return f"{rng.choice(province.FAMILY)} {rng.choice(province.MIDDLE)} {rng.choice(province.GIVEN)}"


def _password_hash() -> str:
    # One hash for every demo account: hashing ~100 passwords would take half a minute.
    # Cached per hasher configuration (tests switch to a fast hasher).
    return _hash_for(tuple(settings.PASSWORD_HASHERS))


@functools.cache
def _hash_for(hashers: tuple[str, ...]) -> str:
    return make_password(province.PASSWORD)


def _user(username: str, full_name: str, agency: Agency, unit: Unit | None, position: str,
          roles: list[str], **extra) -> User:
    user = User(username=username, full_name=full_name, agency=agency, unit=unit, position=position,
                email=f"{username}@binhson.demo.vn", password=_password_hash(), **extra)
    user.save()
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, agency=agency, role=r) for r in roles])
    return user


def _people(agency: Agency, slug: str, leader_title: str, units: list[Unit], rng: random.Random) -> dict:
    staff: dict = {"units": units, "heads": {}, "specialists": {}}
    office = units[0]
    staff["clerk"] = _user(f"{slug}.vanthu", _name(rng), agency, office, "Văn thư", [Role.CLERK])
    staff["leader"] = _user(f"{slug}.lanhdao", _name(rng), agency, None, leader_title, [Role.LEADER])
    if slug in province.FULL_STAFF:
        staff["deputy"] = _user(f"{slug}.pholanhdao", _name(rng), agency, None, f"Phó {leader_title.lower()}",
                                [Role.LEADER])
        staff["admin"] = _user(f"{slug}.quantri", _name(rng), agency, office, "Quản trị hệ thống đơn vị",
                               [Role.AGENCY_ADMIN], is_staff=True)
        # Its own random source: the province's sequence (names, subjects, dates) stays as it was.
        staff["archivist"] = _user(f"{slug}.luutru", _name(random.Random(f"{slug}.luutru")), agency, office,
                                   "Cán bộ lưu trữ", [Role.ARCHIVIST])
        for i, unit in enumerate(units):
            head_title = "Chánh Văn phòng" if unit.abbreviation == "VP" else "Trưởng phòng"
            staff["heads"][unit.pk] = _user(f"{slug}.truongphong{i + 1}", _name(rng), agency, unit, head_title,
                                            [Role.UNIT_HEAD])
            staff["specialists"][unit.pk] = [
                _user(f"{slug}.chuyenvien{i + 1}{chr(97 + k)}", _name(rng), agency, unit, "Chuyên viên",
                      [Role.SPECIALIST])
                for k in range(2)
            ]
    else:
        unit = units[0]
        staff["specialists"][unit.pk] = [
            _user(f"{slug}.chuyenvien", _name(rng), agency, unit, "Công chức", [Role.SPECIALIST])
        ]
    return staff


def demo_accounts() -> list[dict]:
    """The accounts a person tries first: one per role, with the agency they belong to."""
    wanted = [
        ("ubnd.vanthu", Role.CLERK), ("ubnd.lanhdao", Role.LEADER),
        ("skhcn.vanthu", Role.CLERK), ("skhcn.lanhdao", Role.LEADER), ("skhcn.pholanhdao", Role.LEADER),
        ("skhcn.truongphong2", Role.UNIT_HEAD), ("skhcn.chuyenvien2a", Role.SPECIALIST),
        ("skhcn.truongphong1", Role.UNIT_HEAD), ("skhcn.chuyenvien1a", Role.SPECIALIST),
        ("skhcn.quantri", Role.AGENCY_ADMIN), ("skhcn.luutru", Role.ARCHIVIST),
        ("stc.vanthu", Role.CLERK), ("stc.lanhdao", Role.LEADER),
        ("tanphu.vanthu", Role.CLERK), ("phumy.vanthu", Role.CLERK),
        # --- motcua: counter officers of a commune, the town and a department
        ("phumy.motcua", Role.COUNTER), ("tanphu.motcua", Role.COUNTER), ("skhcn.motcua", Role.COUNTER),
        ("ubnd.quantrimotcua", Role.MOTCUA_ADMIN),
        ("admin", Role.PLATFORM_ADMIN),
    ]
    users = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in wanted]).select_related("agency")}
    out = []
    for username, role in wanted:
        user = users.get(username)
        if user is None:
            continue
        out.append({
            "username": username,
            "password": province.PASSWORD,
            "role": role.value,
            "agency_code": user.agency.code if user.agency else "",
            "agency_name": user.agency.name if user.agency else "Toàn tỉnh",
        })
    return out


def _attach_pdf(document: Document, actor: User, body: str) -> None:
    data = pdf.document_pdf(
        agency=document.issuer_name or document.agency.name, code=document.code or "…",
        date_text=f"{document.place or 'Bình Sơn'}, ngày {document.issued_date or timezone.localdate():%d/%m/%Y}",
        title=document.document_type.name, subject=document.subject, body=body,
        signer_title=f"{document.signer_competence} {document.signer_position}".strip() or "GIÁM ĐỐC",
        signer_name=document.signer_name or "",
    )
    services.add_attachment(actor, document, io.BytesIO(data), f"{document.document_type.code.lower()}-"
                            f"{document.pk}.pdf", content_type="application/pdf", kind=Attachment.Kind.MAIN)


@transaction.atomic
def _load(rng: random.Random, progress: Callable[[str], None]) -> dict:
    progress("Tạo cơ quan, đơn vị và cán bộ của tỉnh Bình Sơn…")
    admin = User(username="admin", full_name="Quản trị hệ thống Sở KH&CN", is_staff=True, is_superuser=True,
                 email="admin@binhson.demo.vn", password=_password_hash())
    admin.save()

    agencies: dict[str, Agency] = {}
    staff: dict[str, dict] = {}
    for code, name, abbr, place, unit_specs, slug, leader_title in province.AGENCIES:
        agency = Agency.objects.create(code=code, name=name, abbreviation=abbr, place=place,
                                       email=f"{slug}@binhson.demo.vn", address=f"{place}, tỉnh Bình Sơn")
        units = [Unit.objects.create(agency=agency, name=n, abbreviation=a) for n, a in unit_specs]
        agencies[slug] = agency
        staff[slug] = _people(agency, slug, leader_title, units, rng)
    RoleAssignment.objects.create(user=admin, agency=agencies["skhcn"], role=Role.PLATFORM_ADMIN)

    types = {t.code: t for t in DocumentType.objects.all()}
    year = timezone.localdate().year
    counts = {"incoming": 0, "outgoing": 0}

    def fmt(text: str) -> str:
        return text.format(year=year, next_year=year + 1, q=rng.randint(1, 4), month=rng.randint(1, 12))

    progress("Tạo văn bản đi ở mọi trạng thái…")
    outgoing_states = [State.DRAFT, State.IN_REVIEW, State.SENT_BACK, State.APPROVED, State.RELEASED,
                       State.RELEASED, State.RELEASED, State.RECALLED]
    released: list[tuple[str, Document]] = []
    for slug in sorted(province.FULL_STAFF):
        agency, people = agencies[slug], staff[slug]
        for i in range(24):
            state = outgoing_states[i % len(outgoing_states)]
            unit = rng.choice(people["units"])
            drafter = rng.choice(people["specialists"].get(unit.pk) or
                                 next(iter(people["specialists"].values())))
            type_code = rng.choice(["CV", "CV", "CV", "QD", "KH", "TB", "BC", "GM", "TTR"])
            subject = fmt(TYPED.get(type_code) or rng.choice(province.SUBJECTS))
            leader = people["leader"] if i % 3 else people.get("deputy", people["leader"])
            competence = "" if leader is people["leader"] else f"KT. {people['leader'].position.upper()}"
            doc = services.create_outgoing(drafter, {
                "document_type": types[type_code], "subject": subject,
                "urgency": Urgency.URGENT if i % 7 == 0 else (Urgency.FLASH if i % 11 == 0 else Urgency.NORMAL),
                "signer_name": leader.full_name, "signer_position": leader.position,
                "signer_competence": competence, "drafting_unit": unit,
                "page_count": rng.randint(1, 6), "copies": rng.randint(2, 12),
            })
            counts["outgoing"] += 1
            if state == State.DRAFT:
                continue
            services.import_state(drafter, doc, State.IN_REVIEW if state != State.SENT_BACK else State.SENT_BACK,
                                  action="document.submit_review")
            head = people["heads"].get(unit.pk)
            if head:
                DocumentAccess.objects.create(document=doc, user=head, reason=AccessReason.REVIEWER)
            if state in (State.IN_REVIEW, State.SENT_BACK):
                continue
            services.import_state(leader, doc, State.APPROVED, action="document.approve")
            if state == State.APPROVED:
                continue
            day = timezone.localdate() - dt.timedelta(days=rng.randint(0, 60))
            doc = services.issue_number(people["clerk"], doc, date=day)
            targets = rng.sample([s for s in agencies if s != slug], 2)
            services.import_recipients(people["clerk"], doc, [
                Recipient(kind=RecipientKind.AGENCY, agency=agencies[target], organ_id=agencies[target].code,
                          name=agencies[target].name, state=DeliveryState.DELIVERED, status_code="01")
                for target in targets])
            services.import_state(
                people["clerk"], doc, State.RELEASED if state == State.RELEASED else State.RECALLED,
                action="document.release",
                fields={"recipients_text": "- Như trên;\n" + "\n".join(f"- {agencies[t].name};" for t in targets)
                        + "\n- Lưu: VT."})
            _attach_pdf(doc, people["clerk"], "Nội dung văn bản mẫu của tỉnh Bình Sơn, phục vụ thử nghiệm hệ thống.")
            if state == State.RELEASED:
                released.append((slug, doc))
                for target in targets:
                    released_to = (target, doc)
                    _deliver(released_to, agencies, staff, rng, counts)
            else:
                audit.record("document.recall", doc, user=people["clerk"], detail={"reason": "Sai thể thức"})

    progress("Tạo văn bản đến giấy (chưa vào sổ, đã trả lại)…")
    # Each issuer with its own notation (ký hiệu): a symbol names the agency that issued it.
    outside = [("000.00.00.G22", "Văn phòng Chính phủ", "VPCP-KSTT"), ("000.00.00.G14", "Bộ Nội vụ", "BNV-VP"),
               ("000.00.00.H91", "Ủy ban nhân dân tỉnh Đông Giang", "UBND-VX")]
    for slug in sorted(province.FULL_STAFF):
        people = staff[slug]
        for i in range(6):
            issuer_code, issuer_name, notation = outside[i % len(outside)]
            doc = services.receive_incoming(people["clerk"], agencies[slug], {
                "document_type": types[rng.choice(["CV", "QD", "TB"])],
                "subject": fmt(rng.choice(province.SUBJECTS)), "issuer_code": issuer_code,
                "issuer_name": issuer_name, "number": rng.randint(10, 900),
                "notation": notation,
                "issued_date": timezone.localdate() - dt.timedelta(days=rng.randint(1, 10)),
                "urgency": Urgency.VERY_URGENT if i == 0 else Urgency.NORMAL,
            })
            counts["incoming"] += 1
            if i == 5:
                services.return_incoming(people["clerk"], doc, "Văn bản gửi nhầm cơ quan.")
    return counts


TYPED = province.TYPED_SUBJECTS
# The audit action a person would have written for each imported step (the timeline names it).
IMPORTED_ACTIONS = {State.SUBMITTED: "document.submit", State.ASSIGNED: "document.assign",
                    State.IN_PROGRESS: "document.reassign", State.COMPLETED: "document.complete"}


def _deliver(target_doc: tuple[str, Document], agencies, staff, rng: random.Random, counts: dict) -> None:
    """What the interconnection does on release: the receiver gets its own incoming record."""
    slug, original = target_doc
    agency, people = agencies[slug], staff[slug]
    system = interconnection(agency)
    incoming = services.receive_incoming(system, agency, {
        "document_type": original.document_type, "number": original.number, "notation": original.notation,
        "issued_date": original.issued_date, "place": original.place, "subject": original.subject,
        "signer_name": original.signer_name, "signer_position": original.signer_position,
        "signer_competence": original.signer_competence, "urgency": original.urgency,
        "page_count": original.page_count, "issuer_code": original.agency.code, "issuer_name": original.agency.name,
        "edxml_document_id": f"{original.agency.code},{original.issued_date:%Y/%m/%d},{original.code}",
    }, source=Source.ELECTRONIC, origin=original)
    counts["incoming"] += 1
    for attachment in original.attachments.all():
        services.attach_stored(system, incoming, attachment.blob, attachment.name,
                               content_type=attachment.content_type, kind=attachment.kind)
    step = rng.choice([State.RECEIVED, State.REGISTERED, State.SUBMITTED, State.ASSIGNED,
                       State.IN_PROGRESS, State.COMPLETED, State.COMPLETED])
    if step == State.RECEIVED:
        return
    services.register_incoming(people["clerk"], incoming, confirm_duplicate=True)
    order = [State.SUBMITTED, State.ASSIGNED, State.IN_PROGRESS, State.COMPLETED]
    for state in order[: order.index(step) + 1] if step in order else []:
        fields = {}
        if state == State.ASSIGNED:
            unit = rng.choice(people["units"])
            fields["due_date"] = timezone.localdate() + dt.timedelta(days=rng.randint(-5, 15))
            specialist = rng.choice(people["specialists"].get(unit.pk) or
                                    next(iter(people["specialists"].values())))
            head = people["heads"].get(unit.pk)
            DocumentAccess.objects.create(document=incoming, unit=unit, reason=AccessReason.UNIT)
            DocumentAccess.objects.create(document=incoming, user=specialist, reason=AccessReason.MAIN)
            actor = people["leader"]
            if head:
                DocumentAccess.objects.create(document=incoming, user=head, reason=AccessReason.MAIN)
        else:
            actor = people["clerk"] if state == State.SUBMITTED else None
        services.import_state(actor, incoming, state, action=IMPORTED_ACTIONS[state], fields=fields)


def _second_factors(progress: Callable[[str], None]) -> None:
    """The demo's leaders and administrators get the one known TOTP secret (province.TOTP_SECRET)."""
    import base64

    from vpdt.directory import mfa

    progress("Bật xác thực hai bước (mã TOTP chung của tỉnh mẫu) cho lãnh đạo và quản trị…")
    key = base64.b32decode(province.TOTP_SECRET).hex()
    people = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(is_staff=True)
        | Q(role_assignments__role__in=[Role.LEADER, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN])).distinct()
    for user in people:
        mfa.enrol_with_secret(user, key)


def demo_code() -> str:
    """The code the demo's TOTP secret gives now (what an authenticator app would show)."""
    import base64

    from django_otp.oath import totp

    return f"{totp(base64.b32decode(province.TOTP_SECRET)):06d}"


def load_demo(*, force: bool = False, seed: int = 2026, progress: Callable[[str], None] = lambda _m: None) -> str:
    """Load the demo province once; returns a one-line summary."""
    if Agency.objects.exists() and not force:
        return "Tỉnh mẫu đã có sẵn."
    rng = random.Random(seed)
    counts = _load(rng, progress)
    _second_factors(progress)
    context = {"rng": rng, "progress": progress, "counts": counts}
    for name in EXTENSIONS:
        importlib.import_module(name).extend_demo(context)
    summary = (f"Đã nạp tỉnh mẫu Bình Sơn: {Agency.objects.count()} cơ quan, {User.objects.count()} cán bộ, "
               f"{Document.objects.count()} văn bản.")
    progress(summary)
    return summary
