"""The e-office's audit log anchored in the hub's message log, when the hub runs in this
process: the head of the e-office's chain (seq, hash) becomes a hub log entry, in the hub's
own hash chain and database, so rewriting the e-office's log needs rewriting both."""

from __future__ import annotations

import json

from vpdt.core import audit
from vpdt.hub.models import LogEntry
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.services import message_log

ACTION = "audit_anchor"


class HubLogSink(audit.AnchorSink):
    name = "hub"

    def write(self, anchor: audit.Anchor) -> None:
        with message_log.write() as w:
            w.log(ACTION, detail=json.dumps({"seq": anchor.seq, "hash": anchor.hash, "at": anchor.at},
                                            separators=(",", ":")))

    def read(self) -> list[audit.Anchor]:
        found = []
        for detail in LogEntry.objects.using(DB).filter(action=ACTION).order_by("seq").values_list("detail", flat=True):
            data = json.loads(detail)
            found.append(audit.Anchor(int(data["seq"]), data["hash"], data["at"], "hub"))
        return found


def register() -> None:
    audit.register_anchor_sink(HubLogSink())
