from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "vpdt.records"
    label = "records"
    verbose_name = "Văn bản, sổ đăng ký, hồ sơ"

    def ready(self) -> None:
        from vpdt.records import jobs  # noqa: F401 - registers records.convert (the PDF renditions)
