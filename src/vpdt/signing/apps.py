from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "vpdt.signing"
    label = "signing"
    verbose_name = "Chữ ký số"

    def ready(self) -> None:
        from vpdt.signing import receivers  # noqa: F401  (verify every PDF an incoming document receives)
