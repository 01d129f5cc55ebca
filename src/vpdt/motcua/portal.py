"""Public service portals (Cổng Dịch vụ công quốc gia, the province's portal) and other systems:
submissions in, statuses out.

- `Submission` and `accept_submission`: a dossier submitted by a system for an agency (status 1,
  "mới đăng ký", channel online), checked as the online form checks it; the same (source,
  external id) twice gives the dossier already made, so a portal that retries submits once;
- `PortalAdapter`: what a portal adapter does (`fetch_submissions`, `acknowledge`,
  `publish_status`); `FilePortal` implements it on a folder of JSON files (inbox/*.json in,
  outbox/<code>-<n>.json out, done/ for the ones taken), the contract every implementation must
  pass is in tests/motcua/test_portal.py (`PortalContract`);
- `exchange_with(adapter, agency)`: one round, what the job would do: take the submissions in,
  publish the statuses that changed since the last round.
"""

from __future__ import annotations

import abc
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from vpdt.core.errors import InvalidInput, NotFound
from vpdt.directory.models import Agency
from vpdt.motcua.models import (
    Dossier,
    DossierEvent,
    DossierStatus,
    Procedure,
    ProcedureActivation,
)

MAX_SUBMISSION_BYTES = 256 * 1024


@dataclass
class Submission:
    """A dossier as a portal or system sends it."""

    procedure_code: str
    applicant_name: str
    personal_id: str
    external_id: str = ""
    source: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    organisation: str = ""
    subject: str = ""
    papers: list[str] = field(default_factory=list)  # names of the papers provided

    @classmethod
    def from_dict(cls, data: dict) -> Submission:
        if not isinstance(data, dict):
            raise InvalidInput("Hồ sơ gửi đến không đúng dạng.", code="MOTCUA_BAD_SUBMISSION")
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("procedure_code", "applicant_name", "personal_id"):
            if not isinstance(values.get(name), str):
                raise InvalidInput(f"Thiếu trường {name}.", code="MOTCUA_BAD_SUBMISSION", detail=name)
        papers = values.get("papers") or []
        if not isinstance(papers, list) or not all(isinstance(p, str) for p in papers):
            raise InvalidInput("Danh sách giấy tờ không đúng dạng.", code="MOTCUA_BAD_SUBMISSION", detail="papers")
        for name, value in values.items():
            if name != "papers" and not isinstance(value, str):
                raise InvalidInput(f"Trường {name} phải là chuỗi.", code="MOTCUA_BAD_SUBMISSION", detail=name)
        return cls(**values)


def _clean(s: Submission) -> Submission:
    name = " ".join(s.applicant_name.split())[:200]
    pid = s.personal_id.strip()
    if not name:
        raise InvalidInput("Hãy nhập họ và tên người nộp hồ sơ.", code="MOTCUA_NAME_REQUIRED")
    if not re.fullmatch(r"\d{12}", pid):
        raise InvalidInput("Số định danh cá nhân gồm đúng 12 chữ số.", code="MOTCUA_BAD_PERSONAL_ID")
    if s.email:
        try:
            validate_email(s.email.strip())
        except ValidationError as exc:
            raise InvalidInput("Địa chỉ thư điện tử không hợp lệ.", code="MOTCUA_BAD_EMAIL") from exc
    phone = "".join(ch for ch in s.phone if ch.isdigit() or ch == "+")
    if phone and not 8 <= len(phone.lstrip("+")) <= 15:
        raise InvalidInput("Số điện thoại không hợp lệ.", code="MOTCUA_BAD_PHONE")
    for text in (name, s.subject, s.address, s.organisation, s.external_id, s.source, *s.papers):
        if "\x00" in text or re.search(r"[\ud800-\udfff]", text):
            raise InvalidInput("Dữ liệu có ký tự không hợp lệ.", code="INVALID_INPUT")
    return Submission(procedure_code=s.procedure_code.strip()[:40], applicant_name=name, personal_id=pid,
                      external_id=s.external_id.strip()[:80], source=s.source.strip()[:60], phone=phone[:20],
                      email=s.email.strip()[:254], address=s.address.strip()[:500],
                      organisation=s.organisation.strip()[:300], subject=s.subject.strip()[:500],
                      papers=[p.strip()[:500] for p in s.papers if p.strip()][:100])


def accept_submission(user, agency: Agency, submission: Submission) -> tuple[Dossier, bool]:
    """(the dossier, True when made now): status 1, waiting for the counter's check. Made by the
    core's online submission (`services.counter.submit_online`: its numbering, its checks, the
    lookup secret); the secret is on the returned dossier as `lookup_secret` when made now."""
    from vpdt.motcua.services import counter

    s = _clean(submission)
    procedure = Procedure.objects.filter(code=s.procedure_code, active=True).first()
    if procedure is None:
        raise NotFound("Không có thủ tục hành chính có mã này.", code="MOTCUA_UNKNOWN_PROCEDURE",
                       detail=s.procedure_code)
    activation = ProcedureActivation.objects.filter(procedure=procedure, agency=agency, active=True).first()
    if activation is None or not procedure.online:
        raise InvalidInput(f"Thủ tục “{procedure.name}” không nhận trực tuyến tại {agency.name}.",
                           code="MOTCUA_PROCEDURE_NOT_ACTIVE", detail=f"{procedure.code} @ {agency.code}")
    wanted = {p.strip().casefold() for p in s.papers}
    ticked = {p.pk for p in procedure.papers.all() if p.name.strip().casefold() in wanted}
    intake = counter.Intake(applicant=counter.Applicant(
        name=s.applicant_name, personal_id=s.personal_id, address=s.address, phone=s.phone, email=s.email,
        organisation=s.organisation), ticked=ticked, subject=s.subject)
    with transaction.atomic():
        if s.external_id:
            found = (Dossier.objects.select_for_update().filter(agency=agency, source=s.source,
                                                                external_id=s.external_id).first())
            if found is not None:
                return found, False
        d, secret = counter.submit_online(agency, procedure, intake, source=s.source, external_id=s.external_id,
                                          user=user)
    d.lookup_secret = secret
    return d, True


# --------------------------------------------------------------------------- adapters
@dataclass
class StatusReport:
    """What a portal is told of a dossier."""

    code: str
    external_id: str
    source: str
    status: int
    status_label: str
    at: str
    appointment_date: str | None = None
    note: str = ""


class PortalAdapter(abc.ABC):
    """A public service portal as vpdt sees it."""

    name: str = "portal"

    @abc.abstractmethod
    def fetch_submissions(self) -> list[tuple[str, dict]]:
        """[(a handle to acknowledge, the submission as a dict)], oldest first; never the same
        handle again once acknowledged."""

    @abc.abstractmethod
    def acknowledge(self, handle: str, *, code: str = "", error: str = "") -> None:
        """The submission was taken (`code`: the dossier's) or refused (`error`)."""

    @abc.abstractmethod
    def publish_status(self, report: StatusReport) -> None:
        """Tell the portal a dossier's status changed (publishing the same report twice is harmless)."""


class FilePortal(PortalAdapter):
    """A portal on a folder: `inbox/*.json` are submissions, taken ones move to `done/` with an
    answer `<name>.answer.json`; statuses are written to `outbox/<code>-<n>.json`."""

    name = "file"

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        for sub in ("inbox", "done", "outbox"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def fetch_submissions(self) -> list[tuple[str, dict]]:
        out = []
        for path in sorted((self.root / "inbox").glob("*.json")):
            if path.stat().st_size > MAX_SUBMISSION_BYTES:
                out.append((path.name, {"__error__": "too big"}))
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, ValueError):
                data = {"__error__": "unreadable JSON"}
            out.append((path.name, data))
        return out

    def acknowledge(self, handle: str, *, code: str = "", error: str = "") -> None:
        name = Path(handle).name
        source = self.root / "inbox" / name
        answer = {"code": code, "error": error, "at": timezone.now().isoformat()}
        (self.root / "done" / f"{name}.answer.json").write_text(json.dumps(answer, ensure_ascii=False),
                                                                 encoding="utf-8")
        if source.exists():
            os.replace(source, self.root / "done" / name)

    def publish_status(self, report: StatusReport) -> None:
        path = self.root / "outbox" / f"{report.code}-{report.status:02d}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(report), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def exchange_with(adapter: PortalAdapter, agency: Agency, user=None) -> dict:
    """One round with a portal for `agency`: submissions in, changed statuses out."""
    from vpdt.records.actors import interconnection

    actor = user or interconnection(agency)
    taken = refused = published = 0
    for handle, data in adapter.fetch_submissions():
        try:
            if "__error__" in data:
                raise InvalidInput("Tệp hồ sơ không đọc được.", code="MOTCUA_BAD_SUBMISSION", detail=data["__error__"])
            submission = Submission.from_dict({**data, "source": data.get("source") or adapter.name})
            dossier, _made = accept_submission(actor, agency, submission)
            adapter.acknowledge(handle, code=dossier.code)
            taken += 1
        except (InvalidInput, NotFound) as exc:
            adapter.acknowledge(handle, error=exc.code)
            refused += 1
    # Statuses: each event of the portal's dossiers not yet published.
    events = (DossierEvent.objects.filter(dossier__agency=agency, dossier__source=adapter.name)
              .exclude(detail__has_key="portal_published").select_related("dossier").order_by("at", "id"))
    for event in events:
        if event.status_from != event.status_to or event.action == "submit":
            d = event.dossier
            adapter.publish_status(StatusReport(
                code=d.code, external_id=d.external_id, source=d.source, status=event.status_to,
                status_label=str(DossierStatus(event.status_to).label), at=event.at.isoformat(),
                appointment_date=d.appointment_date.isoformat() if d.appointment_date else None))
            published += 1
        event.detail = {**(event.detail or {}), "portal_published": True}
        event.save(update_fields=["detail"])
    return {"taken": taken, "refused": refused, "published": published}
