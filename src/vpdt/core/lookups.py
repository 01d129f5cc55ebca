"""`id__any_of=[…]`: a list of ids known in Python, passed to PostgreSQL as one array.

`id__in=[…]` writes one placeholder per value: with the 2,000 ids a person may follow, Django
prepares each value, psycopg splits the 14 KB statement again at every call (it caches only
statements under 4 KB) and PostgreSQL parses 2,000 constants. `any_of` answers the same as
`in` (NULLs dropped, an empty list matches nothing) and is written `= ANY(%s)` with the list as
one parameter on PostgreSQL; other backends get Django's `IN (…)`.
`tests/core/test_lookups.py` compares the two on the backend under test.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class AnyOf(In):
    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql" or not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [value for value in self.rhs if value is not None]  # prepared by get_prep_lookup
        if not values:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
