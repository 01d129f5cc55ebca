"""The bell: a person's notifications, opening one, and the unread count the page polls."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render

from vpdt.web import forms
from vpdt.workflow import notifications
from vpdt.workflow.models import Notification


@login_required
def notification_list(request):
    if request.method == "POST" and forms.MarkReadForm(request.POST).is_valid():
        notifications.mark_read(request.user)
        return redirect("workflow:notifications")
    bell = notifications.for_bell(request.user)  # what needs me first, then what is for information
    return render(request, "web/notifications.html", {**bell, "items": bell["action"] + bell["info"]})


@login_required
def notification_open(request, pk: int):
    n = Notification.objects.filter(pk=pk, user=request.user).first()
    if n is None:
        raise Http404
    notifications.mark_read(request.user, n.pk)
    if n.kind.startswith("file_plan_"):  # --- archive fileplan: a file plan's notice opens the file plans
        return redirect("web:file_plans")
    return redirect("workflow:document", pk=n.document_id) if n.document_id else redirect("workflow:notifications")


@login_required
def notification_count(request):
    """The unread count: JSON for scripts, the bell itself for the page's HTMX poll (`?bell=lg|sm`)."""
    unread = notifications.unread_count(request.user)
    if request.GET.get("bell") in ("lg", "sm"):
        return render(request, "web/_bell_link.html", {"unread_notifications": unread, "size": request.GET["bell"]})
    return JsonResponse({"unread": unread})
