from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "vpdt.search"
    label = "search"
    verbose_name = "Tìm kiếm văn bản"

    def ready(self) -> None:
        post_migrate.connect(_triggers_after_migrate, dispatch_uid="vpdt.search.ensure")


def _triggers_after_migrate(sender, using=None, **kwargs) -> None:
    # SQLite only: a migration that remakes records_document (Django's copy-and-drop for most
    # column changes) drops the FTS triggers with the old table, and no Django operation can
    # declare a trigger. Put them back and rebuild the index, which may have missed writes.
    # The lists' indexes need nothing here: Document.Meta.indexes owns them.
    if sender.label != "search":
        return
    from django.db import connections

    connection = connections[using or "default"]
    if connection.vendor != "sqlite":
        return
    from vpdt.search import schema

    schema.ensure(connection)
