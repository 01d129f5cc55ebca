"""A change to one rule makes exactly the affected rows of the matrix fail, and nothing else.

One separate pytest run of the matrix's rows for two actions, with (1) one cell of a copy of
the table flipped, and (2) one rule of the code changed (tests/authz/mutations.py: leaders may
release). The rows that fail must be exactly that cell and exactly the rows that rule governs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.authz import matrix

ROOT = Path(__file__).resolve().parents[2]
FLIP = ("clerk", "issue_number", "own_agency")  # allowed today; the copy says deny


@pytest.mark.slow
def test_exactly_the_affected_rows_fail(tmp_path):
    text = matrix.TABLE.read_text(encoding="utf-8")
    rows = matrix.parse(text)
    flipped = next(r for r in rows if (r.actor, r.action, r.situation) == FLIP)
    assert flipped.expect == "A"
    lines = text.splitlines()
    columns = next(line.split()[2:] for line in lines if line.startswith("action "))
    for i, line in enumerate(lines):
        parts = line.split()
        if parts[:2] == [FLIP[1], FLIP[2]]:
            parts[2 + columns.index(FLIP[0])] = "D"
            lines[i] = " ".join(parts)
    table = tmp_path / "matrix.txt"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # Leaders may release: the rows of leaders (the deputy is one) that the table says deny,
    # where they can open the document. Nothing else changes.
    governed = {r.id for r in rows if r.action == "release" and r.actor in ("leader", "deputy") and r.expect == "D"}
    assert len(governed) == 6
    flipped_id = matrix.Row(*FLIP[:3], "D").id

    env = {**os.environ, "VPDT_AUTHZ_TABLE": str(table), "VPDT_AUTHZ_MUTATION": "leaders_release",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("VPDT_AUTHZ_RECORD", None)
    # The inner run uses SQLite: on PostgreSQL it would make the same test database this run holds.
    env.pop("VPDT_TEST_DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.authz.mutations",
         "--tb=no", "-rf", "tests/authz/test_matrix.py", "-k", "release or issue_number"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    failed = set(re.findall(r"^FAILED \S+::test_authorization\[([^\]]+)\]", run.stdout, re.M))
    ran = re.search(r"(\d+) passed", run.stdout)
    assert ran and int(ran.group(1)) > 50, run.stdout[-3000:] + run.stderr[-3000:]
    assert failed == governed | {flipped_id}, run.stdout[-3000:]
