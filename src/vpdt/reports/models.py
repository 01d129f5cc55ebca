"""Daily facts: what happened each day per agency, unit and person, kept by `vpdt.reports.facts`.

Only the facts module writes these tables; the queries over a period sum the monthly rows of
its whole months and the daily rows of the rest (`services`), so a province-wide view reads
a few thousand rows, not a million documents. Rows exist at three levels: the agency's total
(unit and person empty), each unit, each person. Durations are kept as counts per value
(facts.bucket: tenths of an hour or of a working day below 10, whole units below 100, tens
above), so the median over any period and any roll-up is exact to that resolution.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from vpdt.directory.models import Agency, Unit

AGENCY, UNIT, PERSON = 0, 1, 2
# The same levels summed over a calendar month (day = the month's first day): a period reads
# its whole months from these and only its partial months from the daily rows.
MONTHLY = 10
LEVELS = [(AGENCY, "cơ quan"), (UNIT, "đơn vị"), (PERSON, "cá nhân"),
          (AGENCY + MONTHLY, "cơ quan, tháng"), (UNIT + MONTHLY, "đơn vị, tháng"), (PERSON + MONTHLY, "cá nhân, tháng")]

# The counters of a daily row (each a count of events of that day).
COUNTERS = [
    "incoming_total", "incoming_electronic", "incoming_paper", "paper_despite_electronic",
    "outgoing_total", "outgoing_electronic", "outgoing_paper", "outgoing_signed", "internal_total",
    "registered", "directed", "directed_on_behalf", "completed", "completed_on_time", "completed_late",
    "extensions_asked", "reviews_decided", "drafts_returned", "exchange_failures", "logins", "actions",
    "active",
]


class DailyFact(models.Model):
    level = models.PositiveSmallIntegerField("mức", choices=LEVELS)
    day = models.DateField("ngày")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", verbose_name="cơ quan")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             verbose_name="đơn vị")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+", verbose_name="cán bộ")
    incoming_total = models.PositiveIntegerField(default=0)
    incoming_electronic = models.PositiveIntegerField(default=0)
    incoming_paper = models.PositiveIntegerField(default=0)
    paper_despite_electronic = models.PositiveIntegerField(default=0)
    outgoing_total = models.PositiveIntegerField(default=0)
    outgoing_electronic = models.PositiveIntegerField(default=0)
    outgoing_paper = models.PositiveIntegerField(default=0)
    outgoing_signed = models.PositiveIntegerField(default=0)
    internal_total = models.PositiveIntegerField(default=0)
    registered = models.PositiveIntegerField(default=0)
    directed = models.PositiveIntegerField(default=0)
    directed_on_behalf = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    completed_on_time = models.PositiveIntegerField(default=0)
    completed_late = models.PositiveIntegerField(default=0)
    extensions_asked = models.PositiveIntegerField(default=0)
    reviews_decided = models.PositiveIntegerField(default=0)
    drafts_returned = models.PositiveIntegerField(default=0)
    exchange_failures = models.PositiveIntegerField(default=0)
    logins = models.PositiveIntegerField(default=0)
    actions = models.PositiveIntegerField(default=0)
    # Person rows: 1 when the person logged in or acted that day; unit and agency rows: how many.
    active = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "số liệu ngày"
        verbose_name_plural = "số liệu ngày"
        indexes = [
            models.Index(fields=["level", "day", "agency"], name="fact_level_day"),
            models.Index(fields=["level", "agency", "day"], name="fact_level_agency_day"),
            # Active people over a period: distinct persons, from the index alone.
            models.Index(fields=["level", "day", "active", "agency", "person"], name="fact_active"),
        ]


class DurationFact(models.Model):
    """How many events of one day took `value` tenths (of a working hour or a working day)."""

    REGISTER = "register"  # arrival -> registration, working hours
    DIRECT = "direct"  # registration -> first direction, working hours
    COMPLETE = "complete"  # arrival -> completion, working days
    METRICS = [(REGISTER, "đến → vào sổ"), (DIRECT, "vào sổ → chỉ đạo"), (COMPLETE, "đến → hoàn thành")]

    level = models.PositiveSmallIntegerField("mức", choices=LEVELS)
    day = models.DateField("ngày")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    metric = models.CharField(max_length=10, choices=METRICS)
    tenths = models.PositiveIntegerField("giá trị (phần mười)")
    count = models.PositiveIntegerField("số lần")

    class Meta:
        verbose_name = "số liệu thời gian"
        verbose_name_plural = "số liệu thời gian"
        # The medians' query reads the index alone (count included: SQLite has no INCLUDE).
        indexes = [models.Index(fields=["level", "metric", "day", "agency", "tenths", "count"],
                                name="duration_level_day"),
                   models.Index(fields=["level", "agency", "day"], name="duration_level_agency")]


class IncomingHandler(models.Model):
    """Each incoming document with a due date and its main handler (the unit first directed, the
    last person given the main role: facts._handlers' rule), kept by the facts job.

    "Open past its due date at a period's end" per unit or person is counted here, from an
    index, instead of reading documents and their assignments at query time (80,000 open
    documents of a province took 2 s to attribute)."""

    document = models.OneToOneField("records.Document", primary_key=True, on_delete=models.CASCADE,
                                    related_name="+", db_constraint=False)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    unit_id = models.BigIntegerField(null=True)
    person_id = models.BigIntegerField(null=True)
    state = models.CharField(max_length=20)
    due_date = models.DateField()
    received_at = models.DateTimeField(null=True)
    completed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "người xử lý chính của văn bản đến"
        verbose_name_plural = "người xử lý chính của văn bản đến"
        indexes = [
            # Both covering (every column the count reads: it counts rows, COUNT(*), as the key is no
            # rowid in SQLite), so no table row is read:
            # open now (reports.services.OPEN_INCOMING): a short range per agency, whatever the history;
            models.Index(fields=["agency", "due_date", "received_at", "state", "unit_id", "person_id"],
                         name="handler_open",
                         condition=models.Q(state__in=["registered", "submitted", "assigned", "in_progress"])),
            # open at a past day's end: completed after it.
            models.Index(fields=["agency", "completed_at", "due_date", "received_at", "state", "unit_id",
                                 "person_id"], name="handler_completed"),
        ]


class FactsWatermark(models.Model):
    """One row (id 1): the facts include every change up to `at`.

    While the first build runs (every day since the earliest record, a month at a time),
    `first_build_through` is the last day it has finished, and `at` the moment it started; a
    worker stopped during it carries on from there. None once the first build is done."""

    at = models.DateTimeField("đã cập nhật đến")
    first_build_through = models.DateField("lần dựng đầu đã xong đến ngày", null=True, blank=True)

    class Meta:
        verbose_name = "mốc cập nhật số liệu"
        verbose_name_plural = "mốc cập nhật số liệu"


# --- dashboard: the period report's monthly mailing (vpdt.reports.period_report writes these)
class PeriodReportRecipient(models.Model):
    """A person the platform admin named to receive the monthly period report by e-mail."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                verbose_name="cán bộ nhận")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name="người chọn")
    added_at = models.DateTimeField("chọn lúc", auto_now_add=True)

    class Meta:
        verbose_name = "người nhận báo cáo định kỳ"
        verbose_name_plural = "người nhận báo cáo định kỳ"
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.user)


class PeriodReportDispatch(models.Model):
    """One month's report mailed: its row (unique per month) is what makes the mailing happen once."""

    period_start = models.DateField("từ ngày", unique=True)
    period_end = models.DateField("đến ngày")
    recipients = models.PositiveIntegerField("số người nhận")
    sent_at = models.DateTimeField("gửi lúc", auto_now_add=True)

    class Meta:
        verbose_name = "lần gửi báo cáo định kỳ"
        verbose_name_plural = "các lần gửi báo cáo định kỳ"
        ordering = ["-period_start"]

    def __str__(self) -> str:
        return f"{self.period_start:%m/%Y}"
