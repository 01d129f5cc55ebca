from django.apps import AppConfig
from django.core import checks


class HubConfig(AppConfig):
    """The LGSP hub: agency registry, store-and-forward queues, VXP API, federation."""

    name = "vpdt.hub"
    label = "hub"
    verbose_name = "Trục liên thông (LGSP)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from vpdt.core.secret_keys import check_secret_key
        from vpdt.hub import credentials, jobs  # noqa: F401 - register the federation job, the sealed fields

        checks.register(check_secret_key, checks.Tags.security)
        from django.apps import apps

        if apps.is_installed("vpdt.core"):  # in the e-office's process (not a standalone hub)
            from vpdt.hub import audit_anchor

            audit_anchor.register()  # the e-office's audit log anchored in this hub's log
