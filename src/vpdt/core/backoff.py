"""The one back-off rule of the project: how long to wait before trying again after failures.

Used by the exchange (an agency's hub connection, its outbox) and by the hub's forwarder
(packages to the upper hub): base·2^(n-1) seconds after the n-th failure, capped, with a
little jitter so that many senders failing together do not retry together.
"""

from __future__ import annotations

import random


def delay(failures: int, base: float, cap: float, jitter: float = 0.1) -> float:
    """Seconds to wait after the `failures`-th failure in a row (1 → base)."""
    seconds = min(cap, base * (2 ** max(0, min(failures, 30) - 1)))
    if jitter:
        seconds *= random.uniform(1 - jitter, 1 + jitter)
    return seconds
