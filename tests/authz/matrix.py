"""Loads the authorization matrix (tests/authz/matrix.txt): who may do what, on which document.

The table has one line per (action, situation) and one column per actor; each cell is one
test (tests/authz/test_matrix.py), its id `<actor>-<action>-<situation>-<expected>`, e.g.
`clerk-approve-own_agency-deny`. Changing one rule in the code makes exactly the cells it
governs fail; changing one cell makes exactly that test fail (tests/authz/test_rule_change.py).

Cells: A allow, D deny (refused by the rules), F forbidden (403: may not open the document),
N not_found (404: not theirs to know of), L login (not signed in), - no such case.

`VPDT_AUTHZ_TABLE` names another file of the same form (the rule-change test uses it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).with_name("matrix.txt")
WORDS = {"A": "allow", "D": "deny", "F": "forbidden", "N": "not_found", "L": "login"}


@dataclass(frozen=True)
class Row:
    actor: str
    action: str
    situation: str
    expect: str

    @property
    def id(self) -> str:
        return f"{self.actor}-{self.action}-{self.situation}-{WORDS[self.expect]}"


def parse(text: str) -> list[Row]:
    columns: list[str] | None = None
    rows: list[Row] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if parts[:2] == ["action", "situation"]:
            columns = parts[2:]
            continue
        if columns is None or len(parts) != len(columns) + 2:
            raise ValueError(f"matrix line {number}: expected action, situation and {len(columns or [])} cells")
        action, situation, cells = parts[0], parts[1], parts[2:]
        for actor, cell in zip(columns, cells, strict=True):
            if cell == "-":
                continue
            if cell not in WORDS:
                raise ValueError(f"matrix line {number}: unknown cell {cell!r} for {actor}")
            rows.append(Row(actor, action, situation, cell))
    return rows


def rows(path: str | os.PathLike | None = None) -> list[Row]:
    path = path or os.environ.get("VPDT_AUTHZ_TABLE") or TABLE
    return parse(Path(path).read_text(encoding="utf-8"))
