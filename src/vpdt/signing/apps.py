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
