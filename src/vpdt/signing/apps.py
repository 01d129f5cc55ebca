from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "vpdt.signing"
    label = "signing"
    verbose_name = "Chữ ký số"

    def ready(self) -> None:
        # jobs: registers signing.ready_keys; sealing: declares the sealed fields (`vpdt rotate-secrets`), without pyHanko
        from vpdt.records import seams as records_seams
        from vpdt.signing import jobs, sealing  # noqa: F401
        from vpdt.signing.seams import AgencySealer, RegisterBookSealer, SignatureGate

        records_seams.register_sealer(AgencySealer())
        _audit_keys_and_policies()
        records_seams.register_registration_gate(SignatureGate())
        records_seams.register_book_sealer(RegisterBookSealer())  # the closed register's signed PDF
        # A person holding an active signing key is protected (vpdt.directory.oversight).
        from vpdt.directory import oversight

        oversight.register_protection(_holds_active_key)


def _audit_keys_and_policies() -> None:
    """Signing keys, signing policies and trusted CAs: every add, change, removal audited
    (the key material and its passwords named as changed, never stored in the log)."""
    from vpdt.core import audit
    from vpdt.signing.models import SigningKey, SigningPolicy, TrustAnchor

    audit.track(SigningKey, action="signing_key",
                fields=["user", "agency", "kind", "label", "subject", "active", "purpose", "pkcs11_lib",
                        "token_label", "key_label", "remote_url", "remote_key_id", "pkcs12_encrypted",
                        "password_encrypted", "remote_api_key_encrypted", "ready_encrypted", "image"],
                secret=("pkcs12_encrypted", "password_encrypted", "remote_api_key_encrypted", "ready_encrypted",
                        "image"))
    audit.track(SigningPolicy, action="signing_policy", fields=["agency", "require_signatures"])
    audit.track(TrustAnchor, action="trust_anchor", fields=["name", "fingerprint", "subject", "active"])


def _holds_active_key(user) -> str | None:
    from django.utils.translation import gettext as _

    from vpdt.signing.models import SigningKey

    if SigningKey.objects.filter(user=user, active=True).exists():
        return _("người có khóa ký số đang dùng")
    return None
