from django import template

from vpdt.directory.sso import sso_enabled as _enabled

register = template.Library()


@register.simple_tag
def sso_enabled() -> bool:
    """Whether the single sign-on button is shown (VPDT_OIDC_ISSUER and a client id are set)."""
    return _enabled()
