"""Choosing where a document goes: the agency directory searched by a few letters (accents
optional), recipient groups that expand into their agencies, and each person's favourites.

The rules:
- a person of an agency searches every active agency but their own (names and codes only);
- a group is usable by the people of its agency, a province-wide group by everyone; a group of
  another agency is refused (`FOREIGN_GROUP`), never expanded;
- the agency admin keeps their agency's groups, the platform admin the province-wide ones;
  every change is audited with the members before and after;
- favourites are the person's own, shown first.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.core.text import fold, words
from vpdt.directory.codes import parse_code
from vpdt.directory.models import Agency, FavouriteAgency, RecipientGroup, User

# What the picker shows above each level of the tree (QCVN 102: G… central bodies; then the
# province, its departments and districts, their communes, and below).
LEVEL_LABELS = {
    "central": gettext_lazy("Bộ, ngành trung ương"),
    1: gettext_lazy("Cấp tỉnh"),
    2: gettext_lazy("Sở, ban, ngành, cấp huyện"),
    3: gettext_lazy("Cấp xã"),
    4: gettext_lazy("Đơn vị cấp dưới"),
}


def level_key(agency: Agency) -> str | int:
    return _level_key(agency.code, agency.level)


def _level_key(code: str, level: int) -> str | int:
    try:
        if parse_code(code).m == "G":
            return "central"
    except ValueError:
        pass
    return min(max(level, 1), 4)


def level_label(agency: Agency) -> str:
    return str(LEVEL_LABELS[level_key(agency)])


_fold_name = functools.lru_cache(maxsize=50_000)(fold)


def _rank(code: str, level: int, name: str) -> tuple:
    key = _level_key(code, level)
    return (0 if key == "central" else key, _fold_name(name))


def _order(agency: Agency) -> tuple:
    return _rank(agency.code, agency.level, agency.name)


# --- searching the directory ------------------------------------------------------------


@functools.lru_cache(maxsize=50_000)
def _folded(name: str, abbreviation: str, code: str, code_qd20: str = "") -> str:
    # Keyed by the texts themselves: a renamed agency is folded afresh, nothing goes stale.
    # Either code finds it (QCVN 102 or QĐ 20/2020).
    return " ".join((fold(name), fold(abbreviation), code.lower(), (code_qd20 or "").lower()))


def _wanted(query: str) -> list[str]:
    """Every word typed must be found in the name, abbreviation or code: `tai chinh` finds "Sở Tài chính"."""
    return words(query) or [fold(query)]


def search_agencies(user: User, query: str = "", *, limit: int = 40, include_own: bool = False) -> list[Agency]:
    """The active agencies (not the person's own, unless `include_own`: a province-wide group's
    members) matching `query`, favourites first, then by level of the tree and name. An empty
    query lists the favourites only."""
    favourites = favourite_ids(user)
    agencies = Agency.objects.filter(active=True)
    if not include_own:
        agencies = agencies.exclude(pk=user.agency_id)
    rows = agencies.values_list("id", "code", "name", "abbreviation", "level", "code_qd20")
    if not (query or "").strip():
        rows = rows.filter(pk__in=favourites)
        chosen = list(rows)
    else:
        # The directory of a province is a few hundred to a few thousand rows: folded in
        # Python (each text once per process), so accents are optional on every backend
        # without a stored folded column; only the shown matches are made into objects.
        wanted = _wanted(query)
        chosen = [r for r in rows if all(w in _folded(r[2], r[3], r[1], r[5]) for w in wanted)]
    chosen.sort(key=lambda r: (r[0] not in favourites, *_rank(r[1], r[4], r[2])))
    ids = [r[0] for r in chosen[:limit]]
    by_id = {a.pk: a for a in agencies.filter(pk__in=ids).only("id", "code", "name", "abbreviation", "level")}
    return [by_id[pk] for pk in ids if pk in by_id]


# --- favourites -------------------------------------------------------------------------


def favourite_ids(user: User) -> set[int]:
    return set(FavouriteAgency.objects.filter(user=user).values_list("agency_id", flat=True))


def set_favourite(user: User, agency: Agency, favourite: bool) -> bool:
    """Marks (or unmarks) an agency the person sends to often; returns the new mark."""
    if not user.agency_id:
        raise PermissionDenied(_("Tài khoản chưa thuộc cơ quan nào."))
    if agency.pk == user.agency_id:
        raise InvalidInput(_("Không đánh dấu cơ quan của chính mình."), code="SELF")
    with transaction.atomic():
        if favourite:
            _row, created = FavouriteAgency.objects.get_or_create(user=user, agency=agency)
            changed = created
        else:
            changed = FavouriteAgency.objects.filter(user=user, agency=agency).delete()[0] > 0
        if changed:
            audit.record("favourite_agency.add" if favourite else "favourite_agency.remove", agency, user=user,
                         detail={"agency": agency.code})
    return favourite


# --- groups -------------------------------------------------------------------------------


def usable_groups(user: User, agency_id: int | None = None) -> QuerySet:
    """The groups a person may pick for a document of `agency_id` (their agency by default)."""
    agency_id = agency_id or user.agency_id
    if not agency_id or agency_id not in user.member_agency_ids():
        return RecipientGroup.objects.none()
    return RecipientGroup.objects.filter(Q(agency__isnull=True) | Q(agency_id=agency_id), active=True).order_by(
        "agency_id", "name")


def expand_groups(user: User, groups: Iterable[RecipientGroup], agency_id: int | None = None) -> list[Agency]:
    """The active agencies of the chosen groups (without the sending agency itself), each once.

    A group of another agency, or an inactive one, is refused: nothing of it is used.
    """
    agency_id = agency_id or user.agency_id
    usable = set(usable_groups(user, agency_id).values_list("pk", flat=True))
    found: dict[int, Agency] = {}
    for group in groups:
        if group.pk not in usable:
            raise PermissionDenied(_("Không dùng được nhóm nơi nhận “%(name)s” của cơ quan khác.")
                                   % {"name": group.name}, code="FOREIGN_GROUP")
        for agency in group.members.filter(active=True).exclude(pk=agency_id):
            found.setdefault(agency.pk, agency)
    return sorted(found.values(), key=_order)


def may_keep(actor: User, agency: Agency | None) -> bool:
    """The platform admin keeps the province-wide groups; an agency admin their agency's."""
    if actor.is_superuser or actor.is_platform_admin:
        return True
    return agency is not None and agency.pk in actor.admin_agency_ids()


def kept_groups(actor: User) -> QuerySet:
    """The groups `actor` may edit on the administration page."""
    groups = RecipientGroup.objects.select_related("agency").prefetch_related("members").order_by(
        "agency__code", "name")
    if actor.is_superuser or actor.is_platform_admin:
        return groups
    return groups.filter(agency_id__in=actor.admin_agency_ids())


def save_group(actor: User, *, group: RecipientGroup | None = None, agency: Agency | None, name: str,
               members: Iterable[Agency], active: bool = True) -> RecipientGroup:
    """Creates or edits a group (name, members, in use); audited with its members before and after."""
    if group is not None and group.agency_id != (agency.pk if agency else None):
        raise PermissionDenied(_("Nhóm nơi nhận không thuộc cơ quan này."))
    if not may_keep(actor, agency):
        raise PermissionDenied(_("Chỉ quản trị hệ thống sửa nhóm dùng chung toàn tỉnh.") if agency is None
                               else _("Chỉ quản trị cơ quan mới sửa nhóm nơi nhận của cơ quan."))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Nhập tên nhóm."), code="GROUP_NAME")
    members = list({a.pk: a for a in members}.values())
    if not members:
        raise InvalidInput(_("Chọn ít nhất một cơ quan trong nhóm."), code="GROUP_MEMBERS")
    if agency is not None and any(a.pk == agency.pk for a in members):
        raise InvalidInput(_("Nhóm của cơ quan không gồm chính cơ quan đó."), code="GROUP_MEMBERS")
    duplicate = RecipientGroup.objects.filter(agency=agency, name__iexact=name)
    if group is not None:
        duplicate = duplicate.exclude(pk=group.pk)
    if duplicate.exists():
        raise InvalidInput(_("Đã có nhóm mang tên này."), code="GROUP_NAME")
    before = {"name": group.name, "active": group.active,
              "members": sorted(group.members.values_list("code", flat=True))} if group is not None else {}
    group = group or RecipientGroup(agency=agency)
    group.name, group.active = name, active
    try:
        with transaction.atomic():
            group.save()
            group.members.set(members)
            audit.record("recipient_group.save", group, user=actor, agency_code=agency.code if agency else "",
                         detail={"group": group.pk, "before": before, "after": {
                             "name": name, "active": active, "members": sorted(a.code for a in members)}})
    except IntegrityError as exc:
        raise InvalidInput(_("Đã có nhóm mang tên này."), code="GROUP_NAME") from exc
    return group


def issuer_in_directory(name: str) -> Agency | None:
    """The one active agency named exactly `name` (accents and case aside), or None."""
    wanted = fold(name)
    if not wanted:
        return None
    found = [a for a in Agency.objects.filter(active=True).only("id", "code", "name") if fold(a.name) == wanted]
    return found[0] if len(found) == 1 else None
