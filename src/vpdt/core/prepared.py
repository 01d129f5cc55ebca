"""Reads the ORM writes once and runs many times: the statements every page makes.

Under the load test's daily mix, building and compiling querysets took ~43 % of the web
processes' CPU (py-spy on the served workers, docs/BENCHMARKS.md): the same few statements
(the session, the person, their roles, whom they act for, the bell's count ...) were
written out again on every request. A `Read` has the ORM write its SQL once per process and
database, from a queryset built with marker values, and then runs that SQL with each call's
values, converting the columns as the ORM would (its own converters, kept from the compile).

What it takes: scalar parameters (int, str, date, datetime) that the ORM passes as query
parameters, and lists of ints or strs (kind `[int]`, for `__in`). On PostgreSQL a list is one
array parameter (`= ANY(%s)`), one SQL for every length; elsewhere its SQL is written once per
length rounded up to a power of two, the list padded with its last value (an IN list with a
repeated value answers the same). An empty list, or one longer than 1,024, runs through the
ORM. An int marker that the ORM answers without a query (past a small integer column's range)
is tried again with small markers; psycopg's Int2 wrapping of such a column is kept. Model rows
come back as the ORM's ModelIterable builds them, `select_related` objects and annotations
included (not `prefetch_related`, nor a related manager's known objects: `attach()` sets those).
Anything else is refused at compile time (a marker not found among the parameters, or found
where a fixed value is, or written into the SQL text): the `Read` then simply runs the ORM each
time, so a shape it cannot take is slower, never wrong.
`tests/core/test_prepared.py` compares each read with its ORM queryset on both backends.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import logging
import re
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, transaction
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql import UpdateQuery

log = logging.getLogger("vpdt.prepared")

_INT_BASE = 1_987_654_321  # inside a 32-bit integer column's range (Django refuses values outside it)
_LIST_MAX = 1024  # a longer list runs through the ORM (padding must not pass a backend's limit of parameters)
_SMALL_BASE = 30_011  # the second try, for a small integer column (a year): inside its range too


def _bucket(n: int) -> int:
    """The length a list's SQL is written for: the next power of two (1, 2, 4, 8 ...)."""
    return 1 << (n - 1).bit_length()


def _marker(kind: type, i: int, small: bool = False):
    if kind is int:
        return (_SMALL_BASE if small else _INT_BASE) + 7 * i
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


_OUT_OF_RANGE = object()
_ARRAY = "array"  # a slot's index for a whole list passed as one array
_PLACEHOLDER = re.compile(r"%%|%s")


def _as_arrays(sql: str, slots: list, wrappers: list, sizes: dict) -> tuple[str, list, list] | None:
    """PostgreSQL: each list's `IN (%s, %s, ...)` written as `= ANY(%s)` with the list as one
    array parameter, so one SQL text serves every length. psycopg otherwise splits a statement
    longer than 4 KB again at each call (its cache's limit), and PostgreSQL parses every literal
    of a long IN list: a list page's read marks of its 1,000 matches. None: a list not found in
    that form (it then keeps its buckets)."""
    places = [m.start() for m in _PLACEHOLDER.finditer(sql) if m.group() == "%s"]
    if len(places) != len(slots):
        return None
    out, new_slots, new_wrappers, i, last = [], [], [], 0, 0
    while i < len(slots):
        slot = slots[i]
        if isinstance(slot, tuple) and slot[0] in sizes:
            j = i
            while j + 1 < len(slots) and slots[j + 1] == (slot[0], slots[j][1] + 1):
                j += 1
            if slot[1] != 0 or j - i + 1 != sizes[slot[0]]:  # the whole list, in order, or not at all
                return None
            start, end = places[i], places[j] + 2
            if not (sql[:start].endswith(" IN (") and sql[end:end + 1] == ")"
                    and all(sql[places[k] + 2:places[k + 1]] == ", " for k in range(i, j))):
                return None
            out.append(sql[last:start - len(" IN (")] + " = ANY(%s")
            new_slots.append((slot[0], _ARRAY))
            new_wrappers.append(None)
            last, i = end, j + 1
            continue
        out.append(sql[last:places[i] + 2])
        new_slots.append(slot)
        new_wrappers.append(wrappers[i])
        last, i = places[i] + 2, i + 1
    out.append(sql[last:])
    return "".join(out), new_slots, new_wrappers


def _params(compiled: _Compiled, values: dict) -> list:
    """The statement's parameters for these values, in the order its slots name them."""
    params = []
    for slot, wrapper in zip(compiled.slots, compiled.wrappers, strict=True):
        if isinstance(slot, str):
            value = compiled.adapters[slot](values[slot])
        elif slot[0] is None:
            params.append(slot[1])
            continue
        elif slot[1] is _ARRAY:
            params.append(values[slot[0]])
            continue
        else:
            value = values[slot[0]][slot[1]]
        params.append(value if wrapper is None else wrapper(value))
    return params


class _Watched:
    """The driver's cursor, each statement passed through the connection's `execute_wrapper`
    hooks as Django's cursor passes it (`context["cursor"]` is this object)."""

    __slots__ = ("_raw", "_db")

    def __init__(self, raw, db):
        self._raw, self._db = raw, db

    def _run(self, sql, params, many, context):
        return self._raw.executemany(sql, params) if many else self._raw.execute(sql, params)

    def _through_hooks(self, sql, params, many: bool):
        run = self._run
        for hook in reversed(self._db.execute_wrappers):
            run = functools.partial(hook, run)
        return run(sql, params, many, {"connection": self._db, "cursor": self})

    def execute(self, sql, params=None):
        return self._through_hooks(sql, params, False)

    def executemany(self, sql, param_list):
        return self._through_hooks(sql, param_list, True)

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def __iter__(self):
        return iter(self._raw)


class cursor:  # noqa: N801 (used as a function: `with prepared.cursor(alias) as c`)
    """A cursor for the statements of a hot path (`with prepared.cursor(alias) as c: c.execute(...)`).

    On PostgreSQL, the driver's own cursor, made once per connection (as Django makes one) and
    reused: Django's cursor wrapper and a new psycopg cursor for each statement cost this
    process ~25 µs of CPU more per statement, about a third of a one-row statement's
    (`python bench/statement_cursor.py`). What Django's cursor does around a statement still
    happens: the per-request health check, the connection opened when needed, the refusal inside
    a transaction marked for rollback, errors turned into Django's (IntegrityError …), the
    `execute_wrapper` hooks (each statement passes through them). Django's own cursor on
    SQLite (its placeholders), while the query log is kept (DEBUG, `CaptureQueriesContext`),
    and for a cursor asked for while the connection's is in use (one nested in another). The
    last statement's rows stay with the cursor until the next statement on the connection."""

    __slots__ = ("_alias", "_db", "_django")

    def __init__(self, alias: str = "default"):
        self._alias = alias

    def __enter__(self):
        connection = self._db = connections[self._alias]
        kept = connection.__dict__
        if connection.vendor != "postgresql" or connection.queries_logged or kept.get("_vpdt_busy"):
            self._django = connection.cursor()
            return self._django.__enter__()
        self._django = None
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        connection.validate_no_broken_transaction()
        c = kept.get("_vpdt_cursor")
        if c is None or c.connection is not connection.connection or c.closed:
            with connection.wrap_database_errors:
                c = kept["_vpdt_cursor"] = connection.create_cursor()
        kept["_vpdt_busy"] = True
        return _Watched(c, connection) if connection.execute_wrappers else c

    def __exit__(self, exc_type, exc, traceback):
        if self._django is not None:
            return self._django.__exit__(exc_type, exc, traceback)
        self._db.__dict__["_vpdt_busy"] = False
        if exc_type is not None:  # a driver error leaves as Django's (IntegrityError ...), as its cursor's would
            return self._db.wrap_database_errors.__exit__(exc_type, exc, traceback)
        return None


class _Refused(Exception):
    """A shape a prepared statement does not take (it then runs through the ORM each time)."""


ALL: weakref.WeakSet = weakref.WeakSet()  # every Read made, for the test that none was refused


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: tuple  # per parameter: a name, (a list's name, its index), or (None, fixed value)
    adapters: dict
    converters: tuple  # (position, converters, expression)
    model: Any  # the model class when the rows are whole instances, else None
    attnames: tuple
    wrappers: tuple = ()  # per parameter: the driver's type the ORM wrapped the value in (Int2), or None
    start: int = 0  # where the model's columns start in a row
    populators: tuple = ()  # select_related objects (Django's RelatedPopulator)
    annotations: tuple = ()  # (attribute, position)
    arrays: bool = False  # each list is one array parameter (PostgreSQL): the SQL fits any length


def attach(rows: list, **parents) -> list:
    """Sets each row's foreign keys to these already loaded objects (`attach(rows, document=doc)`),
    as a related manager (`doc.attachments.all()`) does for the object it was reached from."""
    for name, parent in parents.items():
        for row in rows:
            type(row)._meta.get_field(name).set_cached_value(row, parent)
    return rows


def known(obj, **related) -> None:
    """Sets what reverse relations of `obj` hold (`known(doc, attachments=[a1, a2])`), as a
    `prefetch_related` read would leave them: `doc.attachments.all()` then answers from them,
    without a query (a `.filter()` on it still asks the database). For a row its caller has just
    made with every related row it has; like any prefetched rows, a later write that does not
    come through the same object is not seen there."""
    cache = obj.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in related.items():
        rel = obj._meta.get_field(name)
        cache.pop(rel.cache_name, None)
        queryset = getattr(obj, name).all()  # the related manager's own query, filtered to obj
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        cache[rel.cache_name] = queryset


def known_rows(obj, name: str) -> list | None:
    """The rows a reverse relation of `obj` is known to hold (`known`, or a `prefetch_related`
    read), or None when they would have to be read."""
    cached = obj.__dict__.get("_prefetched_objects_cache", {}).get(obj._meta.get_field(name).cache_name)
    return None if cached is None or cached._result_cache is None else list(cached._result_cache)


def refresh_from(obj, fresh) -> None:
    """`obj.refresh_from_db()` with `fresh`, the same row just read whole (by another read, e.g.
    as a `select_related` object): every field's value set again, cached related objects dropped
    or taken from `fresh`, prefetched ones forgotten, as Django 5.2's `refresh_from_db` leaves them."""
    if fresh is None or fresh.pk != obj.pk or type(fresh) is not type(obj):
        raise type(obj).DoesNotExist(f"{type(obj).__name__} {obj.pk} was not read")
    if fresh.get_deferred_fields():
        raise TypeError("a refresh takes a read of every field of the row")
    obj._prefetched_objects_cache = {}
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(fresh, field.attname))
        if field.is_relation:
            if field.is_cached(fresh):
                field.set_cached_value(obj, field.get_cached_value(fresh))
            elif field.is_cached(obj):
                field.delete_cached_value(obj)
    for related in [*obj._meta.related_objects, *(f for f in obj._meta.private_fields if f.is_relation)]:
        if related.is_cached(obj):
            related.delete_cached_value(obj)
    obj._state.db = fresh._state.db


class Read:
    """`Read(build, user_id=int, ids=[int])`: `build(**markers)` returns the queryset;
    `.rows(user_id=5, ids=[1, 2])` runs it. `.instances()` gives model instances as the
    queryset would (select_related and annotations included)."""

    def __init__(self, build: Callable[..., QuerySet], **kinds):
        self._build = build
        self._lists = {}
        for name, kind in kinds.items():
            if isinstance(kind, list):
                if kind not in ([int], [str]):
                    raise TypeError(f"a prepared read's list parameter is [int] or [str], not {kind!r}")
                self._lists[name] = kind[0]
            else:
                _marker(kind, 0)  # refuses a kind it cannot take, now rather than at the first call
        self._kinds = kinds
        ALL.add(self)
        self._compiled: dict[tuple, _Compiled | None] = {}
        self._alias: str | None = None  # the queryset's database, known at the first call

    # --- running --------------------------------------------------------------------------
    def rows(self, **values) -> list[tuple]:
        compiled, alias, values = self._get(values)
        if compiled is None:
            return self._orm_rows(values)
        return self._run(compiled, alias, values)

    def _run(self, compiled: _Compiled, alias: str, values: dict, write: tuple[str, list] | None = None
             ) -> list[tuple]:
        connection = connections[alias]
        sql, params = compiled.sql, _params(compiled, values)
        if write is not None:  # one statement: the write as a WITH before the read (instances_after)
            sql, params = f"WITH {AFTER_WRITE} AS ({write[0]}) {sql}", [*write[1], *params]
        with (transaction.mark_for_rollback_on_error(using=alias) if write is not None else contextlib.nullcontext(),
              cursor(alias) as c):
            c.execute(sql, params)
            rows = c.fetchall()
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
        return self._instances(*self._get(values))

    def instances_after(self, write: tuple[str, list] | None, **values) -> list:
        """`write` (a data-modifying statement and its parameters), then `.instances(**values)`,
        in one statement on PostgreSQL: `WITH after_write AS (write) read`. The read may name the
        rows the write returns (`RawSQL("SELECT id FROM after_write", [])` in its filter); it
        sees every table as it was before the write, as any statement with a data-modifying WITH
        does. The write runs even when the read finds nothing. Elsewhere (or for a read that runs
        through the ORM), the write runs first, then the read: two statements, the same rows,
        except for a read that names `after_write` (PostgreSQL only). `write` None: the read alone."""
        compiled, alias, values = self._get(values)
        together = compiled is not None and compiled.model is not None and connections[alias].vendor == "postgresql"
        if write is not None and not together:
            with transaction.mark_for_rollback_on_error(using=alias), cursor(alias) as c:
                c.execute(*write)
            write = None
        return self._instances(compiled, alias, values, write)

    def _instances(self, compiled: _Compiled | None, alias: str, values: dict,
                   write: tuple[str, list] | None = None) -> list:
        """`_get`'s answer as model instances (after `write`, in its statement)."""
        if compiled is None or compiled.model is None:
            return list(self._build(**values))
        model, attnames, start, end = compiled.model, compiled.attnames, compiled.start, compiled.start + len(
            compiled.attnames)
        found = []
        for row in self._run(compiled, alias, values, write):
            obj = model.from_db(alias, attnames, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for attr, pos in compiled.annotations:
                setattr(obj, attr, row[pos])
            found.append(obj)
        return found

    def instance(self, **values):
        found = self.instances(**values)
        return found[0] if found else None

    def refresh(self, obj, **values) -> None:
        """`obj.refresh_from_db()` with the row this read finds (the same row, all its fields):
        every field's value set again, cached related objects dropped or taken from the read's
        `select_related`, prefetched ones forgotten, as Django 5.2's `refresh_from_db` leaves
        them. `DoesNotExist` when the row is gone."""
        refresh_from(obj, self.instance(**values))

    # --- compiling ------------------------------------------------------------------------
    def _orm_rows(self, values) -> list[tuple]:
        qs = self._build(**values)
        compiler = qs.query.get_compiler(qs.db)
        return [tuple(row) for row in compiler.results_iter(tuple_expected=True)]

    def _get(self, values) -> tuple[_Compiled | None, str, dict]:
        """The compiled read for these values (None: through the ORM), its database, and the
        values with each list padded to its bucket's length."""
        if set(values) != set(self._kinds):
            raise TypeError(f"expected the values {sorted(self._kinds)}, got {sorted(values)}")
        buckets = ()
        if self._lists:
            values = dict(values)
            for name in self._lists:
                given = list(values[name])
                if not given or len(given) > _LIST_MAX:  # the ORM knows what an empty IN means
                    return None, self._alias or "", values
                values[name] = given
            arrays = self._compiled.get((self._alias, _ARRAY))
            if arrays is not None:  # one SQL for every length: no padding
                return arrays, self._alias, values
            for name in self._lists:
                given = values[name]
                size = _bucket(len(given))
                values[name] = given + given[-1:] * (size - len(given))
                buckets += (size,)
        alias = self._alias
        key = (alias, buckets)
        if alias is None or key not in self._compiled:
            for small in (False, True):
                markers, n = {}, 0
                for name, kind in self._kinds.items():
                    if name in self._lists:
                        size = len(values[name])
                        markers[name] = [_marker(self._lists[name], n + j, small) for j in range(size)]
                        n += size
                    else:
                        markers[name] = _marker(kind, n, small)
                        n += 1
                built = self._build(**markers)
                alias = self._alias = self._db(built)
                key = (alias, buckets)
                compiled = self._compile(built, markers, last_try=small)
                if compiled is not _OUT_OF_RANGE:
                    break
            self._compiled[key] = compiled
            if compiled is not None and compiled.arrays:
                self._compiled[(alias, _ARRAY)] = compiled
        return self._compiled[key], alias, values

    @staticmethod
    def _db(built) -> str:
        return built.db

    def _written(self, qs: QuerySet):
        """(compiler, sql, params) of what `build` returned with the markers."""
        if qs._prefetch_related_lookups:
            raise _Refused("prefetch_related is not taken")
        compiler = qs.query.get_compiler(qs.db)
        return (compiler, *compiler.as_sql())

    def _compile(self, qs, markers: dict, last_try: bool = True):
        connection = connections[self._db(qs)]
        adapters = {name: _adapter(self._kinds[name], connection) for name in markers if name not in self._lists}
        expected = {}  # the value the ORM passes -> its slot
        for name, value in markers.items():
            if name in self._lists:
                expected.update({(type(v), v): (name, j) for j, v in enumerate(value)})
            else:
                adapted = adapters[name](value)
                expected[(type(adapted), adapted)] = name
        try:
            compiler, sql, params = self._written(qs)
        except _Refused as exc:
            return self._refuse(str(exc))
        except (EmptyResultSet, FullResultSet):
            # Django answers a value out of a column's range without asking (a marker past a
            # small integer column's end): tried again with small markers, else refused.
            if not last_try:
                return _OUT_OF_RANGE
            return self._refuse("the markers make the ORM answer without a query")
        slots, wrappers, used = [], [], set()
        for param in params:
            # PostgreSQL's backend passes a small integer column's value as psycopg's Int2
            wrapper = type(param) if isinstance(param, int) and type(param) not in (int, bool) else None
            slot = expected.get((int, int(param)) if wrapper else (type(param), param))
            if slot is not None:
                used.add(slot)
                slots.append(slot)
                wrappers.append(wrapper)
            else:
                slots.append((None, param))
                wrappers.append(None)
        if used != set(expected.values()):
            return self._refuse(f"markers not passed as parameters: {sorted(map(str, set(expected.values()) - used))}")
        if any(str(v) in sql for _, v in expected):
            return self._refuse("a marker written into the SQL text")
        arrays = False
        if self._lists and connection.vendor == "postgresql":
            rewritten = _as_arrays(sql, slots, wrappers, {name: len(markers[name]) for name in self._lists})
            if rewritten is not None:
                (sql, slots, wrappers), arrays = rewritten, True
        return self._shaped(compiler, qs, sql, tuple(slots), adapters, tuple(wrappers), arrays)

    def _shaped(self, compiler, qs, sql, slots, adapters, wrappers, arrays) -> _Compiled:
        """The compiled read with what turns its rows into what the queryset gives: the columns'
        converters, and for whole instances the model, its columns and select_related objects."""
        fields = [s[0] for s in compiler.select[:compiler.col_count]]
        converters = tuple((pos, tuple(convs), expr) for pos, (convs, expr) in compiler.get_converters(fields).items())
        info = compiler.klass_info
        if not (info and not qs._fields and qs._iterable_class is ModelIterable):
            return _Compiled(sql, slots, adapters, converters, None, (), wrappers, arrays=arrays)
        # as ModelIterable builds its objects, from the same compiler's select and klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        return _Compiled(sql, slots, adapters, converters, info["model"],
                         tuple(f[0].target.attname for f in compiler.select[start:end]), wrappers, start,
                         tuple(get_related_populators(info, compiler.select, qs.db)),
                         tuple(compiler.annotation_col_map.items()), arrays)

    def _refuse(self, why: str) -> None:
        log.warning("prepared read %r runs through the ORM each time: %s", self._build, why)
        return None


AFTER_WRITE = "after_write"  # the name a read run by `instances_after` gives the write's returned rows

_REFERENCE_ROWS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("vpdt_reference_rows", default=None)
REFERENCE_SECONDS = 30.0  # how long a run keeps a reference read's rows before it reads them again


@contextlib.contextmanager
def reference_rows() -> Iterator[None]:
    """Within it, each `ReferenceRead` runs its statement once per parameters and keeps the rows
    for REFERENCE_SECONDS: for a job run that takes in many packages one after another
    (exchange.receive), the agency a code names, a document type, the trust anchors, the clerks
    to tell. An administrator's change reaches the run within those seconds. Nested, the outer
    one counts."""
    if _REFERENCE_ROWS.get() is not None:
        yield
        return
    token = _REFERENCE_ROWS.set({})
    try:
        yield
    finally:
        _REFERENCE_ROWS.reset(token)


class ReferenceRead(Read):
    """A `Read` of reference data: rows an administrator changes, not the work that reads them.
    Inside `reference_rows()` its rows are kept (the rows, not objects: every call builds its
    own instances, so one package's changes to an object never reach the next); outside, it is
    a `Read`. Never for rows the same run writes (a key it generates, a document it makes)."""

    def _run(self, compiled: _Compiled, alias: str, values: dict, write: tuple[str, list] | None = None
             ) -> list[tuple]:
        kept = _REFERENCE_ROWS.get()
        if kept is None or write is not None:
            return super()._run(compiled, alias, values, write)
        key = (id(self), alias, *((name, tuple(value) if isinstance(value, list) else value)
                                  for name, value in sorted(values.items())))
        now = time.monotonic()
        found = kept.get(key)
        if found is None or now - found[0] > REFERENCE_SECONDS:
            found = kept[key] = (now, super()._run(compiled, alias, values))
        return found[1]


class Update(Read):
    """An UPDATE written once: `Update(lambda pk, now: (Message.objects.filter(pk=pk, locked_until__lt=now),
    {"locked_until": now}), pk=int, now=dt.datetime)`; `.run(pk=5, now=...)` changes the rows as
    `queryset.update(**changes)` would and returns how many. The parameters are a Read's (scalars,
    lists); the changes may use them and F() expressions. A filter across a join is written as the
    ORM writes it (`pk IN (subquery)`); an update of a parent model's fields (multi-table
    inheritance, two statements) or a backend that must read the rows first runs through the ORM."""

    def run(self, **values) -> int:
        compiled, alias, values = self._get(values)
        if compiled is None:
            qs, changes = self._build(**values)
            return qs.update(**changes)
        with transaction.mark_for_rollback_on_error(using=alias), cursor(alias) as c:
            c.execute(compiled.sql, _params(compiled, values))
            return c.rowcount

    def statement(self, **values) -> tuple[str, list] | None:
        """The UPDATE's SQL and parameters for these values, for `Read.instances_after`; None when
        it runs through the ORM (then `.run` it)."""
        compiled, _, values = self._get(values)
        return None if compiled is None else (compiled.sql, _params(compiled, values))

    def rows(self, **values):
        raise TypeError("an Update is run (.run), not read")

    instances = rows

    @staticmethod
    def _db(built) -> str:
        return built[0].db

    def _shaped(self, compiler, qs, sql, slots, adapters, wrappers, arrays) -> _Compiled:
        return _Compiled(sql, slots, adapters, (), None, (), wrappers, arrays=arrays)  # no rows to shape

    def _written(self, built):
        qs, changes = built
        query = qs.query.chain(UpdateQuery)
        query.add_update_values(changes)
        query.annotations = {}  # as QuerySet.update: the changes' expressions are resolved, not selected
        if query.related_updates:
            raise _Refused("a parent model's fields (two statements)")
        compiler = query.get_compiler(qs.db)
        query.get_initial_alias()
        if query.count_active_tables() > 1 and not compiler.connection.features.update_can_self_select:
            raise _Refused("this backend reads the rows before updating across a join")
        compiler.pre_sql_setup()  # a filter across a join: `pk IN (the filtered subquery)`
        return (compiler, *compiler.as_sql())


_UNSET = object()


class _ModelStatement:
    """What Insert and SaveFields share: one model, its statement written once per database (None:
    refused, the ORM each time), and the models neither takes."""

    def __init__(self, model):
        self.model = model
        self._written: dict[str, tuple | None] = {}

    def _statement(self, obj, using: str | None) -> tuple[str, tuple | None]:
        """(the database `obj` is written to, the statement written for it or None)."""
        from django.db import router

        alias = using or router.db_for_write(self.model, instance=obj)
        written = self._written.get(alias, _UNSET)
        if written is _UNSET:
            written = self._written[alias] = self._write(alias)
        return alias, written

    def _write(self, alias: str) -> tuple | None:
        raise NotImplementedError

    def _model_refused(self) -> str:
        """Why this model is saved through the ORM each time ("" when it is not): a model saved in
        more than one statement (a parent), a proxy, an automatic one, or one with its own save()
        that does more than set some of its fields first. A model whose save() only does that names
        the method that does it in `prepared_save_derives`: `method(update_fields)` sets them and,
        given the fields a save writes (a set), returns those and the ones it set from them (None
        given None); its save() must be that method, then Model.save."""
        from django.db.models import Model

        meta = self.model._meta
        if meta.parents or meta.proxy or meta.auto_created:
            return "a parent, proxy or automatic model"
        if self.model.save_base is not Model.save_base:
            return "its own save_base()"
        if self.model.save is not Model.save and self._derive is None:
            return "its own save()"
        return ""

    @property
    def _derive(self) -> str | None:
        """The name of the model's method that sets its derived fields before a save, if any."""
        return getattr(self.model, "prepared_save_derives", None)


class Insert(_ModelStatement):
    """`Insert(Model)`: `.create(**fields)` makes and saves one row as `Model.objects.create(**fields)`
    does (the model's defaults, `auto_now_add`, the pre_save and post_save signals, the primary key
    set on the object), with its INSERT written once per process and database instead of compiled
    again at every call (the compile was most of a create's CPU on the exchange's paths).

    Refused at the first call, then run through the ORM each time: a model saved in more than one
    statement (a parent model), a proxy, a model with its own `save()` (unless that save() only sets
    some fields first: `prepared_save_derives`, see `_model_refused`), a field with a database
    default or generated, a primary key returned otherwise than as the ORM does for a single row.
    A row whose values (after pre_save) hold an expression, or whose primary key is given, goes
    through the ORM too. `tests/core/test_prepared.py` compares rows and signals with the ORM's."""

    def __init__(self, model):
        super().__init__(model)
        ALL_INSERTS.add(self)

    def create(self, **fields):
        obj = self.model(**fields)
        self.save_new(obj)
        return obj

    def save_new(self, obj, *, using: str | None = None):
        """Insert `obj` (new, its primary key unset) as `obj.save(force_insert=True)` does."""
        from django.db.models import signals

        model = self.model
        alias, written = self._statement(obj, using)
        meta = model._meta
        if written is None or obj.pk is not None:
            obj.save(force_insert=True, using=alias)
            return obj
        sql, fields, returning, column, converters = written
        if self._derive:
            getattr(obj, self._derive)(None)
        obj._prepare_related_fields_for_save(operation_name="save")
        signals.pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
        connection = connections[alias]
        values = [field.pre_save(obj, True) for field in fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            with transaction.mark_for_rollback_on_error(using=alias):
                row = model._base_manager._insert([obj], fields=list(fields), returning_fields=[meta.pk],
                                                  using=alias)[0]
        else:
            params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)]
            with transaction.mark_for_rollback_on_error(using=alias), cursor(alias) as c:
                c.execute(sql, params)
                if returning is not None:
                    row = connection.ops.fetch_returned_insert_columns(c, returning)
                else:
                    row = (connection.ops.last_insert_id(c, meta.db_table, meta.pk.column),)
            value = row[0]
            for converter in converters:
                value = converter(value, column, connection)
            row = (value,)
        setattr(obj, meta.pk.attname, row[0])
        obj._state.db = alias
        obj._state.adding = False
        signals.post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=alias)
        return obj

    def _write(self, alias: str) -> tuple | None:
        """(sql, fields, the RETURNING clause's parameters or None (no RETURNING: the backend's last
        id), the primary key's column and converters), or None (refused)."""
        from django.db.models import NOT_PROVIDED
        from django.db.models.fields import AutoFieldMixin
        from django.db.models.sql import InsertQuery

        model = self.model
        meta = model._meta
        why = self._model_refused()
        if not why and (not isinstance(meta.pk, AutoFieldMixin) or meta.db_returning_fields != [meta.pk]):
            why = "a primary key the database does not number, or other returned fields"
        if not why and any(f.generated or getattr(f, "db_default", NOT_PROVIDED) is not NOT_PROVIDED
                           for f in meta.local_concrete_fields):
            why = "a generated field or a database default"
        if why:
            log.warning("prepared insert of %s runs through the ORM each time: %s", meta.label, why)
            return None
        fields = tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)
        connection = connections[alias]
        query = InsertQuery(model)
        query.insert_values(fields, [model()], raw=False)
        compiler = query.get_compiler(alias)
        compiler.returning_fields = [meta.pk]
        statements = compiler.as_sql()
        if len(statements) != 1 or len(statements[0][1]) != len(fields) or \
                statements[0][0].count("%s") != len(fields):
            log.warning("prepared insert of %s runs through the ORM each time: not one placeholder per field",
                        meta.label)
            return None
        returning = compiler.returning_params if connection.features.can_return_columns_from_insert else None
        column = meta.pk.get_col(meta.db_table)
        converters = tuple(connection.ops.get_db_converters(column) + meta.pk.get_db_converters(connection))
        return statements[0][0], fields, returning, column, converters


ALL_INSERTS: weakref.WeakSet = weakref.WeakSet()


class SaveFields(_ModelStatement):
    """`SaveFields(Model, "state", "status_at")`: `.save(obj)` saves those fields of a row already
    there as `obj.save(update_fields=[...])` does (the pre_save and post_save signals with those
    `update_fields`, each field's own pre_save, a DatabaseError when no row was updated), with its
    UPDATE written once per process and database instead of compiled again at every call.

    Refused at the first call, then run through the ORM each time: a parent or proxy model, a model
    with its own `save()` (unless it only sets some fields first, `prepared_save_derives`: those it
    sets from the named ones are written too), a field that is not a concrete column of the model or that writes its own
    placeholder. A value that is an expression (F(), a function) goes through the ORM too."""

    def __init__(self, model, *names: str):
        super().__init__(model)
        self.names = tuple(names)
        derive = self._derive
        # The fields the save writes: those named, and those the model's save sets from them.
        self._update_fields = frozenset(getattr(model(), derive)(set(names)) if derive else names)
        ALL_SAVES.add(self)

    def save(self, obj, *, using: str | None = None):
        from django.db import DatabaseError
        from django.db.models import signals

        model = self.model
        alias, written = self._statement(obj, using)
        if written is None or any(hasattr(getattr(obj, f.attname), "resolve_expression") for f in written[1]):
            obj.save(update_fields=self.names, using=alias)
            return obj
        sql, fields = written
        if self._derive:
            getattr(obj, self._derive)(set(self.names))
        signals.pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=self._update_fields)
        connection = connections[alias]
        meta = model._meta
        params = [field.get_db_prep_save(field.pre_save(obj, False), connection) for field in fields]
        params.append(meta.pk.get_db_prep_value(obj.pk, connection))
        with transaction.mark_for_rollback_on_error(using=alias), cursor(alias) as c:
            c.execute(sql, params)
            if c.rowcount == 0:
                raise DatabaseError("Save with update_fields did not affect any rows.")
        obj._state.db = alias
        obj._state.adding = False
        signals.post_save.send(sender=model, instance=obj, created=False, update_fields=self._update_fields,
                               raw=False, using=alias)
        return obj

    def _write(self, alias: str) -> tuple | None:
        """(sql, fields) of `UPDATE table SET a = %s, ... WHERE pk = %s`, or None (refused)."""
        from django.core.exceptions import FieldDoesNotExist

        model = self.model
        meta = model._meta
        try:
            fields = tuple(meta.get_field(name) for name in
                           [*self.names, *sorted(self._update_fields - set(self.names))])
        except FieldDoesNotExist as exc:
            raise ValueError(f"{meta.label} has no field {exc}") from None
        why = self._model_refused()
        if not why and any(not f.concrete or f.primary_key or f.model is not model
                           or hasattr(f, "get_placeholder") or f.generated for f in fields):
            why = "a field that is not one of its plain columns"
        if why:
            log.warning("prepared save of %s runs through the ORM each time: %s", meta.label, why)
            return None
        quote = connections[alias].ops.quote_name
        table = quote(meta.db_table)
        sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        return f"UPDATE {table} SET {sets} WHERE {table}.{quote(meta.pk.column)} = %s", fields


ALL_SAVES: weakref.WeakSet = weakref.WeakSet()
