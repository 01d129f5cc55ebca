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

from collections.abc import Callable, Sequence

from django.db import connections
from django.db.models import Model

from vpdt.core import prepared
from vpdt.hub.router import HUB_ALIAS as DB

_SQL: dict[tuple[type, str, int, str], tuple[str, list, bool]] = {}


def _statement(model: type[Model], connection, rows: int, conflict: str = "", update: str = "") -> tuple[str, list, bool]:
    """The INSERT of `rows` new rows; with `conflict` (a unique field): ON CONFLICT DO NOTHING,
    or DO UPDATE SET `update` (SQL), which still returns the existing row's key."""
    key = (model, connection.vendor, rows, conflict, update)
    found = _SQL.get(key)
    if found is None:
        meta = model._meta
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        quote = connection.ops.quote_name
        returning = connection.features.can_return_columns_from_insert and meta.auto_field is not None
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES {', '.join([one] * rows)}")
        sql += _on_conflict(meta, quote, conflict, update)
        if returning:
            sql += f" RETURNING {quote(meta.auto_field.column)}"
        found = _SQL[key] = (sql, fields, returning)
    return found


def _on_conflict(meta, quote, conflict: str, update: str = "") -> str:
    """The ON CONFLICT clause on the unique field `conflict` (none without it): DO NOTHING, or
    DO UPDATE SET `update` (SQL)."""
    if not conflict:
        return ""
    return f" ON CONFLICT ({quote(meta.get_field(conflict).column)}) " + (
        f"DO UPDATE SET {update}" if update else "DO NOTHING")


def cursor():
    """A cursor for one statement of a hot path (`with fastsql.cursor() as c: c.execute(...)`):
    `vpdt.core.prepared.cursor` on the hub's database."""
    return prepared.cursor(DB)


def _values(obj: Model, fields: list, connection) -> list:
    """A new row's values, prepared as `Model.save()` prepares them (pre_save with add=True)."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def insert(obj: Model, upsert: tuple[str, str] | None = None) -> Model:
    """INSERT one new instance (as `obj.save()` would); sets its primary key; returns it.
    `upsert` (unique field, SQL SET clause): where a row with the same value exists, update it
    so instead, and the key set is that row's."""
    connection = connections[DB]
    sql, fields, returning = _statement(type(obj), connection, 1, *(upsert or ()))
    values = _values(obj, fields, connection)
    with cursor() as c:
        c.execute(sql, values)
        pk = c.fetchone()[0] if returning else c.lastrowid
    _saved(obj, pk)
    return obj


def insert_linked(objs: list[Model], upsert: tuple[Model, str, str] | None = None) -> None:
    """INSERT new instances of several models where later ones point at earlier ones (a
    foreign key set to an unsaved instance of the list): on PostgreSQL in one statement (each
    INSERT a data-modifying CTE, the key taken from the earlier one's RETURNING), elsewhere one
    INSERT each, in order. Sets every key and every linked `<fk>_id`. `upsert` (one of `objs`,
    its unique field, an SQL SET clause): that one updates the row already there instead (see
    `insert`), and the others point at it."""
    if connections[DB].vendor != "postgresql":
        up_obj, up = (upsert[0], upsert[1:]) if upsert else (None, ())
        for obj, (_, links) in zip(objs, _plan(objs), strict=True):
            _link(obj, links, objs)
            insert(obj, up if obj is up_obj else None)
        return
    parts, values, keys, saved = linked(objs, upsert)
    with cursor() as c:
        c.execute(f"WITH {parts} SELECT {keys}", values)
        saved(c.fetchone())


def linked(objs: list[Model], upsert: tuple[Model, str, str] | None = None
           ) -> tuple[str, list, str, Callable[[Sequence], None]]:
    """`insert_linked`'s statement on PostgreSQL, in parts for a larger one: the WITH's parts
    (`r0 AS (INSERT …), r1 AS (…)`, each object's INSERT in order), their parameters, the SELECT
    list of the new keys, and `saved(keys)`, which sets every key and linked `<fk>_id` from the
    values that list gave."""
    up_obj, up = (upsert[0], upsert[1:]) if upsert else (None, ())
    connection = connections[DB]
    plan = _plan(objs)
    key = (tuple((type(obj), tuple((f.attname, j) for f, j in links.items())) for obj, (_, links) in zip(
        objs, plan, strict=True)), None if up_obj is None else (next(i for i, o in enumerate(objs) if o is up_obj), up))
    found = _LINKED.get(key)
    if found is None:
        quote = connection.ops.quote_name
        parts = []
        for i, (obj, (fields, links)) in enumerate(zip(objs, plan, strict=True)):
            meta = type(obj)._meta
            marks = ", ".join(f"(SELECT {quote(objs[links[f]]._meta.auto_field.column)} FROM r{links[f]})"
                              if f in links else "%s" for f in fields)
            conflict = _on_conflict(meta, quote, *up) if obj is up_obj else ""
            parts.append(f"r{i} AS (INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
                         f"VALUES ({marks}){conflict} RETURNING {quote(meta.auto_field.column)})")
        ids = ", ".join(f"(SELECT {quote(type(obj)._meta.auto_field.column)} FROM r{i})" for i, obj in enumerate(objs))
        found = _LINKED[key] = (", ".join(parts), ids)
    values = [v for obj, (fields, links) in zip(objs, plan, strict=True)
              for v in _values(obj, [f for f in fields if f not in links], connection)]

    def saved(keys: Sequence) -> None:
        for obj, pk in zip(objs, keys, strict=True):
            _saved(obj, pk)
        for obj, (_, links) in zip(objs, plan, strict=True):
            _link(obj, links, objs)

    return found[0], values, found[1], saved


def _plan(objs: list[Model]) -> list[tuple[list, dict]]:
    """Per object, its INSERT's fields, and each foreign key set to an unsaved object of the list
    with that object's index."""
    connection = connections[DB]
    plan = []
    for i, obj in enumerate(objs):
        fields = _statement(type(obj), connection, 1)[1]
        links = {}
        for f in fields:
            if f.many_to_one:
                target = f.get_cached_value(obj, None)
                if target is not None and target.pk is None:
                    j = next((k for k in range(i) if objs[k] is target), None)
                    if j is None:
                        raise ValueError(f"{type(obj).__name__}.{f.name} points at an unsaved object not inserted before it")
                    links[f] = j
        plan.append((fields, links))
    return plan


def _link(obj: Model, links: dict, objs: list[Model]) -> None:
    """Point `obj`'s linked keys at the saved objects (setting `<fk>_id` drops Django's cached
    instance; it is put back, as save() leaves it)."""
    for f, j in links.items():
        setattr(obj, f.attname, objs[j].pk)
        f.set_cached_value(obj, objs[j])


_LINKED: dict[tuple, tuple[str, str]] = {}


def insert_unless_present(obj: Model, unique: str) -> bool:
    """INSERT one new instance unless a row with the same value of the unique column `unique`
    exists (`ON CONFLICT … DO NOTHING`, PostgreSQL and SQLite): True if inserted (its key set)."""
    connection = connections[DB]
    sql, fields, returning = _statement(type(obj), connection, 1, conflict=unique)
    values = _values(obj, fields, connection)
    with cursor() as c:
        c.execute(sql, values)
        if returning:
            row = c.fetchone()
            if row is None:
                return False
            pk = row[0]
        else:
            if c.rowcount != 1:
                return False
            pk = c.lastrowid
    _saved(obj, pk)
    return True


def insert_unless_present_and_select(obj: Model, unique: str, select: str, params: list) -> tuple[bool, tuple | None]:
    """PostgreSQL only: `insert_unless_present`, and in the same statement the row of `select`
    (a SELECT of at most one row whose first column is never NULL, with its `params`), or None
    when it has none. One round trip where a request needs a row and must remember something
    (a caller's system and its signature)."""
    connection = connections[DB]
    if connection.vendor != "postgresql":
        raise NotImplementedError("data-modifying WITH is PostgreSQL's")
    sql, fields, _ = _statement(type(obj), connection, 1, conflict=unique)
    pk = connection.ops.quote_name(type(obj)._meta.auto_field.column)
    with cursor() as c:
        c.execute(f"WITH new_row AS ({sql}) SELECT (SELECT {pk} FROM new_row), picked.* FROM (SELECT 1) AS one "
                  f"LEFT JOIN ({select}) AS picked ON TRUE", [*_values(obj, fields, connection), *params])
        row = c.fetchone()
    if row[0] is not None:
        _saved(obj, row[0])
    return row[0] is not None, (None if row[1] is None else tuple(row[1:]))


def insert_many(objs: list[Model], then: tuple[str, list] | None = None) -> None:
    """INSERT new instances of one model in one statement (as `bulk_create`); sets their keys.
    `then`: an UPDATE (SQL, params) run after them: on PostgreSQL in the same statement (a
    data-modifying CTE), elsewhere as the next one."""
    batches = [objs[start:start + 500] for start in range(0, len(objs), 500)]  # below SQLite's bound
    for n, batch in enumerate(batches):
        _insert_rows(batch, then if n == len(batches) - 1 else None)
    if then is not None and not batches:
        with cursor() as c:
            c.execute(*then)


def _insert_rows(objs: list[Model], then: tuple[str, list] | None = None) -> None:
    connection = connections[DB]
    sql, fields, returning = _statement(type(objs[0]), connection, len(objs))
    values = [v for obj in objs for v in _values(obj, fields, connection)]
    if then is not None and connection.vendor == "postgresql" and returning:
        pk = connection.ops.quote_name(type(objs[0])._meta.auto_field.column)
        sql, values, then = f"WITH new_rows AS ({sql}), after_rows AS ({then[0]}) SELECT {pk} FROM new_rows", values + then[1], None
    with cursor() as c:
        c.execute(sql, values)
        if returning:
            for obj, row in zip(objs, c.fetchall(), strict=True):
                _saved(obj, row[0])
        else:
            for obj in objs:
                _saved(obj, None)
        if then is not None:
            c.execute(*then)


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
