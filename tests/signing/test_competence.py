"""The signer's competence (thẩm quyền ký) is offered from their position and refused where it
does not fit (issue 12): a director signs in his own name, a deputy "KT. GIÁM ĐỐC", an acting
head "Q. GIÁM ĐỐC", a unit head "TL./TUQ. GIÁM ĐỐC", a people's committee chairman may sign
"TM. ỦY BAN NHÂN DÂN"; "KT. GIÁM ĐỐC" for the director himself is refused, and nothing changes."""

from __future__ import annotations

import io

import pytest

from tests import factories
from vpdt.core.errors import InvalidInput
from vpdt.directory.roles import Role
from vpdt.records.choices import State
from vpdt.signing import competence
from vpdt.workflow import services as workflow

pytestmark = pytest.mark.django_db


def _person(agency, role, position, username):
    user = factories.person(agency, role, username=username)
    user.position = position
    user.save(update_fields=["position"])
    return user


@pytest.fixture
def sở(db):
    agency = factories.agency(code="000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    return agency, {
        "director": _person(agency, Role.LEADER, "Giám đốc", "giamdoc"),
        "deputy": _person(agency, Role.LEADER, "Phó giám đốc", "phogiamdoc"),
        "acting": _person(agency, Role.LEADER, "Quyền giám đốc", "quyengiamdoc"),
        "office": _person(agency, Role.UNIT_HEAD, "Chánh Văn phòng", "chanhvanphong"),
        "nobody": _person(agency, Role.LEADER, "", "khongchucvu"),
    }


def _values(user, agency):
    return [c for c, _label in competence.choices(user, agency)]


def test_choices_follow_the_position(sở):
    agency, p = sở
    assert _values(p["director"], agency) == [""]
    assert _values(p["deputy"], agency) == ["KT. GIÁM ĐỐC"]
    assert _values(p["acting"], agency) == ["Q. GIÁM ĐỐC"]
    assert _values(p["office"], agency) == ["TL. GIÁM ĐỐC", "TUQ. GIÁM ĐỐC"]
    assert _values(p["nobody"], agency) == [""]
    assert dict(competence.choices(p["deputy"], agency))["KT. GIÁM ĐỐC"] == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"


def test_a_peoples_committee_chairman_may_sign_on_behalf_of_the_committee(db):
    ubnd = factories.agency(code="000.00.00.H90", abbreviation="UBND", name="Ủy ban nhân dân tỉnh Bình Sơn")
    chairman = _person(ubnd, Role.LEADER, "Chủ tịch", "chutich")
    vice = _person(ubnd, Role.LEADER, "Phó Chủ tịch", "phochutich")
    assert _values(chairman, ubnd) == ["", "TM. ỦY BAN NHÂN DÂN"]
    assert _values(vice, ubnd) == ["KT. CHỦ TỊCH"]


def test_a_competence_that_does_not_fit_is_refused_with_a_vietnamese_message(sở):
    agency, p = sở
    with pytest.raises(InvalidInput) as refused:
        competence.check(p["director"], agency, "KT. GIÁM ĐỐC")
    assert refused.value.code == "SIGNER_COMPETENCE_MISMATCH"
    assert "không phù hợp với chức vụ" in refused.value.message and "Giám đốc" in refused.value.message
    with pytest.raises(InvalidInput):
        competence.check(p["deputy"], agency, "")  # a deputy does not sign in his own name
    with pytest.raises(InvalidInput):
        competence.check(p["office"], agency, "KT. GIÁM ĐỐC")
    assert competence.check(p["deputy"], agency, "kt.  giám đốc") == "KT. GIÁM ĐỐC"
    assert competence.check(p["director"], agency, None) == ""


def _at_signer_step(agency, signer, competence_text: str):
    from tests.signing.test_integration import _letter
    from vpdt.workflow.models import ApprovalChain, ApprovalStep

    vp = factories.unit(agency, "VP", "Văn phòng Sở")
    spec = factories.person(agency, Role.SPECIALIST, unit=vp, username="chuyenvien")
    chain = ApprovalChain.objects.create(agency=agency, name="Lãnh đạo ký")
    ApprovalStep.objects.create(chain=chain, order=1, label="Lãnh đạo ký", kind=ApprovalStep.Kind.USER,
                                user=signer, is_signer=True)
    doc = workflow.create_draft(spec, {"document_type": factories.doc_type("CV"), "subject": "Về việc thử",
                                       "signer_competence": competence_text},
                                file=io.BytesIO(_letter()), filename="du-thao.pdf", recipients={"units": [vp]})
    workflow.submit_for_review(spec, doc)
    return doc


def test_the_director_approving_as_kt_giam_doc_is_refused_and_nothing_changes(sở, blob_dir):
    agency, p = sở
    doc = _at_signer_step(agency, p["director"], "KT. GIÁM ĐỐC")
    with pytest.raises(InvalidInput) as refused:
        workflow.approve(p["director"], doc)  # the draft's "KT. GIÁM ĐỐC" kept: refused
    assert refused.value.code == "SIGNER_COMPETENCE_MISMATCH"
    doc.refresh_from_db()
    assert doc.state == State.IN_REVIEW and doc.versions.count() == 1
    approved = workflow.approve(p["director"], doc, competence="")  # in his own name
    assert approved.state == State.APPROVED and approved.signer_competence == ""


def test_a_deputy_approving_gets_the_chosen_competence_on_the_document(sở, blob_dir):
    agency, p = sở
    doc = _at_signer_step(agency, p["deputy"], "")
    with pytest.raises(InvalidInput):
        workflow.approve(p["deputy"], doc)
    approved = workflow.approve(p["deputy"], doc, competence="KT. GIÁM ĐỐC")
    assert approved.signer_competence == "KT. GIÁM ĐỐC"
