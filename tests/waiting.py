"""Waiting in tests: on a condition, with a deadline, never a fixed sleep before an assertion.

A fixed sleep is either too short on a loaded machine (the test fails for nothing) or too long
everywhere else (the suite crawls); polling a condition is as fast as the system under test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.05,
               message: str = "condition not reached") -> T:
    """Call `predicate` until it returns something true and return that; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} within {timeout:g} s")
        time.sleep(interval)
