"""The world the authorization matrix acts on: two agencies, the actors (one per column of the
table) and the people who walk documents to the state an action needs (the "workers").

Documents are built through the real services, once per (state, situation, actor), lazily
(the first row that needs one builds it) and inside the module's transaction, so every row
then acts on them in its own savepoint that is rolled back.

Situations (relative to the home agency A, Sở KH&CN):
- own_agency: A's document, not secret; the step's designated person is a worker, not the actor.
- assigned: A's document, not secret, and the actor is the person the step designates (the
  leader it is submitted to, the handler it is assigned to, the reviewer at the step, the
  drafter, the unit it is released to); where a step cannot name the actor, the actor is
  given access to the document (DocumentAccess, reason GRANT).
- secret: as own_agency, Độ mật "Mật", the actor holds no grant.
- secret_assigned: as assigned, Độ mật "Mật", and the actor holds an explicit secret grant.
- other_agency: the same document in agency B (Sở Tài chính), walked by B's workers.
- sent_here: A's incoming record of a document B sent over the interconnection (received by
  the system actor, not yet registered).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from types import SimpleNamespace

from tests import factories
from vpdt.directory.roles import Role
from vpdt.records import actors
from vpdt.records import services as records
from vpdt.records.choices import AccessReason, Secrecy, Source
from vpdt.records.models import Document
from vpdt.workflow import services
from vpdt.workflow.delegation import today
from vpdt.workflow.models import Assignment, ExtensionRequest

# Real bytes: files are judged by their bytes (vpdt.core.filetypes), a fake PDF is refused.
PDF = factories.pdf_bytes()
DOCX = factories.docx_bytes()

ACTORS = ["anonymous", "clerk", "leader", "deputy", "unit_head", "specialist", "agency_admin", "platform_admin",
          "outsider"]
SITUATIONS = ["own_agency", "assigned", "secret", "secret_assigned", "other_agency", "sent_here", "any"]

_numbers = itertools.count(100)


def build_people() -> SimpleNamespace:
    a = factories.agency(code="000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    b = factories.agency(code="000.00.03.H90", abbreviation="STC", name="Sở Tài chính")
    a_vp, a_cds, a_bcvt = (factories.unit(a, "VP", "Văn phòng Sở"), factories.unit(a, "CĐS", "Phòng Chuyển đổi số"),
                           factories.unit(a, "BCVT", "Phòng Bưu chính, Viễn thông"))
    b_vp, b_ns = factories.unit(b, "VP", "Văn phòng Sở"), factories.unit(b, "QLNS", "Phòng Quản lý ngân sách")
    p = factories.person
    w = SimpleNamespace(agency=a, other=b, vp=a_vp, cds=a_cds, bcvt=a_bcvt, b_vp=b_vp, b_ns=b_ns)
    # The actors: one column of the table each (anonymous has no account).
    w.actors = {
        "clerk": p(a, Role.CLERK, unit=a_vp, username="vanthu"),
        "leader": p(a, Role.LEADER, username="lanhdao"),
        "deputy": p(a, Role.LEADER, username="phogiamdoc"),
        "unit_head": p(a, Role.UNIT_HEAD, unit=a_cds, username="truongphong"),
        "specialist": p(a, Role.SPECIALIST, unit=a_cds, username="chuyenvien"),
        "agency_admin": p(a, Role.AGENCY_ADMIN, unit=a_vp, username="quantri"),
        "platform_admin": p(a, Role.PLATFORM_ADMIN, username="admin"),
        "outsider": p(b, Role.CLERK, unit=b_vp, username="stc.vanthu"),
    }
    # As the demo's: a superuser without an agency, platform admin through a role in one agency.
    admin = w.actors["platform_admin"]
    admin.is_superuser, admin.is_staff, admin.agency = True, True, None
    admin.save(update_fields=["is_superuser", "is_staff", "agency"])
    from vpdt.directory.models import RoleAssignment

    RoleAssignment.objects.create(user=w.actors["outsider"], agency=b, role=Role.LEADER)
    # The workers of A: the director (Giám đốc), another clerk, the BCVT head and specialist.
    w.a = SimpleNamespace(agency=a, units=[a_vp, a_cds, a_bcvt], work_unit=a_bcvt,
                          clerk=p(a, Role.CLERK, unit=a_vp, username="vanthu2"),
                          leader=p(a, Role.LEADER, username="giamdoc"),
                          head=p(a, Role.UNIT_HEAD, unit=a_bcvt, username="truongphong2"),
                          spec=p(a, Role.SPECIALIST, unit=a_bcvt, username="chuyenvien2"))
    w.b = SimpleNamespace(agency=b, units=[b_vp, b_ns], work_unit=b_ns,
                          clerk=p(b, Role.CLERK, unit=b_vp, username="stc.vanthu2"),
                          leader=p(b, Role.LEADER, username="stc.giamdoc"),
                          head=p(b, Role.UNIT_HEAD, unit=b_ns, username="stc.truongphong"),
                          spec=p(b, Role.SPECIALIST, unit=b_ns, username="stc.chuyenvien"))
    # The deputy (Phó giám đốc) holds the director's delegation (ủy quyền) today.
    services.delegate(w.a.leader, deputy=w.actors["deputy"], starts_on=today(),
                      ends_on=today() + dt.timedelta(days=30), reason="Đi công tác")
    for user in list(w.actors.values()) + [*vars(w.a).values(), *vars(w.b).values()]:
        if hasattr(user, "role_set"):
            user.refresh_from_db()  # no stale role cache
    return w


# ---------------------------------------------------------------------------------------
# Walking a document to a state, as the workers of one agency (`s`) would
# ---------------------------------------------------------------------------------------


def _incoming_data(secret: bool) -> dict:
    n = next(_numbers)
    return {"document_type": factories.doc_type("CV"), "subject": f"Về việc thử quyền truy cập số {n}",
            "issuer_name": f"Cơ quan gửi {n}", "issuer_code": "000.00.00.G22", "number": n,
            "notation": "VPCP-KSTT", "issued_date": dt.date(2026, 3, 2),
            "secrecy": Secrecy.CONFIDENTIAL if secret else Secrecy.NONE}


def received(s, secret: bool) -> Document:
    # The scan is attached after receiving: receive_paper would verify its (absent) signatures, slowly.
    doc = services.receive_paper(s.clerk, s.agency, _incoming_data(secret))
    records.add_attachment(s.clerk, doc, io.BytesIO(PDF), "ban-quet.pdf", content_type="application/pdf")
    return doc


def sent_here(s) -> Document:
    system = actors.interconnection(s.agency)
    doc = records.receive_incoming(system, s.agency, _incoming_data(False), source=Source.ELECTRONIC)
    records.add_attachment(system, doc, io.BytesIO(PDF), "van-ban.pdf", content_type="application/pdf")
    return doc


def registered(s, secret: bool) -> Document:
    doc = received(s, secret)
    services.register(s.clerk, doc)
    return doc


def submitted(s, secret: bool, leader=None) -> Document:
    doc = registered(s, secret)
    services.submit_to_leader(s.clerk, doc, leader=leader or s.leader)
    return doc


def _deadline(days: int = 10) -> dt.date:
    return today() + dt.timedelta(days=days)


def assigned(s, secret: bool, main=None, leader=None) -> Document:
    leader = leader or s.leader
    doc = submitted(s, secret, leader=leader)
    services.assign(leader, doc, main=main or s.work_unit, instructions="Tham mưu xử lý", deadline=_deadline())
    return doc


def extension(s, secret: bool, leader=None) -> Document:
    doc = assigned(s, secret, leader=leader)
    services.request_extension(s.head, doc, _deadline(20), "Cần thêm thời gian")
    return doc


def draft(s, secret: bool, drafter=None) -> Document:
    data = {"document_type": factories.doc_type("CV"), "subject": f"Về việc dự thảo thử quyền {next(_numbers)}",
            "secrecy": Secrecy.CONFIDENTIAL if secret else Secrecy.NONE}
    return services.create_draft(drafter or s.spec, data, file=io.BytesIO(DOCX), filename="du-thao.docx",
                                 recipients={"units": [s.work_unit]})


def in_review(s, secret: bool) -> Document:
    doc = draft(s, secret)
    services.submit_for_review(s.spec, doc)  # step 1: the head of the drafting unit
    return doc


def at_signer(s, secret: bool) -> Document:
    doc = in_review(s, secret)
    services.approve(s.head, doc, "Đồng ý nội dung")  # step 2: a leader signs
    return doc


def approved(s, secret: bool) -> Document:
    doc = at_signer(s, secret)
    services.approve(s.leader, doc, "Ký")
    return doc


def numbered(s, secret: bool) -> Document:
    doc = approved(s, secret)
    services.issue_number(s.clerk, doc)
    return doc


def released(s, secret: bool, units=()) -> Document:
    doc = numbered(s, secret)
    if units:
        services.set_recipients(s.clerk, doc, units=[s.work_unit, *units])
    services.release(s.clerk, doc)
    return doc


def _grant(s, doc: Document, actor, secret: bool) -> None:
    records.grant_access(s.leader, doc, actor, reason=AccessReason.GRANT, secret=secret)


def _is_leader(actor, s) -> bool:
    return actor.has_role(Role.LEADER, s.agency.pk)


def _heads_unit(actor, s):
    return actor.unit if actor.unit_id and actor.has_role(Role.UNIT_HEAD, s.agency.pk) else None


# state -> (build for a worker-designated document, build designating `actor` or None when the
# step cannot name them: then the actor is granted access to the worker-designated one)
def _designated(state: str, s, secret: bool, actor) -> Document | None:
    if state == "submitted" and _is_leader(actor, s):
        return submitted(s, secret, leader=actor)
    if state == "assigned":
        return assigned(s, secret, main=_heads_unit(actor, s) or actor)
    if state == "extension" and _is_leader(actor, s):
        return extension(s, secret, leader=actor)
    if state == "draft" and actor.agency_id == s.agency.pk:
        return draft(s, secret, drafter=actor)
    if state == "in_review":
        doc = in_review(s, secret)
        services.forward(s.head, doc, actor, "Chuyển đồng chí xem")
        return doc
    if state == "at_signer":
        doc = at_signer(s, secret)
        services.forward(s.leader, doc, actor, "Chuyển đồng chí ký")
        return doc
    if state == "released" and _heads_unit(actor, s):  # a unit's copy reaches its head
        return released(s, secret, units=[actor.unit])
    return None


BUILDERS = {
    "received": received, "registered": registered, "submitted": submitted, "assigned": assigned,
    "extension": extension, "draft": draft, "in_review": in_review, "at_signer": at_signer,
    "approved": approved, "numbered": numbered, "released": released,
}


class World:
    """People, their logged-in sessions and API tokens, and the documents built so far."""

    def __init__(self):
        self.people = build_people()
        self.docs: dict[tuple, Document | None] = {}

    def actor(self, name: str):
        return self.people.actors.get(name)

    def document(self, state: str, situation: str, actor_name: str) -> Document | None:
        """The document a row acts on (None: this situation does not exist for this actor)."""
        actor = self.actor(actor_name)
        personal = situation in ("assigned", "secret_assigned")
        if personal and (actor is None or actor_name == "outsider"):
            return None
        key = (state, situation, actor_name if personal else None)
        if key not in self.docs:
            self.docs[key] = self._build(state, situation, actor)
        doc = self.docs[key]
        return Document.objects.get(pk=doc.pk) if doc is not None else None

    def _build(self, state: str, situation: str, actor) -> Document | None:
        w = self.people
        secret = situation in ("secret", "secret_assigned")
        if situation == "sent_here":
            return sent_here(w.a) if state in ("received", "assigned") else None
        if situation == "other_agency":
            return BUILDERS[state](w.b, False)
        if situation in ("own_agency", "secret"):
            return BUILDERS[state](w.a, secret)
        doc = _designated(state, w.a, secret, actor)
        if doc is None:
            # The step cannot name the actor: one document for all such actors, each granted
            # access (a person's grant changes nothing for another; every row is rolled back).
            key = (state, situation, "granted")
            if key not in self.docs:
                self.docs[key] = BUILDERS[state](w.a, secret)
            doc = self.docs[key]
            _grant(w.a, doc, actor, secret)
        elif secret:
            _grant(w.a, doc, actor, True)
        return doc

    # Small lookups the rows' requests need.
    def open_request(self, doc: Document) -> ExtensionRequest | None:
        return ExtensionRequest.objects.filter(assignment__document=doc,
                                               state=ExtensionRequest.State.PENDING).first()

    def unit_assignment(self, doc: Document) -> Assignment | None:
        return Assignment.objects.filter(document=doc, user__isnull=True, state=Assignment.State.PENDING).first()
