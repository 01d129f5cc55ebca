"""The system actor: who acts when no person does (the agency's interconnection, an import,
a scheduled job).

Writes made by the system go through the same records services as a person's, with a
`SystemActor` in place of the user. It is an explicit object, not a user row: it cannot log
in, holds no role and is never shown in lists of people. The audit log names it
(`actor_name`, e.g. "Hệ thống liên thông – Sở Nội vụ", and `via="system"`, see
`vpdt.core.audit.record`), so an entry made by the system is never anonymous.

Permission: a system actor may act only on documents of its own agency
(`records.permissions.require_role` and `can_view` let it through there, nowhere else).
"""

from __future__ import annotations

from dataclasses import dataclass

# Kinds of system actors and the name the audit log shows for each.
INTERCONNECTION = "interconnection"
IMPORT = "import"
SCHEDULE = "schedule"
MAINTENANCE = "maintenance"
KIND_NAMES = {
    INTERCONNECTION: "Hệ thống liên thông",
    IMPORT: "Nhập dữ liệu",
    SCHEDULE: "Tác vụ định kỳ",
    MAINTENANCE: "Bảo trì hệ thống",
}


@dataclass(frozen=True)
class SystemActor:
    """The system acting for one agency. Pass it where a service takes `user`."""

    kind: str
    agency_id: int | None
    agency_name: str = ""

    # What code that expects a user reads: no row, no login, no roles.
    is_system_actor = True
    pk = None
    id = None
    is_superuser = False
    is_authenticated = False
    is_active = False
    unit = None
    unit_id = None
    email = ""

    @property
    def agency(self):
        from vpdt.directory.models import Agency

        return Agency.objects.filter(pk=self.agency_id).first() if self.agency_id else None

    def get_full_name(self) -> str:
        name = KIND_NAMES.get(self.kind, self.kind)
        return f"{name} – {self.agency_name}" if self.agency_name else name

    def get_username(self) -> str:
        return f"system.{self.kind}"

    def has_role(self, role: str, agency=None) -> bool:
        return False

    def member_agency_ids(self) -> set[int]:
        return {self.agency_id} if self.agency_id else set()

    def agencies_with_wide_view(self) -> list[int]:
        return []

    def acts_for(self, agency_id: int | None) -> bool:
        return self.agency_id is not None and self.agency_id == agency_id

    def __str__(self) -> str:
        return self.get_full_name()


def system_actor(agency, kind: str = INTERCONNECTION) -> SystemActor:
    """The system actor of `kind` for `agency` (an Agency)."""
    return SystemActor(kind=kind, agency_id=agency.pk, agency_name=agency.name)


def interconnection(agency) -> SystemActor:
    """The agency's interconnection: receives packages, sends them, applies statuses."""
    return system_actor(agency, INTERCONNECTION)


def is_system(user) -> bool:
    return bool(getattr(user, "is_system_actor", False))
