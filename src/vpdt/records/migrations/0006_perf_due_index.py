"""The "Quá hạn" (overdue) and "Sắp đến hạn" (due soon) queues: documents of an agency in a
handling state with a due date in a range. An index in that shape (see vpdt.search.schema and
BENCHMARKS.md): the leader's due-soon queue on SQLite walked the agency's 54,000 incoming
documents (113 ms in the database); now it reads the few that match."""

from django.db import migrations

from vpdt.core import db_indexes
from vpdt.search.schema import LIST_INDEXES_0006


class Migration(migrations.Migration):
    dependencies = [("records", "0005_perf_ids_first")]
    operations = db_indexes.operations("records_document", LIST_INDEXES_0006)
