"""Lists page through ids first (records.listing): indexes that answer the ids-only query
alone. The state filter's index gains secrecy (replacing doc_list_state); drafts by unit and
by person get (column, id) indexes. See vpdt.search.schema and BENCHMARKS.md."""

from django.db import migrations

from vpdt.core import db_indexes
from vpdt.search.schema import LIST_INDEXES, LIST_INDEXES_0005, RETIRED_0005


class Migration(migrations.Migration):
    dependencies = [("records", "0004_perf_api_order")]
    operations = db_indexes.operations("records_document", LIST_INDEXES_0005,
                                       retired=[(n, c) for n, c in LIST_INDEXES if n in RETIRED_0005])
