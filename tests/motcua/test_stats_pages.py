"""The statistics page, its exports, and the one-stop counters on the home page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.motcua.motcua2_world import dossier, step, world
from vpdt.motcua.models import DossierStatus

pytestmark = pytest.mark.django_db


def test_statistics_page_and_exports_for_the_agencys_leader(client, blob_dir):
    w = world()
    dossier(w.birth, w.commune, status=DossierStatus.RETURNED)
    client.force_login(w.leader)
    page = client.get("/mot-cua/thong-ke/", {"by": "procedure"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Đăng ký khai sinh" in body and 'data-testid="motcua-stats-table"' in body
    xlsx = client.get("/mot-cua/thong-ke/tai/xlsx/")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/mot-cua/thong-ke/tai/pdf/").status_code == 200
    assert client.get("/mot-cua/thong-ke/tai/doc/").status_code == 404


def test_someone_without_one_stop_work_is_refused(client, blob_dir):
    w = world()
    client.force_login(w.officer)  # a specialist: no leader, counter or one-stop admin role
    assert client.get("/mot-cua/thong-ke/").status_code == 403


def test_home_page_counts_the_one_stop_work(client, blob_dir):
    w = world()
    now = timezone.now()
    late = dossier(w.birth, w.commune, status=DossierStatus.PROCESSING, received=now - dt.timedelta(days=20))
    step(late, to_agency=w.commune, to_unit=w.tp, due_at=now - dt.timedelta(days=1))
    dossier(w.birth, w.commune, status=DossierStatus.DONE)
    client.force_login(w.counter)
    home = client.get("/").content.decode()
    assert 'data-testid="motcua-counter-to_return"' in home and 'data-testid="motcua-counter-overdue"' in home
    client.force_login(w.officer)
    home = client.get("/").content.decode()
    assert 'data-testid="motcua-counter-steps_late"' in home
    client.force_login(w.dept_officer)  # nothing of the one-stop shop waits for them
    assert "motcua-counters" not in client.get("/").content.decode()
