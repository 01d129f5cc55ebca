"""Full-text search of documents: the index and the query, per database backend.

SQLite: an FTS5 external-content table over `records_document.subject_folded`, kept in
step by triggers (same transaction as the write, whatever path writes: ORM, bulk SQL,
admin). PostgreSQL: a GIN index on the stored `subject_tsv` (to_tsvector('simple', subject_folded)), an index on
the column itself, so there is no second copy that could drift. The text of files
(`search.FileText`) has the same two designs over its folded text.
"""
from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class SearchConfig(AppConfig):
    name = "vpdt.search"
    label = "search"
    verbose_name = "Tìm kiếm văn bản"

    def ready(self) -> None:
        from vpdt.search import jobs  # noqa: F401 - registers search.text (the text of files)

        post_migrate.connect(_triggers_after_migrate, dispatch_uid="vpdt.search.ensure")
        post_save.connect(_file_saved, sender="records.Attachment", dispatch_uid="vpdt.search.attachment")
        post_save.connect(_file_saved, sender="records.DraftVersion", dispatch_uid="vpdt.search.version")


def _file_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs) -> None:
    # Every attachment and draft version, however it came (upload, a received package, release,
    # signing, an import through the services): its text is queued. A save that did not touch
    # the file (a renamed attachment) costs one indexed lookup.
    if raw:
        return
    if not created and update_fields is not None and "blob" not in update_fields:
        return
    from vpdt.search.services import queue_text

    queue_text(instance)


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
