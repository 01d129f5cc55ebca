from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "vpdt.records"
    label = "records"
    verbose_name = "Văn bản, sổ đăng ký, hồ sơ"
