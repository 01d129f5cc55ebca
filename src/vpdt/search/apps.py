"""Full-text search of documents: the index and the query, per database backend.

SQLite: an FTS5 external-content table over `records_document.subject_folded`, kept in
step by triggers (same transaction as the write, whatever path writes: ORM, bulk SQL,
admin). PostgreSQL: a GIN index on the stored `subject_tsv` (to_tsvector('simple', subject_folded)), an index on
the column itself, so there is no second copy that could drift. The text of files
(`search.FileText`) has the same two designs over its folded text.
"""
from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_migrate, post_save


class SearchConfig(AppConfig):
    name = "vpdt.search"
    label = "search"
    verbose_name = "Tìm kiếm văn bản"

    def ready(self) -> None:
        from vpdt.search import jobs  # noqa: F401 - registers search.text (the text of files)

        post_migrate.connect(_triggers_after_migrate, dispatch_uid="vpdt.search.ensure")
        # SQLite: the function the file pairs' triggers call (search migration 0009).
        connection_created.connect(_sqlite_functions, dispatch_uid="vpdt.search.functions")
        post_save.connect(_file_saved, sender="records.Attachment", dispatch_uid="vpdt.search.attachment")
        post_save.connect(_file_saved, sender="records.DraftVersion", dispatch_uid="vpdt.search.version")
        # The rest of a document's words (search.DocumentText): summary, note, recipients, opinions.
        post_save.connect(_document_saved, sender="records.Document", dispatch_uid="vpdt.search.document")
        # (workflow adds its opinions: workflow/apps.py, services.add_word_source)
        post_save.connect(part_changed, sender="records.Recipient", dispatch_uid="vpdt.search.recipient.save")
        post_delete.connect(part_changed, sender="records.Recipient", dispatch_uid="vpdt.search.recipient.delete")


def _sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        from vpdt.search.schema import register_sqlite_functions

        register_sqlite_functions(connection)


_DOCUMENT_WORDS = {"content", "note", "recipients_text"}


def _document_saved(sender, instance, created=False, update_fields=None, raw=False, using=None, **kwargs) -> None:
    # A save that names its fields and none of these leaves the words as they were: no query.
    if raw or (update_fields is not None and not _DOCUMENT_WORDS & set(update_fields)):
        return
    if created and not (instance.content or instance.note or instance.recipients_text):
        return  # nothing to index yet; recipients and opinions come with their own saves
    from vpdt.search.services import refresh_document_text

    refresh_document_text(instance.pk, using or "default")


# A recipient's words are its name: a save that names its fields and not these (a delivery state
# moving on each status the exchange receives) leaves the document's words as they were.
_RECIPIENT_WORDS = {"name", "document", "document_id"}


def part_changed(sender, instance, raw=False, using=None, signal=None, update_fields=None, **kwargs) -> None:
    if raw:
        return
    if (update_fields is not None and sender._meta.label == "records.Recipient"
            and not _RECIPIENT_WORDS & set(update_fields)):
        return
    from vpdt.search.services import refresh_document_text

    # A delete (perhaps the document's own cascade) never creates the row again.
    refresh_document_text(instance.document_id, using or "default", create=signal is not post_delete)


def _file_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs) -> None:
    # Every attachment and draft version, however it came (upload, a received package, release,
    # signing, an import through the services): its text is queued. A save that did not touch
    # the file (a renamed attachment) costs one indexed lookup.
    if raw:
        return
    if not created and update_fields is not None and "blob" not in update_fields:
        return
    from vpdt.search.services import queue_text

    queue_text(instance, new=created)


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
