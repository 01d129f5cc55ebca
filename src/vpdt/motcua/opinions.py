"""Opinions asked of other agencies (lấy ý kiến cơ quan phối hợp) while a dossier is appraised.

The question travels as an official document of the resolving agency through the e-office's
exchange (records → exchange → hub); the other agency answers with an official document that
names it in ResponseFor (the e-office's ordinary reply). When that reply arrives, the exchange's
arrival (joint.on_package) calls `link_reply`, which finds the question through the reply's
document link and attaches the answer to the dossier's opinion and history.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.core.prepared import Read, known_rows
from vpdt.directory.models import Agency
from vpdt.motcua.models import Dossier, DossierOpinion, DossierStatus
from vpdt.motcua.services.counter import event as record_event


def ask_opinion(user, dossier: Dossier, agency: Agency, question: str) -> DossierOpinion:
    """The processing officer asks `agency` for its opinion; an official letter goes out."""
    from vpdt.motcua.joint import _actor, _release, cover_letter

    question = " ".join((question or "").split())
    if not question:
        raise InvalidInput("Hãy ghi nội dung xin ý kiến.", code="MOTCUA_EMPTY_QUESTION")
    step = dossier.current_step
    holds = bool(step and step.done_at is None and step.to_agency_id == dossier.resolving_agency_id and (
        step.to_user_id == getattr(user, "pk", None) or (step.to_unit_id and step.to_unit_id == user.unit_id)))
    if not holds or user.agency_id != dossier.resolving_agency_id:
        raise PermissionDenied("Hồ sơ không đang ở bước của bạn.", code="MOTCUA_NOT_YOUR_STEP")
    if dossier.status != DossierStatus.PROCESSING:
        raise InvalidInput("Chỉ xin ý kiến khi hồ sơ đang xử lý.", code="MOTCUA_NOT_PROCESSING")
    if agency.pk == dossier.resolving_agency_id:
        raise InvalidInput("Không xin ý kiến chính cơ quan mình.", code="SELF")
    cover = cover_letter("XIN Ý KIẾN VỀ HỒ SƠ THỦ TỤC HÀNH CHÍNH", [
        f"Kính gửi: {agency.name}", f"Hồ sơ: {dossier.code} – {dossier.procedure.name[:80]}", question[:110]],
        dossier.resolving_agency)
    # The letter carries the question only: the citizen's data stays with the resolving agency.
    document = _release(user, _actor(dossier.resolving_agency), subject=f"V/v xin ý kiến về hồ sơ {dossier.code}",
                        cover=cover, data=None, files=[], to=agency, about=dossier.code)
    with transaction.atomic():
        opinion = DossierOpinion.objects.create(dossier=dossier, asked_agency=agency, question=question[:4000],
                                                request_document=document, asked_by=user, asked_at=timezone.now())
        record_event(dossier, "opinion_ask", user, before=dossier.status, note=question, agency=dossier.resolving_agency,
                     detail={"to": agency.code, "document": document.code})
    return opinion


def _links_of(doc_id):
    from vpdt.records.models import DocumentLink

    return DocumentLink.objects.filter(document_id=doc_id).values_list("target_id", "edxml_document_id")


_LINKS = Read(_links_of, doc_id=int)  # every arriving document asks it: written out once (vpdt.core.prepared)


def link_reply(document) -> DossierOpinion | None:
    """An official document arrived: when it answers an opinion question, link it to the dossier."""
    known = known_rows(document, "response_for")  # a new arrival's links are known: not read back
    links = _LINKS.rows(doc_id=document.pk) if known is None else [(k.target_id, k.edxml_document_id) for k in known]
    targets = [t for t, _ in links if t]
    ids = [e for _, e in links if e]
    if not targets and not ids:
        return None  # most documents answer nothing: no question to look for
    opinion = (DossierOpinion.objects.filter(reply_document__isnull=True, request_document__agency=document.agency)
               .filter(Q(request_document_id__in=targets) | Q(request_document__edxml_document_id__in=ids))
               .select_related("dossier").first())
    if opinion is None:
        return None
    opinion.reply_document, opinion.answered_at = document, timezone.now()
    opinion.save(update_fields=["reply_document", "answered_at"])
    from vpdt.motcua.joint import _actor

    record_event(opinion.dossier, "opinion_reply", _actor(opinion.dossier.resolving_agency), before=opinion.dossier.status,
                 agency=opinion.dossier.resolving_agency, detail={"from": opinion.asked_agency.code,
                                                                  "document": document.pk})
    return opinion
