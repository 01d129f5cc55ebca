"""The records tests' worlds: an agency's year of registers (tests of the registers of Phụ lục IV,
also used by the pages' tests) and a demo CA that gives the agency its seal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from vpdt.directory.roles import Role
from vpdt.records import services
from vpdt.records.choices import AccessReason
from vpdt.signing import pki
from vpdt.signing import services as signing

CODE, NAME = "000.00.13.H91", "Sở Khoa học và Công nghệ"
YEAR = 2025


@pytest.fixture(scope="session")
def register_ca(tmp_path_factory) -> pki.DemoCA:
    return pki.make_demo_ca(tmp_path_factory.mktemp("register-ca"), agencies=[(CODE, NAME)])


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def book_world(db, blob_dir):
    """An agency's year 2025: three outgoing documents numbered, two incoming registered, one of them
    given to a unit and answered by an outgoing document."""
    from types import SimpleNamespace

    agency = factories.agency(code=CODE, abbreviation="SKHCN", name=NAME)
    vp = factories.unit(agency, "VP", "Văn phòng Sở")
    cds = factories.unit(agency, "CĐS", "Phòng Chuyển đổi số")
    w = SimpleNamespace(
        agency=agency, vp=vp, cds=cds,
        clerk=factories.person(agency, Role.CLERK, unit=vp),
        leader=factories.person(agency, Role.LEADER),
        spec=factories.person(agency, Role.SPECIALIST, unit=cds),
        admin=factories.person(agency, Role.AGENCY_ADMIN),
        stranger=factories.person(factories.agency(abbreviation="STC"), Role.CLERK),
    )
    w.outgoing = []
    for type_code, subject, day in [("CV", "Về việc triển khai văn phòng điện tử", dt.date(YEAR, 1, 6)),
                                    ("KH", "Kế hoạch chuyển đổi số năm 2025", dt.date(YEAR, 3, 2)),
                                    ("CV", "Về việc báo cáo kết quả sáu tháng", dt.date(YEAR, 12, 30))]:
        doc = factories.document(agency, type_code=type_code, subject=subject, drafting_unit=vp,
                                 signer_name="Nguyễn Văn An", copies=3, recipients_text="- Như trên;\n- Lưu: VT, VP.")
        services.issue_number(w.clerk, doc, date=day)
        w.outgoing.append(doc)
    w.incoming = []
    with pytest.MonkeyPatch.context() as clock:  # received and registered on days of 2025
        for i, day in enumerate([dt.date(YEAR, 2, 10), dt.date(YEAR, 11, 20)], start=1):
            clock.setattr(timezone, "now", lambda day=day: _at(day))
            doc = services.receive_incoming(w.clerk, agency, {
                "document_type": factories.doc_type("CV"), "subject": f"Đề nghị phối hợp lần {i}",
                "number": 10 + i, "notation": "UBND-VP", "issued_date": day - dt.timedelta(days=2),
                "issuer_name": "Ủy ban nhân dân huyện Demo", "due_date": dt.date(YEAR, 12, 15)})
            services.register_incoming(w.clerk, doc)
            w.incoming.append(doc)
        clock.setattr(timezone, "now", lambda: _at(dt.date(YEAR, 2, 12)))
        services.grant_access(w.leader, w.incoming[0], unit=cds, reason=AccessReason.MAIN, _audit=False)
    services.link_reply(w.clerk, w.outgoing[1], w.incoming[0])
    for doc in w.outgoing + w.incoming:
        doc.refresh_from_db()
    w.out_register = w.outgoing[0].register
    w.in_register = w.incoming[0].incoming_register
    return w


def seal(w, ca: pki.DemoCA) -> None:
    signing.store_software_key(agency=w.agency, pkcs12=ca.agencies[CODE].read_bytes(), password=ca.password)
