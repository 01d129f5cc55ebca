"""The path converter of database ids: `<id:pk>` matches 1 to 2**63 - 1 only.

Django's `<int:...>` takes any number of digits, and a number past the database's BIGINT
(SQLite's OverflowError, PostgreSQL's DataError on > 2**63 - 1) made a 500 instead of a 404.
A value this converter refuses does not match the pattern: the answer is a plain 404.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1


def bounded_int(value, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """`value` as an int within [minimum, maximum]; None if it is no int or out of range."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if minimum <= number <= maximum else None


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = bounded_int(value, minimum=1)
        if number is None:
            raise ValueError(value)  # no match: 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))
