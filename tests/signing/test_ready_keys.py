"""A stored key the server may use alone is checked once and then opened from its ready form
(vpdt.signing.stored_keys): cryptography's RSA check (~50 ms of CPU) is not paid at each
signature or in a release. A key whose password a person types never gets one."""

from __future__ import annotations

import pytest

from tests import factories
from tests.signing.conftest import AGENCY
from vpdt.core.models import AuditEntry
from vpdt.exchange import keys as exchange_keys
from vpdt.signing import jobs, stored_keys
from vpdt.signing import services as signing
from vpdt.signing.errors import SigningError
from vpdt.signing.models import SigningKey
from vpdt.signing.sealing import seal_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_loads(monkeypatch):
    """How many PKCS#12 files were opened (each pays the RSA check)."""
    calls = []
    real = stored_keys.pkcs12.load_key_and_certificates

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(stored_keys.pkcs12, "load_key_and_certificates", counting)
    return calls


def _ready_audits(record) -> int:
    return AuditEntry.objects.filter(action="signing.key_ready", object_id=str(record.pk)).count()


def test_a_seal_with_its_password_kept_is_checked_at_storing_then_opened_without_its_file(demo_ca, file_loads):
    agency = factories.agency(code=AGENCY)
    seal = signing.store_software_key(agency=agency, pkcs12=demo_ca.agencies[AGENCY].read_bytes(),
                                      password=demo_ca.password)
    assert len(file_loads) == 1 and bytes(seal.ready_encrypted)
    assert b"PRIVATE" not in bytes(seal.ready_encrypted)  # sealed like the file
    signer = signing.open_signer(SigningKey.objects.get(pk=seal.pk))
    assert len(file_loads) == 1  # no second check
    assert "Demo" in signer.subject


def test_an_old_key_gets_its_ready_form_at_its_first_opening_once_and_audited(demo_ca, file_loads):
    agency = factories.agency(code=AGENCY)
    seal = signing.store_software_key(agency=agency, pkcs12=demo_ca.agencies[AGENCY].read_bytes(),
                                      password=demo_ca.password)
    SigningKey.objects.filter(pk=seal.pk).update(ready_encrypted=b"")  # as stored before the ready form
    file_loads.clear()
    first = signing.open_signer(SigningKey.objects.get(pk=seal.pk))
    again = signing.open_signer(SigningKey.objects.get(pk=seal.pk))
    assert len(file_loads) == 1 and first.subject == again.subject
    assert bytes(SigningKey.objects.get(pk=seal.pk).ready_encrypted)
    assert _ready_audits(seal) == 1
    entry = AuditEntry.objects.get(action="signing.key_ready", object_id=str(seal.pk))
    assert entry.agency_code == AGENCY


def test_a_key_whose_password_is_typed_is_never_kept_ready_and_a_wrong_password_is_refused(demo_ca, file_loads):
    agency = factories.agency(code=AGENCY)
    person = factories.person(agency, username="an")
    key = signing.store_software_key(user=person, pkcs12=demo_ca.people["an"].read_bytes(),
                                     password=demo_ca.password, keep_password=False)
    assert not bytes(key.ready_encrypted)
    with pytest.raises(SigningError) as err:
        signing.open_signer(SigningKey.objects.get(pk=key.pk), "sai-mat-khau")
    assert err.value.code == "KEY_BAD_PASSWORD" and "sai mật khẩu" in err.value.message
    for _ in range(2):
        assert "An" in signing.open_signer(SigningKey.objects.get(pk=key.pk), demo_ca.password).subject
    assert len(file_loads) == 4  # stored, the wrong try, each signature: every time from the file
    assert not bytes(SigningKey.objects.get(pk=key.pk).ready_encrypted) and _ready_audits(key) == 0


def test_a_ready_form_made_from_another_file_is_not_used(demo_ca):
    agency = factories.agency(code=AGENCY)
    seal = signing.store_software_key(agency=agency, pkcs12=demo_ca.agencies[AGENCY].read_bytes(),
                                      password=demo_ca.password)
    # The file replaced in place (same password), its old ready form left beside it.
    SigningKey.objects.filter(pk=seal.pk).update(pkcs12_encrypted=seal_secret(demo_ca.people["an"].read_bytes()))
    record = SigningKey.objects.get(pk=seal.pk)
    key, cert, _ = stored_keys.open_software(record)
    assert "An" in cert.subject.rfc4514_string()
    assert stored_keys.open_ready(SigningKey.objects.get(pk=seal.pk).ready_encrypted,
                                  demo_ca.people["an"].read_bytes())[1] == cert


def test_a_generated_package_key_is_ready_from_the_start(file_loads):
    agency = factories.agency()
    exchange_keys.signer_for(agency)
    (record,) = SigningKey.objects.filter(agency=agency, purpose=SigningKey.Purpose.PACKAGES)
    assert bytes(record.ready_encrypted)
    key, cert, _ = stored_keys.open_software(record)
    assert agency.code in cert.subject.rfc4514_string() and not file_loads


def test_the_job_readies_every_key_the_server_may_use_alone_and_skips_the_others(demo_ca):
    agency = factories.agency(code=AGENCY)
    seal = signing.store_software_key(agency=agency, pkcs12=demo_ca.agencies[AGENCY].read_bytes(),
                                      password=demo_ca.password)
    typed = signing.store_software_key(user=factories.person(agency, username="an"),
                                       pkcs12=demo_ca.people["an"].read_bytes(), password=demo_ca.password,
                                       keep_password=False)
    damaged = signing.store_software_key(user=factories.person(agency, username="binh"),
                                         pkcs12=demo_ca.people["binh"].read_bytes(), password=demo_ca.password)
    SigningKey.objects.filter(pk=seal.pk).update(ready_encrypted=b"")
    SigningKey.objects.filter(pk=damaged.pk).update(ready_encrypted=b"", pkcs12_encrypted=seal_secret(b"not a key"))
    assert set(stored_keys.server_usable().values_list("pk", flat=True)) == {seal.pk, damaged.pk}

    assert jobs.ready_keys() == 1
    assert bytes(SigningKey.objects.get(pk=seal.pk).ready_encrypted)
    assert not bytes(SigningKey.objects.get(pk=typed.pk).ready_encrypted)
    assert not bytes(SigningKey.objects.get(pk=damaged.pk).ready_encrypted)
    assert jobs.ready_keys() == 0  # nothing left it can ready: an idle run
