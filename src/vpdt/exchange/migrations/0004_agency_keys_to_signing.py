"""The exchange's package keys (AgencyKey) move into the one key store, signing.SigningKey
(purpose "packages"), and AgencyKey goes.

Each private key is re-sealed on the way: the exchange sealed a PEM key as text under its own
salt, the key store seals a PKCS#12 file under signing's. The derivations are written out
here as literals (a migration is history: it must not change with vpdt.core.sealed). A key
that opens under neither SECRET_KEY nor SECRET_KEY_FALLBACKS could not sign anything before
either: it is not carried over, and the exchange generates a new one at first use, as for an
agency that never had one. Reversible.
"""

import base64

from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.db import migrations

EXCHANGE = (b"vpdt.exchange", b"exchange secrets")
SIGNING = (b"vpdt-signing", b"vpdt.signing.pkcs12-at-rest.v1")
PREFIX = "fernet:"
GENERATED_LABEL = "Khóa ký gói tin (tự sinh)"
CONFIGURED_LABEL = "Khóa ký gói tin"


def _keys(salt_info) -> MultiFernet:
    salt, info = salt_info
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([
        Fernet(base64.urlsafe_b64encode(
            HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(
                s.encode("utf-8") if isinstance(s, str) else s)))
        for s in secrets if s])


def forwards(apps, schema_editor):
    AgencyKey = apps.get_model("exchange", "AgencyKey")
    SigningKey = apps.get_model("signing", "SigningKey")
    db = schema_editor.connection.alias
    exchange, signing = _keys(EXCHANGE), _keys(SIGNING)
    for old in AgencyKey.objects.using(db).select_related("agency").order_by("pk"):
        stored = old.key_encrypted
        try:
            if not stored.startswith(PREFIX):
                raise InvalidToken
            pem = exchange.decrypt(stored[len(PREFIX):].encode("ascii"))
        except InvalidToken:
            continue  # unusable already (see the module's docstring)
        key = serialization.load_pem_private_key(pem, password=None)
        cert = x509.load_pem_x509_certificate(old.cert_pem.encode("ascii"))
        p12 = pkcs12.serialize_key_and_certificates(old.agency.code.encode(), key, cert, None,
                                                    serialization.NoEncryption())
        new = SigningKey.objects.using(db).create(
            agency_id=old.agency_id, kind="software", purpose="packages", active=True,
            label=GENERATED_LABEL if old.generated else CONFIGURED_LABEL,
            subject=cert.subject.rfc4514_string()[:500], pkcs12_encrypted=signing.encrypt(p12),
            password_encrypted=b"")
        SigningKey.objects.using(db).filter(pk=new.pk).update(created_at=old.created_at)


def backwards(apps, schema_editor):
    AgencyKey = apps.get_model("exchange", "AgencyKey")
    SigningKey = apps.get_model("signing", "SigningKey")
    db = schema_editor.connection.alias
    exchange, signing = _keys(EXCHANGE), _keys(SIGNING)
    moved = SigningKey.objects.using(db).filter(purpose="packages", active=True).order_by("pk")
    for new in moved:
        key, cert, _chain = pkcs12.load_key_and_certificates(signing.decrypt(bytes(new.pkcs12_encrypted)), None)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        old = AgencyKey.objects.using(db).create(
            agency_id=new.agency_id, key_encrypted=PREFIX + exchange.encrypt(pem).decode("ascii"),
            cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            generated=new.label == GENERATED_LABEL)
        AgencyKey.objects.using(db).filter(pk=old.pk).update(created_at=new.created_at)
    SigningKey.objects.using(db).filter(purpose="packages").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0003_alter_hubconnection_endpoint"),
        ("signing", "0002_package_keys"),
    ]
    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
        migrations.DeleteModel(name="AgencyKey"),
    ]
