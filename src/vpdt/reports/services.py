"""Usage metrics per agency, unit and person over a period, the province medians and the
why-signals (issue 14). Read-only: the figures come from the daily facts (reports.facts),
summed over the period, so a province-wide view reads thousands of rows, not the documents.

Public, stable names (the dashboard, the period report and the API build on them):
`usage`, `why_signals`, `province_medians`, `agency_table`, `METRICS`, `API_KEYS`,
`visible_agency_ids`, `drafts_returned_by_step`, `exchange_failure_causes`, `active_by_role`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from vpdt.core.errors import InvalidInput, NotFound, PermissionDenied
from vpdt.directory.models import Agency, Unit, User
from vpdt.directory.roles import Role
from vpdt.records.choices import State
from vpdt.reports import facts
from vpdt.reports.models import (
    AGENCY,
    COUNTERS,
    MONTHLY,
    PERSON,
    UNIT,
    DailyFact,
    DurationFact,
    IncomingHandler,
)

LEVELS = ("agency", "unit", "person")
MAX_PERIOD_DAYS = 3 * 366 + 1

# The items of GET /api/reports/usage, in this order (ids null above their level).
API_KEYS = [
    "agency_code", "unit_id", "person_id", "incoming_total", "incoming_electronic", "incoming_paper",
    "outgoing_total", "outgoing_electronic", "outgoing_signed", "completed_on_time", "completed_late",
    "open_overdue", "median_hours_to_register", "median_hours_to_direct", "active_people",
]
OPEN_INCOMING = [State.REGISTERED, State.SUBMITTED, State.ASSIGNED, State.IN_PROGRESS]


@dataclass(frozen=True)
class Metric:
    label: str  # Vietnamese, marked for translation
    unit: str  # "%", giờ, ngày, văn bản, lần (marked for translation)
    higher_is_better: bool
    sentence: str  # "%(value)s ... %(median)s": one signal in plain words
    floor: float  # the smallest scale of a difference that matters (score = difference / max(median, floor))


METRICS: dict[str, Metric] = {
    "paper_share": Metric(
        _("Tỷ lệ văn bản đến vào sổ từ bản giấy"), "%", False,
        _("%(value)s %% văn bản đến vẫn vào sổ từ bản giấy, trung vị tỉnh %(median)s %%"), 10),
    "paper_despite_electronic_share": Metric(
        _("Vào sổ bản giấy dù đã có bản điện tử"), "%", False,
        _("%(value)s %% văn bản vào sổ từ bản giấy dù bản điện tử đã đến, trung vị tỉnh %(median)s %%"), 10),
    "outgoing_electronic_share": Metric(
        _("Tỷ lệ văn bản đi phát hành điện tử"), "%", True,
        _("Chỉ %(value)s %% văn bản đi được gửi điện tử qua trục liên thông, trung vị tỉnh %(median)s %%"), 10),
    "outgoing_signed_share": Metric(
        _("Tỷ lệ văn bản đi có chữ ký số"), "%", True,
        _("Chỉ %(value)s %% văn bản đi được ký số, trung vị tỉnh %(median)s %%"), 10),
    "on_time_share": Metric(
        _("Tỷ lệ văn bản đến giải quyết đúng hạn"), "%", True,
        _("Chỉ %(value)s %% văn bản đến được giải quyết đúng hạn, trung vị tỉnh %(median)s %%"), 10),
    "open_overdue": Metric(
        _("Văn bản quá hạn chưa giải quyết xong"), _("văn bản"), False,
        _("%(value)s văn bản đến đã quá hạn mà chưa giải quyết xong, trung vị tỉnh %(median)s"), 3),
    "median_hours_to_register": Metric(
        _("Thời gian từ khi đến tới khi vào sổ (trung vị)"), _("giờ"), False,
        _("Văn bản đến chờ %(value)s giờ làm việc mới được vào sổ, trung vị tỉnh %(median)s giờ"), 4),
    "median_hours_to_direct": Metric(
        _("Thời gian từ khi vào sổ tới khi có ý kiến chỉ đạo (trung vị)"), _("giờ"), False,
        _("Lãnh đạo cho ý kiến chỉ đạo sau %(value)s giờ làm việc, trung vị tỉnh %(median)s giờ"), 4),
    "median_days_to_complete": Metric(
        _("Thời gian giải quyết văn bản đến (trung vị)"), _("ngày"), False,
        _("Văn bản đến được giải quyết xong sau %(value)s ngày làm việc, trung vị tỉnh %(median)s ngày"), 2),
    "on_behalf_share": Metric(
        _("Tỷ lệ chỉ đạo do người khác thao tác thay lãnh đạo"), "%", False,
        _("%(value)s %% ý kiến chỉ đạo do người khác thao tác thay lãnh đạo, trung vị tỉnh %(median)s %%"), 10),
    "active_share": Metric(
        _("Tỷ lệ tài khoản có sử dụng trong kỳ"), "%", True,
        _("Chỉ %(value)s %% cán bộ có đăng nhập hoặc thao tác trong kỳ, trung vị tỉnh %(median)s %%"), 10),
    "drafts_returned_share": Metric(
        _("Tỷ lệ dự thảo bị trả lại khi duyệt"), "%", False,
        _("%(value)s %% lượt duyệt trả lại dự thảo để sửa, trung vị tỉnh %(median)s %%"), 10),
    "extensions_asked": Metric(
        _("Số lần đề nghị gia hạn"), _("lần"), False,
        _("%(value)s lần đề nghị gia hạn xử lý, trung vị tỉnh %(median)s"), 3),
    "exchange_failures": Metric(
        _("Lỗi gửi, nhận liên thông"), _("lần"), False,
        _("%(value)s lần gửi, nhận liên thông bị lỗi, trung vị tỉnh %(median)s"), 3),
}


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def derived(figures: dict) -> dict:
    """The METRICS' values from one item's figures (None when it has nothing to measure)."""
    f = figures
    return {
        "paper_share": _pct(f["incoming_paper"], f["incoming_total"]),
        "paper_despite_electronic_share": _pct(f["paper_despite_electronic"], f["incoming_paper"]),
        "outgoing_electronic_share": _pct(f["outgoing_electronic"], f["outgoing_total"]),
        "outgoing_signed_share": _pct(f["outgoing_signed"], f["outgoing_total"]),
        "on_time_share": _pct(f["completed_on_time"], f["completed"]),
        "open_overdue": f["open_overdue"],
        "median_hours_to_register": f["median_hours_to_register"],
        "median_hours_to_direct": f["median_hours_to_direct"],
        "median_days_to_complete": f["median_days_to_complete"],
        "on_behalf_share": _pct(f["directed_on_behalf"], f["directed"]),
        "active_share": _pct(f["active_people"], f["people"]) if f.get("people") is not None else None,
        "drafts_returned_share": _pct(f["drafts_returned"], f["reviews_decided"]),
        "extensions_asked": f["extensions_asked"],
        "exchange_failures": f["exchange_failures"],
    }


# --- who sees what --------------------------------------------------------------------


def visible_agency_ids(viewer) -> set[int] | None:
    """None: every agency (the platform admin); else the agencies where the viewer is a leader."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        raise PermissionDenied(_("Cần đăng nhập để xem báo cáo."), code="PERMISSION_DENIED")
    if viewer.is_platform_admin:
        return None
    ids = {agency for agency in viewer.member_agency_ids() if viewer.has_role(Role.LEADER, agency)}
    if not ids:
        raise PermissionDenied(_("Chỉ lãnh đạo cơ quan hoặc quản trị hệ thống được xem báo cáo sử dụng."),
                               code="PERMISSION_DENIED")
    return ids


def _children() -> dict[int | None, list[int]]:
    children = defaultdict(list)
    for pk, parent in Agency.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    return children


def _subtree(root: int, children: dict | None = None) -> set[int]:
    """The agency and every agency below it (commune → district → province)."""
    children = children if children is not None else _children()
    found, todo = set(), [root]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children[pk])
    return found


def _check(date_from: dt.date, date_to: dt.date, level: str) -> None:
    if not isinstance(date_from, dt.date) or not isinstance(date_to, dt.date):
        raise InvalidInput(_("Ngày không hợp lệ (định dạng YYYY-MM-DD)."), code="BAD_DATE")
    if date_from > date_to:
        raise InvalidInput(_("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."), code="BAD_PERIOD")
    if (date_to - date_from).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(_("Kỳ báo cáo dài tối đa 3 năm."), code="PERIOD_TOO_LONG")
    if level not in LEVELS:
        raise InvalidInput(_("Mức tổng hợp không hợp lệ: chọn cơ quan, đơn vị hoặc cá nhân."), code="BAD_LEVEL")


def _scope(viewer, agency: str | None) -> list[int] | None:
    """The agency ids the query covers (None: all), checking the viewer may see them."""
    visible = visible_agency_ids(viewer)
    if not agency:
        return None if visible is None else sorted(visible)
    found = Agency.objects.filter(code=agency).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound(_("Không có cơ quan mã %(code)s.") % {"code": agency}, code="UNKNOWN_AGENCY")
    if visible is None:
        return sorted(_subtree(found))
    if found not in visible:
        raise PermissionDenied(_("Bạn không được xem báo cáo của cơ quan này."), code="PERMISSION_DENIED")
    return [found]


# --- the figures ----------------------------------------------------------------------


def _median(histogram: Counter) -> float | None:
    """Median of values kept as {tenths: count}, in units (one decimal)."""
    n = sum(histogram.values())
    if not n:
        return None
    wanted = [(n - 1) // 2, n // 2]
    found, seen = [], 0
    for value in sorted(histogram):
        count = histogram[value]
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    return round(sum(found) / len(found) / 10, 2)


def _filter(qs, agency_ids):
    return qs if agency_ids is None else qs.filter(agency_id__in=agency_ids)


def _as_of(date_to: dt.date) -> dt.date:
    return min(date_to, timezone.localdate())


def _open_overdue(date_to: dt.date, agency_ids, level: int) -> Counter:
    """Incoming documents open past their due date at the period's end (or today), per key.

    Counted on the facts job's IncomingHandler rows (each incoming document with a due date,
    its state, dates and main handler), grouped by the database: the documents still open, on
    the index of the open ones, and, for a past period, those completed after its end, on the
    index of completion times. No document row travels to Python, whatever the history.
    """
    as_of = _as_of(date_to)
    _lo, end = facts._bounds(as_of, as_of)
    # The agencies named even when all are wanted: each is one short range of the indexes.
    ids = agency_ids if agency_ids is not None else list(Agency.objects.values_list("pk", flat=True))
    field = {AGENCY: None, UNIT: "unit_id", PERSON: "person_id"}[level]
    base = IncomingHandler.objects.filter(agency_id__in=ids, due_date__lt=as_of, received_at__lt=end)
    if field:
        base = base.filter(**{f"{field}__isnull": False})
    parts = [base.filter(state__in=OPEN_INCOMING)]
    if as_of < timezone.localdate():  # a past period: also those completed after its end
        parts.append(base.filter(state=State.COMPLETED, completed_at__gte=end))
    out: Counter = Counter()
    for part in parts:
        columns = ["agency_id", field] if field else ["agency_id"]
        for row in part.values(*columns).annotate(n=Count("*")).values_list(*columns, "n"):
            agency, key, n = (row[0], row[1], row[2]) if field else (row[0], None, row[1])
            out[(agency, key, None) if level == UNIT else (agency, None, key)] += n
    return out


def _period(level: int, date_from: dt.date, date_to: dt.date) -> Q:
    """The rows of [date_from, date_to] at `level`: whole months from the monthly rows, the
    days before the first and after the last whole month from the daily rows."""
    first = date_from if date_from.day == 1 else facts._month_end(date_from) + dt.timedelta(days=1)
    last = date_to if facts._month_end(date_to) == date_to else date_to.replace(day=1) - dt.timedelta(days=1)
    last = last.replace(day=1)  # the first day of the last whole month
    if last < first:  # no whole month
        return Q(level=level, day__gte=date_from, day__lte=date_to)
    return (Q(level=level, day__gte=date_from, day__lt=first)
            | Q(level=level + MONTHLY, day__gte=first, day__lte=last)
            | Q(level=level, day__gt=facts._month_end(last), day__lte=date_to))


def _raw(date_from: dt.date, date_to: dt.date, agency_ids, level: int) -> dict[tuple, dict]:
    """{(agency, unit, person): figures} for the keys that have facts, summed over the period."""
    keys = {AGENCY: ("agency_id",), UNIT: ("agency_id", "unit_id"), PERSON: ("agency_id", "person_id")}[level]

    def key(row) -> tuple:
        return (row["agency_id"], row.get("unit_id"), row.get("person_id"))

    period = _period(level, date_from, date_to)
    out: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0) | {
        "hist": defaultdict(Counter), "active_people": 0, "open_overdue": 0})
    sums = _filter(DailyFact.objects.filter(period), agency_ids).values(*keys).annotate(
        **{f"s_{name}": Sum(name) for name in COUNTERS if name != "active"}).order_by()
    for row in sums:
        item = out[key(row)]
        for name in COUNTERS:
            if name != "active":
                item[name] = row[f"s_{name}"] or 0
    durations = _filter(DurationFact.objects.filter(period), agency_ids).values(
        *keys, "metric", "tenths").annotate(n=Sum("count")).order_by()
    for row in durations:
        out[key(row)]["hist"][row["metric"]][row["tenths"]] += row["n"]
    # Active people: distinct persons active on any day of the period, counted at their level.
    active = _filter(DailyFact.objects.filter(_period(PERSON, date_from, date_to), active__gt=0), agency_ids)
    if level == AGENCY:
        for row in active.values("agency_id").annotate(n=Count("person_id", distinct=True)).order_by():
            out[key(row)]["active_people"] = row["n"]
    elif level == UNIT:
        for row in (active.filter(unit__isnull=False).values("agency_id", "unit_id")
                    .annotate(n=Count("person_id", distinct=True)).order_by()):
            out[key(row)]["active_people"] = row["n"]
    else:
        for row in active.values("agency_id", "person_id").distinct().order_by():
            out[key(row)]["active_people"] = 1
    for k, n in _open_overdue(date_to, agency_ids, level).items():
        out[k]["open_overdue"] = n
    return out


def _finish(item: dict) -> dict:
    hist = item.pop("hist")
    item["median_hours_to_register"] = _median(hist[DurationFact.REGISTER])
    item["median_hours_to_direct"] = _median(hist[DurationFact.DIRECT])
    item["median_days_to_complete"] = _median(hist[DurationFact.COMPLETE])
    return item


def _agencies(agency_ids) -> list[tuple[int, str, str, int | None]]:
    qs = Agency.objects.filter(active=True) if agency_ids is None else Agency.objects.filter(pk__in=agency_ids)
    return list(qs.order_by("code").values_list("pk", "code", "name", "parent_id"))


def _people_counts(agency_ids, by_unit: bool) -> Counter:
    qs = _filter(User.objects.filter(is_active=True, agency__isnull=False), agency_ids)
    if by_unit:
        return Counter({(r["agency_id"], r["unit_id"]): r["n"] for r in
                        qs.filter(unit__isnull=False).values("agency_id", "unit_id").annotate(n=Count("id"))
                        .order_by()})
    return Counter({r["agency_id"]: r["n"] for r in qs.values("agency_id").annotate(n=Count("id")).order_by()})


def figures(date_from: dt.date, date_to: dt.date, *, agency_ids=None, level: str = "agency",
            rollup: bool = False) -> list[dict]:
    """Every figure (counters, medians, open_overdue, active_people, people) per item, with names:
    no permission check (callers check: `usage`, `why_signals`, the period report)."""
    agencies = _agencies(agency_ids)
    names = {pk: (code, name) for pk, code, name, _p in agencies}
    if level == "agency":
        scope = agency_ids
        if rollup and agency_ids is not None:
            children = _children()
            scope = sorted(set().union(*(_subtree(pk, children) for pk in agency_ids)))
        raw = _raw(date_from, date_to, scope, AGENCY)
        people = _people_counts(scope, by_unit=False)
        if rollup:
            raw = _rolled_up(raw, people, [pk for pk, *_ in agencies])
        out = []
        for pk, code, name, _parent in agencies:
            item = _finish(raw.get((pk, None, None)) or _empty())
            out.append({"agency_code": code, "agency_name": name, "unit_id": None, "unit_name": None,
                        "person_id": None, "person_name": None, **item,
                        "people": item.pop("people", None) if rollup else people.get(pk, 0)})
        return out
    if level == "unit":
        raw = _raw(date_from, date_to, agency_ids, UNIT)
        people = _people_counts(agency_ids, by_unit=True)
        units = _filter(Unit.objects.filter(active=True), agency_ids).order_by("agency__code", "name")
        return [{"agency_code": names[u.agency_id][0], "agency_name": names[u.agency_id][1], "unit_id": u.pk,
                 "unit_name": u.name, "person_id": None, "person_name": None,
                 **_finish(raw.get((u.agency_id, u.pk, None)) or _empty()),
                 "people": people.get((u.agency_id, u.pk), 0)}
                for u in units if u.agency_id in names]
    raw = _raw(date_from, date_to, agency_ids, PERSON)
    # Plain rows, not model instances: a province has thousands of people.
    fields = ("pk", "agency_id", "unit_id", "unit__name", "full_name", "username")
    members = _filter(User.objects.filter(is_active=True, agency__isnull=False), agency_ids)
    people = {row[0]: row for row in members.values_list(*fields)}
    extra = {pk for (_a, _u, pk) in raw if pk not in people}
    people.update({row[0]: row for row in User.objects.filter(pk__in=extra).values_list(*fields)})
    rows = []
    for pk, agency, unit, unit_name, full_name, username in sorted(
            people.values(), key=lambda p: (names.get(p[1], ("", ""))[0], p[0])):
        if agency not in names:
            continue
        item = _finish(raw.get((agency, None, pk)) or _empty())
        rows.append({"agency_code": names[agency][0], "agency_name": names[agency][1], "unit_id": unit,
                     "unit_name": unit_name, "person_id": pk, "person_name": full_name or username, **item,
                     "people": None})
    return rows


def _empty() -> dict:
    return dict.fromkeys(COUNTERS, 0) | {"hist": defaultdict(Counter), "active_people": 0, "open_overdue": 0}


def _rolled_up(raw: dict, people: Counter, roots: list[int]) -> dict:
    """Each agency's figures with its whole subtree's (commune → district → province)."""
    out = {}
    children = _children()
    for root in roots:
        total = _empty()
        total["people"] = 0
        for pk in _subtree(root, children):
            item = raw.get((pk, None, None))
            total["people"] += people.get(pk, 0)
            if item is None:
                continue
            for name in [*COUNTERS, "active_people", "open_overdue"]:
                total[name] += item[name]
            for metric, hist in item["hist"].items():
                total["hist"][metric].update(hist)
        out[(root, None, None)] = total
    return out


def usage(date_from: dt.date, date_to: dt.date, *, viewer, agency: str | None = None, level: str = "agency",
          rollup: bool = False) -> list[dict]:
    """The usage API's items (API_KEYS, ids null above their level) within what `viewer` may see:
    the platform admin every agency, an agency leader their agency; others PermissionDenied.
    `agency` (a code): that agency (and, for the platform admin, the agencies below it);
    `rollup`: each agency's figures include those of the agencies below it."""
    agency_ids = _scope(viewer, agency)  # who may ask comes first: anyone else is 403, whatever they ask
    _check(date_from, date_to, level)
    return [{key: item[key] for key in API_KEYS}
            for item in figures(date_from, date_to, agency_ids=agency_ids, level=level, rollup=rollup)]


def province_medians(date_from: dt.date, date_to: dt.date, *, level: str = "agency") -> dict:
    """{metric: the median over the province's agencies (or units) that have a value}."""
    _check(date_from, date_to, level)
    return _medians(figures(date_from, date_to, level=level))


def _medians(items: list[dict]) -> dict:
    values = defaultdict(list)
    for item in items:
        for metric, value in derived(item).items():
            if value is not None:
                values[metric].append(value)
    return {metric: (round(statistics.median(values[metric]), 2) if values[metric] else None)
            for metric in METRICS}


def _number(value: float) -> str:
    """One decimal at most, rounded half up (16.65 -> 16,7), a decimal comma in Vietnamese."""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = str(rounded).removesuffix(".0")
    return text.replace(".", ",") if (get_language() or "vi").startswith("vi") else text


def _signals(values: dict, medians: dict) -> list[dict]:
    out = []
    for metric, spec in METRICS.items():
        value, median = values.get(metric), medians.get(metric)
        if value is None or median is None:
            continue
        worse = (median - value) if spec.higher_is_better else (value - median)
        if worse <= 0:
            continue
        score = round(worse / max(abs(median), spec.floor), 2)
        out.append({"metric": metric, "value": value, "median": median, "score": score,
                    "sentence": str(spec.sentence) % {"value": _number(value), "median": _number(median)}})
    out.sort(key=lambda s: (-s["score"], s["metric"]))
    return out


def why_signals(date_from: dt.date, date_to: dt.date, *, viewer, agency: str | None = None,
                level: str = "agency") -> list[dict]:
    """For each agency (or unit) the viewer may see, the metrics where it is worse than the
    province's median (of agencies, or of units), ranked by how far; the weakest first."""
    agency_ids = _scope(viewer, agency)
    _check(date_from, date_to, level)
    if level == "person":
        raise InvalidInput(_("Tín hiệu chỉ tính cho cơ quan hoặc đơn vị."), code="BAD_LEVEL")
    everyone = figures(date_from, date_to, level=level)
    medians = _medians(everyone)
    if agency_ids is None:
        wanted = everyone
    else:
        codes = set(Agency.objects.filter(pk__in=agency_ids).values_list("code", flat=True))
        wanted = [i for i in everyone if i["agency_code"] in codes]
    out = []
    for item in wanted:
        signals = _signals(derived(item), medians)
        out.append({"agency_code": item["agency_code"], "agency_name": item["agency_name"],
                    "unit_id": item["unit_id"], "unit_name": item["unit_name"], "signals": signals,
                    "weakness": round(sum(s["score"] for s in signals[:5]), 2)})
    out.sort(key=lambda r: (-r["weakness"], r["agency_code"], r["unit_id"] or 0))
    return out


def agency_table(date_from: dt.date, date_to: dt.date, *, viewer, agency: str | None = None,
                 rollup: bool = False) -> list[dict]:
    """Every agency the viewer may see with every METRICS value (the sortable table)."""
    agency_ids = _scope(viewer, agency)
    _check(date_from, date_to, "agency")
    return [{"agency_code": i["agency_code"], "agency_name": i["agency_name"], **derived(i),
             "incoming_total": i["incoming_total"], "outgoing_total": i["outgoing_total"]}
            for i in figures(date_from, date_to, agency_ids=agency_ids, rollup=rollup)]


def drafts_returned_by_step(date_from: dt.date, date_to: dt.date, *, viewer, agency: str | None = None) -> list[dict]:
    """Per approval step (its order and label): reviews decided and drafts returned in the period."""
    from vpdt.workflow.models import Review

    _check(date_from, date_to, "agency")
    agency_ids = _scope(viewer, agency)
    lo, hi = facts._bounds(date_from, date_to)
    qs = Review.objects.filter(decided_at__gte=lo, decided_at__lt=hi,
                               state__in=[Review.State.APPROVED, Review.State.RETURNED])
    if agency_ids is not None:
        qs = qs.filter(document__agency_id__in=agency_ids)
    rows = (qs.values("order", "label").annotate(decided=Count("id"),
                                                 returned=Count("id", filter=Q(state=Review.State.RETURNED)))
            .order_by("order", "label"))
    return [dict(r) for r in rows]


def _first_sentence(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:160]


def exchange_failure_causes(date_from: dt.date, date_to: dt.date, *, viewer, agency: str | None = None) -> list[dict]:
    """Interconnection failures of the period by cause, most frequent first: packages that
    could not be sent (the outbox gave up: grouped by the last error's first line) and packages
    that could not be taken in (grouped by the quarantine's reason code, told by the Vietnamese
    sentence recorded with its latest case)."""
    from vpdt.exchange.models import InboxItem, OutboxMessage

    _check(date_from, date_to, "agency")
    agency_ids = _scope(viewer, agency)
    lo, hi = facts._bounds(date_from, date_to)
    causes: Counter = Counter()
    text: dict[tuple, str] = {}
    out = _filter(OutboxMessage.objects.filter(state=OutboxMessage.FAILED, created_at__gte=lo, created_at__lt=hi),
                  agency_ids)
    for error, n in out.values_list("last_error").annotate(n=Count("id")).order_by():
        key = ("send", _first_sentence(error))
        causes[key] += n
        text[key] = key[1] or str(_("Không rõ lỗi"))
    inbox = _filter(InboxItem.objects.filter(outcome__in=facts.INBOX_FAILURES, received_at__gte=lo,
                                             received_at__lt=hi), agency_ids)
    for outcome, reason, detail in inbox.order_by("received_at", "id").values_list("outcome", "reason_code", "detail"):
        key = ("receive", reason or outcome)
        causes[key] += 1
        text[key] = _first_sentence(detail).split(" (")[0] or str(_("Gói tin không hợp lệ"))
    return [{"direction": d, "direction_label": str(_("Gửi đi") if d == "send" else _("Nhận về")),
             "code": c, "cause": text[(d, c)], "count": n}
            for (d, c), n in sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))]


def active_by_role(date_from: dt.date, date_to: dt.date, *, viewer, agency: str | None = None) -> list[dict]:
    """Per agency and role: the people holding the role, and how many of them logged in or
    acted during the period (a person with two roles counts in both)."""
    from vpdt.directory.models import RoleAssignment

    agency_ids = _scope(viewer, agency)
    _check(date_from, date_to, "agency")
    active = set(_filter(DailyFact.objects.filter(_period(PERSON, date_from, date_to), active__gt=0), agency_ids)
                 .values_list("agency_id", "person_id").distinct().order_by())
    holders = _filter(RoleAssignment.objects.filter(user__is_active=True), agency_ids).values_list(
        "agency_id", "agency__code", "role", "user_id")
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for agency_id, code, role, person in holders:
        counts[(code, role)][0] += 1
        counts[(code, role)][1] += int((agency_id, person) in active)
    return [{"agency_code": code, "role": role, "role_label": str(Role(role).label), "people": n, "active_people": a}
            for (code, role), (n, a) in sorted(counts.items())]
