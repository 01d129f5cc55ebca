"""The yearly transfer to the agency archive (nộp lưu, Decree 30 điều 31-32).

The clerk prepares the transfer list (mục lục hồ sơ nộp lưu) of a year from the agency's closed
dossiers (those whose transfer is due come first; the clerk adds or removes closed dossiers),
then submits it: its dossiers become "transferring". The archivist of the same agency checks
each item, accepts it or returns it with a reason (a returned dossier goes back to closed, out of
the transfer); when every item is decided, accepting the transfer builds the signed package
(vpdt.archive.package) and the accepted dossiers become archived. Every step is audited.

`export` writes the same package for dossiers of an agency (a dossier, or a year) for an
external archive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from vpdt.archive import package
from vpdt.archive.models import (
    Dossier,
    DossierState,
    TransferItem,
    TransferItemState,
    TransferList,
    TransferState,
)
from vpdt.core import audit
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.directory.roles import Role
from vpdt.records.permissions import require_role

PREPARERS = (Role.CLERK,)
CHECKERS = (Role.ARCHIVIST,)
READERS = (Role.CLERK, Role.ARCHIVIST, Role.LEADER)
DRAFT_READERS = (Role.CLERK, Role.LEADER)  # the archive sees a list once it is sent
MAX_REASON = 2000


# --- who ------------------------------------------------------------------------------------


def _has(user, agency_id: int, roles) -> bool:
    return any(user.has_role(r, agency_id) for r in roles)


def may_prepare(user, agency_id: int) -> bool:
    return _has(user, agency_id, PREPARERS)


def may_check(user, agency_id: int) -> bool:
    return _has(user, agency_id, CHECKERS)


def may_read(user, transfer: TransferList) -> bool:
    """The agency's clerks and leaders; its archivists once the list is sent to them."""
    if transfer.state == TransferState.DRAFT:
        return _has(user, transfer.agency_id, DRAFT_READERS)
    return _has(user, transfer.agency_id, READERS)


def check_read(user, transfer: TransferList) -> None:
    if not may_read(user, transfer):
        raise PermissionDenied("Bạn không có quyền xem mục lục hồ sơ nộp lưu này.",
                               detail=f"transfer {transfer.pk}")


def agencies_of(user, roles=READERS) -> list[int]:
    return [a for a in user.member_agency_ids() if _has(user, a, roles)]


def visible_transfers(user):
    drafts_too = agencies_of(user, DRAFT_READERS)
    sent_only = agencies_of(user, CHECKERS)
    return (TransferList.objects.filter(Q(agency_id__in=drafts_too)
                                        | (Q(agency_id__in=sent_only) & ~Q(state=TransferState.DRAFT)))
            .select_related("agency", "prepared_by", "received_by"))


def get_transfer(user, pk: int) -> TransferList:
    found = TransferList.objects.select_related("agency", "package").filter(pk=pk).first()
    if found is None or not may_read(user, found):
        raise NotFound("Không tìm thấy mục lục hồ sơ nộp lưu.", detail=f"transfer {pk}")
    return found


def inbox(user):
    """The submitted transfers waiting for this archivist's agencies."""
    return visible_transfers(user).filter(agency_id__in=agencies_of(user, CHECKERS), state=TransferState.SUBMITTED)


def _trail(action: str, dossiers, transfer: TransferList, user, **detail) -> None:
    """Each dossier's own history keeps its transfer (audit.history(dossier))."""
    for d in dossiers:
        audit.record(action, d, user=user, agency_code=transfer.agency.code,
                     detail={"transfer": transfer.pk, "year": transfer.year, **detail})


# --- preparing ------------------------------------------------------------------------------


def candidates(user, agency, year: int, today: dt.date | None = None):
    """The agency's closed dossiers of `year` not in a list yet, those due (transfer_due reached)
    first, then by code. Raises PermissionDenied for anyone but the agency's clerk."""
    require_role(user, agency.pk, *PREPARERS)
    year = _year(year)
    today = today or timezone.localdate()
    in_drafts = TransferItem.objects.filter(transfer__agency=agency, transfer__state=TransferState.DRAFT)
    return (Dossier.objects.filter(agency=agency, year=year, state=DossierState.CLOSED)
            .exclude(pk__in=in_drafts.values("dossier_id"))
            .annotate(due_first=Case(When(transfer_due__lte=today, then=Value(0)), default=Value(1),
                                     output_field=IntegerField()))
            .order_by("due_first", "transfer_due", "code"))


def due_ids(user, agency, year: int, today: dt.date | None = None) -> set[int]:
    today = today or timezone.localdate()
    return set(candidates(user, agency, year, today).filter(transfer_due__lte=today).values_list("pk", flat=True))


def _ids(values) -> list[int]:
    try:
        return sorted({int(v) for v in values})
    except (TypeError, ValueError) as exc:
        raise InvalidInput("Danh sách hồ sơ không hợp lệ.", code="TRANSFER_BAD_DOSSIERS") from exc


def _closed_dossiers(transfer_agency_id: int, year: int, ids: list[int], *, own: int | None = None) -> list[Dossier]:
    found = list(Dossier.objects.select_for_update().filter(pk__in=ids).order_by("code"))
    if len(found) != len(ids):
        raise InvalidInput("Có hồ sơ không tồn tại.", code="TRANSFER_DOSSIER_UNKNOWN")
    for d in found:
        if d.agency_id != transfer_agency_id:
            raise PermissionDenied("Không được đưa hồ sơ của cơ quan khác vào mục lục nộp lưu.",
                                   detail=f"dossier {d.pk} of agency {d.agency_id}")
        if d.year != year:
            raise InvalidInput(f"Hồ sơ {d.code} thuộc năm {d.year}, không phải năm {year}.",
                               code="TRANSFER_DOSSIER_YEAR")
        if d.state != DossierState.CLOSED:
            raise InvalidState(f"Hồ sơ {d.code} chưa kết thúc hoặc đã nộp lưu: chỉ nộp lưu hồ sơ đã kết thúc.",
                               code="TRANSFER_DOSSIER_NOT_CLOSED")
    taken = TransferItem.objects.filter(dossier__in=found, transfer__state=TransferState.DRAFT).exclude(transfer_id=own)
    for item in taken.select_related("dossier"):
        raise InvalidState(f"Hồ sơ {item.dossier.code} đã ở trong một mục lục nộp lưu khác đang lập.",
                           code="TRANSFER_DOSSIER_TAKEN")
    return found


def _year(year) -> int:
    if not isinstance(year, int) or not 1900 <= year <= 9999:
        raise InvalidInput("Năm của hồ sơ không hợp lệ.", code="TRANSFER_BAD_YEAR")
    return year


def prepare(user, agency, year: int, dossier_ids, *, note: str = "") -> TransferList:
    """A new transfer list (draft) of `agency` for `year` holding the chosen closed dossiers."""
    require_role(user, agency.pk, *PREPARERS)
    year = _year(year)
    ids = _ids(dossier_ids)
    if not ids:
        raise InvalidInput("Hãy chọn ít nhất một hồ sơ đã kết thúc để nộp lưu.", code="TRANSFER_EMPTY")
    with transaction.atomic():
        dossiers = _closed_dossiers(agency.pk, year, ids)
        transfer = TransferList.objects.create(agency=agency, year=year, prepared_by=user, note=note[:MAX_REASON])
        TransferItem.objects.bulk_create(
            [TransferItem(transfer=transfer, dossier=d, order=n) for n, d in enumerate(dossiers, start=1)])
        audit.record("transfer.prepare", transfer, user=user, agency_code=agency.code,
                     detail={"year": year, "dossiers": [d.code for d in dossiers]})
    return transfer


def _locked(transfer: TransferList) -> TransferList:
    return TransferList.objects.select_for_update().select_related("agency").get(pk=transfer.pk)


def _draft(user, transfer: TransferList) -> TransferList:
    require_role(user, transfer.agency_id, *PREPARERS)
    locked = _locked(transfer)
    if locked.state != TransferState.DRAFT:
        raise InvalidState("Mục lục đã gửi lưu trữ, không sửa được nữa.", code="TRANSFER_NOT_DRAFT")
    return locked


def add_dossiers(user, transfer: TransferList, dossier_ids) -> TransferList:
    ids = _ids(dossier_ids)
    if not ids:
        raise InvalidInput("Hãy chọn hồ sơ để thêm.", code="TRANSFER_EMPTY")
    with transaction.atomic():
        locked = _draft(user, transfer)
        have = set(locked.items.values_list("dossier_id", flat=True))
        new = [i for i in ids if i not in have]
        dossiers = _closed_dossiers(locked.agency_id, locked.year, new)
        last = max(locked.items.values_list("order", flat=True), default=0)
        TransferItem.objects.bulk_create(
            [TransferItem(transfer=locked, dossier=d, order=last + n) for n, d in enumerate(dossiers, start=1)])
        audit.record("transfer.add", locked, user=user, agency_code=locked.agency.code,
                     detail={"dossiers": [d.code for d in dossiers]})
    return locked


def remove_dossier(user, transfer: TransferList, dossier_id: int) -> TransferList:
    with transaction.atomic():
        locked = _draft(user, transfer)
        item = locked.items.select_related("dossier").filter(dossier_id=dossier_id).first()
        if item is None:
            raise NotFound("Hồ sơ không có trong mục lục.", detail=f"dossier {dossier_id}")
        if locked.items.count() == 1:
            raise InvalidState("Mục lục phải còn ít nhất một hồ sơ.", code="TRANSFER_EMPTY")
        code = item.dossier.code
        item.delete()
        audit.record("transfer.remove", locked, user=user, agency_code=locked.agency.code,
                     detail={"dossier": code})
    return locked


def submit(user, transfer: TransferList) -> TransferList:
    """The clerk hands the list to the archive: its dossiers become "transferring"."""
    with transaction.atomic():
        locked = _draft(user, transfer)
        items = list(locked.items.select_related("dossier"))
        if not items:
            raise InvalidState("Mục lục chưa có hồ sơ nào.", code="TRANSFER_EMPTY")
        dossiers = _closed_dossiers(locked.agency_id, locked.year, [i.dossier_id for i in items], own=locked.pk)
        Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).update(state=DossierState.TRANSFERRING)
        locked.state = TransferState.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["state", "submitted_at"])
        audit.record("transfer.submit", locked, user=user, agency_code=locked.agency.code,
                     detail={"dossiers": [d.code for d in dossiers]})
        _trail("transfer.dossier_submitted", dossiers, locked, user)
    return locked


# --- checking (the archivist) ----------------------------------------------------------------


def _item(user, item: TransferItem) -> tuple[TransferList, TransferItem]:
    require_role(user, item.transfer.agency_id, *CHECKERS)
    locked = _locked(item.transfer)
    if locked.state != TransferState.SUBMITTED:
        raise InvalidState("Mục lục không ở trạng thái chờ lưu trữ tiếp nhận.", code="TRANSFER_NOT_SUBMITTED")
    row = TransferItem.objects.select_for_update().select_related("dossier").get(pk=item.pk)
    if row.state != TransferItemState.PENDING:
        raise InvalidState(f"Hồ sơ {row.dossier.code} đã được kiểm tra.", code="TRANSFER_ITEM_DECIDED")
    return locked, row


def accept_item(user, item: TransferItem) -> TransferItem:
    with transaction.atomic():
        locked, row = _item(user, item)
        row.state, row.checked_by, row.checked_at = TransferItemState.ACCEPTED, user, timezone.now()
        row.save(update_fields=["state", "checked_by", "checked_at"])
        audit.record("transfer.item_accept", locked, user=user, agency_code=locked.agency.code,
                     detail={"dossier": row.dossier.code})
    return row


def return_item(user, item: TransferItem, reason: str) -> TransferItem:
    """The archivist returns a dossier (with the reason): it goes back to closed, out of the
    transfer; the item stays as the record of the return."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Hãy ghi lý do trả lại hồ sơ.", code="TRANSFER_REASON_REQUIRED")
    if len(reason) > MAX_REASON:
        raise InvalidInput("Lý do trả lại quá dài.", code="TRANSFER_REASON_TOO_LONG")
    with transaction.atomic():
        locked, row = _item(user, item)
        row.state, row.reason = TransferItemState.RETURNED, reason
        row.checked_by, row.checked_at = user, timezone.now()
        row.save(update_fields=["state", "reason", "checked_by", "checked_at"])
        Dossier.objects.filter(pk=row.dossier_id, state=DossierState.TRANSFERRING).update(state=DossierState.CLOSED)
        audit.record("transfer.item_return", locked, user=user, agency_code=locked.agency.code,
                     detail={"dossier": row.dossier.code, "reason": reason})
        _trail("transfer.dossier_returned", [row.dossier], locked, user, reason=reason)
    return row


@dataclass
class Progress:
    pending: int
    accepted: int
    returned: int

    @property
    def decided(self) -> bool:
        return self.pending == 0


def progress(transfer: TransferList) -> Progress:
    states = list(transfer.items.values_list("state", flat=True))
    return Progress(pending=states.count(TransferItemState.PENDING), accepted=states.count(TransferItemState.ACCEPTED),
                    returned=states.count(TransferItemState.RETURNED))


def package_label(transfer: TransferList) -> str:
    return f"Nộp lưu năm {transfer.year}"


def accept(user, transfer: TransferList, *, pin: str | None = None) -> TransferList:
    """The archive accepts the transfer once every item is decided: the package of the accepted
    dossiers is built and signed (outside any transaction), then the dossiers become archived."""
    require_role(user, transfer.agency_id, *CHECKERS)
    transfer = TransferList.objects.select_related("agency").get(pk=transfer.pk)
    if transfer.state != TransferState.SUBMITTED:
        raise InvalidState("Mục lục không ở trạng thái chờ lưu trữ tiếp nhận.", code="TRANSFER_NOT_SUBMITTED")
    state = progress(transfer)
    if not state.decided:
        raise InvalidState(f"Còn {state.pending} hồ sơ chưa kiểm tra: hãy nhận hoặc trả lại từng hồ sơ trước.",
                           code="TRANSFER_ITEMS_PENDING")
    if not state.accepted:
        raise InvalidState("Không có hồ sơ nào được nhận: không có gì để tiếp nhận.", code="TRANSFER_NOTHING_ACCEPTED")
    accepted = list(transfer.items.filter(state=TransferItemState.ACCEPTED).select_related("dossier")
                    .order_by("order", "id"))
    dossiers = [i.dossier for i in accepted]
    built = package.build_blob(
        dossiers, agency=transfer.agency, title="Mục lục hồ sơ, tài liệu nộp lưu", year=transfer.year,
        seal=package.agency_seal(user, transfer.agency, label=package_label(transfer), pin=pin))
    with transaction.atomic():
        locked = _locked(transfer)
        if locked.state != TransferState.SUBMITTED or progress(locked) != state:
            raise InvalidState("Mục lục vừa có thay đổi trong lúc lập gói; hãy thực hiện lại.",
                               code="TRANSFER_CHANGED")
        now = timezone.now()
        Dossier.objects.filter(pk__in=[d.pk for d in dossiers], state=DossierState.TRANSFERRING).update(
            state=DossierState.ARCHIVED, archived_at=now)
        locked.state, locked.accepted_at, locked.received_by = TransferState.ACCEPTED, now, user
        locked.package, locked.package_sha256 = built.blob, built.blob.sha256
        locked.save(update_fields=["state", "accepted_at", "received_by", "package", "package_sha256"])
        audit.record("transfer.accept", locked, user=user, agency_code=locked.agency.code, detail={
            "dossiers": [d.code for d in dossiers], "package": built.blob.sha256,
            "manifest_sha256": built.manifest_sha256, "signer": built.signer})
        _trail("transfer.dossier_archived", dossiers, locked, user, package=built.blob.sha256)
    return locked


def open_package(user, transfer: TransferList):
    """(file, name) of the accepted transfer's package, for download; audited."""
    check_read(user, transfer)
    if transfer.package_id is None:
        raise NotFound("Mục lục chưa có gói nộp lưu.", detail=f"transfer {transfer.pk}")
    from vpdt.core import blobs

    audit.record("transfer.download", transfer, user=user, agency_code=transfer.agency.code)
    name = f"nop-luu-{package.safe_name(transfer.agency.code)}-{transfer.year}-{transfer.pk}.zip"
    return blobs.open_blob(transfer.package), name


# --- export (a dossier or a year, for an external archive) -----------------------------------


EXPORTABLE = (DossierState.CLOSED, DossierState.TRANSFERRING, DossierState.ARCHIVED)


def export_dossiers(agency, *, dossier_code: str | None = None, year: int | None = None):
    query = Dossier.objects.filter(agency=agency, state__in=EXPORTABLE).select_related("agency", "owner", "unit")
    if dossier_code:
        query = query.filter(code=dossier_code)
    elif year is not None:
        query = query.filter(year=year)
    else:
        raise InvalidInput("Hãy chọn một hồ sơ hoặc một năm.", code="EXPORT_SCOPE")
    return list(query.order_by("code"))


def export(user, agency, out, *, dossier_code: str | None = None, year: int | None = None,
           pin: str | None = None) -> tuple[str, str, int, list[Dossier]]:
    """The package of one dossier or of a year's closed and archived dossiers written into the
    binary file `out` (streamed). Open or destroyed dossiers are not exported."""
    require_role(user, agency.pk, Role.CLERK, Role.ARCHIVIST)  # or the system actor of the agency (the CLI)
    dossiers = export_dossiers(agency, dossier_code=dossier_code, year=year)
    if not dossiers:
        raise NotFound("Không có hồ sơ đã kết thúc nào phù hợp để xuất.", detail=f"{dossier_code or year}")
    label = f"Hồ sơ {dossier_code}" if dossier_code else f"Hồ sơ năm {year}"
    signer, manifest_sha, files = package.build(
        dossiers, agency=agency, title="Danh mục hồ sơ xuất cho lưu trữ", year=year,
        seal=package.agency_seal(user, agency, label=label, pin=pin), out=out)
    audit.record("archive.export", agency, user=user, agency_code=agency.code, detail={
        "dossiers": [d.code for d in dossiers], "manifest_sha256": manifest_sha, "signer": signer})
    return signer, manifest_sha, files, dossiers


__all__ = [
    "accept", "accept_item", "add_dossiers", "candidates", "export", "get_transfer", "inbox", "may_check",
    "may_prepare", "open_package", "prepare", "progress", "remove_dossier", "return_item", "submit",
    "visible_transfers",
]
