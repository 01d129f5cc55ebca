"""The agency admin's "Tài khoản hệ thống" page (issue 18): the accounts other systems use through
the API, their scoped tokens (issued here, the clear token shown once), revoked or the account
stopped. The rules are in vpdt.directory.system_accounts."""

from __future__ import annotations

from django import forms as dj_forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vpdt.core.errors import VpdtError
from vpdt.directory import system_accounts
from vpdt.directory.models import Agency, ApiToken, Unit
from vpdt.directory.roles import Role
from vpdt.web.forms import PageForm, PickForm
from vpdt.web.views.administration import _admin_only, _administered


class AccountForm(PageForm):
    service_fields = {"name": "name", "role": "role", "unit": "unit"}

    agency = dj_forms.ModelChoiceField(Agency.objects.none(), label=gettext_lazy("Cơ quan"), empty_label=None)
    name = dj_forms.CharField(label=gettext_lazy("Tên hệ thống"), max_length=150,
                              error_messages={"required": gettext_lazy("Đặt tên cho tài khoản hệ thống.")})
    role = dj_forms.ChoiceField(label=gettext_lazy("Vai trò"), choices=[(r.value, r.label) for r in system_accounts.ROLES])
    unit = dj_forms.ModelChoiceField(Unit.objects.none(), label=gettext_lazy("Đơn vị"), required=False,
                                     empty_label=gettext_lazy("(không thuộc đơn vị)"))
    description = dj_forms.CharField(label=gettext_lazy("Mô tả"), max_length=255, required=False)

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, auto_id="new_%s", **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["agency"].initial = agencies.values_list("pk", flat=True).first()
        self.fields["unit"].queryset = Unit.objects.filter(agency__in=agencies, active=True).select_related("agency")


class TokenForm(PageForm):
    service_fields = {"scopes": "scopes", "days": "days"}

    name = dj_forms.CharField(label=gettext_lazy("Tên gợi nhớ"), max_length=100, required=False)
    scopes = dj_forms.MultipleChoiceField(
        label=gettext_lazy("Phạm vi"), choices=list(system_accounts.SCOPES.items()),
        widget=dj_forms.CheckboxSelectMultiple, error_messages={"required": gettext_lazy("Chọn ít nhất một phạm vi.")})
    days = dj_forms.IntegerField(label=gettext_lazy("Số ngày hiệu lực"), min_value=1, max_value=system_accounts.MAX_DAYS,
                                 initial=90, error_messages={"min_value": gettext_lazy("Thời hạn từ 1 đến 365 ngày."),
                                                             "max_value": gettext_lazy("Thời hạn từ 1 đến 365 ngày.")})


def _account(actor, pk) -> system_accounts.SystemAccount:
    try:
        return system_accounts.get_managed(actor, pk)
    except VpdtError as exc:
        raise Http404(exc.message) from exc


@_admin_only
def system_accounts_page(request):
    actor = request.user
    agencies = _administered(actor).order_by("code")
    new_form = AccountForm(agencies=agencies)
    token_forms, new_token = {}, None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                new_form = AccountForm(request.POST, agencies=agencies)
                if new_form.is_valid():
                    c = new_form.cleaned_data
                    system_accounts.create_account(actor, c["agency"], name=c["name"], role=c["role"],
                                                   unit=c["unit"], description=c["description"])
                    messages.success(request, _("Đã tạo tài khoản hệ thống %(name)s.") % {"name": c["name"]})
                    return redirect("web:admin_system_accounts")
            elif action in ("issue", "revoke", "deactivate"):
                pick = PickForm(request.POST)
                if not pick.is_valid():
                    raise Http404(_("Không tìm thấy tài khoản hệ thống."))
                account = _account(actor, pick.cleaned_data["pk"])
                if action == "issue":
                    form = TokenForm(request.POST, auto_id=f"t{account.pk}_%s")
                    token_forms[account.pk] = form
                    if form.is_valid():
                        c = form.cleaned_data
                        new_token = (account, system_accounts.issue_token(actor, account, name=c["name"],
                                                                          scopes=c["scopes"], days=c["days"]))
                        token_forms.pop(account.pk)
                elif action == "revoke":
                    token_id = request.POST.get("token", "")
                    if not token_id.isdigit():
                        raise Http404(_("Không tìm thấy khóa API."))
                    system_accounts.revoke_token(actor, account, int(token_id))
                    messages.success(request, _("Đã thu hồi khóa API."))
                    return redirect("web:admin_system_accounts")
                else:
                    system_accounts.deactivate(actor, account)
                    messages.success(request, _("Đã ngừng tài khoản hệ thống; mọi khóa API của nó bị thu hồi."))
                    return redirect("web:admin_system_accounts")
        except VpdtError as exc:
            messages.error(request, exc.message)
    rows = []
    for account in system_accounts.managed(actor).order_by("user__agency__code", "user__full_name")[:200]:
        tokens = ApiToken.objects.filter(user=account.user).order_by("-created_at")[:50]
        rows.append({"account": account, "role": ", ".join(str(Role(r).label) for r in account.user.role_set()),
                     "tokens": [(t, [system_accounts.SCOPES.get(s, s) for s in t.scopes]) for t in tokens],
                     "form": token_forms.get(account.pk) or TokenForm(auto_id=f"t{account.pk}_%s")})
    return render(request, "web/admin/system_accounts.html", {
        "rows": rows, "new_form": new_form, "new_token": new_token, "many_agencies": agencies.count() > 1})
