"""The delegation page: the agency admin delegates for an absent leader; who may not, cannot."""

from __future__ import annotations

import datetime as dt

from django.utils.timezone import localdate as today  # Vietnam's date, asked when used

from vpdt.core.models import AuditEntry


def test_the_agency_admin_delegates_for_an_absent_leader_through_the_page(world, client):
    from vpdt.workflow.models import Delegation

    until = (today() + dt.timedelta(days=5)).strftime("%d/%m/%Y")
    client.force_login(world.admin)
    page = client.get("/uy-quyen/").content.decode()
    assert 'name="principal"' in page and str(world.leader) in page
    r = client.post("/uy-quyen/", {"principal": world.leader.pk, "deputy": world.deputy.pk,
                                   "starts_on": today().strftime("%d/%m/%Y"), "ends_on": until, "reason": "Đi công tác"},
                    follow=True)
    assert "Đã ủy quyền." in r.content.decode()
    made = Delegation.objects.get(principal=world.leader)
    assert made.deputy == world.deputy and made.created_by == world.admin
    entry = AuditEntry.objects.filter(action="delegation.create").latest("id")
    assert entry.actor_id == world.admin.pk and entry.detail["principal"] == world.leader.pk
    # A principal outside the agency's leaders is refused and nothing is written.
    r = client.post("/uy-quyen/", {"principal": world.spec.pk, "deputy": world.deputy.pk,
                                   "starts_on": today().strftime("%d/%m/%Y"), "ends_on": until}, follow=True)
    assert "Chọn lãnh đạo ủy quyền trong danh sách." in r.content.decode()
    assert Delegation.objects.count() == 1
    # The admin may revoke it; a specialist sees no principal choice and cannot delegate for another.
    r = client.post("/uy-quyen/", {"revoke": made.pk}, follow=True)
    made.refresh_from_db()
    assert made.revoked_at is not None
    client.force_login(world.spec)
    assert 'name="principal"' not in client.get("/uy-quyen/").content.decode()
    client.post("/uy-quyen/", {"principal": world.leader.pk, "deputy": world.deputy.pk,
                               "starts_on": today().strftime("%d/%m/%Y"), "ends_on": until})
    assert Delegation.objects.count() == 1
