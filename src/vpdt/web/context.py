from django.apps import apps

from vpdt.directory.roles import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = user.role_set(user.agency_id) if user.agency_id else set()
    context = {
        "current_agency": user.agency,
        "current_roles": [Role(r).label for r in sorted(roles)],
    }
    if apps.is_installed("vpdt.workflow"):
        from vpdt.workflow.context import navigation as workflow_navigation

        context["workflow"] = True
        context.update(workflow_navigation(request))
    return context
