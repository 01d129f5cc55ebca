from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "vpdt.webhooks"
    label = "webhooks"
    verbose_name = "Webhook: báo sự kiện cho hệ thống khác"

    def ready(self) -> None:
        # The dispatch job joins the worker; the secrets join `vpdt rotate-secrets`.
        from vpdt.webhooks import jobs, models  # noqa: F401
