from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """Liên thông văn bản (agency side): outbox, inbox, statuses."""

    name = "vpdt.exchange"
    label = "exchange"
    verbose_name = "Liên thông văn bản"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from vpdt.exchange import jobs, receivers  # noqa: F401 - connect signals, register worker jobs
        from vpdt.records import seams

        seams.register_deliverer(receivers.ReleaseDeliverer())
