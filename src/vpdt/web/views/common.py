"""What the views share: finding the document a person may see, small parsing helpers."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import BadRequest
from django.http import Http404
from django.utils.translation import gettext as _

from vpdt.core.converters import MAX_ID
from vpdt.core.errors import NotFound, PermissionDenied
from vpdt.records.models import Document
from vpdt.records.permissions import get_visible
from vpdt.web.views.errors import forbidden


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def query_int(request, name: str, *, maximum: int = MAX_ID) -> int | None:
    """An integer query parameter (an id, a page): None when absent or not a number (ignored,
    as before); a number past `maximum` (the database's BIGINT by default) is a 400, not a 500."""
    raw = request.GET.get(name)
    number = int_or_none(raw.strip()) if raw else None
    if number is not None and not -MAX_ID <= number <= maximum:
        raise BadRequest(_("Tham số %(name)s vượt giới hạn cho phép.") % {"name": name})
    return number


def visible_document(request, pk: int) -> Document:
    """The document if `request.user` may see it; 404 when it does not exist for them."""
    try:
        return get_visible(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def with_document(view):
    """Passes the visible document instead of its id; a document they may not open answers 403."""

    @wraps(view)
    def wrapped(request, pk: int, *args, **kwargs):
        try:
            document = visible_document(request, pk)
        except PermissionDenied as exc:
            return forbidden(request, exc.message)
        return view(request, document, *args, **kwargs)

    return wrapped


def posted(request) -> tuple:
    """A Form's data and files: bound on POST (even an empty one), unbound otherwise."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None
