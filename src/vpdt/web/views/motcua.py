"""Một cửa: the pages of the one-stop shop for the officers (counter, processing, approver, the
one-stop admin). Thin: every change goes through vpdt.motcua.services.

- /mot-cua/                      the dossiers a person may see, in tabs by what they wait for;
- /mot-cua/tiep-nhan/…           receive a dossier at the counter (citizen, papers, scans);
- /mot-cua/ho-so/<pk>/           a dossier: papers, files, the control slip, history, the actions;
- /mot-cua/ho-so/<pk>/phieu/…    the printed slips (Mẫu 01, 02, 03, 05) as PDF;
- /mot-cua/so-theo-doi/          the counter's register (Mẫu 06) with filters, PDF or XLSX;
- /mot-cua/thu-tuc/…             the catalogue: list, edit, activation, import and export.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.forms import formset_factory
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vpdt.core import blobs, filetypes
from vpdt.core.errors import VpdtError
from vpdt.directory.models import Agency, Unit, User
from vpdt.directory.roles import Role
from vpdt.motcua import clock, deadlines, joint, opinions, payment, slips
from vpdt.motcua.models import (
    Channel,
    Dossier,
    DossierFile,
    DossierStatus,
    JointRole,
    Level,
    PaperForm,
    PaperKind,
    Procedure,
    ProcedureActivation,
    ResultType,
    ReturnMethod,
    StepKind,
    SupplementStage,
)
from vpdt.motcua.services import access, catalogue, counter, processing
from vpdt.web.forms import DateField, PageForm
from vpdt.web.views.common import posted, query_int
from vpdt.web.views.errors import forbidden

LIST_LIMIT = 200
TABS = {
    "cho-tiep-nhan": gettext_lazy("Chờ tiếp nhận"),
    "dang-giai-quyet": gettext_lazy("Đang giải quyết"),
    "cua-toi": gettext_lazy("Đang chờ tôi"),
    "cho-tra": gettext_lazy("Chờ trả kết quả"),
    "tat-ca": gettext_lazy("Tất cả"),
}
FILE_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
            "frame-ancestors 'self'; form-action 'none'; base-uri 'none'")


# --------------------------------------------------------------------------- helpers
def _uploads(files, name: str, paper_id: int | None = None) -> list[counter.Upload]:
    return [counter.Upload(stream=f, name=f.name, paper_id=paper_id) for f in files.getlist(name) if f]


def _lines(text: str) -> list[dict]:
    """'name | reason' per line -> [{"name", "reason"}]."""
    out = []
    for line in (text or "").splitlines():
        name, _sep, reason = line.partition("|")
        if name.strip() or reason.strip():
            out.append({"name": name.strip(), "reason": reason.strip()})
    return out


def _dossier(request, pk: int) -> Dossier:
    found = access.visible_dossiers(request.user).select_related(
        "procedure", "agency", "resolving_agency", "current_step", "current_step__to_unit",
        "current_step__to_user").filter(pk=pk).first()
    if found is None:
        raise Http404(_("Không tìm thấy hồ sơ."))
    return found


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def counter_agency(user) -> Agency | None:
    """The agency at whose counter `user` works (their own agency first)."""
    ids = access.counter_agencies(user)
    if not ids:
        return None
    return Agency.objects.filter(pk=user.agency_id if user.agency_id in ids else ids[0]).first()


# --------------------------------------------------------------------------- list
@login_required
def home(request):
    user = request.user
    visible = access.visible_dossiers(user).select_related("procedure", "agency", "current_step")
    is_counter = bool(access.counter_agencies(user))
    tab = request.GET.get("tab") or ("cho-tiep-nhan" if is_counter else "cua-toi")
    if tab not in TABS:
        tab = "tat-ca"
    rows = visible
    if tab == "cho-tiep-nhan":
        rows = rows.filter(status__in=[DossierStatus.NEW, DossierStatus.SUPPLEMENT], received_at__isnull=True) | \
            rows.filter(status=DossierStatus.RECEIVED)
    elif tab == "dang-giai-quyet":
        rows = rows.filter(status__in=[DossierStatus.PROCESSING, DossierStatus.SUPPLEMENT,
                                       DossierStatus.FINANCIAL], received_at__isnull=False)
    elif tab == "cho-tra":
        rows = rows.filter(status=DossierStatus.DONE)
    elif tab == "cua-toi":
        mine = Q(current_step__to_user=user, current_step__done_at__isnull=True)
        if user.unit_id:
            mine |= Q(current_step__to_unit_id=user.unit_id, current_step__to_user__isnull=True,
                      current_step__done_at__isnull=True)
        leader_of = [a for a in user.member_agency_ids() if user.has_role(Role.LEADER, a)]
        mine |= Q(current_step__kind=StepKind.APPROVER, current_step__to_user__isnull=True,
                  current_step__done_at__isnull=True, current_step__to_agency_id__in=leader_of)
        rows = rows.filter(mine)
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        rows = rows.filter(Q(code__icontains=q) | Q(applicant_name__icontains=q) | Q(personal_id=q))
    status = query_int(request, "trang_thai", maximum=10)
    if status:
        rows = rows.filter(status=status)
    rows = rows.order_by("-submitted_at", "-id")
    today = clock.local(timezone.now()).date()
    items = list(rows[:LIST_LIMIT])
    for item in items:
        item.overdue = bool(item.appointment_date and item.appointment_date < today and item.status in (
            DossierStatus.RECEIVED, DossierStatus.PROCESSING, DossierStatus.SUPPLEMENT, DossierStatus.FINANCIAL))
    return render(request, "web/motcua/home.html", {
        "items": items, "tab": tab, "tabs": TABS, "q": q, "status": status, "statuses": DossierStatus.choices,
        "is_counter": is_counter, "limited": len(items) == LIST_LIMIT,
        "is_catalogue_admin": access.is_catalogue_admin(user)})


# --------------------------------------------------------------------------- intake
class ApplicantForm(PageForm):
    service_fields = {"MOTCUA_NAME_REQUIRED": "name", "MOTCUA_BAD_PERSONAL_ID": "personal_id",
                      "MOTCUA_BAD_EMAIL": "email", "MOTCUA_BAD_PHONE": "phone"}

    name = djforms.CharField(label=gettext_lazy("Họ và tên người nộp"), max_length=200,
                             error_messages={"required": gettext_lazy("Nhập họ và tên người nộp hồ sơ.")})
    personal_id = djforms.CharField(label=gettext_lazy("Số định danh cá nhân (12 số)"), max_length=12, min_length=12,
                                    widget=djforms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                                    error_messages={"required": gettext_lazy("Nhập số định danh cá nhân."),
                                                    "min_length": gettext_lazy("Số định danh cá nhân gồm đúng 12 chữ số."),
                                                    "max_length": gettext_lazy("Số định danh cá nhân gồm đúng 12 chữ số.")})
    organisation = djforms.CharField(label=gettext_lazy("Tên tổ chức (nếu nộp thay tổ chức)"), max_length=300,
                                     required=False)
    address = djforms.CharField(label=gettext_lazy("Địa chỉ"), max_length=500, required=False)
    phone = djforms.CharField(label=gettext_lazy("Điện thoại"), max_length=20, required=False,
                              widget=djforms.TextInput(attrs={"inputmode": "tel"}))
    email = djforms.CharField(label=gettext_lazy("Thư điện tử"), max_length=254, required=False,
                              widget=djforms.EmailInput())
    subject = djforms.CharField(label=gettext_lazy("Nội dung yêu cầu giải quyết"), max_length=500, required=False)

    def applicant(self) -> counter.Applicant:
        data = self.cleaned_data
        return counter.Applicant(name=data["name"], personal_id=data["personal_id"], address=data["address"],
                                 phone=data["phone"], email=data["email"], organisation=data["organisation"])


@login_required
def intake_choose(request):
    agency = counter_agency(request.user)
    if agency is None:
        return forbidden(request, _("Chỉ công chức tiếp nhận một cửa tiếp nhận hồ sơ."))
    q = (request.GET.get("q") or "").strip()[:100]
    rows = ProcedureActivation.objects.filter(agency=agency, active=True, procedure__active=True).select_related(
        "procedure", "resolving_agency").order_by("procedure__field", "procedure__name")
    if q:
        rows = rows.filter(Q(procedure__name__icontains=q) | Q(procedure__code__icontains=q)
                           | Q(procedure__field__icontains=q))
    return render(request, "web/motcua/intake_choose.html", {"rows": rows, "agency": agency, "q": q})


@login_required
def intake(request, pk: int):
    user = request.user
    agency = counter_agency(user)
    if agency is None:
        return forbidden(request, _("Chỉ công chức tiếp nhận một cửa tiếp nhận hồ sơ."))
    activation = ProcedureActivation.objects.filter(agency=agency, procedure_id=pk, active=True).select_related(
        "procedure", "resolving_agency").first()
    if activation is None:
        raise Http404(_("Thủ tục không áp dụng tại cơ quan."))
    procedure = activation.procedure
    papers = list(procedure.papers.all())
    form = ApplicantForm(*posted(request)[:1])
    ticked = set()
    if request.method == "POST":
        ticked = {p.pk for p in papers if request.POST.get(f"paper_{p.pk}")}
        decision = request.POST.get("decision", "")
        if form.is_valid():
            uploads = []
            for paper in papers:
                uploads += _uploads(request.FILES, f"file_{paper.pk}", paper.pk)
            uploads += _uploads(request.FILES, "file_other")
            data = counter.Intake(applicant=form.applicant(), ticked=ticked, uploads=uploads,
                                  subject=form.cleaned_data["subject"],
                                  channel=request.POST.get("channel") if request.POST.get("channel") in (
                                      Channel.COUNTER, Channel.POST) else Channel.COUNTER)
            try:
                dossier = counter.receive(user, agency, procedure, data, decision=decision,
                                          gaps=_lines(request.POST.get("gaps", "")),
                                          note=request.POST.get("note", "")[:4000],
                                          reasons=request.POST.get("reasons", "")[:4000])
            except VpdtError as exc:
                if not form.service_error(exc):
                    form.add_error(None, exc.message)
            else:
                text = {
                    DossierStatus.RECEIVED: _("Đã tiếp nhận hồ sơ %(code)s, hẹn trả ngày %(date)s. In giấy tiếp "
                                              "nhận và hẹn trả kết quả cho người nộp."),
                    DossierStatus.SUPPLEMENT: _("Hồ sơ %(code)s chưa đủ: in phiếu yêu cầu bổ sung, hoàn thiện "
                                                "cho người nộp."),
                    DossierStatus.REFUSED: _("Đã từ chối tiếp nhận hồ sơ %(code)s: in phiếu từ chối cho người "
                                             "nộp."),
                }[dossier.status]
                messages.success(request, text % {"code": dossier.code, "date": slips.d(dossier.appointment_date)})
                return redirect("web:motcua_dossier", pk=dossier.pk)
    appointment = clock.appointment_date(timezone.now(), procedure.legal_days)
    return render(request, "web/motcua/intake.html", {
        "form": form, "procedure": procedure, "activation": activation, "papers": papers, "ticked": ticked,
        "agency": agency, "appointment": appointment, "post": request.POST if request.method == "POST" else {}})


# --------------------------------------------------------------------------- dossier
def _actions(user, dossier: Dossier) -> dict:
    is_counter = access.is_counter(user, dossier.agency)
    holds = access.holds_step(user, dossier)
    step = dossier.current_step
    open_counter_request = dossier.status == DossierStatus.SUPPLEMENT and dossier.received_at is None
    return {
        "check": is_counter and (dossier.status == DossierStatus.NEW or open_counter_request),
        "ask_counter_supplement": is_counter and dossier.status == DossierStatus.NEW,
        "refuse": is_counter and (dossier.status == DossierStatus.NEW or open_counter_request),
        "receipt": is_counter and dossier.received_at is not None,
        "transfer": is_counter and dossier.status == DossierStatus.RECEIVED and not dossier.is_joint,
        "take": holds and step is not None and step.received_at is None and step.kind in (
            StepKind.PROCESSING, StepKind.APPROVER),
        "appraise": holds and dossier.status == DossierStatus.PROCESSING and step.kind in (
            StepKind.PROCESSING, StepKind.APPROVER),
        "ask_supplement": holds and dossier.status == DossierStatus.PROCESSING and step.kind == StepKind.PROCESSING,
        "answer_supplement": (is_counter or holds) and dossier.status == DossierStatus.SUPPLEMENT
        and dossier.received_at is not None,
        "submit": holds and dossier.status == DossierStatus.PROCESSING and step.kind == StepKind.PROCESSING,
        "approve": holds and dossier.status == DossierStatus.PROCESSING and step.kind == StepKind.APPROVER,
        "return": is_counter and dossier.status == DossierStatus.DONE,
        "withdraw": is_counter and dossier.status in (DossierStatus.NEW, *processing.OPEN_STATUSES),
        "stop": (holds or access.is_approver(user, dossier.resolving_agency))
        and dossier.status in processing.OPEN_STATUSES and dossier.received_at is not None,
        **_around_actions(user, dossier, is_counter=is_counter, holds=holds),
    }


def _around_actions(user, dossier: Dossier, *, is_counter: bool, holds: bool) -> dict:
    """motcua3: the buttons of deadlines, joint processing, opinions, fees and status 6, under the
    rules their services check (a button shown is an action the service accepts)."""
    step = dossier.current_step
    processing_step = holds and dossier.status == DossierStatus.PROCESSING and step is not None and (
        step.kind == StepKind.PROCESSING)
    late = None
    if not dossier.is_final and dossier.status != DossierStatus.DONE and dossier.received_at is not None:
        late = deadlines.late_body(dossier)
    return {
        "send_joint": is_counter and dossier.status == DossierStatus.RECEIVED and dossier.is_joint
        and getattr(user, "agency_id", None) == dossier.agency_id
        and not dossier.joint_links.filter(role=JointRole.SENDER).exists(),
        "apology": late is not None and deadlines.may_apologise(user, dossier, late)
        and not dossier.apologies.filter(agency=late).exists(),
        "apology_body": late,
        "opinion": processing_step and getattr(user, "agency_id", None) == dossier.resolving_agency_id,
        "fee": is_counter and dossier.fee_amount > 0 and dossier.fee_paid_at is None and dossier.status not in (
            DossierStatus.REFUSED, DossierStatus.WITHDRAWN),
        "financial": processing_step,
        "financial_met": (is_counter or holds) and dossier.status == DossierStatus.FINANCIAL,
    }


def _date_input(text: str) -> dt.date | None:
    """A date from a form: the browser's date input (yyyy-mm-dd) or typed dd/mm/yyyy."""
    text = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@login_required
def dossier_page(request, pk: int):
    dossier = _dossier(request, pk)
    user = request.user
    actions = _actions(user, dossier)
    units = Unit.objects.filter(agency=dossier.resolving_agency, active=True).order_by("name")
    people = User.objects.filter(agency=dossier.resolving_agency, is_active=True).select_related("unit").order_by(
        "full_name")
    leaders = [p for p in people if p.has_role(Role.LEADER, dossier.resolving_agency_id)]
    activation = ProcedureActivation.objects.filter(procedure=dossier.procedure, agency=dossier.agency).first()
    steps = list(dossier.steps.select_related("from_agency", "from_unit", "from_user", "to_agency", "to_unit",
                                              "to_user").order_by("order", "id"))
    for step in steps:
        step.outcome = slips._step_outcome(step)
    counter_request = dossier.supplements.filter(stage=SupplementStage.COUNTER).order_by("-asked_at").first()
    return render(request, "web/motcua/dossier.html", {
        "d": dossier, "actions": actions, "papers": dossier.papers.all(),
        "files": dossier.files.select_related("paper", "uploaded_by").order_by("id"), "steps": steps,
        "events": dossier.events.select_related("by").order_by("at", "id"),
        "supplements": dossier.supplements.order_by("asked_at"), "counter_request": counter_request,
        "units": units, "people": people, "leaders": leaders,
        "default_unit": activation.processing_unit_id if activation else None,
        "return_methods": ReturnMethod.choices, "statuses": DossierStatus,
        "paused": dossier.pauses.filter(ended_at__isnull=True).first(),
        "open_supplement": dossier.supplements.filter(answered_at__isnull=True).first(),
        # motcua3: what the around half keeps about the dossier
        "delays": dossier.delays.select_related("agency", "step").order_by("detected_at", "id"),
        "apologies": dossier.apologies.select_related("agency", "file").order_by("issued_at", "id"),
        "joint_links": [(link, Agency.objects.filter(code=link.partner_code).first(),
                         DossierStatus(link.reported_status).label if link.reported_status in DossierStatus.values
                         else "") for link in
                        dossier.joint_links.select_related("transfer_document", "result_document").order_by("id")],
        "opinions": dossier.opinions.select_related("asked_agency", "request_document", "reply_document")
        .order_by("asked_at", "id"),
        "payments": dossier.payments.order_by("paid_at", "id"),
        "opinion_agencies": (Agency.objects.filter(active=True).exclude(pk=dossier.resolving_agency_id)
                             .order_by("name") if actions["opinion"] else []),
        "next_working_day": clock.next_working_day(max(
            dossier.appointment_date or clock.local(timezone.now()).date(), clock.local(timezone.now()).date())
            + dt.timedelta(days=1)),
    })


def _act(request, dossier: Dossier, call, success: str):
    try:
        call()
    except VpdtError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("web:motcua_dossier", pk=dossier.pk)


def _user_in(agency_id: int, pk) -> User | None:
    pk = query_pk(pk)
    return User.objects.filter(pk=pk, is_active=True).first() if pk else None


def query_pk(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


@login_required
@require_POST
def dossier_action(request, pk: int, action: str):
    dossier = _dossier(request, pk)
    user, post = request.user, request.POST
    note = post.get("note", "")[:4000]
    if action == "tiep-nhan":
        ticked = {p.paper_id for p in dossier.papers.all() if post.get(f"paper_{p.paper_id}")}
        return _act(request, dossier, lambda: counter.accept(user, dossier, ticked=ticked, note=note),
                    _("Đã tiếp nhận hồ sơ. In giấy tiếp nhận và hẹn trả kết quả cho người nộp."))
    if action == "yeu-cau-bo-sung-tiep-nhan":
        return _act(request, dossier, lambda: counter.ask_supplement_at_counter(
            user, dossier, _lines(post.get("gaps", "")), note=note),
            _("Đã lập phiếu yêu cầu bổ sung, hoàn thiện hồ sơ."))
    if action == "tu-choi":
        return _act(request, dossier, lambda: counter.refuse(user, dossier, post.get("reasons", "")),
                    _("Đã từ chối tiếp nhận hồ sơ."))
    if action == "chuyen":
        unit = Unit.objects.filter(pk=query_pk(post.get("unit"))).first()
        if unit is None:
            messages.error(request, _("Chọn phòng chuyên môn xử lý."))
            return redirect("web:motcua_dossier", pk=dossier.pk)
        return _act(request, dossier, lambda: processing.transfer(
            user, dossier, unit, to_user=_user_in(dossier.resolving_agency_id, post.get("to_user")), note=note),
            _("Đã chuyển hồ sơ đến %(unit)s.") % {"unit": unit.name})
    if action == "nhan":
        return _act(request, dossier, lambda: processing.take(user, dossier), _("Đã nhận hồ sơ để xử lý."))
    if action == "tham-dinh":
        uploads = _uploads(request.FILES, "files")
        return _act(request, dossier, lambda: processing.appraise(user, dossier, note, uploads),
                    _("Đã ghi ý kiến thẩm định."))
    if action == "yeu-cau-bo-sung":
        return _act(request, dossier, lambda: processing.ask_supplement(
            user, dossier, _lines(post.get("gaps", "")), note=note),
            _("Đã yêu cầu bổ sung hồ sơ; thời gian giải quyết tạm dừng."))
    if action == "nhan-bo-sung":
        uploads = _uploads(request.FILES, "files")
        return _act(request, dossier, lambda: processing.answer_supplement(user, dossier, note=note, uploads=uploads),
                    _("Đã nhận hồ sơ bổ sung; thời gian giải quyết được tính lại."))
    if action == "trinh":
        return _act(request, dossier, lambda: processing.submit_for_approval(
            user, dossier, to_user=_user_in(dossier.resolving_agency_id, post.get("to_user")), note=note),
            _("Đã trình lãnh đạo phê duyệt."))
    if action == "tra-lai":
        return _act(request, dossier, lambda: processing.send_back(user, dossier, note),
                    _("Đã trả lại hồ sơ để thẩm định lại."))
    if action == "phe-duyet":
        files = _uploads(request.FILES, "result")
        return _act(request, dossier, lambda: processing.approve(
            user, dossier, result=files[0] if files else None, result_note=post.get("result_note", ""), note=note),
            _("Đã phê duyệt; hồ sơ chuyển về Bộ phận Một cửa để trả kết quả."))
    if action == "tra-ket-qua":
        return _act(request, dossier, lambda: processing.return_result(
            user, dossier, method=post.get("method", ReturnMethod.COUNTER), note=note),
            _("Đã trả kết quả cho người nộp."))
    if action == "rut":
        return _act(request, dossier, lambda: processing.withdraw(user, dossier, post.get("reasons", "")),
                    _("Đã ghi nhận công dân rút hồ sơ."))
    if action == "dung":
        return _act(request, dossier, lambda: processing.stop(user, dossier, post.get("reasons", "")),
                    _("Đã dừng xử lý hồ sơ."))
    return _around_action(request, dossier, action)


def _around_action(request, dossier: Dossier, action: str):
    """motcua3: the actions of deadlines, joint processing, opinions, fees and status 6."""
    user, post = request.user, request.POST
    note = post.get("note", "")[:4000]
    if action == "lien-thong":
        return _act(request, dossier, lambda: joint.send_to_resolver(user, dossier, note=note),
                    _("Đã gửi hồ sơ liên thông đến %(agency)s qua trục liên thông.")
                    % {"agency": dossier.resolving_agency.name})
    if action == "xin-loi":
        new_date = _date_input(post.get("new_date", ""))
        if new_date is None:
            messages.error(request, _("Nhập ngày hẹn mới (dd/mm/yyyy)."))
            return redirect("web:motcua_dossier", pk=dossier.pk)
        return _act(request, dossier, lambda: deadlines.issue_apology(user, dossier, new_date, post.get("reason", "")),
                    _("Đã lập phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)."))
    if action == "xin-y-kien":
        agency = Agency.objects.filter(pk=query_pk(post.get("agency")), active=True).first()
        if agency is None:
            messages.error(request, _("Chọn cơ quan xin ý kiến."))
            return redirect("web:motcua_dossier", pk=dossier.pk)
        return _act(request, dossier, lambda: opinions.ask_opinion(user, dossier, agency, post.get("question", "")),
                    _("Đã gửi văn bản xin ý kiến %(agency)s.") % {"agency": agency.name})
    if action == "nop-phi":
        amount = query_pk("".join(ch for ch in post.get("amount", "") if ch.isdigit())[:18] or None)
        if amount is None:
            messages.error(request, _("Nhập số tiền đã nộp."))
            return redirect("web:motcua_dossier", pk=dossier.pk)
        return _act(request, dossier, lambda: payment.record_paid(user, dossier, amount),
                    _("Đã ghi nhận nộp phí, lệ phí."))
    if action == "nghia-vu-tai-chinh":
        return _act(request, dossier, lambda: processing.ask_financial(user, dossier, note),
                    _("Đã yêu cầu thực hiện nghĩa vụ tài chính; thời gian giải quyết tạm dừng."))
    if action == "da-nop-nghia-vu":
        return _act(request, dossier, lambda: processing.financial_met(user, dossier, note=note),
                    _("Đã ghi nhận công dân thực hiện nghĩa vụ tài chính; thời gian giải quyết được tính lại."))
    raise Http404(_("Không có thao tác này."))
    raise Http404(_("Không có thao tác này."))


@login_required
def dossier_file(request, pk: int, file_pk: int):
    dossier = _dossier(request, pk)
    row = DossierFile.objects.filter(pk=file_pk, dossier=dossier).first()
    if row is None:
        raise Http404(_("Không tìm thấy tệp."))
    inline = row.content_type in ("application/pdf", *filetypes.IMAGES.values()) and request.GET.get("download") != "1"
    response = FileResponse(blobs.open_blob(row.blob_id), content_type=row.content_type or filetypes.DOWNLOAD_ONLY,
                            filename=row.filename, as_attachment=not inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def slip(request, pk: int, kind: str):
    dossier = _dossier(request, pk)
    user = request.user
    if kind == "tiep-nhan":
        # The receipt carries a new lookup secret each time it is printed: a POST.
        if request.method != "POST":
            return redirect("web:motcua_dossier", pk=dossier.pk)
        if dossier.received_at is None:
            raise Http404(_("Hồ sơ chưa được tiếp nhận."))
        try:
            secret = counter.issue_secret(user, dossier)
        except VpdtError as exc:
            return forbidden(request, exc.message)
        return _pdf(slips.receipt(dossier, secret=secret), f"giay-tiep-nhan-{dossier.code}.pdf")
    if kind == "bo-sung":
        request_row = dossier.supplements.order_by("-asked_at", "-id").first()
        if request_row is None:
            raise Http404(_("Hồ sơ không có yêu cầu bổ sung."))
        return _pdf(slips.supplement(dossier, request_row), f"phieu-yeu-cau-bo-sung-{dossier.code}.pdf")
    if kind == "tu-choi":
        if dossier.status != DossierStatus.REFUSED:
            raise Http404(_("Hồ sơ không bị từ chối tiếp nhận."))
        return _pdf(slips.refusal(dossier), f"phieu-tu-choi-{dossier.code}.pdf")
    if kind == "kiem-soat":
        return _pdf(slips.control_slip(dossier), f"phieu-kiem-soat-{dossier.code}.pdf")
    raise Http404(_("Không có phiếu này."))


# --------------------------------------------------------------------------- register (Mẫu 06)
class RegisterFilter(PageForm):
    date_from = DateField(required=False, label=gettext_lazy("Từ ngày"))
    date_to = DateField(required=False, label=gettext_lazy("Đến ngày"))
    procedure = djforms.ModelChoiceField(queryset=Procedure.objects.none(), required=False,
                                         label=gettext_lazy("Thủ tục"))
    status = djforms.TypedChoiceField(choices=[("", "—"), *DossierStatus.choices], coerce=int, required=False,
                                      empty_value=None, label=gettext_lazy("Trạng thái"))
    channel = djforms.ChoiceField(choices=[("", "—"), *Channel.choices], required=False,
                                  label=gettext_lazy("Hình thức nộp"))


@login_required
def register(request):
    agency = counter_agency(request.user)
    if agency is None and not request.user.has_role(Role.LEADER, request.user.agency_id):
        return forbidden(request, _("Sổ theo dõi hồ sơ dành cho Bộ phận Một cửa và lãnh đạo cơ quan."))
    agency = agency or request.user.agency
    form = RegisterFilter(request.GET or None)
    form.fields["procedure"].queryset = Procedure.objects.filter(activations__agency=agency).order_by("name")
    today = clock.local(timezone.now()).date()
    rows = Dossier.objects.filter(agency=agency).select_related("procedure", "resolving_agency").prefetch_related(
        "steps").order_by("submitted_at", "id")
    date_from, date_to = today.replace(day=1), today
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        date_from, date_to = data["date_from"] or date_from, data["date_to"] or date_to
        if data["procedure"]:
            rows = rows.filter(procedure=data["procedure"])
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if data["channel"]:
            rows = rows.filter(channel=data["channel"])
    start = clock.at(date_from, dt.time(0, 0))
    end = clock.at(date_to + dt.timedelta(days=1), dt.time(0, 0))
    rows = rows.filter(submitted_at__gte=start, submitted_at__lt=end)
    period = _("Từ ngày %(a)s đến ngày %(b)s") % {"a": slips.d(date_from), "b": slips.d(date_to)}
    fmt = request.GET.get("format")
    if fmt in ("pdf", "xlsx"):
        out = tempfile.TemporaryFile(prefix="vpdt-motcua-register-")
        if fmt == "pdf":
            slips.register_pdf(out, rows.iterator(chunk_size=500), agency_name=agency.name, period=period)
            content_type = "application/pdf"
        else:
            slips.register_xlsx(out, rows.iterator(chunk_size=500), agency_name=agency.name, period=period)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        out.seek(0)
        return FileResponse(out, content_type=content_type, as_attachment=True,
                            filename=f"so-theo-doi-ho-so-{date_from:%Y%m%d}-{date_to:%Y%m%d}.{fmt}")
    shown = list(rows[:LIST_LIMIT])
    return render(request, "web/motcua/register.html", {
        "form": form, "rows": list(zip(slips.register_rows(shown), shown, strict=True)), "agency": agency,
        "period": period, "headers": slips.REGISTER_HEADERS, "limited": len(shown) == LIST_LIMIT,
        "query": request.GET.urlencode()})


# --------------------------------------------------------------------------- catalogue
class ProcedureForm(PageForm):
    service_fields = {"MOTCUA_CODE_TAKEN": "code"}

    code = djforms.CharField(label=gettext_lazy("Mã thủ tục"), max_length=40)
    name = djforms.CharField(label=gettext_lazy("Tên thủ tục"), max_length=500)
    field = djforms.CharField(label=gettext_lazy("Lĩnh vực"), max_length=200)
    level = djforms.ChoiceField(label=gettext_lazy("Cấp thực hiện"), choices=Level.choices)
    resolving_bodies = djforms.CharField(label=gettext_lazy("Cơ quan giải quyết"), max_length=500, required=False)
    legal_days = djforms.IntegerField(label=gettext_lazy("Thời hạn giải quyết (ngày làm việc)"), min_value=0,
                                      max_value=3650)
    fee_amount = djforms.IntegerField(label=gettext_lazy("Phí, lệ phí (đồng)"), min_value=0, initial=0)
    fee_note = djforms.CharField(label=gettext_lazy("Ghi chú phí, lệ phí"), max_length=500, required=False)
    result_type = djforms.ChoiceField(label=gettext_lazy("Loại kết quả"), choices=ResultType.choices)
    result_name = djforms.CharField(label=gettext_lazy("Kết quả"), max_length=300, required=False)
    description = djforms.CharField(label=gettext_lazy("Trình tự, cách thức thực hiện"), required=False,
                                    widget=djforms.Textarea(attrs={"rows": 3}))
    legal_basis = djforms.CharField(label=gettext_lazy("Căn cứ pháp lý"), required=False,
                                    widget=djforms.Textarea(attrs={"rows": 2}))
    online = djforms.BooleanField(label=gettext_lazy("Cho phép nộp trực tuyến"), required=False)
    active = djforms.BooleanField(label=gettext_lazy("Đang áp dụng"), required=False)


class PaperRow(PageForm):
    id = djforms.IntegerField(required=False, widget=djforms.HiddenInput)
    name = djforms.CharField(label=gettext_lazy("Tên giấy tờ"), max_length=500, required=False)
    form = djforms.ChoiceField(label=gettext_lazy("Bản chính/bản sao"), choices=PaperForm.choices)
    count = djforms.IntegerField(label=gettext_lazy("Số lượng"), min_value=1, max_value=100, initial=1)
    kind = djforms.ChoiceField(label=gettext_lazy("Hình thức"), choices=PaperKind.choices)
    required = djforms.BooleanField(label=gettext_lazy("Bắt buộc"), required=False, initial=True)


class StepRow(PageForm):
    id = djforms.IntegerField(required=False, widget=djforms.HiddenInput)
    name = djforms.CharField(label=gettext_lazy("Tên bước"), max_length=300, required=False)
    kind = djforms.ChoiceField(label=gettext_lazy("Bộ phận thực hiện"), choices=StepKind.choices)
    body = djforms.CharField(label=gettext_lazy("Cơ quan, đơn vị"), max_length=300, required=False)
    working_hours = djforms.IntegerField(label=gettext_lazy("Giờ làm việc"), min_value=0, max_value=29200, initial=8)


PaperFormSet = formset_factory(PaperRow, extra=3, max_num=60, validate_max=True)
StepFormSet = formset_factory(StepRow, extra=2, max_num=30, validate_max=True)


@login_required
def catalogue_list(request):
    user = request.user
    q = (request.GET.get("q") or "").strip()[:100]
    rows = Procedure.objects.order_by("level", "field", "name")
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(field__icontains=q))
    level = request.GET.get("cap")
    if level in Level.values:
        rows = rows.filter(level=level)
    fmt = request.GET.get("format")
    if fmt == "json":
        response = HttpResponse(json.dumps(catalogue.export_data(rows.prefetch_related("papers", "steps")),
                                           ensure_ascii=False, indent=1), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="danh-muc-thu-tuc.json"'
        return response
    if fmt == "xlsx":
        out = tempfile.TemporaryFile(prefix="vpdt-motcua-catalogue-")
        catalogue.export_xlsx(out, rows.prefetch_related("papers", "steps"))
        out.seek(0)
        return FileResponse(out, as_attachment=True, filename="danh-muc-thu-tuc.xlsx",
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    own = set(ProcedureActivation.objects.filter(agency_id=user.agency_id, active=True).values_list(
        "procedure_id", flat=True)) if user.agency_id else set()
    return render(request, "web/motcua/catalogue.html", {
        "rows": rows.prefetch_related("activations__agency")[:1000], "q": q, "level": level,
        "levels": Level.choices, "own": own, "is_admin": access.is_catalogue_admin(user),
        "can_activate": bool(user.agency_id and access.can_activate(user, user.agency)),
        "query": request.GET.urlencode()})


@login_required
def catalogue_import(request):
    if not access.is_catalogue_admin(request.user):
        return forbidden(request, _("Chỉ quản trị một cửa được nhập danh mục thủ tục."))
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise VpdtError(_("Chọn tệp danh mục (JSON hoặc XLSX)."), code="MOTCUA_CATALOGUE_FILE")
            refusal = getattr(upload, "refusal", None)
            if refusal is not None:
                raise refusal
            if upload.name.lower().endswith(".xlsx"):
                data = catalogue.read_xlsx(upload)
            else:
                if upload.size > 20 * 1024 * 1024:
                    raise VpdtError(_("Tệp danh mục quá lớn (tối đa 20 MB)."), code="MOTCUA_CATALOGUE_TOO_LARGE")
                try:
                    data = json.load(upload)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise VpdtError(_("Tệp không phải JSON hợp lệ."), code="MOTCUA_CATALOGUE_FORMAT") from exc
            counts = catalogue.import_data(request.user, data)
        except VpdtError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã nhập danh mục: %(c)s thủ tục mới, %(u)s thủ tục cập nhật.") % {
                "c": counts["created"], "u": counts["updated"]})
            return redirect("web:motcua_catalogue")
    return render(request, "web/motcua/catalogue_import.html", {})


@login_required
def procedure_edit(request, pk: int | None = None):
    user = request.user
    procedure = Procedure.objects.filter(pk=pk).first() if pk else None
    if pk and procedure is None:
        raise Http404(_("Không tìm thấy thủ tục."))
    is_admin = access.is_catalogue_admin(user)
    if request.method == "POST" and not is_admin:
        return forbidden(request, _("Chỉ quản trị một cửa được sửa danh mục thủ tục."))
    if procedure is None and not is_admin:
        return forbidden(request, _("Chỉ quản trị một cửa được thêm thủ tục."))
    initial = {"online": True, "active": True, "level": Level.COMMUNE, "result_type": ResultType.OTHER}
    if procedure is not None:
        initial = {name: getattr(procedure, name) for name in catalogue.PROCEDURE_FIELDS}
    data = request.POST if request.method == "POST" else None
    form = ProcedureForm(data, initial=initial)
    papers = PaperFormSet(data, prefix="papers", initial=[
        {"id": p.pk, "name": p.name, "form": p.form, "count": p.count, "kind": p.kind, "required": p.required}
        for p in procedure.papers.all()] if procedure else None)
    steps = StepFormSet(data, prefix="steps", initial=[
        {"id": s.pk, "name": s.name, "kind": s.kind, "body": s.body, "working_hours": s.working_hours}
        for s in procedure.steps.all()] if procedure else None)
    if data is not None and form.is_valid() and papers.is_valid() and steps.is_valid():
        paper_rows = [f.cleaned_data for f in papers if f.cleaned_data.get("name")]
        step_rows = [f.cleaned_data for f in steps if f.cleaned_data.get("name")]
        try:
            saved = catalogue.save_procedure(user, procedure, form.cleaned_data, paper_rows, step_rows)
        except VpdtError as exc:
            if not form.service_error(exc):
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã lưu thủ tục %(code)s.") % {"code": saved.code})
            return redirect("web:motcua_procedure", pk=saved.pk)
    activations = procedure.activations.select_related("agency", "resolving_agency", "processing_unit").order_by(
        "agency__name") if procedure else []
    return render(request, "web/motcua/procedure.html", {
        "form": form, "papers": papers, "steps": steps, "procedure": procedure, "is_admin": is_admin,
        "activations": activations, "agencies": _activation_agencies(user),
        "all_agencies": Agency.objects.filter(active=True).order_by("name") if procedure else [],
        "units": Unit.objects.filter(active=True).select_related("agency").order_by("agency__name", "name")
        if procedure else []})


def _activation_agencies(user):
    if user.is_platform_admin or access.is_catalogue_admin(user) and user.is_platform_admin:
        return Agency.objects.filter(active=True).order_by("name")
    ids = [a for a in user.member_agency_ids() if access.can_activate(user, a)]
    return Agency.objects.filter(pk__in=ids, active=True).order_by("name")


@login_required
@require_POST
def procedure_activate(request, pk: int):
    procedure = Procedure.objects.filter(pk=pk).first()
    if procedure is None:
        raise Http404(_("Không tìm thấy thủ tục."))
    post = request.POST
    agency = Agency.objects.filter(pk=query_pk(post.get("agency"))).first()
    resolving = Agency.objects.filter(pk=query_pk(post.get("resolving_agency"))).first()
    unit = Unit.objects.filter(pk=query_pk(post.get("unit"))).first()
    if agency is None:
        messages.error(request, _("Chọn cơ quan áp dụng."))
    else:
        try:
            catalogue.set_activation(request.user, procedure, agency, active=post.get("active") == "1",
                                     resolving_agency=resolving, processing_unit=unit)
        except VpdtError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã cập nhật việc áp dụng thủ tục tại %(agency)s.") % {"agency": agency.name})
    return redirect(reverse("web:motcua_procedure", args=[procedure.pk]) + "#ap-dung")

