"""Helpers that walk a document through its states, as the people of `world` would."""

from __future__ import annotations

import datetime as dt
import io

from tests import factories
from vpdt.records.choices import Urgency
from vpdt.workflow import services

PDF = factories.pdf_bytes()


def incoming(w, **extra):
    data = {"document_type": factories.doc_type("CV"), "subject": "Về việc triển khai chuyển đổi số năm 2026",
            "issuer_name": "Văn phòng Chính phủ", "issuer_code": "000.00.00.G22", "number": 388,
            "notation": "VPCP-KSTT", "issued_date": dt.date(2026, 3, 2), **extra}
    return services.receive_paper(w.clerk, w.agency, data, scan=io.BytesIO(PDF), scan_name="scan.pdf")


def registered(w, **extra):
    doc = incoming(w, **extra)
    return services.register(w.clerk, doc)


def submitted(w, leader=None, **extra):
    doc = registered(w, **extra)
    services.submit_to_leader(w.clerk, doc, leader=leader)
    doc.refresh_from_db()
    return doc


def assigned(w, deadline=None, **extra):
    doc = submitted(w, leader=w.leader, **extra)
    services.assign(w.leader, doc, main=w.cds, co=[w.bcvt], info=[w.head_vp], instructions="Tham mưu trả lời",
                    deadline=deadline)
    doc.refresh_from_db()
    return doc


def draft(w, user=None, **extra):
    user = user or w.spec
    data = {"document_type": factories.doc_type("CV"), "subject": "Về việc báo cáo chuyển đổi số",
            "urgency": Urgency.NORMAL, **extra}
    return services.create_draft(user, data, file=io.BytesIO(factories.docx_bytes()), filename="du-thao.docx",
                                 recipients={"units": [w.vp, w.bcvt], "agencies": [w.other]})


def approved(w):
    doc = draft(w)
    services.submit_for_review(w.spec, doc)
    services.approve(w.head, doc, "Đồng ý nội dung")
    services.approve(w.leader, doc, "Ký")
    doc.refresh_from_db()
    return doc

