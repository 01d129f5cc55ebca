"""The file plan pages (danh mục hồ sơ, Decree 30 Phụ lục V): the agency's plans by year, a plan
as a table grouped by heading, its actions by state (the clerk drafts, edits, submits and
publishes; a leader approves or returns), the entry form, drafting from an earlier year's plan,
the XLSX download and opening an entry's dossier. The rules are in vpdt.archive.services.fileplan."""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vpdt.archive.models import FilePlan, FilePlanEntry, FilePlanState, RetentionPeriod
from vpdt.archive.services import fileplan
from vpdt.core.errors import NotFound, PermissionDenied, VpdtError
from vpdt.directory.models import Unit, User
from vpdt.web.forms import PageForm, PersonChoice
from vpdt.web.views.common import posted
from vpdt.web.views.errors import forbidden


class RetentionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.label})"


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PlanCreateForm(PageForm):
    service_fields = {"FILE_PLAN_EXISTS": "year", "FILE_PLAN_YEAR": "year", "FILE_PLAN_BASE_YEAR": "based_on"}

    year = forms.IntegerField(label=gettext_lazy("Năm"), min_value=fileplan.MIN_YEAR, max_value=fileplan.MAX_YEAR)
    based_on = forms.ModelChoiceField(label=gettext_lazy("Lập từ danh mục năm"), required=False,
                                      queryset=FilePlan.objects.none(),
                                      empty_label=gettext_lazy("(Danh mục trống)"))

    def __init__(self, *args, plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["based_on"].queryset = FilePlan.objects.filter(pk__in=[p.pk for p in plans]).order_by("-year")
        self.fields["based_on"].label_from_instance = lambda p: _("Danh mục năm %(year)s") % {"year": p.year}


class EntryForm(PageForm):
    service_fields = {
        "FILE_PLAN_HEADING_REQUIRED": "heading", "FILE_PLAN_TITLE_REQUIRED": "title",
        "FILE_PLAN_NOTATION_REQUIRED": "notation", "FILE_PLAN_NOTATION_INVALID": "notation",
        "FILE_PLAN_NOTATION_TAKEN": "notation", "FILE_PLAN_RETENTION_REQUIRED": "retention",
        "FILE_PLAN_RETENTION_INVALID": "retention_years", "FILE_PLAN_UNIT": "unit", "FILE_PLAN_OWNER": "owner",
    }

    heading = forms.CharField(label=gettext_lazy("Đề mục"), max_length=255,
                              help_text=gettext_lazy("Ví dụ: I. Tổng hợp (chọn đề mục có sẵn hoặc gõ đề mục mới)"))
    notation = forms.CharField(label=gettext_lazy("Số và ký hiệu hồ sơ"), max_length=40,
                               help_text=gettext_lazy("Ví dụ: 01.TH; mã hồ sơ sẽ là mã cơ quan.năm.ký hiệu"))
    title = forms.CharField(label=gettext_lazy("Tiêu đề hồ sơ"), max_length=500,
                            widget=forms.Textarea(attrs={"rows": 2}))
    retention = RetentionChoice(label=gettext_lazy("Thời hạn bảo quản theo bảng"), required=False,
                                queryset=RetentionPeriod.objects.order_by("order", "code"),
                                empty_label=gettext_lazy("(Không theo bảng: ghi số năm bên dưới)"))
    retention_years = forms.IntegerField(label=gettext_lazy("Hoặc số năm bảo quản"), required=False, min_value=1,
                                         max_value=fileplan.MAX_RETENTION_YEARS)
    permanent = forms.BooleanField(label=gettext_lazy("Bảo quản vĩnh viễn"), required=False)
    unit = UnitChoice(label=gettext_lazy("Đơn vị lập hồ sơ"), required=False, queryset=Unit.objects.none())
    owner = PersonChoice(label=gettext_lazy("Người lập hồ sơ"), required=False, queryset=User.objects.none())
    note = forms.CharField(label=gettext_lazy("Ghi chú"), max_length=255, required=False)

    def __init__(self, *args, plan: FilePlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(agency_id=plan.agency_id, active=True).order_by("name")
        self.fields["owner"].queryset = User.objects.filter(
            is_active=True, role_assignments__agency_id=plan.agency_id).distinct().order_by("full_name", "username")


class ReturnForm(PageForm):
    service_fields = {"FILE_PLAN_REASON_REQUIRED": "reason"}

    reason = forms.CharField(label=gettext_lazy("Lý do trả lại"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


def _plan(request, year: int) -> FilePlan:
    try:
        return fileplan.get_plan(request.user, year)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _entry(plan: FilePlan, pk: int) -> FilePlanEntry:
    entry = FilePlanEntry.objects.select_related("plan__agency").filter(plan=plan, pk=pk).first()
    if entry is None:
        raise Http404(_("Không tìm thấy dòng này trong danh mục."))
    return entry


def _to_plan(plan: FilePlan, anchor: str = ""):
    url = reverse("web:file_plan", args=[plan.year])
    return redirect(f"{url}#{anchor}" if anchor else url)


@login_required
def plan_list(request):
    """The agency's plans by year; the clerk starts a year's plan, empty or from an earlier one."""
    user = request.user
    if user.agency_id is None:
        return forbidden(request, _("Tài khoản chưa thuộc cơ quan nào."))
    plans = fileplan.plans_for(user)
    can_draft = fileplan.may_draft(user, user.agency_id)
    form = None
    if can_draft:
        initial = {"year": fileplan.next_free_year(plans)}
        earlier = [p for p in plans if p.year < initial["year"]]
        if earlier:
            initial["based_on"] = earlier[0].pk
        form = PlanCreateForm(*posted(request), plans=plans, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                plan = fileplan.create_plan(user, form.cleaned_data["year"], based_on=form.cleaned_data["based_on"])
            except VpdtError as exc:
                if not form.service_error(exc):
                    messages.error(request, exc.message)
            else:
                messages.success(request, _("Đã lập dự thảo danh mục hồ sơ năm %(year)s.") % {"year": plan.year})
                return _to_plan(plan)
    elif request.method == "POST":
        return forbidden(request, _("Chỉ văn thư của cơ quan được lập danh mục hồ sơ."))
    counts = dict(FilePlanEntry.objects.filter(plan__in=plans).values_list("plan").annotate(n=Count("id")))
    rows = [{"plan": p, "count": counts.get(p.pk, 0)} for p in plans]
    return render(request, "web/archive/fileplan_list.html", {"rows": rows, "form": form, "can_draft": can_draft})


@login_required
def plan_detail(request, year: int):
    """A plan as the table of Phụ lục V, grouped by heading, with the actions its state allows."""
    user = request.user
    try:
        plan = _plan(request, year)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    editable = fileplan.may_edit(user, plan)
    opened = fileplan.opened(plan) if plan.state == FilePlanState.PUBLISHED else {}
    groups = fileplan.grouped(plan)
    for group in groups:
        for entry in group.entries:
            entry.dossier = opened.get(entry.pk)
            entry.can_open = entry.dossier is None and fileplan.may_open_dossier(user, entry)
            entry.responsible = fileplan.responsible_label(entry)
    return render(request, "web/archive/fileplan_plan.html", {
        "plan": plan, "groups": groups, "count": sum(len(g.entries) for g in groups), "editable": editable,
        "can_submit": editable, "can_decide": fileplan.may_decide(user, plan),
        "can_publish": fileplan.may_publish(user, plan), "return_form": ReturnForm(),
        "return_reason": fileplan.last_return_reason(plan) if plan.state == FilePlanState.RETURNED else "",
    })


@login_required
@require_POST
def plan_action(request, year: int, action: str):
    """Submit, approve, return (with a reason), publish."""
    user = request.user
    try:
        plan = _plan(request, year)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    done = {
        "trinh": _("Đã trình lãnh đạo duyệt danh mục hồ sơ năm %(year)s."),
        "duyet": _("Đã duyệt danh mục hồ sơ năm %(year)s."),
        "tra-lai": _("Đã trả lại danh mục hồ sơ năm %(year)s để văn thư sửa."),
        "ban-hanh": _("Đã ban hành danh mục hồ sơ năm %(year)s đến các đơn vị."),
    }
    if action not in done:
        raise Http404(_("Không có thao tác này."))
    try:
        if action == "trinh":
            fileplan.submit(user, plan)
        elif action == "duyet":
            fileplan.approve(user, plan)
        elif action == "ban-hanh":
            fileplan.publish(user, plan)
        else:
            form = ReturnForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Ghi lý do trả lại để văn thư sửa."))
                return _to_plan(plan, "decide")
            fileplan.return_plan(user, plan, form.cleaned_data["reason"])
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except VpdtError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done[action] % {"year": plan.year})
    return _to_plan(plan)


def _entry_kwargs(data: dict) -> dict:
    return {"heading": data["heading"], "notation": data["notation"], "title": data["title"],
            "retention": data["retention"], "retention_years": data["retention_years"],
            "permanent": data["permanent"], "unit": data["unit"], "owner": data["owner"], "note": data["note"]}


def _entry_form(request, year: int, pk: int | None):
    user = request.user
    try:
        plan = _plan(request, year)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    if not fileplan.may_edit(user, plan):
        return forbidden(request, _("Danh mục hồ sơ chỉ sửa được khi là dự thảo hoặc bị trả lại, và chỉ bởi văn thư."))
    entry = _entry(plan, pk) if pk is not None else None
    initial = {}
    if entry is not None:
        initial = {"heading": entry.heading, "notation": entry.notation, "title": entry.title,
                   "retention": entry.retention_id, "unit": entry.unit_id, "owner": entry.owner_id,
                   "note": entry.note, "permanent": entry.retention_id is None and entry.retention_years is None,
                   "retention_years": entry.retention_years if entry.retention_id is None else None}
    elif request.GET.get("de-muc"):
        initial = {"heading": request.GET["de-muc"][:255]}
    form = EntryForm(*posted(request), plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if entry is None:
                entry = fileplan.add_entry(user, plan, **_entry_kwargs(form.cleaned_data))
            else:
                entry = fileplan.update_entry(user, entry, **_entry_kwargs(form.cleaned_data))
        except VpdtError as exc:
            if not form.service_error(exc):
                messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã lưu hồ sơ %(notation)s trong danh mục.") % {"notation": entry.notation})
            return _to_plan(plan, f"entry-{entry.pk}")
    headings = list(dict.fromkeys(plan.entries.order_by("order").values_list("heading", flat=True)))
    return render(request, "web/archive/fileplan_entry.html", {
        "plan": plan, "entry": entry, "form": form, "headings": headings})


@login_required
def entry_new(request, year: int):
    return _entry_form(request, year, None)


@login_required
def entry_edit(request, year: int, pk: int):
    return _entry_form(request, year, pk)


@login_required
@require_POST
def entry_change(request, year: int, pk: int, action: str):
    """Delete an entry, move it up or down, or open its dossier."""
    user = request.user
    try:
        plan = _plan(request, year)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    entry = _entry(plan, pk)
    anchor = f"entry-{entry.pk}"
    try:
        if action == "xoa":
            fileplan.delete_entry(user, entry)
            messages.success(request, _("Đã xóa hồ sơ %(notation)s khỏi danh mục.") % {"notation": entry.notation})
            anchor = ""
        elif action == "len":
            fileplan.move_entry(user, entry, -1)
        elif action == "xuong":
            fileplan.move_entry(user, entry, 1)
        elif action == "mo-ho-so":
            dossier = fileplan.open_dossier_from_entry(user, entry)
            messages.success(request, _("Đã mở hồ sơ %(code)s.") % {"code": dossier.code})
        else:
            raise Http404(_("Không có thao tác này."))
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except VpdtError as exc:
        messages.error(request, exc.message)
    return _to_plan(plan, anchor)


@login_required
def plan_download(request, year: int):
    """The plan as XLSX (the columns of Phụ lục V), written to a temporary file and streamed."""
    try:
        plan = _plan(request, year)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    out = tempfile.TemporaryFile(prefix="vpdt-file-plan-")
    try:
        fileplan.write_xlsx(request.user, plan, out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    response = FileResponse(out, as_attachment=True, filename=f"danh-muc-ho-so-{plan.year}.xlsx",
                            content_type=fileplan.XLSX_CONTENT_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
