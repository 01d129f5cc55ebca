from django.apps import AppConfig


class MotcuaConfig(AppConfig):
    name = "vpdt.motcua"
    label = "motcua"
    verbose_name = "Một cửa"
