"""The one-stop shop's public pages, for citizens, without signing in:

- /tra-cuu/                       look a dossier up by its code (typed, or opened from the QR code
                                  of a slip): its status and dates, nothing personal;
- /tra-cuu/ket-qua/               download the electronic result with the code and the secret of
                                  the receipt;
- /dich-vu-cong/                  the procedures open to online submission, per agency;
- /dich-vu-cong/<agency>/<code>/  submit a dossier online: status 1, a code and a secret.

Limited per address with django-ratelimit (cache-based counters, atomic on Redis and in the
local memory cache): a maintained library rather than hand-made counters, and it needs nothing
of the login lockout (axes), which counts failed sign-ins, not look-ups. Over the limit: 429 with
a Vietnamese page. Settings: VPDT_MOTCUA_LOOKUP_RATE (default 30/m), VPDT_MOTCUA_SUBMIT_RATE (10/h).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from vpdt.core import blobs, filetypes
from vpdt.core.errors import InvalidInput, NotFound, VpdtError
from vpdt.directory.models import Agency
from vpdt.motcua.models import Procedure, ProcedureActivation
from vpdt.motcua.services import counter, lookup
from vpdt.web.views.errors import error_response
from vpdt.web.views.motcua import ApplicantForm, _uploads


def _limited(request, group: str, rate: str) -> bool:
    return is_ratelimited(request, group=f"motcua.{group}", key="ip", rate=rate, increment=True)


def _too_many(request):
    message = _("Bạn thao tác quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau ít phút.")
    return error_response(request, 429, code_message=("TOO_MANY_REQUESTS", message))


def lookup_page(request):
    code = (request.GET.get("ma") or "").strip()
    view, error = None, ""
    if code:
        if _limited(request, "lookup", settings.VPDT_MOTCUA_LOOKUP_RATE):
            return _too_many(request)
        try:
            view = lookup.public_view(lookup.find(code))
        except (InvalidInput, NotFound) as exc:
            error = exc.message
    return render(request, "web/motcua/lookup.html", {"code": code[:60], "view": view, "error": error})


@require_POST
def result_download(request):
    if _limited(request, "result", settings.VPDT_MOTCUA_LOOKUP_RATE):
        return _too_many(request)
    code = request.POST.get("ma", "")
    try:
        dossier = lookup.result_for(code, request.POST.get("bi_mat", ""))
    except (InvalidInput, NotFound) as exc:
        messages.error(request, exc.message)
        return redirect(reverse("web:motcua_lookup") + "?" + urlencode({"ma": code.strip()[:60]}))
    response = FileResponse(blobs.open_blob(dossier.result_id), as_attachment=True,
                            filename=dossier.result_filename or f"ket-qua-{dossier.code}.pdf",
                            content_type=filetypes.DOWNLOAD_ONLY if not dossier.result_filename.lower().endswith(
                                ".pdf") else "application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def services_page(request):
    q = (request.GET.get("q") or "").strip()[:100]
    rows = ProcedureActivation.objects.filter(active=True, procedure__active=True, procedure__online=True,
                                              agency__active=True).select_related("procedure", "agency").order_by(
        "agency__name", "procedure__name")
    if q:
        rows = rows.filter(procedure__name__icontains=q) | rows.filter(procedure__code__icontains=q)
    return render(request, "web/motcua/services.html", {"rows": rows[:500], "q": q})


def submit_page(request, agency_code: str, procedure_code: str):
    agency = Agency.objects.filter(code=agency_code, active=True).first()
    procedure = Procedure.objects.filter(code=procedure_code, active=True, online=True).first()
    if agency is None or procedure is None or not ProcedureActivation.objects.filter(
            agency=agency, procedure=procedure, active=True).exists():
        raise Http404(_("Thủ tục không nhận hồ sơ trực tuyến tại cơ quan này."))
    papers = list(procedure.papers.all())
    form = ApplicantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _limited(request, "submit", settings.VPDT_MOTCUA_SUBMIT_RATE):
            return _too_many(request)
        if form.is_valid():
            uploads = []
            for paper in papers:
                uploads += _uploads(request.FILES, f"file_{paper.pk}", paper.pk)
            try:
                dossier, secret = counter.submit_online(agency, procedure, counter.Intake(
                    applicant=form.applicant(), uploads=uploads, subject=form.cleaned_data["subject"]))
            except VpdtError as exc:
                if not form.service_error(exc):
                    form.add_error(None, exc.message)
            else:
                return render(request, "web/motcua/submitted.html", {"dossier": dossier, "secret": secret})
    return render(request, "web/motcua/submit.html", {"form": form, "agency": agency, "procedure": procedure,
                                                       "papers": papers})
