"""Administration in the application ("Quản trị"): the agency admin's people, requests and
approval chains; the platform admin's security overview and four-eyes decisions.

The rules are in vpdt.directory.oversight (who may change whom, four eyes) and
vpdt.workflow.services.chains (approval steps). An agency admin sees only their agency.
Django admin stays for the platform's technical staff.
"""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessFailureLog
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from vpdt.core.errors import VpdtError
from vpdt.core.models import AuditEntry
from vpdt.directory import accounts, oversight
from vpdt.directory.models import AdminRequest, Agency, User
from vpdt.directory.roles import Role
from vpdt.web import forms
from vpdt.web.views.common import posted
from vpdt.web.views.errors import forbidden
from vpdt.workflow.models import ApprovalChain, ApprovalStep
from vpdt.workflow.services import chains

PRIVILEGE_ACTIONS = ("account.", "admin_request.", "auth.unlock", "chain.")


def _admin_only(view):
    def wrapped(request, *args, **kwargs):
        if not accounts.is_agency_admin(request.user):
            return forbidden(request, _("Trang này dành cho quản trị cơ quan."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


def _platform_only(view):
    def wrapped(request, *args, **kwargs):
        if not oversight.is_platform_admin(request.user):
            return forbidden(request, _("Trang này dành cho quản trị hệ thống."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


def _administered(actor):
    """The agencies `actor` administers: every one for the platform admin."""
    if oversight.is_platform_admin(actor):
        return Agency.objects.all()
    return Agency.objects.filter(pk__in=actor.admin_agency_ids())


def _person(request, pk: int) -> User:
    found = accounts.managed_people(request.user).select_related("agency", "unit").filter(pk=pk).first()
    if found is None:
        raise Http404(_("Không tìm thấy cán bộ."))
    return found


@_admin_only
def home(request):
    user = request.user
    return render(request, "web/admin/home.html", {
        "is_platform": oversight.is_platform_admin(user),
        "pending": oversight.visible_requests(user).filter(state=AdminRequest.State.PENDING).count()})


@_admin_only
def people(request):
    """The people of the admin's agency (every agency for the platform admin), protected ones marked."""
    query = (request.GET.get("q") or "").strip()
    found = accounts.managed_people(request.user).select_related("agency", "unit").order_by("agency__code", "username")
    if query:
        found = found.filter(username__icontains=query) | found.filter(full_name__icontains=query)
    rows = [(p, oversight.protected_reasons(p)) for p in found[:500]]
    return render(request, "web/admin/people.html", {"rows": rows, "q": query})


@_admin_only
def add_person(request):
    """Add a person to an agency the admin administers; the person sets their password from the
    e-mailed link; a leader or admin role becomes a request to the platform admin."""
    actor = request.user
    agencies = _administered(actor).order_by("code")
    form = forms.NewPersonForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person, held = oversight.add_person(
                actor, data["agency"], username=data["username"], full_name=data["full_name"], email=data["email"],
                unit=data["unit"], position=data["position"], phone=data["phone"], roles=data["roles"],
                reason=data["reason"])
        except VpdtError as exc:
            if not form.service_error(exc):
                messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã thêm cán bộ %(name)s; đường dẫn đặt mật khẩu đã gửi tới %(email)s.")
                             % {"name": person.get_full_name(), "email": person.email})
            if held is not None:
                messages.info(request, _("Vai trò cần phê duyệt đã được gửi cho quản trị hệ thống."))
            return redirect("web:admin_person", person.pk)
    return render(request, "web/admin/person_new.html", {"form": form})


@_admin_only
def person(request, pk: int):
    """Edit a person's details and position; ask for (or make) a password reset, a second-factor
    reset, a role change or a deactivation. A protected person's change becomes a request."""
    target = _person(request, pk)
    actor = request.user
    form = forms.PersonForm(initial={"full_name": target.full_name, "email": target.email, "phone": target.phone,
                                     "unit": target.unit_id, "position": target.position}, agency=target.agency)
    change = forms.AdminRequestForm()
    move = forms.MoveAgencyForm() if oversight.is_platform_admin(actor) else None
    if request.method == "POST":
        if request.POST.get("action") == "move" and move is not None:
            move = forms.MoveAgencyForm(request.POST)
            if move.is_valid():
                data = move.cleaned_data
                try:
                    oversight.move_to_agency(actor, target, data["agency"], unit=data["unit"],
                                             position=data["position"])
                except VpdtError as exc:
                    if not move.service_error(exc):
                        messages.error(request, exc.message)
                else:
                    messages.success(request, _("Đã chuyển cán bộ sang %(agency)s; quản trị cơ quan mới cấp vai trò.")
                                     % {"agency": data["agency"].name})
                    return redirect("web:admin_person", target.pk)
        elif request.POST.get("action") == "update":
            form = forms.PersonForm(request.POST, agency=target.agency)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    oversight.update_person(actor, target, unit=data["unit"], position=data["position"],
                                            email=data["email"], full_name=data["full_name"], phone=data["phone"])
                except VpdtError as exc:
                    if not form.service_error(exc):
                        messages.error(request, exc.message)
                else:
                    messages.success(request, _("Đã lưu thông tin cán bộ."))
                    return redirect("web:admin_person", target.pk)
        else:
            change = forms.AdminRequestForm(request.POST)
            if change.is_valid():
                done = _change(request, target, change)
                if done:
                    return redirect("web:admin_person", target.pk)
    agency_id = target.agency_id
    return render(request, "web/admin/person.html", {
        "target": target, "form": form, "change": change, "move": move, "reasons": oversight.protected_reasons(target),
        "four_eyes": oversight.needs_four_eyes(actor, target),
        "roles": [Role(r).label for r in sorted(target.role_set(agency_id))] if agency_id else [],
        "requests": AdminRequest.objects.filter(target=target).select_related("requested_by", "decided_by")[:20],
        "history": AuditEntry.objects.filter(object_type="directory.user", object_id=str(target.pk))
        .order_by("-at")[:30]})


def _change(request, target: User, change) -> bool:
    """Make the change when the actor may alone; otherwise file the four-eyes request."""
    actor, data = request.user, change.cleaned_data
    kind = data["kind"]
    add, remove = data["add_roles"], data["remove_roles"]
    try:
        if oversight.needs_four_eyes(actor, target, grant_roles=add if kind == "role_change" else ()):
            oversight.request_change(actor, target, kind, reason=data["reason"], add_roles=add, remove_roles=remove)
            messages.success(request, _("Đã gửi yêu cầu tới quản trị hệ thống phê duyệt. Cán bộ sẽ được báo qua "
                                        "thư điện tử khi thay đổi được thực hiện."))
        elif kind == "password_reset":
            oversight.send_reset_link(actor, target)
            messages.success(request, _("Đã gửi đường dẫn đặt lại mật khẩu tới thư điện tử của cán bộ."))
        elif kind == "mfa_reset":
            oversight.reset_second_factor(actor, target)
            messages.success(request, _("Đã đặt lại xác thực hai lớp."))
        elif kind == "role_change":
            if not add and not remove:
                change.add_error("add_roles", _("Chọn vai trò cần thêm hoặc bỏ."))
                return False
            oversight.change_roles(actor, target, add=add, remove=remove)
            messages.success(request, _("Đã thay đổi vai trò."))
        elif kind == "deactivate":
            oversight.deactivate(actor, target, reason=data["reason"])
            messages.success(request, _("Đã khóa tài khoản."))
    except VpdtError as exc:
        if not change.service_error(exc):
            messages.error(request, exc.message)
        return False
    return True


@_admin_only
def requests_page(request):
    """The four-eyes requests: the agency admin sees theirs; the platform admin decides."""
    actor = request.user
    decision = forms.DecisionForm(*posted(request)[:1])
    if request.method == "POST":
        if decision.is_valid():
            data = decision.cleaned_data
            try:
                if data["decision"] == "approve":
                    oversight.approve(actor, data["pk"], note=data["note"])
                    messages.success(request, _("Đã phê duyệt và thực hiện yêu cầu."))
                else:
                    oversight.refuse(actor, data["pk"], note=data["note"])
                    messages.success(request, _("Đã từ chối yêu cầu."))
            except VpdtError as exc:
                messages.error(request, exc.message)
        return redirect("web:admin_requests")
    return render(request, "web/admin/requests.html", {
        "rows": oversight.visible_requests(actor)[:200], "is_platform": oversight.is_platform_admin(actor)})


@_platform_only
def security(request):
    """The platform admin's security overview."""
    admins = (User.objects.filter(is_active=True)
              .filter(pk__in=User.objects.filter(is_staff=True).values("pk"))
              | User.objects.filter(is_active=True, role_assignments__role__in=[Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN])
              ).distinct().select_related("agency").order_by("agency__code", "username")
    otp = apps.is_installed("django_otp")
    admin_rows = []
    for person in admins:
        if otp:
            from django_otp import devices_for_user

            status = _("đã bật") if any(True for _d in devices_for_user(person, confirmed=True)) else _("chưa bật")
        else:
            status = _("chưa bật (hệ thống chưa cài xác thực hai lớp)")
        admin_rows.append((person, status))
    since = timezone.now() - timedelta(days=30)
    privilege = AuditEntry.objects.filter(at__gte=since)
    wanted = None
    for prefix in PRIVILEGE_ACTIONS:
        q = privilege.filter(action__startswith=prefix)
        wanted = q if wanted is None else wanted | q
    return render(request, "web/admin/security.html", {
        "admins": admin_rows,
        "dormant_days": settings.VPDT_DORMANT_DAYS,
        "dormant": oversight.dormant_people().select_related("agency")[:100] if settings.VPDT_DORMANT_DAYS > 0 else [],
        "disabled": AuditEntry.objects.filter(action="account.dormant_disable").order_by("-at")[:50],
        "changes": wanted.order_by("-at")[:100],
        "failed": AccessFailureLog.objects.order_by("-attempt_time")[:100],
        "pending": oversight.pending(),
        "agencies": Agency.objects.order_by("code").prefetch_related("role_assignments__user"),
    })


@_admin_only
def approval_chains(request):
    """The approval chains of the admin's agencies with their steps; add a step, change or remove one."""
    actor = request.user
    agency_ids = _administered(actor).values_list("pk", flat=True)
    forms_by_chain = {}
    if request.method == "POST":
        chain = ApprovalChain.objects.filter(pk=request.POST.get("chain"), agency_id__in=agency_ids).first()
        if chain is None:
            raise Http404(_("Không tìm thấy quy trình."))
        step = None
        if request.POST.get("step"):
            step = ApprovalStep.objects.filter(pk=request.POST.get("step"), chain=chain).first()
            if step is None:
                raise Http404(_("Không tìm thấy bước duyệt."))
        try:
            if request.POST.get("action") == "delete" and step is not None:
                chains.delete_step(actor, step)
                messages.success(request, _("Đã xóa bước duyệt."))
                return redirect("web:admin_chains")
            form = forms.ApprovalStepForm(request.POST, agency=chain.agency, auto_id=f"c{chain.pk}_%s")
            if form.is_valid():
                chains.save_step(actor, chain, step=step, **form.cleaned_data)
                messages.success(request, _("Đã lưu bước duyệt."))
                return redirect("web:admin_chains")
            forms_by_chain[chain.pk] = form
        except VpdtError as exc:
            form = forms.ApprovalStepForm(request.POST, agency=chain.agency, auto_id=f"c{chain.pk}_%s")
            form.is_valid()
            if not form.service_error(exc):
                messages.error(request, exc.message)
            forms_by_chain[chain.pk] = form
    rows = []
    for chain in chains.chains_of(agency_ids):
        steps = [(s, forms.ApprovalStepForm(initial={"order": s.order, "label": s.label, "kind": s.kind,
                                                     "role": s.role, "user": s.user_id, "is_signer": s.is_signer},
                                            agency=chain.agency, auto_id=f"s{s.pk}_%s")) for s in chain.steps.all()]
        new = forms_by_chain.get(chain.pk) or forms.ApprovalStepForm(
            agency=chain.agency, initial={"order": len(steps) + 1}, auto_id=f"c{chain.pk}_%s")
        rows.append((chain, steps, new))
    return render(request, "web/admin/chains.html", {"rows": rows})


@_admin_only
def signing_keys(request):
    """The signing keys of the admin's agency (the seal, the people's keys); take one out of use."""
    from vpdt.signing import services as signing

    actor = request.user
    if request.method == "POST":
        pick = forms.PickForm(request.POST)
        key = signing.keys_managed_by(actor).filter(pk=pick.cleaned_data["pk"]).first() if pick.is_valid() else None
        if key is None:
            raise Http404(_("Không tìm thấy khóa ký số."))
        try:
            signing.deactivate_key(actor, key)
        except VpdtError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã ngừng dùng khóa ký số."))
        return redirect("web:admin_keys")
    return render(request, "web/admin/keys.html", {"keys": signing.keys_managed_by(actor)[:500]})


@_platform_only
def hub_connections(request):
    """The platform admin's view of the interconnection hub connections and their health."""
    from vpdt.exchange.models import HubConnection

    return render(request, "web/admin/hubs.html", {
        "connections": HubConnection.objects.prefetch_related("agencies").order_by("name", "endpoint")})


@_admin_only
def agency_page(request):
    """The admin's agency: its units (add, rename, deactivate), its registers and signing policy."""
    from vpdt.directory import units
    from vpdt.records.models import Register
    from vpdt.signing.models import SigningPolicy

    actor = request.user
    agency_ids = _administered(actor).values_list("pk", flat=True)
    failed = {}
    if request.method == "POST":
        agency = Agency.objects.filter(pk=request.POST.get("agency"), pk__in=agency_ids).first()
        if agency is None:
            raise Http404(_("Không tìm thấy cơ quan."))
        unit = None
        if request.POST.get("unit"):
            unit = agency.units.filter(pk=request.POST.get("unit")).first()
            if unit is None:
                raise Http404(_("Không tìm thấy đơn vị."))
        form = forms.UnitForm(request.POST, agency=agency, auto_id=f"a{agency.pk}_%s")
        if form.is_valid():
            try:
                units.save_unit(actor, agency, unit=unit, **form.cleaned_data)
            except VpdtError as exc:
                if not form.service_error(exc):
                    messages.error(request, exc.message)
            else:
                messages.success(request, _("Đã lưu đơn vị."))
                return redirect("web:admin_agency")
        failed[agency.pk] = form
    rows = []
    for agency in Agency.objects.filter(pk__in=agency_ids).order_by("code")[:50]:
        unit_rows = [(u, forms.UnitForm(agency=agency, auto_id=f"u{u.pk}_%s", initial={
            "name": u.name, "abbreviation": u.abbreviation, "parent": u.parent_id, "active": u.active}))
            for u in agency.units.order_by("name")]
        new = failed.get(agency.pk) or forms.UnitForm(agency=agency, auto_id=f"a{agency.pk}_%s")
        policy = SigningPolicy.objects.filter(agency=agency).first()
        rows.append({"agency": agency, "units": unit_rows, "new": new, "policy": policy,
                     "registers": Register.objects.filter(agency=agency).order_by("-year", "direction", "series")[:50]})
    return render(request, "web/admin/agency.html", {"rows": rows})
