"""Every action of the matrix: the state its document must be in, the HTTP request that performs it
(web page POST/GET or JSON API), and what "it happened" means (the audit entries it writes).

The names are those of the table (tests/authz/matrix.py). Document actions of the pages are
vpdt.web.views.action_table.ACTIONS plus the direction form (assign, reassign), the document's
page and its files; the lists and the search; the JSON API; and the pages that act on no
document (receive a paper document, open a draft, delegate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.authz.world import DOCX, PDF
from vpdt.directory.models import User
from vpdt.directory.roles import Role
from vpdt.records.models import Document
from vpdt.workflow.delegation import today


def _date(days: int) -> str:
    return (today() + dt.timedelta(days=days)).strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Action:
    name: str
    state: str | None  # the document's state (world.BUILDERS key); None: acts on no document
    kind: str  # "post": a page's form; "page": GET a page; "listed": GET a list, look for the document;
    #            "api": GET the JSON API; "api_listed": the API's list, look for the document
    path: Callable  # (world, doc) -> the path
    data: Callable = field(default=lambda world, doc, actor: {})  # the POST's fields
    audit: frozenset = frozenset()  # "it happened": a new audit entry with one of these actions, by the actor


def _act(name: str) -> Callable:
    return lambda world, doc: f"/van-ban/{doc.pk}/{name}/"


def _other_unit(world, doc: Document):
    s = world.people.a if doc.agency_id == world.people.agency.pk else world.people.b
    return s.work_unit


def _colleague(world, doc: Document, actor) -> User:
    """Someone of the document's agency to forward to (never the actor)."""
    s = world.people.a if doc.agency_id == world.people.agency.pk else world.people.b
    return s.clerk if actor is not None and actor.pk == s.leader.pk else s.leader


def _unit_member(world, doc: Document, actor) -> dict:
    parent = world.unit_assignment(doc)
    unit_id = parent.unit_id if parent else None
    person = (User.objects.filter(unit_id=unit_id, role_assignments__role=Role.SPECIALIST).first()
              if unit_id else None)
    return {"handler": person.pk if person else "", "deadline": _date(5)}


def _extension_request(world, doc: Document, actor) -> dict:
    found = world.open_request(doc)
    return {"request": found.pk if found else 0, "approve": "1", "note": "Đồng ý"}


def _receive_data(world, doc, actor) -> dict:
    from tests import factories

    scan = SimpleUploadedFile("ban-quet.pdf", PDF, content_type="application/pdf")
    return {"issuer_name": "Bộ Nội vụ", "document_type": factories.doc_type("CV").pk, "number": "7",
            "notation": "BNV-VP", "issued_date": "02/03/2026", "urgency": "0",
            "subject": "Về việc kiểm tra công tác văn thư", "scan": scan}


def _draft_data(world, doc, actor) -> dict:
    from tests import factories

    return {"document_type": factories.doc_type("CV").pk, "urgency": "0", "subject": "Về việc báo cáo số liệu",
            "file": SimpleUploadedFile("du-thao.docx", DOCX)}


def _delegation_data(world, doc, actor) -> dict:
    """Hand one's own queue to a leader of the agency; the agency admin does it for the director."""
    w = world.people
    deputy = w.actors["deputy"] if actor is None or actor.pk != w.actors["deputy"].pk else w.actors["leader"]
    return {"principal": w.a.leader.pk, "deputy": deputy.pk, "starts_on": _date(1), "ends_on": _date(3),
            "reason": "Nghỉ phép"}


def _file(world, doc: Document) -> str:
    return f"/tep/{doc.attachments.order_by('id').first().pk}/"


def _version(world, doc: Document) -> str:
    return f"/phien-ban/{doc.versions.order_by('id').first().pk}/"


def _search(world, doc: Document) -> str:
    return f"/van-ban-den/?q={doc.number}/{doc.notation}"


def _listing(world, doc: Document) -> str:
    return f"/van-ban-den/?issuer={doc.issuer_name}"


def _api_search(world, doc: Document) -> str:
    return f"/api/documents?direction=incoming&q={doc.number}/{doc.notation}"


A = frozenset
ACTIONS = {a.name: a for a in [
    # Pages that act on no document.
    Action("home", None, "page", lambda w, d: "/"),
    Action("receive", None, "post", lambda w, d: "/van-ban-den/tiep-nhan/", _receive_data, A({"document.receive"})),
    Action("draft", None, "post", lambda w, d: "/van-ban-di/du-thao/", _draft_data, A({"document.create"})),
    Action("delegate", None, "post", lambda w, d: "/uy-quyen/", _delegation_data, A({"delegation.create"})),
    # Reading: the page, its file, the lists, the search, the API.
    Action("open", "assigned", "page", lambda w, d: f"/van-ban/{d.pk}/"),
    Action("download", "assigned", "page", _file),
    Action("list", "assigned", "listed", _listing),
    Action("search", "assigned", "listed", _search),
    Action("api_list", "assigned", "api_listed", _api_search),
    Action("api_detail", "assigned", "api", lambda w, d: f"/api/documents/{d.pk}"),
    Action("download_draft", "draft", "page", _version),
    # Incoming.
    Action("register", "received", "post", _act("register"), audit=A({"document.register"})),
    Action("return", "received", "post", _act("return"), lambda w, d, a: {"reason": "Gửi nhầm cơ quan"},
           A({"document.return"})),
    Action("submit", "registered", "post", _act("submit"), lambda w, d, a: {"note": "Kính trình"},
           A({"document.submit"})),
    Action("assign", "submitted", "post", lambda w, d: f"/van-ban/{d.pk}/phan-cong/",
           lambda w, d, a: {"main": f"u:{_other_unit(w, d).pk}", "deadline": _date(10),
                            "instructions": "Tham mưu trả lời"}, A({"document.assign"})),
    Action("reassign", "assigned", "post", lambda w, d: f"/van-ban/{d.pk}/phan-cong/", _unit_member,
           A({"document.reassign"})),
    Action("opinion", "assigned", "post", _act("opinion"), lambda w, d, a: {"text": "Đề nghị phối hợp"},
           A({"document.opinion"})),
    Action("extension", "assigned", "post", _act("extension"),
           lambda w, d, a: {"new_deadline": _date(30), "reason": "Cần thêm số liệu"}, A({"document.extension_request"})),
    Action("decide_extension", "extension", "post", _act("decide_extension"), _extension_request,
           A({"document.extension_decide"})),
    Action("transfer_back", "assigned", "post", _act("transfer_back"),
           lambda w, d, a: {"reason": "Không thuộc chức năng"}, A({"document.transfer_back"})),
    Action("complete", "assigned", "post", _act("complete"), lambda w, d, a: {"summary": "Đã xử lý xong"},
           A({"document.complete"})),
    # Soạn văn bản trả lời (issue 13): a draft of the actor's agency, linked to the incoming document.
    Action("reply", "assigned", "post", lambda w, d: f"/van-ban/{d.pk}/tra-loi/", audit=A({"document.link_reply"})),
    # Outgoing.
    Action("version", "draft", "post", _act("version"),
           lambda w, d, a: {"file": SimpleUploadedFile("du-thao-2.docx", DOCX), "note": "Sửa câu chữ"},
           A({"document.draft_version"})),
    Action("recipients", "draft", "post", _act("recipients"), lambda w, d, a: {"units": [_other_unit(w, d).pk]},
           A({"document.recipients"})),
    # Files dropped on a draft, several at once (issue 13): appendices, new versions.
    Action("upload_attach", "draft", "post", lambda w, d: f"/van-ban/{d.pk}/tai-len/attach/",
           lambda w, d, a: {"files": [SimpleUploadedFile("phu-luc.pdf", PDF), SimpleUploadedFile("bieu.pdf", PDF)]},
           A({"document.attach"})),
    Action("upload_version", "draft", "post", lambda w, d: f"/van-ban/{d.pk}/tai-len/version/",
           lambda w, d, a: {"files": [SimpleUploadedFile("du-thao-3.docx", DOCX)]}, A({"document.draft_version"})),
    Action("submit_review", "draft", "post", _act("submit_review"), lambda w, d, a: {"note": "Kính trình"},
           A({"document.submit_review"})),
    Action("approve", "in_review", "post", _act("approve"), lambda w, d, a: {"comment": "Đồng ý"},
           A({"document.review_approve", "document.approve"})),
    Action("send_back", "in_review", "post", _act("send_back"), lambda w, d, a: {"comment": "Sửa lại"},
           A({"document.send_back"})),
    Action("forward", "in_review", "post", _act("forward"),
           lambda w, d, a: {"to": _colleague(w, d, a).pk, "comment": "Nhờ xem giúp"}, A({"document.review_forward"})),
    Action("sign", "at_signer", "post", _act("approve"), lambda w, d, a: {"comment": "Ký"}, A({"document.approve"})),
    Action("issue_number", "approved", "post", _act("issue_number"), audit=A({"document.issue_number"})),
    # release, recall, replace: the page asks for a ticked confirmation (issue 12)
    Action("release", "numbered", "post", _act("release"), lambda w, d, a: {"confirm": "on"},
           A({"document.release"})),
    Action("acknowledge", "released", "post", _act("acknowledge"), audit=A({"document.acknowledge"})),
    Action("recall", "released", "post", _act("recall"), lambda w, d, a: {"reason": "Sai thẩm quyền", "confirm": "on"},
           A({"document.recall"})),
    Action("replace", "released", "post", _act("replace"), lambda w, d, a: {"reason": "Sai nội dung", "confirm": "on"},
           A({"document.replace"})),
    Action("update", "released", "post", _act("update"),
           lambda w, d, a: {"note": "Đính chính", "reason": "Sai chính tả"}, A({"document.update_released"})),
]}
