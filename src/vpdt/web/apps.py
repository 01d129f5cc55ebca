from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vpdt.web"
    label = "web"
    verbose_name = "Giao diện web"
