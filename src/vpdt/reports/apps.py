from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vpdt.reports"
    label = "reports"
    verbose_name = "Báo cáo, thống kê sử dụng"

    def ready(self) -> None:
        # The facts' periodic refresh joins the worker.
        from vpdt.reports import jobs  # noqa: F401
