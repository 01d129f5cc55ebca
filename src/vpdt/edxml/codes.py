"""Agency identifier codes (mã định danh) of QCVN 102:2016: syntax check and hierarchy.

A code reads right to left ``V1V2V3.Z1Z2.Y1Y2.MX1X2``: a level-1 letter and two digits
(G ministries, H provincial People's Committees, K People's Councils, test codes like
D77), then two-digit levels 2 and 3 and a three-digit level 4; zeros mean "the unit
itself". Only the syntax is checked: whether an agency exists is the directory's job,
and since 2025 the hierarchy must not be assumed to have exactly four levels.
"""

from __future__ import annotations

import re

ORGAN_ID_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


def organ_id_problem(code: str | None) -> str | None:
    """Why `code` is not a QCVN 102 identifier (English), or None when it is one."""
    if code is None or not code.strip():
        return "empty agency code"
    if code != code.strip():
        return f"agency code {code!r} has surrounding spaces"
    if not ORGAN_ID_RE.match(code):
        return f"agency code {code!r} does not match QCVN 102 pattern 000.00.00.X00"
    return None


def validate_organ_id(code: str | None) -> bool:
    """True when `code` follows QCVN 102 (``ddd.dd.dd.Ldd``)."""
    return organ_id_problem(code) is None


def parent_organ_id(code: str) -> str | None:
    """The parent unit: the code with its leftmost non-zero segment zeroed; None at the top."""
    if not validate_organ_id(code):
        return None
    parts = code.split(".")
    for i in range(3):
        if int(parts[i]) != 0:
            parts[i] = "0" * len(parts[i])
            return ".".join(parts)
    return None
