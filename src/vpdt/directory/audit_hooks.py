"""Every account, role and permission change in the audit log, with before/after.

Connected at start-up (DirectoryConfig.ready) as model signals, so the change is logged
whether made in Django admin, a page, a command or the shell; the actor is the request's
(vpdt.core.request_context), the system otherwise. A password is named as changed, never
its hash: `user.password_reset` when someone changes another's, `user.password_change`
for one's own.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_save, pre_save

from vpdt.core import audit, request_context
from vpdt.directory.models import Agency, RoleAssignment, Unit, User

USER_FIELDS = ["username", "full_name", "first_name", "last_name", "email", "is_active", "is_staff",
               "is_superuser", "agency", "unit", "position", "phone"]


def _user(user) -> dict:
    return {"username": user.username}


def _label(obj) -> str:
    if isinstance(obj, Permission):
        return f"{obj.content_type.app_label}.{obj.codename}"
    if isinstance(obj, User):
        return obj.username
    return str(obj)


def _password_before(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._audit_password = None
    if raw or instance.pk is None or instance._state.adding:
        return
    if update_fields is not None and "password" not in update_fields:
        return
    old = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is None or old == instance.password:
        return
    # Django's check_password rehashes on login (a stronger hasher), clearing `_password`
    # and saving only the password: the same password, not a change.
    if getattr(instance, "_password", None) is None and update_fields is not None and set(update_fields) == {"password"}:
        return
    instance._audit_password = "changed"


def _password_after(sender, instance, created, raw=False, **kwargs):
    if raw or created or getattr(instance, "_audit_password", None) is None:
        return
    instance._audit_password = None
    actor_id = request_context.current().user_id
    action = "user.password_change" if actor_id == instance.pk else "user.password_reset"
    audit.record(action, instance, detail={"username": instance.username, "password": "changed",
                                           "usable": instance.has_usable_password()})


def connect() -> None:
    audit.track(User, action="user", fields=USER_FIELDS, describe=_user)
    pre_save.connect(_password_before, sender=User, weak=False, dispatch_uid="vpdt.audit.user.password.pre")
    post_save.connect(_password_after, sender=User, weak=False, dispatch_uid="vpdt.audit.user.password.post")
    audit.track(RoleAssignment, action="user.role", fields=["user", "agency", "role"],
                subject=lambda ra: ra.user,
                describe=lambda ra: {"username": ra.user.username, "role": ra.role,
                                     "agency": ra.agency.code})
    audit.track(Group, action="group", fields=["name"])
    audit.track_m2m(User.groups.through, action="user.groups", label=_label)
    audit.track_m2m(User.user_permissions.through, action="user.permissions", label=_label)
    audit.track_m2m(Group.permissions.through, action="group.permissions", label=_label)
    audit.track(Unit, action="unit", fields=["agency", "name", "abbreviation", "parent", "active"])
    audit.track(Agency, action="agency", fields=["code", "code_qd20", "name", "abbreviation", "parent", "level", "interconnected",
                                                 "max_upload_mb", "active"])
