from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vpdt.reports"
    label = "reports"
    verbose_name = "Báo cáo, thống kê sử dụng"

    def ready(self) -> None:
        # The facts' periodic refresh joins the worker.
        # --- dashboard: and the period report's monthly mailing (period_report.monthly_mail).
        from vpdt.reports import jobs, period_report  # noqa: F401
