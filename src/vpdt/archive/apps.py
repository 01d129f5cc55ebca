from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "vpdt.archive"
    label = "archive"
    verbose_name = "Hồ sơ và lưu trữ"

    def ready(self) -> None:
        # --- keep: the 30-day alert before a dossier's transfer is due joins the worker.
        from vpdt.archive import jobs  # noqa: F401

        # --- archive fileplan: the retention table the platform admin keeps (Django admin), audited.
        from vpdt.archive.models import RetentionPeriod
        from vpdt.core import audit

        audit.track(RetentionPeriod, action="retention_period", fields=["code", "name", "years", "field", "order"])
