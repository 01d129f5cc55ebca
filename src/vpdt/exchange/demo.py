"""Demo: every agency of the province is its own system on the embedded province hub (/hub/).

Registers each agency in the hub's registry (through the hub's services, on the hub's
own database) with a generated secret, and gives the e-office the matching HubConnection,
so releases in the demo travel through the hub over HTTP like any vendor's would.
"""

from __future__ import annotations

import os

from django.conf import settings

from vpdt.directory.models import Agency
from vpdt.exchange import services


def hub_endpoint() -> str:
    return os.environ.get("VPDT_HUB_ENDPOINT", "http://127.0.0.1:8000/hub")


def extend_demo(context: dict) -> None:
    if "vpdt.hub" not in settings.INSTALLED_APPS:
        return
    from vpdt.hub import services as hub

    progress = context.get("progress", lambda _m: None)
    endpoint = hub_endpoint()
    count = 0
    for agency in Agency.objects.filter(active=True, interconnected=True).order_by("code"):
        system_id = f"vpdt.{agency.code}"
        secret = hub.generate_secret()
        parent = agency.parent.code if agency.parent_id else ""
        hub.add_agency(agency.code, agency.name, system_id=system_id, secret=secret, parent_code=parent,
                       mail=agency.email)
        services.connect([agency], endpoint=endpoint, system_id=system_id, secret=secret,
                         name=f"{agency.abbreviation} → trục tỉnh")
        count += 1
    progress(f"Liên thông: {count} cơ quan kết nối trục tỉnh tại {endpoint}")
