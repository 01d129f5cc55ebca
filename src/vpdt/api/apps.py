from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vpdt.api"
    label = "api"
    verbose_name = "API"

    def ready(self):
        from vpdt.api import jobs  # noqa: F401 - registers api.idempotency_purge
