"""The signer's competence (thẩm quyền ký, NĐ 30/2020 Phụ lục I): which title prefixes fit
the signer's position, and the refusal of one that does not.

- the head of the agency (Giám đốc, Chủ tịch, Chánh Văn phòng of the Office…) signs in their
  own name, no prefix; the head of a collective body (Ủy ban nhân dân) may sign
  "TM. ỦY BAN NHÂN DÂN" (thay mặt);
- a deputy (Phó giám đốc) signs "KT. GIÁM ĐỐC" (ký thay the head);
- an acting head (Quyền giám đốc) signs "Q. GIÁM ĐỐC" (quyền);
- a unit head (Chánh Văn phòng, Trưởng phòng) signs "TL. GIÁM ĐỐC" (thừa lệnh) or
  "TUQ. GIÁM ĐỐC" (thừa ủy quyền) when the head has delegated that in writing;
- someone whose position is unknown signs in their own name only.
The head's title is the deputy's without "Phó"/"Quyền", or the position of the agency's
leader who is neither.
"""

from __future__ import annotations

from vpdt.core.errors import InvalidInput
from vpdt.directory.models import Agency, User
from vpdt.directory.roles import Role

OWN_NAME = ""
_DEPUTY = "PHÓ "
_ACTING = "QUYỀN "
_UNIT_HEADS = ("CHÁNH ", "TRƯỞNG ")
COLLECTIVE = "ỦY BAN NHÂN DÂN"


def normalize(text: str | None) -> str:
    """Upper case, single spaces, "KT." with its dot: `kt.  giám đốc` → `KT. GIÁM ĐỐC`."""
    return " ".join((text or "").replace("\n", " ").upper().split())


def _is_collective(agency: Agency) -> bool:
    return normalize(agency.name).startswith(COLLECTIVE) or (agency.abbreviation or "").upper() == "UBND"


def head_title(agency: Agency, position: str = "") -> str:
    """The title of the agency's head, upper case ("GIÁM ĐỐC"); "" when nobody tells it."""
    pos = normalize(position)
    for prefix in (_DEPUTY, _ACTING):
        if pos.startswith(prefix):
            return pos.removeprefix(prefix)
    leaders = (User.objects.filter(role_assignments__agency=agency, role_assignments__role=Role.LEADER,
                                   is_active=True).exclude(position="").values_list("position", flat=True))
    for title in leaders:
        t = normalize(title)
        if not t.startswith((_DEPUTY, _ACTING)):
            return t
    return ""


def choices(user, agency: Agency) -> list[tuple[str, str]]:
    """(competence, what the title block will say) the signer may choose, the usual one first."""
    pos = normalize(user.position)
    if not pos:
        return [(OWN_NAME, "Ký tên (không ghi thẩm quyền)")]
    head = head_title(agency, pos)
    if pos.startswith(_DEPUTY) and head:
        found = [f"KT. {head}"]
    elif pos.startswith(_ACTING) and head:
        found = [f"Q. {head}"]
    elif head and pos == head or user.has_role(Role.LEADER, agency):
        found = [OWN_NAME] + ([f"TM. {COLLECTIVE}"] if _is_collective(agency) else [])
    elif pos.startswith(_UNIT_HEADS) and head:
        found = [f"TL. {head}", f"TUQ. {head}"]
    else:
        found = [OWN_NAME]
    return [(c, f"{c} / {pos}" if c and not c.startswith("Q. ") else (c or f"{pos} (ký trực tiếp)")) for c in found]


def check(user, agency: Agency, competence: str | None) -> str:
    """The competence, normalized, if it fits the signer's position; else SIGNER_COMPETENCE_MISMATCH."""
    wanted = normalize(competence)
    allowed = [c for c, _label in choices(user, agency)]
    if wanted in allowed:
        return wanted
    position = user.position or "chưa ghi chức vụ"
    options = ", ".join(f"“{c}”" if c else "ký tên không ghi thẩm quyền" for c in allowed)
    raise InvalidInput(
        f"Thẩm quyền ký “{wanted or 'ký tên'}” không phù hợp với chức vụ của người ký "
        f"({user.get_full_name() or user.username}, {position}). Chọn: {options}.",
        code="SIGNER_COMPETENCE_MISMATCH", detail=f"user {user.pk} position {position!r} competence {wanted!r}")
