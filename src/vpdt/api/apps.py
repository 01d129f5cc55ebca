from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vpdt.api"
    label = "api"
    verbose_name = "API"
