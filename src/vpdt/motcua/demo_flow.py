"""The demo's dossiers moved along (motcua2): some processing, some done, some returned, one late
with its apology slip, and one joint commune → department dossier sent over the hub.

Call `advance()` after the core demo has loaded its catalogue, its activations, its counter
accounts and its dossiers (status 2, được tiếp nhận). It draws from its own
`random.Random(SEED)`, never from the demo's, so the demo's fixed sequence stays as it is.
Every change goes through the core's services (transfer, take, appraise, approve, return) and
the deadlines' and joint processing's own, so the pages show a consistent story.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import random

from django.utils import timezone

from vpdt.core.errors import VpdtError
from vpdt.directory.models import Unit, User
from vpdt.directory.roles import Role
from vpdt.motcua import clock, deadlines, joint
from vpdt.motcua.models import Dossier, DossierStatus
from vpdt.motcua.services import processing
from vpdt.motcua.services.counter import Upload

log = logging.getLogger("vpdt.motcua")
SEED = 16_0162


def _person(agency_id: int, role: str) -> User | None:
    return (User.objects.filter(is_active=True, role_assignments__role=role, role_assignments__agency=agency_id)
            .order_by("id").first())


def _processing(d: Dossier) -> Dossier | None:
    """The counter hands the dossier to the processing unit (the core's transfer); None when the
    demo has nobody to do it."""
    counter = _person(d.agency_id, Role.COUNTER)
    unit_id = d.procedure.activations.filter(agency=d.agency).values_list("processing_unit", flat=True).first()
    unit = Unit.objects.filter(pk=unit_id, agency=d.resolving_agency).first() if unit_id else None
    unit = unit or Unit.objects.filter(agency=d.resolving_agency, active=True).order_by("id").first()
    if counter is None or unit is None:
        return None
    processing.transfer(counter, d, unit)
    return d


def _done(d: Dossier, leader) -> bool:
    """The unit appraises and submits, the leader approves with a result (the core's services)."""
    step = d.current_step
    officer = (User.objects.filter(is_active=True, unit_id=step.to_unit_id).order_by("id").first()
               if step and step.to_unit_id else None)
    if officer is None:
        return False
    processing.take(officer, d)
    processing.appraise(officer, d, "Hồ sơ đủ điều kiện; đề nghị giải quyết.")
    processing.submit_for_approval(officer, d, to_user=leader)
    pdf = joint.cover_letter("KẾT QUẢ GIẢI QUYẾT", [d.procedure.result_name or d.procedure.name, d.code],
                             d.resolving_agency)
    processing.approve(leader, d, result=Upload(io.BytesIO(pdf), "ket-qua.pdf"),
                       result_note=d.procedure.result_name or "")
    return True


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
        if share >= 0.8 or i >= len(local) - 1:
            break  # a fifth (at least one) stays at the counter, waiting for the transfer
        leader = _person(d.resolving_agency_id, Role.LEADER)
        try:
            if _processing(d) is None:
                continue
        except VpdtError as exc:
            log.warning("demo transfer for %s: %s", d.code, exc)
            continue
        d.refresh_from_db()
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
            if not _done(d, leader):
                continue
            done["done"] += 1
            counter = _person(d.agency_id, Role.COUNTER)
            if share < 0.45 and counter is not None:
                processing.return_result(counter, d, method=rng.choice(["counter", "counter", "post", "online"]))
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
