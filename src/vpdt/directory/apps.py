from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "vpdt.directory"
    label = "directory"
    verbose_name = "Danh bạ cơ quan, đơn vị, cán bộ"

    def ready(self) -> None:
        from vpdt.directory import audit_hooks

        audit_hooks.connect()
