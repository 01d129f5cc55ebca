from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorkflowConfig(AppConfig):
    name = "vpdt.workflow"
    label = "workflow"
    verbose_name = "Xử lý văn bản, trình duyệt, nhắc hạn"

    def ready(self) -> None:
        # Periodic jobs (reminders, leaders' digest) join the worker.
        from vpdt.workflow import jobs  # noqa: F401

        post_migrate.connect(_indexes_after_migrate, dispatch_uid="vpdt.workflow.indexes")


def _indexes_after_migrate(sender, using=None, plan=None, **kwargs) -> None:
    # The raw-SQL indexes of migration 0002 go with the table when a later migration
    # rebuilds workflow_assignment on SQLite (Django's table remake): put them back.
    if sender.label != "workflow":
        return
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from vpdt.core.db_indexes import create_sql
    from vpdt.workflow.indexes import FOLLOW_INDEXES, TABLE

    connection = connections[using or "default"]
    # A database the router keeps workflow out of (the hub's) records the migration as
    # applied without the table.
    if ("workflow", "0002_perf_follow_indexes") not in MigrationRecorder(connection).applied_migrations() \
            or TABLE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        for name, columns in FOLLOW_INDEXES:
            cursor.execute(create_sql(TABLE, name, columns))
