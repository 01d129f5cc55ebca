from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "vpdt.directory"
    label = "directory"
    verbose_name = "Danh bạ cơ quan, đơn vị, cán bộ"

    def ready(self):
        # The receivers of login, logout and password changes (sessions, tokens); the
        # dormant accounts' job joins the worker.
        from vpdt.directory import (
            accounts,  # noqa: F401
            audit_hooks,
            jobs,  # noqa: F401
        )

        audit_hooks.connect()
