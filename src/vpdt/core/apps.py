from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "vpdt.core"
    label = "core"
    verbose_name = "Lõi hệ thống"
