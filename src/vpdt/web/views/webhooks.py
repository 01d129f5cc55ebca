"""The agency admin's webhooks ("Quản trị › Webhook"): subscribe a URL to events, see the secret
once, pause, resume, delete, and each delivery's history with a "Gửi lại" button.

The rules are in vpdt.webhooks.services (only the agency's own admin; every change audited);
a subscription of another agency is a 404 here.
"""

from __future__ import annotations

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vpdt.core.errors import VpdtError
from vpdt.web.forms import PageForm
from vpdt.web.views.errors import forbidden
from vpdt.webhooks import events, services
from vpdt.webhooks.models import WebhookDelivery


class SubscriptionForm(PageForm):
    agency = djforms.ModelChoiceField(queryset=None, label=gettext_lazy("Cơ quan"), empty_label=None)
    url = djforms.CharField(label=gettext_lazy("Địa chỉ nhận (URL)"), max_length=500,
                            widget=djforms.URLInput(attrs={"placeholder": "https://"}))
    events = djforms.MultipleChoiceField(label=gettext_lazy("Sự kiện"), widget=djforms.CheckboxSelectMultiple,
                                         choices=list(events.EVENTS.items()))
    description = djforms.CharField(label=gettext_lazy("Ghi chú"), max_length=200, required=False)
    service_fields = {"WEBHOOK_URL_SCHEME": "url", "WEBHOOK_URL_CREDENTIALS": "url", "WEBHOOK_URL_LONG": "url",
                      "WEBHOOK_URL_PRIVATE": "url",
                      "WEBHOOK_NO_EVENT": "events", "WEBHOOK_UNKNOWN_EVENT": "events"}

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.only = agencies.first() if agencies is not None and agencies.count() == 1 else None
        if self.only is not None:  # one agency: nothing to choose
            self.fields["agency"].required = False
            self.fields["agency"].widget = djforms.HiddenInput()

    def clean_agency(self):
        return self.only or self.cleaned_data.get("agency")


def _admin_only(view):
    def wrapped(request, *args, **kwargs):
        if not services.admin_agencies(request.user).exists():
            return forbidden(request, _("Trang này dành cho quản trị cơ quan."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


def _labels() -> dict:
    return {k: str(v) for k, v in events.EVENTS.items()}


@_admin_only
def subscriptions(request):
    """The agency's subscriptions and the form to add one; the new secret is shown on this answer only."""
    agencies = services.admin_agencies(request.user).order_by("code")
    form = SubscriptionForm(request.POST or None, agencies=agencies)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created, secret = services.subscribe(request.user, data["agency"], data["url"], data["events"],
                                                 data["description"])
        except VpdtError as exc:
            if not form.service_error(exc):
                messages.error(request, exc.message)
        else:
            form = SubscriptionForm(agencies=agencies)
    labels = _labels()
    rows = [(s, [labels[e] for e in s.events if e in labels]) for s in services.visible(request.user)[:200]]
    return render(request, "web/admin/webhooks.html", {
        "rows": rows, "form": form, "created": created, "secret": secret})


@_admin_only
def subscription(request, pk: int):
    """One subscription: its deliveries (newest first) with their attempts; pause, resume, delete, send again."""
    found = services.visible(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("Không tìm thấy đăng ký webhook."))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "pause":
                services.set_active(request.user, found, False)
                messages.success(request, _("Đã tạm dừng webhook."))
            elif action == "resume":
                services.set_active(request.user, found, True)
                messages.success(request, _("Đã dùng lại webhook; các sự kiện đang chờ sẽ được gửi."))
            elif action == "delete":
                services.delete(request.user, found)
                messages.success(request, _("Đã xóa đăng ký webhook."))
                return redirect("web:admin_webhooks")
            elif action == "resend":
                delivery = found.deliveries.filter(pk=request.POST.get("delivery") or 0).first() \
                    if str(request.POST.get("delivery", "")).isdigit() else None
                if delivery is None:
                    raise Http404(_("Không tìm thấy lần báo."))
                services.resend(request.user, delivery)
                messages.success(request, _("Đã đưa sự kiện vào hàng gửi lại."))
        except VpdtError as exc:
            messages.error(request, exc.message)
        return redirect("web:admin_webhook", found.pk)
    labels = _labels()
    deliveries = list(found.deliveries.order_by("-pk").prefetch_related("attempt_log")[:100])
    rows = [(d, labels.get(d.event, ""), list(d.attempt_log.all()[:20])) for d in deliveries]
    return render(request, "web/admin/webhook.html", {
        "sub": found, "rows": rows, "events": [labels[e] for e in found.events if e in labels],
        "pending": found.deliveries.filter(state=WebhookDelivery.State.PENDING).count()})
