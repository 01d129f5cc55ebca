"""Signing is a deliberate act (issue 12): a key the server could use alone (a PKCS#12 file with
its password kept, a remote service) is unlocked only after a one-time code from the signer's
second factor, for that one act; a wrong code, or a wrong password for a file whose password
is not kept, signs nothing, changes nothing and is audited as a failed attempt."""

from __future__ import annotations

import pytest

from tests.second_factor import code_now, device_of, one_time_code
from tests.signing.test_integration import _keys, _letter, world  # noqa: F401 - the fixture
from vpdt.core.errors import InvalidInput
from vpdt.core.models import AuditEntry
from vpdt.records.choices import State
from vpdt.signing import services as signing
from vpdt.workflow import services as workflow

pytestmark = pytest.mark.django_db


def _at_signer_step(w):
    import io

    from tests import factories

    doc = workflow.create_draft(w.spec, {"document_type": factories.doc_type("CV"), "subject": "Về việc thử"},
                                file=io.BytesIO(_letter()), filename="du-thao.pdf", recipients={"units": [w.vp]})
    workflow.submit_for_review(w.spec, doc)
    return workflow.approve(w.head, doc)


def _unchanged(doc):
    doc.refresh_from_db()
    assert doc.state == State.IN_REVIEW and doc.versions.count() == 1
    assert not AuditEntry.objects.filter(action__in=["signing.sign_person", "document.approve"],
                                         object_id=str(doc.pk)).exists()


def test_a_kept_password_is_used_only_after_a_right_one_time_code(world, settings):  # noqa: F811
    settings.OTP_TOTP_THROTTLE_FACTOR = 0.01
    _keys(world, agency=False)
    assert signing.unlock_needs(signing.key_of(user=world.leader)) == "otp"
    doc = _at_signer_step(world)
    device = device_of(world.leader)
    with pytest.raises(InvalidInput) as missing:
        workflow.approve(world.leader, doc)
    assert missing.value.code == "OTP_REQUIRED"
    with pytest.raises(InvalidInput) as wrong:
        workflow.approve(world.leader, doc, otp=code_now(device, steps=7))
    assert wrong.value.code == "OTP_INVALID"
    _unchanged(doc)
    assert AuditEntry.objects.filter(action="mfa.signing_failed", object_id=str(doc.pk),
                                     actor_id=world.leader.pk).exists()
    approved = workflow.approve(world.leader, doc, otp=one_time_code(world.leader))
    assert approved.state == State.APPROVED and approved.signing.signed


@pytest.mark.backends  # the device's row is locked while a code is checked (select_for_update)
def test_a_code_used_once_does_not_sign_again(world):  # noqa: F811
    _keys(world, agency=False)
    code = one_time_code(world.leader)
    first, second = _at_signer_step(world), _at_signer_step(world)
    assert workflow.approve(world.leader, first, otp=code).signing.signed
    with pytest.raises(InvalidInput) as replayed:
        workflow.approve(world.leader, second, otp=code)
    assert replayed.value.code in {"OTP_USED", "OTP_THROTTLED"}
    if replayed.value.code == "OTP_USED":  # what the signer reads: the code was good, and is used up
        assert "đã được dùng" in replayed.value.message
    _unchanged(second)


def test_a_signer_without_a_second_factor_cannot_unlock_a_kept_password(world):  # noqa: F811
    _keys(world, agency=False)
    doc = _at_signer_step(world)
    with pytest.raises(InvalidInput) as refused:
        workflow.approve(world.leader, doc, otp="123456")
    assert refused.value.code == "MFA_NOT_ENROLLED"
    _unchanged(doc)


def test_a_wrong_password_of_a_file_not_kept_signs_nothing_and_is_audited(world):  # noqa: F811
    signing.store_software_key(user=world.leader, pkcs12=world.ca.people["an"].read_bytes(),
                               password=world.ca.password, keep_password=False)
    assert signing.unlock_needs(signing.key_of(user=world.leader)) == "pin"
    doc = _at_signer_step(world)
    with pytest.raises(InvalidInput) as wrong:
        workflow.approve(world.leader, doc, pin="not-the-password")
    assert wrong.value.code == "PIN_INVALID"
    _unchanged(doc)
    assert AuditEntry.objects.filter(action="signing.unlock_failed", object_id=str(doc.pk)).exists()
    assert workflow.approve(world.leader, doc, pin=world.ca.password).signing.signed
