"""INSERTs on the hub's hot paths without the ORM's per-call query compiling.

`Model.objects.create()` builds and compiles its INSERT on every call: on the accept path
(package, submission, delivery, seen signature, log entries) that cost ~1 ms of CPU per
row, several times what the database spends executing it (bench/hub_profile.py). Here the
SQL text is built once per model and connection vendor, and each row only has its values
prepared the way `Model.save()` prepares them for a new row (`pre_save` with add=True:
auto_now(_add) timestamps, then `get_db_prep_save`), so the rows, defaults and instances
are the same as the ORM's. Model save signals are not sent (the hub registers none).
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Model

from vpdt.hub.router import HUB_ALIAS as DB

_SQL: dict[tuple[type, str, int], tuple[str, list, bool]] = {}


def _statement(model: type[Model], connection, rows: int) -> tuple[str, list, bool]:
    key = (model, connection.vendor, rows)
    found = _SQL.get(key)
    if found is None:
        meta = model._meta
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        quote = connection.ops.quote_name
        returning = connection.features.can_return_columns_from_insert and meta.auto_field is not None
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES {', '.join([one] * rows)}")
        if returning:
            sql += f" RETURNING {quote(meta.auto_field.column)}"
        found = _SQL[key] = (sql, fields, returning)
    return found


def insert(obj: Model) -> Model:
    """INSERT one new instance (as `obj.save()` would); sets its primary key; returns it."""
    connection = connections[DB]
    sql, fields, returning = _statement(type(obj), connection, 1)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    _saved(obj, pk)
    return obj


def insert_many(objs: list[Model]) -> None:
    """INSERT new instances of one model in one statement (as `bulk_create`); sets their keys."""
    for start in range(0, len(objs), 500):  # far below SQLite's bound on parameters
        _insert_rows(objs[start:start + 500])


def _insert_rows(objs: list[Model]) -> None:
    if not objs:
        return
    connection = connections[DB]
    sql, fields, returning = _statement(type(objs[0]), connection, len(objs))
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if returning:
            for obj, row in zip(objs, cursor.fetchall(), strict=True):
                _saved(obj, row[0])
        else:
            for obj in objs:
                _saved(obj, None)


def existing(model: type[Model], pk) -> Model:
    """A stand-in for the stored row `pk` (only its key loaded): enough to point a foreign key at."""
    obj = model(pk=pk)
    _saved(obj, pk)
    return obj


def _saved(obj: Model, pk) -> None:
    if pk is not None:
        obj.pk = pk
    obj._state.adding = False
    obj._state.db = DB
