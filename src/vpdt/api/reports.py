"""GET /api/reports/usage: usage metrics per agency, unit or person over a period (issue 14).

Within what the caller may see (vpdt.reports.services.usage): the platform admin every agency,
an agency leader their agency, anyone else 403. `format=xlsx|pdf` answers the same items as a
file instead of JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from vpdt.api.scopes import need
from vpdt.reports import exports, services

router = Router(tags=["reports"])
FROM = Query(..., alias="from", description="YYYY-MM-DD: the period's first day")
TO = Query(..., alias="to", description="YYYY-MM-DD: the period's last day")


class UsageItem(Schema):
    agency_code: str
    unit_id: int | None
    person_id: int | None
    incoming_total: int
    incoming_electronic: int
    incoming_paper: int
    outgoing_total: int
    outgoing_electronic: int
    outgoing_signed: int
    completed_on_time: int
    completed_late: int
    open_overdue: int
    median_hours_to_register: float | None
    median_hours_to_direct: float | None
    active_people: int


class UsageOut(Schema):
    from_: dt.date = Field(..., alias="from")
    to: dt.date
    items: list[UsageItem]


def _usage(request, start: dt.date, end: dt.date, agency: str | None, level: str, format: str | None):
    items = services.usage(start, end, viewer=request.user, agency=agency or None, level=level)
    if format == "xlsx":
        response = HttpResponse(exports.xlsx(items, start, end),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="thong-ke-su-dung-{start}-{end}.xlsx"'
        return response
    if format == "pdf":
        response = HttpResponse(exports.pdf(items, start, end), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="thong-ke-su-dung-{start}-{end}.pdf"'
        return response
    return Status(200, {"from": start.isoformat(), "to": end.isoformat(), "items": items})


def register(api, auth, error_schema) -> None:
    """Mount the router on the API (called once by vpdt.api.api)."""

    files = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}

    @router.get("/usage", response={200: UsageOut, 400: error_schema, 401: error_schema, 403: error_schema,
                                    404: error_schema}, auth=auth, by_alias=True,
                openapi_extra={"responses": {200: {"content": files}}})
    def usage(request, date_from: dt.date = FROM, date_to: dt.date = TO,
              agency: str | None = Query(None, max_length=20, description="Mã định danh cơ quan"),
              level: Literal["agency", "unit", "person"] = "agency",
              format: Literal["json", "xlsx", "pdf"] | None = None):
        """Usage metrics over [from, to] per agency, unit or person (ids null above their level);
        `format=xlsx|pdf`: the same items as a file. Scope: reports:read."""
        need(request, "reports:read")
        return _usage(request, date_from, date_to, agency, level, format)

    api.add_router("/reports", router)
