"""The form renderer: Django's widget templates for inputs, selects and options written in Python.

A directing form lists every unit and person of the agency three times (the main handler's
select, the co-handlers' and the "để biết" checkboxes): ~100 of each in a large department.
Django renders each `<option>` and each checkbox through its template engine (an include per
option, another for its attributes): 89 ms of CPU for the page, three times a document page
(docs/BENCHMARKS.md). `FastRenderer` writes the markup of the widget templates below in Python
and hands every other template to Django's engine. The markup is Django's own, byte for byte:
`tests/web/test_renderer.py` renders each widget both ways. A project template that overrides
one of these names would not be seen; none does (the check in that test).
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

_W = "django/forms/widgets/"
_OPTION = _W + "select_option.html"
_INPUTS = {_W + f"{name}.html" for name in (
    "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search",
    "tel", "color", "checkbox")}
_INPUT_OPTIONS = {_W + "checkbox_option.html", _W + "radio_option.html", _W + "input_option.html"}


def _text(value) -> str:
    """`{{ value }}` in an autoescaping template (localized, then escaped unless safe)."""
    value = localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: the filter keeps a safe value safe, else it is escaped."""
    try:
        out = "%s" % value  # noqa: UP031 - the filter's own formatting (a tuple would be its arguments)
    except (TypeError, ValueError):
        out = ""
    return out if isinstance(value, SafeData) else escape(out)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_text(name)}")
        if value is not True:
            out.append(f'="{_formatted(value)}"')
    return "".join(out)


def _input(w: dict) -> str:
    """django/forms/widgets/input.html (with its ending newline)."""
    value = f' value="{_formatted(w["value"])}"' if w["value"] != None else ""  # noqa: E711 - the template's `!= None`
    return f'<input type="{_text(w["type"])}" name="{_text(w["name"])}"{value}{_attrs(w["attrs"])}>\n'


def _input_option(w: dict) -> str:
    """django/forms/widgets/input_option.html: the input, wrapped in its label when asked."""
    if not w.get("wrap_label"):
        return _input(w)
    label_for = f' for="{_text(w["attrs"]["id"])}"' if w["attrs"].get("id") else ""
    return f"<label{label_for}>{_input(w)} {_text(w['label'])}</label>"


def _select(w: dict) -> str | None:
    """django/forms/widgets/select.html with its options; None: an option has its own template."""
    out = [f'<select name="{_text(w["name"])}"{_attrs(w["attrs"])}>']
    for group_name, options, _index in w["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for o in options:
            if o["template_name"] != _OPTION:
                return None
            out.append(f'\n  <option value="{_formatted(o["value"])}"{_attrs(o["attrs"])}>{_text(o["label"])}</option>\n')
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class FastRenderer(DjangoTemplates):
    """Django's default renderer, with the widget templates above written in Python."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None:
            out = None
            if template_name in _INPUTS:
                out = _input(widget)
            elif template_name in _INPUT_OPTIONS:
                out = _input_option(widget)
            elif template_name == _W + "select.html":
                out = _select(widget)
            if out is not None:
                return out.strip()  # as BaseRenderer.render strips the template's output
        return super().render(template_name, context, request)
