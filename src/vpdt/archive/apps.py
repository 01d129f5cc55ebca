from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "vpdt.archive"
    label = "archive"
    verbose_name = "Hồ sơ và lưu trữ"

    def ready(self) -> None:
        # --- archive fileplan: the retention table the platform admin keeps (Django admin), audited.
        from vpdt.archive.models import RetentionPeriod
        from vpdt.core import audit

        audit.track(RetentionPeriod, action="retention_period", fields=["code", "name", "years", "field", "order"])
