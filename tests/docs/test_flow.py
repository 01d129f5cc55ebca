"""docs/flow.md names real functions: every `vpdt.…` name in backticks resolves.

The page walks one document through the code; a rename that forgets the page fails here
instead of leaving a newcomer to chase a function that no longer exists.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

FLOW = Path(__file__).resolve().parents[2] / "docs" / "flow.md"
NAME = re.compile(r"`(vpdt(?:\.\w+)+)`")


def resolve(dotted: str):
    """Import the longest module prefix of `dotted`, then walk the attributes that remain."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)  # AttributeError: the page names something that is gone
        return obj
    raise ModuleNotFoundError(dotted)


def names() -> list[str]:
    return sorted(set(NAME.findall(FLOW.read_text(encoding="utf-8"))))


def test_the_flow_page_names_many_functions():
    assert len(names()) >= 60


@pytest.mark.parametrize("dotted", names())
def test_each_name_on_the_flow_page_exists(dotted):
    assert resolve(dotted) is not None


def test_a_missing_name_is_caught():
    with pytest.raises(AttributeError):
        resolve("vpdt.records.services.no_such_function")
