"""Actions on several documents of a list at once: direct them, complete "để biết", mark read.

Each document goes through the same service as on its own page, in its own transaction, and
is audited there: a refusal for one document names it and changes nothing for it, the others
go ahead. The caller shows one line per outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from vpdt.core import audit
from vpdt.core.errors import InvalidState, VpdtError
from vpdt.records.choices import Direction
from vpdt.records.models import Document
from vpdt.workflow.models import Assignment
from vpdt.workflow.services.common import HANDLING_STATES, _label, _lock, _need, _state
from vpdt.workflow.services.incoming import assign, my_assignment

MAX_DOCUMENTS = 100


@dataclass
class Outcome:
    document: Document
    ok: bool
    message: str = ""
    code: str = ""

    @property
    def label(self) -> str:
        return _label(self.document)


def _each(documents: Iterable[Document], action) -> list[Outcome]:
    out = []
    for document in list(documents)[:MAX_DOCUMENTS]:
        try:
            action(document)
        except VpdtError as exc:
            out.append(Outcome(document, False, exc.message, exc.code))
        else:
            out.append(Outcome(document, True))
    return out


def assign_many(user, documents: Iterable[Document], **direction) -> list[Outcome]:
    """The leader's direction (workflow.services.assign's arguments) applied to each document."""
    return _each(documents, lambda document: assign(user, document, **direction))


# --- "để biết": the person (or the unit's head) says they have taken note ---------------------


def check_finish_info(user, document: Document) -> Assignment:
    if document.direction != Direction.INCOMING:
        raise InvalidState("Chỉ văn bản đến được giao để biết.", code="NOT_INCOMING")
    _state(document, HANDLING_STATES, "Văn bản không trong quá trình xử lý.")
    mine = my_assignment(user, document, roles=(Assignment.Role.INFO,))
    _need(mine is not None, "Văn bản không được giao cho bạn để biết.")
    return mine


def finish_info(user, document: Document) -> Assignment:
    """Closes the open "để biết" assignment of `user` (or of their unit, as its head): Đã xong."""
    with transaction.atomic():
        locked = _lock(document)
        mine = check_finish_info(user, locked)
        mine.state, mine.done_at = Assignment.State.DONE, timezone.now()
        mine.save(update_fields=["state", "done_at"])
        audit.record("document.info_done", locked, user=user,
                     detail={"assignment": mine.pk, "target": mine.target_name})
    return mine


def finish_info_many(user, documents: Iterable[Document]) -> list[Outcome]:
    return _each(documents, lambda document: finish_info(user, document))
