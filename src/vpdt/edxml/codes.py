"""Agency identifier codes (mã định danh): QCVN 102:2016 and QĐ 20/2020/QĐ-TTg; syntax and hierarchy.

A code reads right to left ``V1V2V3.Z1Z2.Y1Y2.MX1X2``: a level-1 letter and two digits
(G ministries, H provincial People's Committees, K People's Councils, test codes like
D77), then two-digit levels 2 and 3 and a three-digit level 4; zeros mean "the unit
itself". Only the syntax is checked: whether an agency exists is the directory's job,
and since 2025 the hierarchy must not be assumed to have exactly four levels.

Thông tư 01/2022/TT-BTTTT (amendment 1:2022 to QCVN 102) moves agencies to the codes of
QĐ 20/2020/QĐ-TTg, written from level 1 down: a letter and two digits, then up to three
levels of two or three digits (``H53``, ``H53.13``, ``H53.38.30``). A package may carry
either scheme; an agency carries both codes during the transition.
"""

from __future__ import annotations

import re

ORGAN_ID_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
QD20_RE = re.compile(r"^[A-Z]\d{2}(?:\.\d{2,3}){0,3}$")
QCVN102 = "qcvn102"
QD20 = "qd20"


def code_scheme(code: str | None) -> str | None:
    """``"qcvn102"``, ``"qd20"`` or None (neither pattern, e.g. ``vxp.saas.03``)."""
    if not code:
        return None
    if ORGAN_ID_RE.match(code):
        return QCVN102
    if QD20_RE.match(code):
        return QD20
    return None


def validate_qd20_code(code: str | None) -> bool:
    """True when `code` follows the QĐ 20/2020/QĐ-TTg pattern (``H53.13``)."""
    return code_scheme(code) == QD20


def organ_id_problem(code: str | None) -> str | None:
    """Why `code` follows neither QCVN 102 nor QĐ 20 (English), or None when it follows one."""
    if code is None or not code.strip():
        return "empty agency code"
    if code != code.strip():
        return f"agency code {code!r} has surrounding spaces"
    if code_scheme(code) is None:
        return (f"agency code {code!r} matches neither QCVN 102 (000.00.00.X00) "
                "nor QĐ 20/2020 (X00, X00.00, X00.00.00)")
    return None


def validate_organ_id(code: str | None) -> bool:
    """True when `code` follows QCVN 102 (``ddd.dd.dd.Ldd``)."""
    return code_scheme(code) == QCVN102


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
