from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "vpdt.workflow"
    label = "workflow"
    verbose_name = "Xử lý văn bản, trình duyệt, nhắc hạn"

    def ready(self) -> None:
        # Periodic jobs (reminders, leaders' digest) join the worker.
        from vpdt.workflow import jobs  # noqa: F401
