"""The registers of Phụ lục IV ("Sổ văn bản"): the agency's registers per year, each book as PDF
or XLSX, and closing a register at year end (khóa sổ). The rules are in vpdt.records.registers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from vpdt.core.errors import NotFound, PermissionDenied, VpdtError
from vpdt.directory.roles import Role
from vpdt.records import registers
from vpdt.records.models import Register
from vpdt.web import forms
from vpdt.web.views.common import posted, query_int
from vpdt.web.views.errors import forbidden

PAGE_ROLES = {Role.CLERK, Role.LEADER, Role.AGENCY_ADMIN}


def _may_see_page(user) -> bool:
    return any(user.role_set(a) & PAGE_ROLES for a in user.member_agency_ids())


def _register(pk: int) -> Register:
    found = Register.objects.select_related("agency").filter(pk=pk).first()
    if found is None:
        raise Http404(_("Không tìm thấy sổ."))
    return found


@login_required
def register_list(request):
    """The registers of the person's agencies, newest year first, with their books to download."""
    user = request.user
    if not _may_see_page(user):
        return forbidden(request, _("Sổ văn bản dành cho văn thư, lãnh đạo và quản trị cơ quan."))
    year = query_int(request, "nam", maximum=9999)
    every = registers.registers_page(user)
    years = sorted({r.year for r in every}, reverse=True)
    rows = []
    for register in every:
        if year is not None and register.year != year:
            continue
        rows.append({
            "register": register,
            "books": registers.books_of(register) if registers.may_read(user, register) else [],
            "can_close": registers.may_close(user, register) and registers.closable(register),
        })
    return render(request, "web/registers.html", {"rows": rows, "years": years, "year": year})


@login_required
def register_download(request, pk: int, book: str, fmt: str):
    """One book of a register as PDF or XLSX, streamed from a temporary file (or the closed register's
    stored file)."""
    register = _register(pk)
    try:
        found = registers.export(request.user, register, book, fmt)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except VpdtError as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(found.file, as_attachment=True, filename=found.name, content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def register_close(request, pk: int):
    """Khóa sổ: after the year ended, confirmed; the PDF is signed with the agency's seal."""
    register = _register(pk)
    if not registers.may_close(request.user, register):
        return forbidden(request, _("Chỉ văn thư hoặc quản trị cơ quan được khóa sổ."))
    form = forms.RegisterCloseForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            registers.close_register(request.user, register, pin=form.cleaned_data["pin"] or None)
        except VpdtError as exc:
            if not form.service_error(exc):
                messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã khóa sổ %(name)s năm %(year)s; bản PDF đã được ký số của cơ quan.")
                             % {"name": register.name, "year": register.year})
            return redirect(f"{reverse('web:registers')}?nam={register.year}")
    return render(request, "web/register_close.html", {
        "register": register, "form": form, "books": registers.books_of(register),
        "closable": registers.closable(register), "summary": registers.summary(register)})
