"""Navbar data of workflow: the bell's unread count and the menu entries the person's roles need."""

from vpdt.directory.roles import Role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from vpdt.workflow.notifications import unread_count

    roles = user.role_set(user.agency_id) if user.agency_id else set()
    return {
        "unread_notifications": unread_count(user),
        "can_receive": Role.CLERK in roles,
        "can_draft": bool(roles & {Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER, Role.CLERK}),
        # Leaders and unit heads delegate their own queue; the agency admin sets one up for
        # a leader who is away without having done it.
        "can_delegate": bool(roles & {Role.LEADER, Role.UNIT_HEAD, Role.AGENCY_ADMIN}),
    }
