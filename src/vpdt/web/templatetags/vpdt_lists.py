"""`{% document_rows page.rows %}`, `{% urgency d %}` and `{% deadline d flag %}`: the rows of a
document list and the two badges every document line carries.

Written in Python, not as template includes: a list page renders 25 rows of eight cells, and
Django's template engine spent ~0.7 ms of CPU on each row (17 of a list page's ~55 ms), the
largest single share of the pages people open most (docs/BENCHMARKS.md, "People at once").
The markup is the one the templates had; `tests/web/test_list_rows.py` holds it to them.
"""

from __future__ import annotations

import unicodedata

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

register = template.Library()

DASH = "—"


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


@register.simple_tag
def urgency(d) -> SafeString:
    """The urgency and secrecy badges before a subject (nothing for a normal, open document)."""
    out = ""
    if d.urgency:
        out += format_html('<span class="badge badge-urgency-{} me-1">{}</span>', d.urgency, d.get_urgency_display())
    if d.secrecy:
        out += format_html('<span class="badge bg-dark me-1">{}</span>', d.get_secrecy_display())
    # a space after the badges, so that read as text "Khẩn" and the subject stay two words
    return mark_safe(f"{out} " if out else "")


@register.simple_tag
def deadline(d, flag) -> SafeString:
    """The deadline a person must meet (their own, else the document's), marked when late or near."""
    due = getattr(d, "shown_due", None) or d.due_date
    if not due:
        return mark_safe('<span class="text-muted">—</span>')
    note = {"overdue": gettext("Quá hạn"), "due_soon": gettext("Sắp đến hạn")}.get(flag)
    return format_html('<span class="deadline-{} text-nowrap" data-testid="deadline">{}{}</span>',
                       flag or "", _date(due), f" · {note}" if note else "")


def _chars(text: str, n: int) -> str:
    """`Truncator(text).chars(n)`, without its character-by-character walk when the text is
    short enough (most subjects for the link; the walk was a tenth of a row's CPU)."""
    nfc = unicodedata.normalize("NFC", text)
    return nfc if len(nfc) <= n else Truncator(text).chars(n)


def _row(d, unread_label: str, link: str) -> str:
    state = escape(d.get_state_display())
    subject = d.subject or ""
    # an incoming document's issuer as received; an outgoing one's drafting unit, or a dash
    if d.direction == "incoming":
        origin = d.issuer_name or ""
    else:
        origin = (d.drafting_unit.name if d.drafting_unit_id else "") or DASH
    marker = (f'<span class="unread-dot" data-testid="unread-marker"><span class="visually-hidden">{unread_label}'
              '</span></span>') if d.unread else ""
    classes = ("urgent-row" if d.urgency else "") + (" unread-row" if d.unread else "")
    unread_attr = ' data-unread="1"' if d.unread else ""
    pick = gettext("Chọn văn bản: %(s)s") % {"s": _chars(subject, 60)}
    return (
        f'<tr class="{classes}"{unread_attr}>'
        f'<td class="pick-col"><input class="form-check-input" type="checkbox" name="ids" value="{d.pk}" '
        f'form="bulk-form" aria-label="{escape(pick)}"></td>'
        f'<td class="d-none d-md-table-cell">{escape(d.incoming_number_text or DASH)}</td>'
        f'<td class="text-nowrap">{escape(d.code or DASH)}</td>'
        f'<td class="text-nowrap d-none d-md-table-cell">{_date(d.issued_date) or DASH}</td>'
        f'<td>{marker}{urgency(d)}<a href="{link % d.pk}">'
        f'{escape(_chars(subject, 140))}</a>'
        f'<div class="d-sm-none small text-muted">{state}</div></td>'
        f'<td class="d-none d-lg-table-cell small">{escape(origin)}</td>'
        f'<td class="small">{deadline(d, d.deadline_flag)}</td>'
        f'<td class="d-none d-sm-table-cell"><span class="badge text-bg-light border">{state}</span></td>'
        '</tr>'
    )


@register.simple_tag
def document_rows(rows) -> SafeString:
    """One `<tr>` per document of a list page (`web/_list.html`); each row carries `shown_due`,
    `deadline_flag` and `unread`, set by the list's view (vpdt.web.views.lists._page)."""
    unread_label = escape(gettext("Chưa đọc"))
    # the document's address reversed once, its id put in per row (reverse() was ~8 % of a row)
    link = reverse("workflow:document", args=[_PK_MARK]).replace("%", "%%").replace(str(_PK_MARK), "%d")
    return mark_safe("\n".join(_row(d, unread_label, link) for d in rows))


_PK_MARK = 9081726354


@register.simple_tag
def options(choices, selected) -> SafeString:
    """The `<option>`s of a list's filter from (value, label) pairs; the one whose value equals
    `selected` (compared as text, as a query string gives it) is selected."""
    selected = "" if selected is None else str(selected)
    out = []
    for value, label in choices:
        value = str(value)
        out.append(f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(label)}</option>')
    return mark_safe("".join(out))
