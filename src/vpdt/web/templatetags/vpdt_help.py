"""`{% help_panel %}` and `{% help_menu %}`: the help of the page for the person's role and the
help menu that reopens it or starts the guided walk (vpdt.web.help, web/static/web/help.js)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from vpdt.directory.roles import Role
from vpdt.web import help as catalogue

register = template.Library()


def _user(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return request, (user if user is not None and user.is_authenticated else None)


@register.inclusion_tag("web/_help_panel.html", takes_context=True)
def help_panel(context) -> dict:
    request, user = _user(context)
    if user is None:
        return {}
    found = catalogue.for_page(user, request.resolver_match)
    role, steps = catalogue.walk(user)
    out = {"user_key": user.pk, "walk_steps": steps,
           "walk_role": Role(role).label if role else "",
           "offer_walk": request.resolver_match is not None and request.resolver_match.url_name == "home"}
    if found is not None:
        key, page_role, entry = found
        out.update({"page_key": key, "help": entry,
                    "role_label": Role(page_role).label if page_role else _("bạn")})
    return out


@register.inclusion_tag("web/_help_menu.html", takes_context=True)
def help_menu(context) -> dict:
    request, user = _user(context)
    if user is None:
        return {}
    return {"has_page_help": catalogue.for_page(user, request.resolver_match) is not None, "show": True}
