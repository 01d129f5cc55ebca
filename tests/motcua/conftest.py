"""A commune with a one-stop counter, its processing unit and leader, and a procedure."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from tests import factories
from vpdt.directory.roles import Role
from vpdt.motcua.models import Level, PaperForm, StepKind
from vpdt.motcua.services import catalogue, counter


@pytest.fixture
def shop(db, blob_dir):
    commune = factories.agency(code="000.01.31.H90", abbreviation="UBND", name="Ủy ban nhân dân xã Hòa Bình",
                               phone="02513000000")
    other = factories.agency(code="000.02.31.H90", abbreviation="UBND", name="Ủy ban nhân dân xã An Phú")
    tp = factories.unit(commune, "TP", "Công chức Tư pháp - Hộ tịch")
    vp = factories.unit(commune, "VP", "Văn phòng - Thống kê")
    w = SimpleNamespace(
        agency=commune, other=other, tp=tp, vp=vp,
        counter=factories.person(commune, Role.COUNTER, unit=vp, username="motcua"),
        officer=factories.person(commune, Role.SPECIALIST, unit=tp, username="tuphap"),
        officer2=factories.person(commune, Role.SPECIALIST, unit=vp, username="vanphong"),
        leader=factories.person(commune, Role.LEADER, username="chutich"),
        other_counter=factories.person(other, Role.COUNTER, username="motcua2"),
        admin=factories.person(commune, Role.MOTCUA_ADMIN, username="qtmotcua"),
    )
    w.procedure = catalogue.save_procedure(w.admin, None, {
        "code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "level": Level.COMMUNE,
        "resolving_bodies": "Ủy ban nhân dân cấp xã", "legal_days": 3, "fee_amount": 0,
        "result_type": "certificate", "result_name": "Giấy khai sinh"}, [
        {"name": "Tờ khai đăng ký khai sinh", "form": PaperForm.ORIGINAL, "count": 1},
        {"name": "Giấy chứng sinh", "form": PaperForm.ORIGINAL, "count": 1},
        {"name": "Văn bản ủy quyền (nếu có)", "form": PaperForm.COPY, "required": False},
    ], [
        {"name": "Tiếp nhận, chuyển hồ sơ", "kind": StepKind.COUNTER, "working_hours": 4},
        {"name": "Thẩm định, trình ký", "kind": StepKind.PROCESSING, "working_hours": 12},
        {"name": "Chủ tịch ký", "kind": StepKind.APPROVER, "working_hours": 4},
        {"name": "Trả kết quả", "kind": StepKind.RETURN, "working_hours": 4},
    ])
    catalogue.set_activation(w.admin, w.procedure, commune, processing_unit=tp)
    w.papers = list(w.procedure.papers.all())
    return w


def applicant(**kw) -> counter.Applicant:
    data = {"name": "Nguyễn Văn An", "personal_id": "075095001234", "address": "Ấp 1, xã Hòa Bình",
            "phone": "0912345678", "email": "an@example.vn"}
    data.update(kw)
    return counter.Applicant(**data)


def pdf_upload(paper_id=None, name="to-khai.pdf") -> counter.Upload:
    return counter.Upload(stream=io.BytesIO(factories.pdf_bytes("to khai")), name=name, paper_id=paper_id)
