from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "vpdt.archive"
    label = "archive"
    verbose_name = "Hồ sơ và lưu trữ"
