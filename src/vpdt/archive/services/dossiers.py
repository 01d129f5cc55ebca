"""Dossiers as work happens: open one, file documents in it (a link, never a copy), order them,
close it with its closing note; who sees a dossier and who may file into it; which open
dossier a document most likely belongs to.

Rules (Decree 30/2020, điều 28-30; Luật Lưu trữ 2024, nộp lưu within one year):
- a dossier's code is `<agency code>.<year>.<notation>`, unique;
- one document may sit in several dossiers: DossierItem links it, the document is not copied;
- a closed dossier no longer changes (DOSSIER_CLOSED): no document added or removed, no new
  order, no second closing, and it is never reopened;
- closing writes the closing note: start and end dates (by default the dates of the first and
  last document), sheets and pages (pages counted from the documents' PDF files when not given),
  chú giải; the dossier is due at the agency archive one year after its end date;
- visibility: an agency sees only its own dossiers; its clerks and leaders see all of them;
  anyone else sees the dossiers they own, their unit's, and those holding a document they may
  see (records.permissions); inside a dossier a person is shown only the documents they may see;
- filing: an agency member who may see the document, into an open dossier that is theirs, their
  unit's, or any of the agency's when they are its clerk.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from vpdt.archive.models import Dossier, DossierItem, DossierState
from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.core.prepared import Read
from vpdt.core.text import fold
from vpdt.directory.roles import Role
from vpdt.records.choices import Secrecy, State
from vpdt.records.models import Document, DocumentLink
from vpdt.records.permissions import can_view, visible_documents

# The states in which the person responsible is offered a dossier for the document.
FILING_STATES = (State.COMPLETED, State.RELEASED, State.REGISTERED)
NOTATION = re.compile(r"^[0-9A-Za-zĐđ][0-9A-Za-zĐđ.\-_/]{0,39}$")
MAX_TITLE = 500


# --------------------------------------------------------------------------- visibility
def _wide_agencies(user) -> set[int]:
    """Agencies where `user` is a clerk or a leader: they see all of the agency's dossiers."""
    return set(user.agencies_with_wide_view()) & user.member_agency_ids()


# The states in which a dossier is in the archive's hands: its archive officer sees it whole.
ARCHIVE_STATES = (DossierState.TRANSFERRING, DossierState.ARCHIVED, DossierState.DESTROYED)


def _archive_agencies(user) -> set[int]:
    """Agencies where `user` is the archive officer."""
    return {a for a in user.member_agency_ids() if user.has_role(Role.ARCHIVIST, a)}


def _held_by_archive(user, dossier: Dossier) -> bool:
    return dossier.state in ARCHIVE_STATES and dossier.agency_id in _archive_agencies(user)


def dossiers_visible_to(user, base: QuerySet | None = None) -> QuerySet:
    """Every dossier `user` may see, as a queryset to filter further."""
    qs = base if base is not None else Dossier.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    members = user.member_agency_ids()
    if not members:
        return qs.none()
    wide = _wide_agencies(user)
    narrow = members - wide
    condition = Q(agency_id__in=wide)
    if narrow:
        reach = Q(owner_id=user.pk) | Q(pk__in=DossierItem.objects.filter(
            document__in=visible_documents(user)).values("dossier_id"))
        if user.unit_id:
            reach |= Q(unit_id=user.unit_id)
        condition |= Q(agency_id__in=narrow) & reach
    archive = _archive_agencies(user)
    if archive:  # the archive officer checks what is handed over and keeps what was accepted
        condition |= Q(agency_id__in=archive, state__in=ARCHIVE_STATES)
    return qs.filter(condition)


def can_view_dossier(user, dossier: Dossier) -> bool:
    return dossiers_visible_to(user, Dossier.objects.filter(pk=dossier.pk)).exists()


def get_visible_dossier(user, pk: int) -> Dossier:
    """The dossier for `user`: NotFound for another agency's, PermissionDenied within the agency."""
    dossier = Dossier.objects.select_related("agency", "unit", "owner", "plan_entry").filter(pk=pk).first()
    if dossier is None or dossier.agency_id not in user.member_agency_ids():
        raise NotFound("Không tìm thấy hồ sơ.", detail=f"dossier {pk} not found for this caller")
    if not can_view_dossier(user, dossier):
        raise PermissionDenied("Bạn không có quyền xem hồ sơ này.", detail=f"dossier {pk}")
    return dossier


def _listed(user, dossier: Dossier):
    """The documents of the dossier `user` may see listed: those they may see; for the archive
    officer of a dossier in the archive's hands, all but the secret ones."""
    if _held_by_archive(user, dossier):
        return Document.objects.filter(Q(secrecy=Secrecy.NONE) | Q(pk__in=visible_documents(user).values("pk")))
    return visible_documents(user)


def documents_in(user, dossier: Dossier) -> list[Document]:
    """The documents of the dossier that `user` may see, in the dossier's order."""
    items = (DossierItem.objects.filter(dossier=dossier, document__in=_listed(user, dossier))
             .select_related("document", "document__document_type", "added_by").order_by("order", "id"))
    documents = []
    for item in items:
        item.document.item = item
        documents.append(item.document)
    return documents


def hidden_count(user, dossier: Dossier) -> int:
    """How many documents of the dossier `user` may not see (the page says so, without naming them)."""
    return dossier.items.exclude(document__in=_listed(user, dossier)).count()


# --------------------------------------------------------------------------- who may do what
def _is_clerk(user, agency_id: int) -> bool:
    return user.has_role(Role.CLERK, agency_id)


def may_manage(user, dossier: Dossier) -> bool:
    """Theirs, their unit's, or the agency's clerk (file into it, order it, close it)."""
    if dossier.agency_id not in user.member_agency_ids():
        return False
    return (dossier.owner_id == user.pk or (dossier.unit_id is not None and dossier.unit_id == user.unit_id)
            or _is_clerk(user, dossier.agency_id))


def fileable_dossiers(user, agency_id: int) -> QuerySet:
    """The open dossiers of the agency `user` may file into."""
    if agency_id not in user.member_agency_ids():
        return Dossier.objects.none()
    return _fileable(agency_id, **_fileable_whose(user, agency_id))


def _fileable_whose(user, agency_id: int) -> dict:
    """Whose open dossiers `user` files into: the agency's ({} for its clerk), their own, and their unit's."""
    if _is_clerk(user, agency_id):
        return {}
    return {"owner_id": user.pk, **({"unit_id": user.unit_id} if user.unit_id else {})}


def _fileable(agency_id: int, owner_id: int | None = None, unit_id: int | None = None) -> QuerySet:
    qs = Dossier.objects.filter(agency_id=agency_id, state=DossierState.OPEN)
    if owner_id is None:
        return qs
    mine = Q(owner_id=owner_id)
    if unit_id is not None:
        mine |= Q(unit_id=unit_id)
    return qs.filter(mine)


def _fileable_page_read(*whose: str) -> Read:
    return Read(lambda agency_id, doc_id, **ids: _fileable(agency_id, **ids).exclude(items__document_id=doc_id)
                .order_by("-year", "code")[:100], agency_id=int, doc_id=int, **dict.fromkeys(whose, int))


# The "Lưu hồ sơ" box of every document page: one prepared read per shape of _fileable_whose.
_FILEABLE_PAGE = {frozenset(whose): _fileable_page_read(*whose) for whose in ((), ("owner_id",), ("owner_id", "unit_id"))}


def fileable_for_page(user, document: Document) -> list[Dossier]:
    """The newest 100 open dossiers `user` may file `document` into and it is not in yet."""
    if document.agency_id not in user.member_agency_ids():
        return []
    whose = _fileable_whose(user, document.agency_id)
    return _FILEABLE_PAGE[frozenset(whose)].instances(agency_id=document.agency_id, doc_id=document.pk, **whose)


def _require_open(dossier: Dossier) -> None:
    if dossier.state != DossierState.OPEN:
        raise InvalidState("Hồ sơ đã kết thúc, không còn thay đổi.", code="DOSSIER_CLOSED",
                           detail=f"dossier {dossier.pk} is {dossier.state}")


def _require_manager(user, dossier: Dossier) -> None:
    if dossier.agency_id not in user.member_agency_ids():
        raise NotFound("Không tìm thấy hồ sơ.", detail=f"dossier {dossier.pk} not found for this caller")
    if not may_manage(user, dossier):
        raise PermissionDenied("Chỉ người lập hồ sơ, đơn vị lập hồ sơ hoặc văn thư được thay đổi hồ sơ này.",
                               code="DOSSIER_NOT_YOURS", detail=f"dossier {dossier.pk}")


def _locked(dossier: Dossier) -> Dossier:
    """The dossier's row, locked until the transaction ends, with its current state."""
    return Dossier.objects.select_for_update().select_related("agency").get(pk=dossier.pk)


def _detail(document: Document) -> dict:
    return {"document": document.pk, "code": document.code, "subject": document.subject[:200]}


# --------------------------------------------------------------------------- create
def dossier_code(agency, year: int, notation: str) -> str:
    return f"{agency.code}.{year}.{notation}"


def create_dossier(user, *, title: str, year: int, notation: str, retention_years: int | None = None,
                   unit=None, plan_entry=None) -> Dossier:
    """Open a dossier ad hoc (or from a file plan entry), owned by `user`, in their agency."""
    agency = user.agency
    if agency is None or agency.pk not in user.member_agency_ids():
        raise PermissionDenied("Tài khoản chưa thuộc cơ quan nào.", code="NO_AGENCY")
    title = (title or "").strip()
    notation = (notation or "").strip()
    if not title:
        raise InvalidInput("Nhập tiêu đề hồ sơ.", code="DOSSIER_TITLE_REQUIRED")
    if len(title) > MAX_TITLE:
        raise InvalidInput("Tiêu đề hồ sơ dài quá 500 ký tự.", code="DOSSIER_TITLE_REQUIRED")
    if not NOTATION.match(notation):
        raise InvalidInput("Ký hiệu hồ sơ gồm chữ, số và các dấu . - _ /, không có khoảng trắng, ví dụ 01.TH.",
                           code="DOSSIER_NOTATION_INVALID")
    if not 1900 <= int(year) <= 9999:
        raise InvalidInput("Năm của hồ sơ không hợp lệ.", code="DOSSIER_YEAR_INVALID")
    if retention_years is not None and not 1 <= int(retention_years) <= 100:
        raise InvalidInput("Thời hạn bảo quản từ 1 đến 100 năm, hoặc để trống nếu vĩnh viễn.",
                           code="DOSSIER_RETENTION_INVALID")
    if unit is not None and unit.agency_id != agency.pk:
        raise InvalidInput("Đơn vị không thuộc cơ quan của bạn.", code="DOSSIER_UNIT_INVALID")
    if plan_entry is not None and plan_entry.plan.agency_id != agency.pk:
        raise InvalidInput("Dòng danh mục không thuộc cơ quan của bạn.", code="DOSSIER_PLAN_INVALID")
    code = dossier_code(agency, int(year), notation)
    taken = InvalidInput(f"Mã hồ sơ {code} đã có: chọn ký hiệu khác.", code="DOSSIER_CODE_TAKEN")
    if Dossier.objects.filter(code=code).exists():
        raise taken
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                agency=agency, code=code, title=title, year=int(year), unit=unit or user.unit, owner=user,
                retention_years=retention_years, plan_entry=plan_entry)
            audit.record("dossier.create", dossier, user=user, agency_code=agency.code,
                         detail={"code": code, "title": title})
    except IntegrityError:  # the same code, created at the same moment by someone else
        raise taken from None
    return dossier


# --------------------------------------------------------------------------- filing
def add_document(user, dossier: Dossier, document: Document) -> DossierItem:
    """File `document` in `dossier` (a link, never a copy); filing it twice changes nothing."""
    with transaction.atomic():
        dossier = _locked(dossier)
        _require_manager(user, dossier)
        _require_open(dossier)
        if document.agency_id != dossier.agency_id or not can_view(user, document):
            raise PermissionDenied("Không thể đưa văn bản này vào hồ sơ: bạn không xem được văn bản.",
                                   code="DOSSIER_DOCUMENT_NOT_VISIBLE", detail=f"document {document.pk}")
        found = DossierItem.objects.filter(dossier=dossier, document=document).first()
        if found is not None:
            return found
        order = (dossier.items.aggregate(m=Max("order"))["m"] or 0) + 1
        item = DossierItem.objects.create(dossier=dossier, document=document, order=order, added_by=user)
        audit.record("dossier.add_document", dossier, user=user, agency_code=dossier.agency.code,
                     detail=_detail(document))
    return item


def remove_document(user, dossier: Dossier, document: Document) -> None:
    """Take a document out of an open dossier (the document itself stays where it is)."""
    with transaction.atomic():
        dossier = _locked(dossier)
        _require_manager(user, dossier)
        _require_open(dossier)
        if not can_view(user, document):
            raise PermissionDenied("Bạn không xem được văn bản này.", code="DOSSIER_DOCUMENT_NOT_VISIBLE")
        deleted, _ = DossierItem.objects.filter(dossier=dossier, document=document).delete()
        if not deleted:
            raise InvalidInput("Văn bản không có trong hồ sơ.", code="DOSSIER_DOCUMENT_ABSENT")
        audit.record("dossier.remove_document", dossier, user=user, agency_code=dossier.agency.code,
                     detail=_detail(document))


def reorder(user, dossier: Dossier, document_ids: list[int]) -> None:
    """Put the dossier's documents in the given order (every document of the dossier, once)."""
    with transaction.atomic():
        dossier = _locked(dossier)
        _require_manager(user, dossier)
        _require_open(dossier)
        items = {i.document_id: i for i in dossier.items.all()}
        if sorted(document_ids) != sorted(items) or len(set(document_ids)) != len(document_ids):
            raise InvalidInput("Thứ tự phải gồm đúng các văn bản trong hồ sơ, mỗi văn bản một lần.",
                               code="DOSSIER_ORDER_INVALID")
        changed = []
        for position, document_id in enumerate(document_ids, start=1):
            item = items[document_id]
            if item.order != position:
                item.order = position
                changed.append(item)
        if not changed:
            return
        DossierItem.objects.bulk_update(changed, ["order"])
        audit.record("dossier.reorder", dossier, user=user, agency_code=dossier.agency.code,
                     detail={"order": document_ids})


def move(user, dossier: Dossier, document: Document, step: int) -> None:
    """Move one document up (step -1) or down (+1) in the dossier's order."""
    ids = list(dossier.items.order_by("order", "id").values_list("document_id", flat=True))
    if document.pk not in ids:
        raise InvalidInput("Văn bản không có trong hồ sơ.", code="DOSSIER_DOCUMENT_ABSENT")
    at = ids.index(document.pk)
    to = max(0, min(len(ids) - 1, at + step))
    ids.insert(to, ids.pop(at))
    reorder(user, dossier, ids)


# --------------------------------------------------------------------------- closing
def document_date(document: Document) -> dt.date:
    """The date a document stands for in a dossier: issued, else received, else created."""
    if document.issued_date:
        return document.issued_date
    when = document.received_at or document.created_at
    return timezone.localdate(when) if timezone.is_aware(when) else when.date()


def _pdf_pages(blob) -> int | None:
    """Pages of a stored PDF, read with pypdf from the stream (its cross-reference table and page
    tree only); None when it cannot be read."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        with blobs.open_blob(blob) as stream:
            return len(PdfReader(stream).pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError):
        return None


def count_pages(dossier: Dossier) -> int:
    """The pages of the dossier's documents: their PDF files (not flagged), else the page count
    recorded on the document."""
    from vpdt.records.models import Attachment

    total = 0
    for document in Document.objects.filter(dossier_items__dossier=dossier).distinct():
        pages = 0
        for attachment in Attachment.objects.filter(document=document, file_kind="pdf", flag="").select_related("blob"):
            pages += _pdf_pages(attachment.blob) or 0
        total += pages or (document.page_count or 0)
    return total


def transfer_due_for(end: dt.date) -> dt.date:
    """One year after the end of the work (Luật Lưu trữ: nộp lưu within one year)."""
    try:
        return end.replace(year=end.year + 1)
    except ValueError:  # 29/02
        return end.replace(year=end.year + 1, day=28)


def closing_defaults(dossier: Dossier) -> dict:
    """What the closing form proposes: the dates of the first and last document, the pages."""
    dates = [document_date(d) for d in Document.objects.filter(dossier_items__dossier=dossier).distinct()]
    return {"start_date": min(dates) if dates else None, "end_date": max(dates) if dates else None,
            "pages": count_pages(dossier) if dates else None}


def close_dossier(user, dossier: Dossier, *, start_date: dt.date | None = None, end_date: dt.date | None = None,
                  sheets: int | None = None, pages: int | None = None, note: str = "") -> Dossier:
    """Close the dossier with its closing note; from then on it no longer changes."""
    if pages is None:  # reading the PDFs is slow work: before the transaction, not under its lock
        pages = count_pages(dossier)
    with transaction.atomic():
        dossier = _locked(dossier)
        _require_manager(user, dossier)
        _require_open(dossier)
        if not dossier.items.exists():
            raise InvalidState("Hồ sơ chưa có văn bản nào, không thể kết thúc.", code="DOSSIER_EMPTY")
        dates = [document_date(d) for d in Document.objects.filter(dossier_items__dossier=dossier).distinct()]
        start_date = start_date or min(dates)
        end_date = end_date or max(dates)
        if start_date > end_date:
            raise InvalidInput("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.", code="DOSSIER_DATES_INVALID")
        if end_date > timezone.localdate():
            raise InvalidInput("Ngày kết thúc không được sau hôm nay.", code="DOSSIER_END_IN_FUTURE")
        for value in (sheets, pages):
            if value is not None and value < 0:
                raise InvalidInput("Số tờ, số trang phải là số không âm.", code="DOSSIER_COUNT_INVALID")
        dossier.start_date, dossier.end_date = start_date, end_date
        dossier.sheets, dossier.pages = sheets, pages
        dossier.closing_note = (note or "").strip()
        dossier.state = DossierState.CLOSED
        dossier.closed_by, dossier.closed_at = user, timezone.now()
        dossier.transfer_due = transfer_due_for(end_date)
        dossier.save(update_fields=["start_date", "end_date", "sheets", "pages", "closing_note", "state",
                                    "closed_by", "closed_at", "transfer_due"])
        audit.record("dossier.close", dossier, user=user, agency_code=dossier.agency.code, detail={
            "start_date": start_date.isoformat(), "end_date": end_date.isoformat(), "sheets": sheets,
            "pages": pages, "note": dossier.closing_note, "transfer_due": dossier.transfer_due.isoformat()})
    return dossier


# --------------------------------------------------------------------------- suggestions
# Words that say nothing about a subject ("Về việc ... của các ... năm"), as written; compared
# with diacritics ("từ" is a stop-word, "tử" in "điện tử" is not), folded only for a subject typed
# without them.
STOP_WORDS = frozenset(unicodedata.normalize("NFC", w) for w in """
về việc v/v của các cho và với trong tại theo đến từ trên dưới đối những được là có không một này đó khi để
năm tháng ngày quý số đợt lần giai đoạn ban hành thực hiện triển khai tổ chức đề nghị báo cáo công văn
tỉnh huyện xã thị phường cơ quan đơn vị nhà nước hồ sơ ubnd sở phòng văn bản
""".split())
_STOP_FOLDED = frozenset(fold(w) for w in STOP_WORDS)


def _is_stop(word: str, key: str) -> bool:
    lower = unicodedata.normalize("NFC", word.lower())
    return lower in STOP_WORDS or (lower == key and key in _STOP_FOLDED)


def _keywords(text: str) -> dict[str, str]:
    """{folded keyword: the keyword as written}. Vietnamese words are mostly two syllables
    ("hạ tầng", "chữ ký"): a keyword is a pair of neighbouring syllables, neither a stop-word nor
    a number; a syllable standing alone between stop-words counts by itself."""
    found: dict[str, str] = {}
    run: list[tuple[str, str]] = []

    def flush():
        if len(run) == 1:
            found.setdefault(run[0][0], run[0][1])
        for (k1, w1), (k2, w2) in pairwise(run):
            found.setdefault(f"{k1} {k2}", f"{w1} {w2}")
        run.clear()

    for word in re.findall(r"\w+|[^\w\s]", text or ""):
        key = fold(word)
        if not key.isalnum() or len(key) < 2 or key.isdigit() or _is_stop(word, key):
            flush()
        else:
            run.append((key, word.lower()))
    flush()
    return found


def _plain(folded: str) -> str:
    """A folded text as its words separated by single spaces (punctuation dropped)."""
    return " ".join(re.findall(r"[0-9a-z]+", folded or ""))


def _phrases(shown: list[str], indexes: list[int]) -> list[str]:
    """Shared keywords as a person reads them: neighbouring pairs of one run joined back into
    their phrase ("chuyển đổi" + "đổi hạ" + "hạ tầng" → "chuyển đổi hạ tầng")."""
    phrases: list[str] = []
    last = None
    for i in indexes:
        words = shown[i].split(" ")
        if phrases and last == i - 1 and len(words) == 2 and phrases[-1].endswith(" " + words[0]):
            phrases[-1] += " " + words[1]
        else:
            phrases.append(shown[i])
        last = i
    return phrases


def response_chain(document: Document, *, depth: int = 4) -> set[int]:
    """The documents of the same response chain (ResponseFor both ways, and the internal origin),
    in the document's agency, without the document itself."""
    seen = {document.pk}
    frontier = {document.pk}
    for _ in range(depth):
        if not frontier:
            break
        links = DocumentLink.objects.filter(Q(document_id__in=frontier) | Q(target_id__in=frontier),
                                            target__isnull=False).values_list("document_id", "target_id")
        found = {x for pair in links for x in pair}
        found |= set(Document.objects.filter(pk__in=frontier, origin__isnull=False).values_list("origin_id", flat=True))
        found |= set(Document.objects.filter(origin_id__in=frontier).values_list("pk", flat=True))
        frontier = found - seen
        seen |= found
    seen.discard(document.pk)
    return set(Document.objects.filter(pk__in=seen, agency_id=document.agency_id).values_list("pk", flat=True))


@dataclass
class Suggestion:
    dossier: Dossier
    score: int
    reason: str


CHAIN_SCORE, WORD_SCORE, PLAN_SCORE = 100, 10, 5
# Bounds of one suggestion (it runs when a document's page opens): the newest open dossiers the
# person may file into, and the subjects read from them.
MAX_CANDIDATES, MAX_SUBJECTS = 300, 2000


def filing_candidates(user, document: Document) -> list[Dossier]:
    """The open dossiers `user` may file `document` into and it is not in yet: the newest
    MAX_CANDIDATES, with their file plan entries."""
    return list(fileable_dossiers(user, document.agency_id).exclude(items__document=document)
                .select_related("plan_entry").order_by("-year", "-id")[:MAX_CANDIDATES])


def suggest_dossiers(user, document: Document, limit: int = 3, *,
                     candidates: list[Dossier] | None = None) -> list[Suggestion]:
    """The open dossiers `user` may file `document` into, most likely first, each with why:
    documents of the same response chain already in it, shared subject words, the file plan
    entry of the person's unit or of the person. `candidates`: `filing_candidates` already
    read by a caller that has checked the person may see the document (its page)."""
    if candidates is None:
        if not can_view(user, document):
            return []
        candidates = filing_candidates(user, document)
    candidates = {d.pk: d for d in candidates}
    if not candidates:
        return []
    scores = dict.fromkeys(candidates, 0)
    reasons: dict[int, list[str]] = {pk: [] for pk in candidates}

    chain = response_chain(document)
    if chain:
        visible = visible_documents(user).filter(pk__in=chain)
        rows = (DossierItem.objects.filter(dossier_id__in=candidates, document__in=visible)
                .select_related("document").order_by("order", "id"))
        named: dict[int, list[str]] = {}
        for item in rows:
            names = named.setdefault(item.dossier_id, [])
            names.append(item.document.code or item.document.subject[:60])
        for pk, names in named.items():
            scores[pk] += CHAIN_SCORE * len(names)
            reasons[pk].append(gettext("Cùng luồng văn bản với %(documents)s") % {"documents": ", ".join(names[:2])})

    keywords = _keywords(document.subject)
    if keywords:
        # The dossier's words: its title and its documents' folded subjects, as " word word ... ".
        texts: dict[int, list[str]] = {pk: [_plain(fold(d.title))] for pk, d in candidates.items()}
        rows = (DossierItem.objects.filter(dossier_id__in=candidates, document__in=visible_documents(user))
                .values_list("dossier_id", "document__subject_folded")[:MAX_SUBJECTS])
        for dossier_id, folded in rows:
            texts[dossier_id].append(_plain(folded))
        for pk, parts in texts.items():
            padded = " " + " | ".join(parts) + " "
            shared = [i for i, key in enumerate(keywords) if f" {key} " in padded]
            if shared:
                scores[pk] += WORD_SCORE * len(shared)
                words = ", ".join(_phrases(list(keywords.values()), shared)[:5])
                reasons[pk].append(gettext("Trùng từ khóa: %(words)s") % {"words": words})

    for pk, dossier in candidates.items():
        entry = dossier.plan_entry
        if entry is None:
            continue
        if (user.unit_id and entry.unit_id == user.unit_id) or entry.owner_id == user.pk:
            scores[pk] += PLAN_SCORE
            reasons[pk].append(gettext("Theo danh mục hồ sơ: %(entry)s") % {"entry": f"{entry.notation} – {entry.title}"})

    ranked = sorted((pk for pk in candidates if scores[pk] > 0),
                    key=lambda pk: (-scores[pk], -candidates[pk].year, candidates[pk].code))
    return [Suggestion(candidates[pk], scores[pk], "; ".join(reasons[pk])) for pk in ranked[:limit]]


_HOLDING = Read(lambda doc_id: DossierItem.objects.filter(document_id=doc_id).values_list("dossier_id"),
                doc_id=int)  # asked by every document page (vpdt.core.prepared)


def dossiers_of(user, document: Document) -> list[Dossier]:
    """The dossiers the document sits in that `user` may see.

    The dossiers holding it are asked first (one index lookup): most documents on whose page
    this is asked sit in none, and then the visibility rule (for a specialist, a subquery over
    the documents they may see: 8 % of a document page's CPU to build) is not built at all."""
    holding = [row[0] for row in _HOLDING.rows(doc_id=document.pk)]
    if not holding:
        return []
    return list(dossiers_visible_to(user, Dossier.objects.filter(pk__in=holding))
                .select_related("agency").order_by("-year", "code"))


def may_file(user, document: Document) -> bool:
    """Whether `user` may file the document somewhere now (sees it, has an open dossier to file into)."""
    return can_view(user, document) and fileable_dossiers(user, document.agency_id).exists()
