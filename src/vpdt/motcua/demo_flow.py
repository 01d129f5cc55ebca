"""The demo's dossiers moved along (motcua2): some processing, some done, some returned, one late
with its apology slip, and one joint commune → department dossier sent over the hub.

Call `advance()` after the core demo has loaded its catalogue, its activations, its counter
accounts and its dossiers (status 2, được tiếp nhận). It draws from its own
`random.Random(SEED)`, never from the demo's, so the demo's fixed sequence stays as it is.
Every change goes through this app's functions or writes what the core's services would
(hand-overs of the control slip, history lines), so the pages show a consistent story.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import random

from django.utils import timezone

from vpdt.core import blobs
from vpdt.core.errors import VpdtError
from vpdt.directory.models import User
from vpdt.directory.roles import Role
from vpdt.motcua import clock, deadlines, joint
from vpdt.motcua.models import Dossier, DossierStatus, FileKind, StepKind

log = logging.getLogger("vpdt.motcua")
SEED = 16_0162


def _person(agency_id: int, role: str) -> User | None:
    return (User.objects.filter(is_active=True, role_assignments__role=role, role_assignments__agency=agency_id)
            .order_by("id").first())


def _processing(d: Dossier, now: dt.datetime, *, due_in_hours: float = 16) -> None:
    unit = d.procedure.activations.filter(agency=d.agency).values_list("processing_unit", flat=True).first()
    joint._hand_over(d, None, kind=StepKind.PROCESSING, name="Thẩm định, xử lý hồ sơ", to_agency=d.resolving_agency,
                     now=now, due_at=clock.add_working_hours(now, due_in_hours) if due_in_hours > 0
                     else now + dt.timedelta(hours=due_in_hours))
    if unit:
        d.current_step.to_unit_id = unit
        d.current_step.save(update_fields=["to_unit"])
    before, d.status = d.status, DossierStatus.PROCESSING
    d.save(update_fields=["status", "current_step", "updated_at"])
    deadlines.record_event(d, "transfer", None, before=before, agency=d.resolving_agency)


def _done(d: Dossier, now: dt.datetime, leader) -> None:
    pdf = blobs.store_stream(io.BytesIO(joint.cover_letter("KẾT QUẢ GIẢI QUYẾT", [d.procedure.result_name or
                                                                                  d.procedure.name, d.code],
                                                            d.resolving_agency)))
    d.files.create(kind=FileKind.RESULT, blob=pdf, filename="ket-qua.pdf", content_type="application/pdf",
                   size=pdf.size)
    joint._hand_over(d, leader, kind=StepKind.RETURN, name="Trả kết quả", to_agency=d.agency, now=now)
    before = d.status
    d.status, d.finished_at, d.result, d.result_filename = DossierStatus.DONE, now, pdf, "ket-qua.pdf"
    d.save(update_fields=["status", "finished_at", "result", "result_filename", "current_step", "updated_at"])
    deadlines.record_event(d, "approve", leader, before=before, agency=d.resolving_agency)


def advance(rng: random.Random | None = None) -> dict:
    """Move some received dossiers along. Returns what it did (counts and the joint dossier's code)."""
    rng = rng or random.Random(SEED)
    now = timezone.now()
    done = {"processing": 0, "done": 0, "returned": 0, "late": 0, "joint": ""}
    received = list(Dossier.objects.filter(status=DossierStatus.RECEIVED).order_by("id"))
    local = [d for d in received if not d.is_joint]
    joint_ones = [d for d in received if d.is_joint]
    rng.shuffle(local)
    for i, d in enumerate(local):
        share = i / max(1, len(local))
        if share >= 0.8:
            break  # a fifth stays at the counter, waiting for the transfer
        leader = _person(d.resolving_agency_id, Role.LEADER)
        _processing(d, now - dt.timedelta(hours=rng.randint(1, 30)), due_in_hours=rng.choice([8, 12, 16]))
        done["processing"] += 1
        if share < 0.1 and leader is not None:  # late: the step ran past its time, the body apologises
            step = d.current_step
            step.due_at = now - dt.timedelta(days=rng.randint(2, 5))
            step.save(update_fields=["due_at"])
            deadlines.scan(now)
            new_date = clock.next_working_day(max(d.appointment_date or now.date(), clock.local(now).date())
                                              + dt.timedelta(days=3))
            try:
                deadlines.issue_apology(leader, d, new_date, "Hồ sơ cần xác minh thêm tại thực địa")
                done["late"] += 1
            except VpdtError as exc:
                log.warning("demo apology for %s: %s", d.code, exc)
        elif share < 0.6 and leader is not None:
            _done(d, now - dt.timedelta(hours=rng.randint(0, 8)), leader)
            done["done"] += 1
            counter = _person(d.agency_id, Role.COUNTER)
            if share < 0.45 and counter is not None:
                joint.return_at_counter(counter, d, method=rng.choice(["counter", "counter", "post", "online"]))
                done["returned"] += 1
    for d in joint_ones[:1]:
        counter = _person(d.agency_id, Role.COUNTER)
        if counter is None or counter.agency_id != d.agency_id:
            continue
        try:
            joint.send_to_resolver(counter, d, note="Hồ sơ liên thông mẫu")
            done["joint"] = d.code
        except VpdtError as exc:
            log.warning("demo joint transfer for %s: %s", d.code, exc)
    return done
