"""The demo's one-stop shop on a small province: counter officers, the catalogue of about twenty
procedures at three levels, one inter-connected activation, and dossiers in the statuses."""

from __future__ import annotations

import pytest

from tests import factories
from vpdt.directory.models import User
from vpdt.directory.roles import Role
from vpdt.motcua import demo
from vpdt.motcua.models import Dossier, DossierStatus, Level, Procedure, ProcedureActivation

pytestmark = pytest.mark.django_db


def test_demo_builds_catalogue_counters_and_dossiers_in_the_statuses(blob_dir):
    factories.agency(code="000.00.00.H90", name="Ủy ban nhân dân tỉnh Bình Sơn")
    town = factories.agency(code="000.00.31.H90", name="Ủy ban nhân dân thị xã Tân Phú")
    commune = factories.agency(code="000.02.31.H90", name="Ủy ban nhân dân xã Phú Mỹ")
    for agency, units in ((town, ["VP", "TCKH"]), (commune, ["VP"])):
        made = {a: factories.unit(agency, a) for a in units}
        factories.person(agency, Role.LEADER)
        for unit in made.values():
            factories.person(agency, Role.SPECIALIST, unit=unit)
    demo.extend_demo({})
    assert Procedure.objects.count() == len(demo.PROCEDURES) >= 20
    assert set(Procedure.objects.values_list("level", flat=True)) == {Level.COMMUNE, Level.DISTRICT, Level.PROVINCE}
    assert User.objects.filter(username__in=["phumy.motcua", "tanphu.motcua"]).count() == 2
    assert User.objects.get(username="ubnd.quantrimotcua").has_role(Role.MOTCUA_ADMIN)
    joint = ProcedureActivation.objects.get(agency=commune, procedure__code="2.000575")
    assert joint.resolving_agency == town
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert statuses == set(DossierStatus.values)  # motcua3: status 6 too (the financial obligation)
    assert all(code.startswith(("000.02.31.H90-", "000.00.31.H90-")) for code in
               Dossier.objects.values_list("code", flat=True))
