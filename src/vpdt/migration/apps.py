from django.apps import AppConfig


class MigrationConfig(AppConfig):
    name = "vpdt.migration"
    label = "migration"
    verbose_name = "Chuyển dữ liệu từ hệ thống cũ"
    default_auto_field = "django.db.models.BigAutoField"
