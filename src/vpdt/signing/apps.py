from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "vpdt.signing"
    label = "signing"
    verbose_name = "Chữ ký số"
