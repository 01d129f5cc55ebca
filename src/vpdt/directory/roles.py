"""The roles a person holds in an agency (DOMAIN.md "Who")."""

from django.db import models


class Role(models.TextChoices):
    CLERK = "clerk", "Văn thư"
    LEADER = "leader", "Lãnh đạo cơ quan"
    UNIT_HEAD = "unit_head", "Lãnh đạo phòng/đơn vị"
    SPECIALIST = "specialist", "Chuyên viên"
    AGENCY_ADMIN = "agency_admin", "Quản trị đơn vị"
    PLATFORM_ADMIN = "platform_admin", "Quản trị hệ thống"


# Roles that see every (non-secret) document of their agency.
AGENCY_WIDE_ROLES = {Role.CLERK, Role.LEADER}
