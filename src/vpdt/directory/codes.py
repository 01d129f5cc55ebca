"""QCVN 102:2016 agency identifier codes (mã định danh): `V1V2V3.Z1Z2.Y1Y2.MX1X2`, and the
QĐ 20/2020/QĐ-TTg codes an agency also carries since Thông tư 01/2022/TT-BTTTT.

Read right to left: M X1X2 is level 1 (G ministries, H provinces, K provincial councils,
letters in general), Y level 2, Z level 3, V level 4; zeros mean "the unit itself".
The parent of a code is the code with its leftmost non-zero segment zeroed. The tree's
depth is data: since 2025 many places have no district level, so nothing here assumes
that a parent exists in the directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE_RE = re.compile(r"^(?P<v>\d{3})\.(?P<z>\d{2})\.(?P<y>\d{2})\.(?P<m>[A-Z])(?P<x>\d{2})$")


@dataclass(frozen=True)
class AgencyCode:
    v: str
    z: str
    y: str
    m: str
    x: str

    def __str__(self) -> str:
        return f"{self.v}.{self.z}.{self.y}.{self.m}{self.x}"

    @property
    def level(self) -> int:
        """1 for the top body (000.00.00.H53), 2 for 000.00.13.H53, 3 for 000.30.38.H53, 4 below."""
        if self.v != "000":
            return 4
        if self.z != "00":
            return 3
        if self.y != "00":
            return 2
        return 1

    @property
    def parent(self) -> AgencyCode | None:
        if self.v != "000":
            return AgencyCode("000", self.z, self.y, self.m, self.x)
        if self.z != "00":
            return AgencyCode("000", "00", self.y, self.m, self.x)
        if self.y != "00":
            return AgencyCode("000", "00", "00", self.m, self.x)
        return None


# The QĐ 20/2020/QĐ-TTg scheme (Thông tư 01/2022/TT-BTTTT): level 1 first (`H53`, `H53.13`).
QD20_RE = re.compile(r"^[A-Z]\d{2}(?:\.\d{2,3}){0,3}$")


def is_valid_qd20_code(code: str) -> bool:
    return bool(QD20_RE.match(code or ""))


def check_qd20_code(code: str) -> str:
    """A QĐ 20/2020 code, stripped; raises InvalidAgencyCode with a Vietnamese message."""
    code = (code or "").strip()
    if not QD20_RE.match(code):
        raise InvalidAgencyCode(
            f"Mã định danh “{code}” không đúng định dạng QĐ 20/2020/QĐ-TTg "
            "(ví dụ đúng: H53.13 — một chữ cái in hoa và hai chữ số, rồi các cấp dưới mỗi cấp hai hoặc ba chữ số)."
        )
    return code


def scheme(code: str) -> str | None:
    """"qcvn102", "qd20" or None."""
    if is_valid_code(code):
        return "qcvn102"
    if is_valid_qd20_code(code):
        return "qd20"
    return None


class InvalidAgencyCode(ValueError):
    code = "INVALID_AGENCY_CODE"


def parse_code(code: str) -> AgencyCode:
    """Parse a QCVN 102 code; raises InvalidAgencyCode with a Vietnamese message."""
    match = CODE_RE.match(code or "")
    if not match:
        raise InvalidAgencyCode(
            f"Mã định danh “{code}” không đúng định dạng QCVN 102:2016 "
            "(ví dụ đúng: 000.00.13.H53 — ba chữ số, hai chữ số, hai chữ số, một chữ cái in hoa và hai chữ số)."
        )
    return AgencyCode(**match.groupdict())


def is_valid_code(code: str) -> bool:
    return bool(CODE_RE.match(code or ""))


def parent_code(code: str) -> str | None:
    parent = parse_code(code).parent
    return str(parent) if parent else None


def code_level(code: str) -> int:
    return parse_code(code).level
