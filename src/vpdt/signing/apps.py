from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "vpdt.signing"
    label = "signing"
    verbose_name = "Chữ ký số"

    def ready(self) -> None:
        from vpdt.records import seams as records_seams
        from vpdt.signing import keys  # noqa: F401 - declares the sealed fields (`vpdt rotate-secrets`)
        from vpdt.signing.seams import AgencySealer, SignatureGate

        records_seams.register_sealer(AgencySealer())
        records_seams.register_registration_gate(SignatureGate())
        # A person holding an active signing key is protected (vpdt.directory.oversight).
        from vpdt.directory import oversight

        oversight.register_protection(_holds_active_key)


def _holds_active_key(user) -> str | None:
    from django.utils.translation import gettext as _

    from vpdt.signing.models import SigningKey

    if SigningKey.objects.filter(user=user, active=True).exists():
        return _("người có khóa ký số đang dùng")
    return None
