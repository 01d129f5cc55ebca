from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "vpdt.core"
    label = "core"
    verbose_name = "Lõi hệ thống"

    def ready(self) -> None:
        from vpdt.core import (
            jobs,  # noqa: F401 - register the audit anchor job
            lookups,  # noqa: F401 - id__any_of
        )
        from vpdt.core.secret_keys import check_secret_key

        checks.register(check_secret_key, checks.Tags.security)
