"""System checks of the workflow app (Django's checks framework)."""

from __future__ import annotations

import datetime as dt

from django.core import checks
from django.db import DatabaseError, connections
from django.utils import timezone


@checks.register(checks.Tags.database)
def official_days_of_next_year(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """vpdt.W001: next year has no official days off / working days entered yet.

    Tết's days, the days in lieu and the swapped Saturdays are set by each year's decision;
    without them deadlines next year count on the standing calendar alone. A database check
    (Django runs it in `migrate` and `check --database default`, not at every start).
    """
    if not databases or "default" not in databases:
        return []
    from vpdt.workflow.models import OfficialDay

    year = timezone.localdate().year + 1
    try:
        if "workflow_officialday" not in connections["default"].introspection.table_names():
            return []  # not migrated yet
        if OfficialDay.objects.using("default").filter(day__gte=dt.date(year, 1, 1),
                                                       day__lte=dt.date(year, 12, 31)).exists():
            return []
    except DatabaseError:
        return []
    return [checks.Warning(
        f"Chưa nhập ngày nghỉ, ngày làm bù chính thức của năm {year}.",
        hint=("Quản trị nền tảng nhập các ngày nghỉ Tết, nghỉ bù, hoán đổi ngày làm việc theo thông báo "
              f"của năm {year} tại /admin/ (Xử lý văn bản › Ngày nghỉ, ngày làm bù chính thức); "
              "đến lúc đó hạn xử lý tính theo lịch nghỉ lễ chung."),
        obj="workflow.OfficialDay", id="vpdt.W001")]
