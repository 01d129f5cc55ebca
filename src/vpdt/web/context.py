from vpdt.directory.roles import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = user.role_set(user.agency_id) if user.agency_id else set()
    return {
        "current_agency": user.agency,
        "current_roles": [Role(r).label for r in sorted(roles)],
    }
