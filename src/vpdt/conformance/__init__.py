"""The conformance kit (`vpdt conformance`): checks another vendor's hub, as X-Road's and Domibus's
test suites do.

Given a hub's endpoint (the national axis API, VXP) and the credentials of two systems on it,
it exchanges test packages of every business type and every status in both directions with
`vpdt.vxp`'s client, reads what comes back with `vpdt.edxml`'s reader, checks it field by field
and writes a report (JSON and a self-contained Vietnamese HTML page). Plain Python: HTTP only,
no Django, nothing of the hub imported (an import contract checks it), so it runs against any
vendor's hub. See docs/conformance.md.
"""

from .packages import Party
from .report import write_html, write_json
from .suite import Check, Report, Suite

__all__ = ["Check", "Party", "Report", "Suite", "write_html", "write_json"]
