"""Dossiers built straight on the models (fast: no counter, no files) for the tests of deadlines,
joint processing and the rest: a commune, a department, a procedure resolved by the department,
and dossiers at any point."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from tests import factories
from vpdt.directory.roles import Role
from vpdt.motcua.models import (
    Dossier,
    DossierStatus,
    DossierStep,
    Level,
    Procedure,
    ProcedureActivation,
    ProcedureStep,
    StepKind,
)


def world(commune=None, department=None):
    commune = commune or factories.agency(code="000.01.31.H90", name="Ủy ban nhân dân xã Hòa Bình")
    department = department or factories.agency(code="000.00.22.H90", name="Sở Xây dựng tỉnh Bình Sơn",
                                                abbreviation="SXD")
    w = SimpleNamespace(commune=commune, department=department)
    w.tp = factories.unit(commune, "TP", "Tư pháp - Hộ tịch")
    w.qlxd = factories.unit(department, "QLXD", "Phòng Quản lý xây dựng")
    w.counter = factories.person(commune, Role.COUNTER, Role.CLERK, username="xa.motcua")
    w.officer = factories.person(commune, Role.SPECIALIST, unit=w.tp, username="xa.tuphap")
    w.leader = factories.person(commune, Role.LEADER, username="xa.chutich")
    w.dept_counter = factories.person(department, Role.COUNTER, username="so.motcua")
    w.dept_officer = factories.person(department, Role.SPECIALIST, unit=w.qlxd, username="so.chuyenvien")
    w.dept_leader = factories.person(department, Role.LEADER, Role.CLERK, username="so.giamdoc")
    w.birth = Procedure.objects.create(code="1.001193", name="Đăng ký khai sinh", field="Hộ tịch",
                                       level=Level.COMMUNE, legal_days=3)
    ProcedureStep.objects.create(procedure=w.birth, order=1, name="Thẩm định", kind=StepKind.PROCESSING,
                                 working_hours=12)
    ProcedureActivation.objects.create(procedure=w.birth, agency=commune, processing_unit=w.tp)
    w.build = Procedure.objects.create(code="1.009972", name="Cấp giấy phép xây dựng", field="Xây dựng",
                                       level=Level.PROVINCE, legal_days=15, fee_amount=150000)
    ProcedureActivation.objects.create(procedure=w.build, agency=commune, resolving_agency=department,
                                       processing_unit=None)
    return w


_seq = iter(range(1, 100000))


def dossier(procedure, agency, *, resolving=None, status=DossierStatus.RECEIVED, received: dt.datetime | None = None,
            legal_days=None, channel="counter", **kw) -> Dossier:
    from vpdt.motcua import clock

    received = received or timezone.now()
    appointment = clock.appointment_date(received, procedure.legal_days if legal_days is None else legal_days)
    d = Dossier.objects.create(
        code=f"{agency.code}-{clock.local(received):%y%m%d}-{next(_seq):04d}", procedure=procedure, agency=agency,
        resolving_agency=resolving or agency, channel=channel, applicant_name="Nguyễn Văn An",
        personal_id="075095001234", phone="0912345678", email="an@example.vn", status=status, received_at=received,
        appointment_date=appointment, original_appointment_date=appointment, **kw)
    Dossier.objects.filter(pk=d.pk).update(submitted_at=received)
    d.refresh_from_db()
    return d


def step(d: Dossier, *, to_agency=None, to_unit=None, to_user=None, kind=StepKind.PROCESSING, sent_at=None,
         due_at=None, done_at=None, name="Thẩm định") -> DossierStep:
    order = d.steps.count() + 1
    s = DossierStep.objects.create(dossier=d, order=order, kind=kind, name=name, to_agency=to_agency or d.resolving_agency,
                                   to_unit=to_unit, to_user=to_user, sent_at=sent_at or timezone.now(), due_at=due_at,
                                   done_at=done_at)
    d.current_step = s
    d.save(update_fields=["current_step"])
    return s
