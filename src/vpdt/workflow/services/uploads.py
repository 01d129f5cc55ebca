"""Several files dropped on a document at once: appendices (attach) or new draft versions.

Each file goes through records' services on its own (judged by its bytes, within the agency's
limit, audited): a refused file names itself and stores nothing, the others are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vpdt.core.errors import InvalidInput, VpdtError
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.choices import Direction, State
from vpdt.records.models import Attachment, Document
from vpdt.workflow.services.common import _has, _need
from vpdt.workflow.services.outgoing import add_version, check_edit_draft

MAX_FILES = 20
KINDS = ("attach", "version")
CLERK_STATES = (State.RECEIVED, State.REGISTERED, State.SUBMITTED)


@dataclass
class FileOutcome:
    name: str
    ok: bool
    message: str = ""
    code: str = ""


def check_attach(user, document: Document) -> None:
    """Appendices: the drafter (or the reviewer at their step) of a draft; the clerk of an incoming
    document until it is directed."""
    if document.direction == Direction.INCOMING:
        _need(_has(user, Role.CLERK, document.agency_id) and document.state in CLERK_STATES,
              "Chỉ văn thư bổ sung tệp cho văn bản đến chưa phân công.")
        return
    check_edit_draft(user, document)


def check_upload(user, document: Document, kind: str) -> None:
    if kind == "version":
        check_edit_draft(user, document)
    else:
        check_attach(user, document)


def upload_files(user, document: Document, kind: str, files: Iterable, *, note: str = "") -> list[FileOutcome]:
    """Stores each file (`kind`: attach or version); returns one outcome per file, in order."""
    check_upload(user, document, kind)
    files = list(files)
    if len(files) > MAX_FILES:
        raise InvalidInput(f"Mỗi lần tải lên tối đa {MAX_FILES} tệp.", code="TOO_MANY_FILES")
    out = []
    for f in files:
        name = getattr(f, "name", "") or ""
        try:
            if kind == "version":
                add_version(user, document, f, name, note=note)
            else:
                records.add_attachment(user, document, f, name, content_type=getattr(f, "content_type", "") or "",
                                       kind=Attachment.Kind.APPENDIX, description=note)
        except VpdtError as exc:
            out.append(FileOutcome(name, False, exc.message, exc.code))
        else:
            out.append(FileOutcome(name, True))
    return out
