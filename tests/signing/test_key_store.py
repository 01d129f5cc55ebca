"""One sealed-secrets helper and one key store per agency: the seal (PAdES) and the package
key (XML-DSig of edXML) live in signing.SigningKey; the exchange's old AgencyKey rows are
carried over by exchange migration 0004; secrets survive a rotation of SECRET_KEY."""

from __future__ import annotations

import textwrap

import pytest
from lxml import etree

from tests import factories
from tests.fresh_process import run_django_script
from tests.signing.conftest import AGENCY
from vpdt.core.sealed import SealedError, Sealer
from vpdt.edxml.signature import verify_header
from vpdt.exchange import keys as exchange_keys
from vpdt.signing import services as signing
from vpdt.signing.models import SigningKey


def _signed_subject(agency) -> str:
    header = etree.fromstring(b"<edXMLHeader xmlns='http://www.mic.gov.vn/TBT/QCVN_102_2016'><a>1</a></edXMLHeader>")
    info = verify_header(exchange_keys.signer_for(agency).sign(header))
    assert info.present and info.valid, info.detail
    return info.signer_subject


def test_a_secret_sealed_under_the_old_secret_key_opens_from_the_fallbacks_and_rotates(settings):
    sealer = Sealer(b"vpdt.test", b"rotation")
    settings.SECRET_KEY = "the-old-deployment-secret-0123456789-abcdefghijklmnop"
    old = sealer.seal(b"hub secret")
    stored = sealer.encrypt("hub secret")
    settings.SECRET_KEY = "the-new-deployment-secret-0123456789-abcdefghijklmnop"
    with pytest.raises(SealedError):
        sealer.open(old)
    settings.SECRET_KEY_FALLBACKS = ["the-old-deployment-secret-0123456789-abcdefghijklmnop"]
    assert sealer.open(old) == b"hub secret" and sealer.decrypt(stored) == "hub secret"
    rotated, rotated_text = sealer.rotate(old), sealer.rotate_text(stored)
    settings.SECRET_KEY_FALLBACKS = []
    assert sealer.open(rotated) == b"hub secret" and sealer.decrypt(rotated_text) == "hub secret"
    with pytest.raises(SealedError):
        Sealer(b"vpdt.test", b"another purpose").open(rotated)  # one purpose's key opens only its own


@pytest.mark.django_db
def test_the_package_key_is_generated_once_in_the_key_store_and_never_seals_documents():
    agency = factories.agency()
    subject = _signed_subject(agency)
    assert agency.code in subject
    (stored,) = SigningKey.objects.filter(agency=agency)
    assert stored.purpose == SigningKey.Purpose.PACKAGES and stored.kind == SigningKey.Kind.SOFTWARE
    assert b"PRIVATE" not in bytes(stored.pkcs12_encrypted)
    assert _signed_subject(agency) == subject and SigningKey.objects.filter(agency=agency).count() == 1
    assert signing.key_of(agency=agency) is None  # the seal is not there: PDFs go unsigned as before


@pytest.mark.django_db
def test_the_agency_seal_signs_its_packages_too_and_a_new_seal_keeps_the_package_key(demo_ca):
    agency = factories.agency(code=AGENCY)
    generated = _signed_subject(agency)
    seal = signing.store_software_key(agency=agency, pkcs12=demo_ca.agencies[AGENCY].read_bytes(),
                                      password=demo_ca.password)
    assert signing.key_of(agency=agency) == seal
    sealed = _signed_subject(agency)
    assert sealed != generated and "Demo" in sealed  # the CA-issued certificate, not the self-signed one
    assert SigningKey.objects.get(agency=agency, purpose=SigningKey.Purpose.PACKAGES).active
    # A seal the server cannot use alone (password asked at signing): the package key signs.
    signing.store_software_key(agency=agency, pkcs12=demo_ca.agencies[AGENCY].read_bytes(),
                               password=demo_ca.password, keep_password=False)
    assert _signed_subject(agency) == generated


_SCRIPT = textwrap.dedent("""
    import json, django
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("exchange", "0003_alter_hubconnection_endpoint"), ("signing", "0001_initial")]
    call_command("migrate", verbosity=0)
    call_command("migrate", "exchange", "0003", verbosity=0)
    call_command("migrate", "signing", "0001", verbosity=0)
    apps = MigrationExecutor(connection).loader.project_state(before).apps
    Agency = apps.get_model("directory", "Agency")
    AgencyKey = apps.get_model("exchange", "AgencyKey")
    agency = Agency.objects.create(code="000.00.00.G01", name="Sở Thử", abbreviation="ST")

    # An exchange key as the old code stored it: a PEM key sealed as text, its certificate.
    from vpdt.core.sealed import Sealer
    from vpdt.signing.agency_keys import _generate
    from cryptography.hazmat.primitives import serialization
    _data, key, cert = _generate(agency)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    AgencyKey.objects.create(agency=agency, key_encrypted=Sealer(b"vpdt.exchange", b"exchange secrets").encrypt(pem),
                             cert_pem=cert_pem, generated=True)
    AgencyKey.objects.create(agency=Agency.objects.create(code="000.00.00.G02", name="Sở Hỏng", abbreviation="SH"),
                             key_encrypted="fernet:not-a-token", cert_pem=cert_pem)

    call_command("migrate", verbosity=0)
    from vpdt.directory.models import Agency as LiveAgency
    from vpdt.signing import agency_keys
    from vpdt.signing.models import SigningKey
    out = {"moved": list(SigningKey.objects.values_list("agency__code", "purpose", "label"))}
    _identity, moved_key, moved_cert = agency_keys.package_key(LiveAgency.objects.get(code="000.00.00.G01"))
    out["same_key"] = moved_key.private_numbers() == key.private_numbers() and moved_cert == cert_pem

    call_command("migrate", "exchange", "0003", verbosity=0)
    apps = MigrationExecutor(connection).loader.project_state(before).apps
    (back,) = apps.get_model("exchange", "AgencyKey").objects.all()
    out["back"] = [back.agency.code, back.generated, back.cert_pem == cert_pem,
                   Sealer(b"vpdt.exchange", b"exchange secrets").decrypt_bytes(back.key_encrypted) == pem]
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_exchange_keys_are_carried_into_the_key_store_and_back(tmp_path):
    out = run_django_script(_SCRIPT, tmp_path)
    # The damaged key of G02 could sign nothing before: not carried (a new one is generated at first use).
    assert out["moved"] == [["000.00.00.G01", "packages", "Khóa ký gói tin (tự sinh)"]]
    assert out["same_key"] is True
    assert out["back"] == ["000.00.00.G01", True, True, True]


OLD_KEY = "the-old-deployment-secret-0123456789-abcdefghijklmnop"
NEW_KEY = "the-new-deployment-secret-0123456789-abcdefghijklmnop"


@pytest.mark.django_db(databases=["default", "hub"])
def test_rotate_secrets_moves_every_stored_secret_to_the_new_key(settings, demo_ca):
    from django.core.management import CommandError, call_command

    from vpdt.exchange.models import HubConnection
    from vpdt.hub import credentials
    from vpdt.hub.models import System

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD_KEY, []
    agency = factories.agency(code=AGENCY)
    seal = signing.store_software_key(agency=agency, pkcs12=demo_ca.agencies[AGENCY].read_bytes(),
                                      password=demo_ca.password)
    connection = HubConnection(endpoint="/hub", system_id="vpdt-h01")
    connection.set_secret("bí mật của kết nối")
    connection.save()
    system = System.objects.create(system_id="vpdt-h01", secret_encrypted=credentials.encrypt("bí mật ở trục"))
    before = (bytes(SigningKey.objects.get(pk=seal.pk).pkcs12_encrypted), connection.secret_encrypted)

    settings.SECRET_KEY = NEW_KEY
    with pytest.raises(CommandError):  # the old key is not a fallback: nothing opens, nothing changes
        call_command("rotate_secrets")
    assert (bytes(SigningKey.objects.get(pk=seal.pk).pkcs12_encrypted),
            HubConnection.objects.get(pk=connection.pk).secret_encrypted) == before

    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    call_command("rotate_secrets")
    settings.SECRET_KEY_FALLBACKS = []
    assert signing.open_signer(SigningKey.objects.get(pk=seal.pk)).subject
    assert HubConnection.objects.get(pk=connection.pk).secret == "bí mật của kết nối"
    assert credentials.decrypt(System.objects.get(pk=system.pk).secret_encrypted) == "bí mật ở trục"
