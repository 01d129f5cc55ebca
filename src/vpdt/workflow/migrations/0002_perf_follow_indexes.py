"""Indexes for the "Theo dõi" queue: see vpdt.workflow.indexes."""

from django.db import migrations

from vpdt.core import db_indexes
from vpdt.workflow.indexes import FOLLOW_INDEXES, TABLE


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]
    operations = db_indexes.operations(TABLE, FOLLOW_INDEXES)
