"""Demo: every agency of the province is its own system on the embedded province hub (/hub/).

Registers each agency in the hub's registry (through the hub's services, on the hub's
own database) with a generated secret, and gives the e-office the matching HubConnection,
so releases in the demo travel through the hub over HTTP like any vendor's would.

It lives in the demo package because it is the one place that knows both sides: the
exchange (the e-office's side) never imports the hub; it reaches it over HTTP only.
"""

from __future__ import annotations

import os

from vpdt.directory.models import Agency
from vpdt.exchange import services
from vpdt.exchange.connections import resolve_endpoint
from vpdt.hub import services as hub

# A system of another vendor, registered on the demo hub only: a person points their own
# VXP client (e.g. the national axis SDK) at the demo hub with these credentials.
OUTSIDE_CODE = "000.00.09.H90"
OUTSIDE_NAME = "Sở Tư pháp tỉnh Bình Sơn (phần mềm của hãng khác)"
OUTSIDE_SYSTEM_ID = "hangkhac.stp.binhson"
OUTSIDE_SECRET = "Demo@2026-vxp"


def hub_endpoint() -> str:
    """The embedded hub by default: a path, resolved against the address `vpdt serve` uses."""
    return os.environ.get("VPDT_HUB_ENDPOINT", "/hub")


def banner() -> list[str]:
    return [
        f"  Hệ thống của hãng khác (thử với SDK trục liên thông): endpoint {resolve_endpoint(hub_endpoint())}",
        f"    mã cơ quan {OUTSIDE_CODE}, systemId {OUTSIDE_SYSTEM_ID}, secret {OUTSIDE_SECRET}",
    ]


def extend_demo(context: dict) -> None:
    progress = context.get("progress", lambda _m: None)
    endpoint = hub_endpoint()
    count = 0
    for agency in Agency.objects.filter(active=True, interconnected=True).order_by("code"):
        system_id = f"vpdt.{agency.code}"
        secret = hub.generate_secret()
        parent = agency.parent.code if agency.parent_id else ""
        hub.add_agency(agency.code, agency.name, system_id=system_id, secret=secret, parent_code=parent,
                       mail=agency.email, code_qd20=agency.code_qd20)
        services.connect([agency], endpoint=endpoint, system_id=system_id, secret=secret,
                         name=f"{agency.abbreviation} → trục tỉnh")
        count += 1
    # The outside system: in the directory (clerks can send to it), on the hub, no connection here.
    outside, _ = Agency.objects.get_or_create(
        code=OUTSIDE_CODE, defaults={"name": OUTSIDE_NAME, "abbreviation": "STP", "place": "Bình Sơn"})
    hub.add_agency(OUTSIDE_CODE, OUTSIDE_NAME, system_id=OUTSIDE_SYSTEM_ID, secret=OUTSIDE_SECRET,
                   parent_code=outside.parent.code if outside.parent_id else "")
    progress(f"Liên thông: {count} cơ quan kết nối trục tỉnh gắn trong hệ thống ({endpoint}); "
             f"thêm hệ thống hãng khác {OUTSIDE_SYSTEM_ID}")
