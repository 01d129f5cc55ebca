"""The roles a person holds in an agency (DOMAIN.md "Who")."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Văn thư")
    LEADER = "leader", _("Lãnh đạo cơ quan")
    UNIT_HEAD = "unit_head", _("Lãnh đạo phòng/đơn vị")
    SPECIALIST = "specialist", _("Chuyên viên")
    ARCHIVIST = "archivist", _("Cán bộ lưu trữ")
    AGENCY_ADMIN = "agency_admin", _("Quản trị đơn vị")
    PLATFORM_ADMIN = "platform_admin", _("Quản trị hệ thống")
    # --- motcua: the one-stop shop's counter officer and the keeper of the procedure catalogue
    COUNTER = "motcua_counter", _("Công chức tiếp nhận một cửa")
    MOTCUA_ADMIN = "motcua_admin", _("Quản trị một cửa")


# Roles that see every (non-secret) document of their agency.
AGENCY_WIDE_ROLES = {Role.CLERK, Role.LEADER}
