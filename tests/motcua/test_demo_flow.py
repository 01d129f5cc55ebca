"""The demo's dossiers moved along: processing, done, returned, late with an apology."""

from __future__ import annotations

import random

import pytest

from tests.motcua.motcua2_world import dossier, world
from vpdt.motcua import demo_flow
from vpdt.motcua.models import ApologySlip, Dossier, DossierStatus

pytestmark = pytest.mark.django_db


def test_advance_spreads_the_dossiers_over_the_statuses(blob_dir):
    w = world()
    for _ in range(10):
        dossier(w.birth, w.commune)
    done = demo_flow.advance(random.Random(7))
    statuses = sorted(Dossier.objects.values_list("status", flat=True))
    assert done["processing"] == 8 and done["late"] == 1 and done["returned"] >= 1
    assert statuses.count(DossierStatus.RECEIVED) == 2
    assert statuses.count(DossierStatus.RETURNED) == done["returned"]
    assert ApologySlip.objects.count() == 1
    late = ApologySlip.objects.get().dossier
    assert late.delays.exists() and late.appointment_date > late.original_appointment_date
