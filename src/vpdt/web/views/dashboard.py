"""The home page's dashboard: the person's counters as cards, the queues' tabs with their
counts, and which charts their role sees (issue 14 "Dashboard").

The counts come from vpdt.workflow.counters (the queues themselves, bounded); the charts'
figures from vpdt.web.views.reports.chart_data, fetched by web/charts.js after the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from vpdt.directory.roles import Role
from vpdt.workflow import counters

# A card's colour says what it asks for: late work in red, work due soon in amber.
TONES = {"overdue": "danger", "due_soon": "warning", "waiting": "primary", "approval": "info", "release": "success"}


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url: str
    counter: counters.Counter


def queue_url(key: str) -> str:
    return reverse("workflow:home") if key == "waiting" else reverse("workflow:queue", args=[key])


def chart_scope(user) -> str | None:
    """Which charts the home page shows: the province to the platform admin, the agency to its leaders."""
    if user.is_platform_admin:
        return "province"
    if user.agency_id and user.has_role(Role.LEADER, user.agency_id):
        return "agency"
    return None


def context(user, tab: str, *, home: bool, known: dict[str, tuple[int, bool]] | None = None) -> dict:
    """The tabs (every queue this person has, counted), and on the home page the cards and charts.
    `known`: counts already made (the open list's own), not made again."""
    keys = counters.queue_keys(user)
    if tab not in keys:  # a queue opened by its address although it is not one of their tabs
        keys.append(tab)
    counted = counters.counters(user, keys, known=known)
    tabs = [Tab(key, c.label, queue_url(key), c) for key, c in counted.items()]
    result = {"tabs": tabs}
    if home:
        cards = [counted[k] for k in counters.queue_keys(user, cards=True)]
        result.update({
            "cards": [(c, queue_url(c.key), TONES.get(c.key, "secondary")) for c in cards],
            "chart_scope": chart_scope(user),
            "motcua_cards": _motcua_cards(user),  # --- motcua2
        })
    return result


def _motcua_cards(user) -> list[dict]:
    """The one-stop shop's counters (motcua2: vpdt.web.views.motcua_stats.home_cards)."""
    from vpdt.web.views.motcua_stats import home_cards

    return home_cards(user)
