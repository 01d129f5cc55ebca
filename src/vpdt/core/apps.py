from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "vpdt.core"
    label = "core"
    verbose_name = "Lõi hệ thống"

    def ready(self) -> None:
        from vpdt.core import jobs  # noqa: F401 - register the audit anchor job

