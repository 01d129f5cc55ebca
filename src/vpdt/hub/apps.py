from django.apps import AppConfig


class HubConfig(AppConfig):
    """The LGSP hub: agency registry, store-and-forward queues, VXP API, federation."""

    name = "vpdt.hub"
    label = "hub"
    verbose_name = "Trục liên thông (LGSP)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from vpdt.hub import audit_anchor, jobs  # noqa: F401 - register the federation job

        audit_anchor.register()  # the e-office's audit log anchored in this hub's log
