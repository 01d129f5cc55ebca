"""Reads the ORM writes once and runs many times: the statements every page makes.

Under the load test's daily mix, building and compiling querysets took ~43 % of the web
processes' CPU (py-spy on the served workers, docs/BENCHMARKS.md): the same few statements
(the session, the person, their roles, whom they act for, the bell's count ...) were
written out again on every request. A `Read` has the ORM write its SQL once per process and
database, from a queryset built with marker values, and then runs that SQL with each call's
values, converting the columns as the ORM would (its own converters, kept from the compile).

What it takes: scalar parameters (int, str, date, datetime) that the ORM passes as query
parameters. Anything else is refused at compile time (a marker not found among the
parameters, or found where a fixed value is, or written into the SQL text): the `Read` then
simply runs the ORM each time, so a shape it cannot take is slower, never wrong.
`tests/core/test_prepared.py` compares each read with its ORM queryset on both backends.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable

log = logging.getLogger("vpdt.prepared")

_INT_BASE = 1_987_654_321  # inside a 32-bit integer column's range (Django refuses values outside it)


def _marker(kind: type, i: int):
    if kind is int:
        return _INT_BASE + 7 * i
    if kind is str:
        return f"\x1fvpdt-prepared-{i}\x1f"
    if kind is dt.datetime:
        return dt.datetime(1901, 2, 3, 4, 5, 6, 7000 + i, tzinfo=dt.UTC)
    if kind is dt.date:
        return dt.date(1901, 2, 3 + i)
    raise TypeError(f"prepared reads take int, str, date or datetime parameters, not {kind!r}")


def _adapter(kind: type, connection) -> Callable[[Any], Any]:
    """The value as the ORM passes it to this backend's cursor (dates and datetimes adapted)."""
    if kind is dt.datetime:
        return connection.ops.adapt_datetimefield_value
    if kind is dt.date:
        return connection.ops.adapt_datefield_value
    return lambda value: value


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: tuple  # per parameter: a name (the call's value) or (None, fixed value)
    adapters: dict
    converters: tuple  # (position, converters, expression)
    model: Any  # the model class when the rows are whole instances, else None
    attnames: tuple


class Read:
    """`Read(build, user_id=int)`: `build(**markers)` returns the queryset; `.rows(user_id=5)`
    runs it. `.instances()` gives model instances (a queryset of the plain model, no
    select_related)."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        self._build = build
        self._kinds = kinds
        self._compiled: dict[str, _Compiled | None] = {}
        self._alias: str | None = None  # the queryset's database, known at the first call

    # --- running --------------------------------------------------------------------------
    def rows(self, **values) -> list[tuple]:
        compiled, alias = self._get(values)
        if compiled is None:
            return self._orm_rows(values)
        params = [compiled.adapters[slot](values[slot]) if isinstance(slot, str) else slot[1]
                  for slot in compiled.slots]
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            converted = []
            for row in rows:
                row = list(row)
                for pos, convs, expression in compiled.converters:
                    value = row[pos]
                    for converter in convs:
                        value = converter(value, expression, connection)
                    row[pos] = value
                converted.append(tuple(row))
            rows = converted
        return rows

    def first(self, **values) -> tuple | None:
        rows = self.rows(**values)
        return rows[0] if rows else None

    def scalar(self, **values):
        row = self.first(**values)
        return row[0] if row else None

    def instances(self, **values) -> list:
        compiled, alias = self._get(values)
        if compiled is None or compiled.model is None:
            return list(self._build(**values))
        return [compiled.model.from_db(alias, compiled.attnames, row) for row in self.rows(**values)]

    def instance(self, **values):
        found = self.instances(**values)
        return found[0] if found else None

    # --- compiling ------------------------------------------------------------------------
    def _orm_rows(self, values) -> list[tuple]:
        qs = self._build(**values)
        compiler = qs.query.get_compiler(qs.db)
        return [tuple(row) for row in compiler.results_iter(tuple_expected=True)]

    def _get(self, values) -> tuple[_Compiled | None, str]:
        if set(values) != set(self._kinds):
            raise TypeError(f"expected the values {sorted(self._kinds)}, got {sorted(values)}")
        alias = self._alias
        if alias is None or alias not in self._compiled:
            markers = {name: _marker(kind, i) for i, (name, kind) in enumerate(self._kinds.items())}
            qs = self._build(**markers)
            alias = self._alias = qs.db
            self._compiled[alias] = self._compile(qs, markers)
        return self._compiled[alias], alias

    def _compile(self, qs: QuerySet, markers: dict) -> _Compiled | None:
        connection = connections[qs.db]
        adapters = {name: _adapter(self._kinds[name], connection) for name in markers}
        expected = {name: adapters[name](value) for name, value in markers.items()}
        compiler = qs.query.get_compiler(qs.db)
        try:
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet):
            return None
        slots, used = [], set()
        for param in params:
            names = [n for n, v in expected.items() if type(v) is type(param) and v == param]
            if len(names) > 1:
                return self._refuse("two markers give one value")
            if names:
                slots.append(names[0])
                used.add(names[0])
            else:
                slots.append((None, param))
        if used != set(markers):
            return self._refuse(f"markers not passed as parameters: {sorted(set(markers) - used)}")
        if any(str(v) in sql for v in expected.values()):
            return self._refuse("a marker written into the SQL text")
        fields = [s[0] for s in compiler.select[:compiler.col_count]]
        converters = tuple((pos, tuple(convs), expr) for pos, (convs, expr) in compiler.get_converters(fields).items())
        model, attnames = None, ()
        info = compiler.klass_info
        if info and not info.get("related_klass_infos") and not qs._fields and qs._iterable_class is ModelIterable:
            concrete = info["model"]._meta.concrete_fields
            selected = [compiler.select[i][0].target.attname for i in info["select_fields"]]
            if selected == [f.attname for f in concrete][:len(selected)] and len(selected) == len(fields):
                model, attnames = info["model"], tuple(selected)
        return _Compiled(sql, tuple(slots), adapters, converters, model, attnames)

    def _refuse(self, why: str) -> None:
        log.warning("prepared read %r runs through the ORM each time: %s", self._build, why)
        return None
