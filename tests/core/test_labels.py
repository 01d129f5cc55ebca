"""Every internal code that reaches a person has a label in the one catalogue (vpdt.core.labels)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

import vpdt
from vpdt.core import labels
from vpdt.directory.roles import Role

SRC = Path(vpdt.__file__).parent
# Calls whose string arguments (or `action=`) are audit actions.
AUDIT_CALLS = {"record", "set_state", "import_state", "move", "move_if_allowed", "set_fields"}
DOTTED = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")
# Actions built from a variable, with every value the variable takes (checked below to be all).
COMPUTED = {
    ("directory/mfa.py", "mfa.{purpose}_throttled"): ["login", "signing", "recovery"],
    ("directory/mfa.py", "mfa.{purpose}_failed"): ["login", "signing", "recovery"],
    # --- motcua: a dossier's history line and its audit entry share the action (services/counter.event)
    ("motcua/services/counter.py", "motcua.{action}"): [
        "submit", "register", "accept", "supplement_counter", "refuse", "transfer", "take", "appraise",
        "submit_approval", "send_back", "approve", "return", "supplement", "supplement_answer", "withdraw", "stop"],
    # motcua2: the dossier's history and its audit entry (deadlines.record_event)
    ("motcua/deadlines.py", "motcua.{action}"): [
        "apology", "joint_send", "joint_receive", "joint_status", "joint_result", "joint_report_result", "return",
        "opinion_ask", "opinion_reply", "submit", "fee_paid", "transfer", "approve"],
}


def _strings(node) -> list:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    if isinstance(node, ast.JoinedStr):
        return [node]
    return []


def audit_actions() -> tuple[dict[str, str], list[str]]:
    """The audit actions written by src/: {code: file}, and computed ones not accounted for."""
    found, unknown = {}, []
    for path in SRC.rglob("*.py"):
        rel = str(path.relative_to(SRC))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        candidates = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if name in ("track", "track_m2m"):  # core.audit's model trackers: action.create/update/...
                    verbs = ("create", "update", "delete") if name == "track" else ("add", "remove", "clear")
                    for kw in node.keywords:
                        if kw.arg == "action" and isinstance(kw.value, ast.Constant):
                            found.update({f"{kw.value.value}.{v}": rel for v in verbs})
                    continue
                if name in AUDIT_CALLS:
                    candidates += node.args
                candidates += [kw.value for kw in node.keywords if kw.arg == "action"]
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "action" for t in node.targets):
                candidates.append(node.value)
            elif isinstance(node, ast.arguments):  # def f(..., action="x.y")
                names = [a.arg for a in node.args + node.kwonlyargs]
                defaults = [None] * (len(node.args) - len(node.defaults)) + list(node.defaults) + list(node.kw_defaults)
                candidates += [d for n, d in zip(names, defaults, strict=True) if n == "action" and d is not None]
        for node in candidates:
            for s in _strings(node):
                if isinstance(s, ast.JoinedStr):
                    if rel == "core/audit.py":
                        continue  # the trackers themselves: their actions come from track()/track_m2m() above
                    pattern = "".join(v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                                      for v in s.values)
                    if "." not in pattern:
                        continue  # not a dotted action (a hub status name, a file name)
                    if (rel, pattern) in COMPUTED:
                        var = pattern[pattern.index("{") + 1:pattern.index("}")]
                        found.update({pattern.replace("{" + var + "}", v): rel for v in COMPUTED[(rel, pattern)]})
                    else:
                        unknown.append(f"{rel}:{s.lineno} {pattern}")
                elif DOTTED.match(s.value):
                    found[s.value] = rel
    return found, unknown


def test_every_audit_action_written_by_the_code_has_a_label():
    found, unknown = audit_actions()
    assert len(found) > 100, "the scan finds the audit actions"
    assert {"signing.sign_person", "exchange.sent", "exchange.revoked", "account.create",
            "user.role.create", "document.paper_sent"} <= set(found)
    missing = sorted(f"{code} ({where})" for code, where in found.items() if code not in labels.ACTIONS)
    assert not missing, f"audit actions without a label in vpdt.core.labels.ACTIONS: {missing}"
    assert not unknown, f"an audit action computed at run time: list its values in COMPUTED: {unknown}"


def test_the_purposes_of_the_second_factor_are_all_listed():
    source = (SRC / "directory" / "mfa.py").read_text(encoding="utf-8")
    purposes = set(re.findall(r'purpose="([a-z]+)"', source)) | set(re.findall(r'purpose: str = "([a-z]+)"', source))
    assert purposes <= set(COMPUTED[("directory/mfa.py", "mfa.{purpose}_failed")])


@pytest.fixture
def vietnamese():
    with translation.override("vi"):
        yield


def test_an_unknown_code_never_reads_as_the_code(vietnamese):
    assert labels.action_label("document.something_new") == "Thao tác khác"
    assert "." not in labels.object_label("records.something")
    assert labels.role_label("unit_head") == "Lãnh đạo phòng/đơn vị"
    assert "_" not in labels.role_label("new_role")


def test_role_labels_are_the_directorys():
    assert {code: str(label) for code, label in labels.ROLES.items()} == {r.value: str(r.label) for r in Role}


def test_a_change_names_fields_and_roles(vietnamese):
    rows = labels.describe_change({"before": {"role": "clerk", "is_active": True},
                                   "after": {"role": "unit_head", "is_active": False}})
    assert ("Vai trò", "Văn thư", "Lãnh đạo phòng/đơn vị") in rows
    assert ("Đang dùng", "Có", "Không") in rows


@pytest.mark.parametrize("catalogue", ["ACTIONS", "OBJECTS", "FIELDS", "ROLES", "NOTIFICATIONS", "VERDICTS",
                                       "VERDICT_SENTENCES", "STEP_NAMES"])
def test_english_mode_names_every_code_in_english(catalogue):
    """The English page reads English: every label of the catalogue has its translation."""
    with translation.override("en"):
        untranslated = [str(v) for v in getattr(labels, catalogue).values() if re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]",
                                                                                     str(v), re.IGNORECASE)]
    assert not untranslated, untranslated
