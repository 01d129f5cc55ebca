"""What a received package means for the receiving agency, applied inside the inbox transaction.

- new document (business type 0): an incoming Document in state "đã đến" (or the paper
  registration it matches), its files, its ResponseFor links; status 01 goes back.
- revoke (1): the agency's copy is marked recalled. update (2): the copy takes the new
  metadata and files. replace (3): the replaced copies are marked replaced, and a package
  that is itself a new document is registered like one.
- a DocumentId the agency already has is dropped (outcome duplicate).
- statuses: statuses.apply_received.

After each change the receiving agency's clerks are told (exchange.signals.package_handled,
which workflow turns into notifications: the bell and an e-mail).

Every write to records' tables goes through records.services with the agency's
interconnection as the actor (records.actors.interconnection), so the audit log names it.
"""

from __future__ import annotations

from django.utils import timezone

from vpdt import edxml
from vpdt.core import audit
from vpdt.core.prepared import Read
from vpdt.directory.models import Agency
from vpdt.exchange import mapping, outbox, reconcile, signals, statuses
from vpdt.exchange.models import InboxItem, TakeBackRequest
from vpdt.records import services as records
from vpdt.records.actors import interconnection
from vpdt.records.choices import Direction, Source, State
from vpdt.records.models import Attachment, Document

_UPDATABLE = ("subject", "content", "due_date", "urgency", "signer_name", "signer_position", "signer_competence",
              "page_count", "copies", "sphere", "steering_type")


def handle(item: InboxItem, package, agency: Agency) -> list[Document]:
    """Applies the package; returns the documents its files were attached to (a new document, the
    paper registration it reconciled with, the copies an update reached), in that order."""
    joined: list[Document] = []
    if package.kind == "status":
        statuses.apply_received(item, package, agency)
        return joined
    business = package.business_type
    if business == edxml.BUSINESS_REVOKE:
        _revoke(item, package, agency)
    elif business == edxml.BUSINESS_UPDATE:
        _update(item, package, agency, joined)
    elif business == edxml.BUSINESS_REPLACE:
        _replace(item, package, agency, joined)
    else:
        _new_document(item, package, agency, joined)
    return joined


def _copies(agency: Agency, document_ids: list[str], from_code: str):
    return Document.objects.filter(agency=agency, direction=Direction.INCOMING, edxml_document_id__in=document_ids,
                                   issuer_code__in=Agency.aliases(from_code)).exclude(
        state__in=[State.RECALLED, State.REPLACED])


# Every received package makes these reads: written out once (vpdt.core.prepared).
_FILES = Read(lambda doc_id: Attachment.objects.filter(document_id=doc_id).order_by().values_list("blob_id"), doc_id=int)
_RECEIVED = Read(lambda agency_id, document_id, issuer: Document.objects.filter(
    agency_id=agency_id, direction=Direction.INCOMING, edxml_document_id=document_id, issuer_code=issuer)
    .exclude(state=State.RETURNED).order_by("id")[:1], agency_id=int, document_id=str, issuer=str)


def _attach(document: Document, package: edxml.DocumentPackage, joined: list[Document], *, new: bool = False) -> int:
    """The package's stored files attached to `document`, those it has already left out; the
    document added to `joined` when one was. `new`: the document was made by this package just
    now (it has no file yet: nothing to read)."""
    count = 0
    existing = set() if new else {row[0] for row in _FILES.rows(doc_id=document.pk)}
    for i, att in enumerate(package.attachments):
        if not att.stored:
            continue
        blob, name, content_type = att.stored
        if blob.pk in existing:
            continue
        records.attach_stored(
            interconnection(document.agency), document, blob, name, content_type=content_type,
            kind=Attachment.Kind.MAIN if i == 0 and not existing else Attachment.Kind.APPENDIX,
            description=att.description or "", detail={"source": "electronic"},
            untrusted=True)  # another agency's file: judged by its bytes, kept flagged if refused
        existing.add(blob.pk)
        count += 1
    if count:
        joined.append(document)
    return count


def _new_document(item: InboxItem, package: edxml.DocumentPackage, agency: Agency,
                  joined: list[Document]) -> Document | None:
    fields = mapping.incoming_fields(package.header)
    from_code = fields["issuer_code"]
    duplicate = _RECEIVED.instance(agency_id=agency.pk, document_id=fields["edxml_document_id"], issuer=from_code)
    if duplicate is not None:
        item.outcome, item.document = InboxItem.DUPLICATE, duplicate
        item.detail = f"DocumentId {fields['edxml_document_id']!r} already received as document {duplicate.pk}"
        audit.record("exchange.duplicate_dropped", duplicate, user=interconnection(agency),
                     detail={"hub_doc_id": item.hub_doc_id, "edxml_document_id": fields["edxml_document_id"]})
        return None
    paper = reconcile.paper_match(agency, fields)
    if paper is not None:
        reconcile.link(paper, package, fields)
        _attach(paper, package, joined)
        item.document, item.detail = paper, "reconciled with a paper registration"
        outbox.queue_status(paper, statuses.RECEIVED, None, description="Đã nhận bản điện tử")
        later = statuses.status_for_state(paper.state)
        if later and later != statuses.REJECTED:
            outbox.queue_status(paper, later, None, description="Văn bản đã được xử lý từ bản giấy")
        signals.announce(item, agency, signals.RECONCILED, [paper])
        return paper
    document = records.receive_incoming(
        interconnection(agency), agency, fields, source=Source.ELECTRONIC,
        links=mapping.response_links(package.header),
        detail={"hub_doc_id": item.hub_doc_id, "edxml_document_id": fields["edxml_document_id"],
                "signature": {"present": package.signature.present, "valid": package.signature.valid}})
    _attach(document, package, joined, new=True)
    item.document = document
    outbox.queue_status(document, statuses.RECEIVED, None, description="Đã đến")
    signals.announce(item, agency, signals.ARRIVED, [document])
    return document


def _targets(package: edxml.DocumentPackage) -> list[str]:
    ids = [package.document_id]
    if package.business and package.business.document_id:
        ids.append(package.business.document_id)
    ids += [rf.document_id for rf in package.header.response_for if rf.document_id]
    return list(dict.fromkeys(i for i in ids if i))


def _revoke(item: InboxItem, package: edxml.DocumentPackage, agency: Agency) -> None:
    reason = (package.business.reason if package.business else "") or ""
    copies = list(_copies(agency, _targets(package), package.from_.organ_id))
    if not copies:
        item.outcome, item.detail = InboxItem.UNMATCHED, "revoke of a document this agency does not have"
        return
    for copy in copies:
        records.set_state(copy, State.RECALLED, interconnection(agency), "exchange.revoked", {"reason": reason, "from": package.from_.organ_id})
        TakeBackRequest.objects.filter(document=copy, answer="").update(answer=statuses.AGREED,
                                                                          answered_at=timezone.now())
    item.document = copies[0]
    signals.announce(item, agency, signals.RECALLED, copies, reason)


def _update(item: InboxItem, package: edxml.DocumentPackage, agency: Agency, joined: list[Document]) -> None:
    copies = list(_copies(agency, _targets(package), package.from_.organ_id))
    if not copies:
        item.outcome, item.detail = InboxItem.UNMATCHED, "update of a document this agency does not have"
        return
    fields = mapping.incoming_fields(package.header)
    info = package.business.document_info.document_info if package.business and package.business.document_info \
        else None
    for copy in copies:
        changes = {name: fields[name] for name in _UPDATABLE
                   if fields.get(name) not in (None, "") and getattr(copy, name) != fields[name]}
        added = _attach(copy, package, joined)
        records.update_metadata(interconnection(agency), copy, changes, action="exchange.updated",
                                detail={"from": package.from_.organ_id, "info": info or "", "attachments_added": added})
    item.document = copies[0]
    signals.announce(item, agency, signals.UPDATED, copies, str(info or ""))


def _replace(item: InboxItem, package: edxml.DocumentPackage, agency: Agency, joined: list[Document]) -> None:
    replaced = (package.business.replaced if package.business else []) or [package.document_id]
    from_code = package.from_.organ_id
    copies = list(_copies(agency, replaced, from_code))
    for copy in copies:
        records.set_state(copy, State.REPLACED, interconnection(agency), "exchange.replaced",
                  {"from": from_code, "by": package.document_id,
                   "reason": (package.business.reason if package.business else "") or ""})
    signals.announce(item, agency, signals.REPLACED, copies, (package.business.reason if package.business else "") or "")
    if package.document_id not in replaced:
        _new_document(item, package, agency, joined)  # the replacement itself
    elif copies:
        item.document = copies[0]
    else:
        item.outcome, item.detail = InboxItem.UNMATCHED, "replacement of a document this agency does not have"
