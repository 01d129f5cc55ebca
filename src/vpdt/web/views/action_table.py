"""Which Form reads, and which handler serves, each action of a document's page.

The handlers live with their screens (vpdt.web.views.incoming, .outgoing); the page
(vpdt.web.views.document) renders the Forms, the view (vpdt.web.views.actions) runs them.
"""

from __future__ import annotations

from vpdt.records.models import Document
from vpdt.web.views import incoming, outgoing

ACTIONS = {**incoming.ACTIONS, **outgoing.ACTIONS}
# An action whose fields appear when the services allow another, wider one, or any of several
# (see workflow.services.available_actions); None: shown from elsewhere (pending extensions).
GATES = {"version": "edit_draft", "recipients": ("edit_draft", "add_recipients"), "approve": "review",
         "send_back": "review", "forward": "review", "decide_extension": None}


def make_form(name: str, doc: Document, user, *, data=None, files=None, initial=None):
    form_class, _handler = ACTIONS[name]
    return form_class(data, files, document=doc, user=user, initial=initial)


def blank_forms(doc: Document, user, actions: set[str], initial: dict) -> dict:
    """An empty Form for each action `user` may take on `doc` (`initial`: per action, optional)."""
    return {name: make_form(name, doc, user, initial=initial.get(name))
            for name in ACTIONS if _open(GATES.get(name, name), actions)}


def _open(gate, actions: set[str]) -> bool:
    """An action's gate: its own name, another action's, or any of several (a tuple)."""
    gates = gate if isinstance(gate, tuple) else (gate,)
    return any(g in actions for g in gates)
