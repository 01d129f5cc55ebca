from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "vpdt.search"
    label = "search"
    verbose_name = "Tìm kiếm văn bản"

    def ready(self) -> None:
        post_migrate.connect(_ensure_after_migrate, dispatch_uid="vpdt.search.ensure")


def _ensure_after_migrate(sender, using=None, **kwargs) -> None:
    # A later migration that rebuilds records_document on SQLite (Django's table remake)
    # drops the triggers and the raw-SQL indexes with the old table: put them back, and
    # rebuild the index if its triggers had gone (the index may have missed writes).
    if sender.label != "search":
        return
    from django.db import connections

    from vpdt.search import schema

    schema.ensure(connections[using or "default"])
