"""The bell lists what needs me first (action-needed before for-information), then the newest,
and says how many of each I have not read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests import factories
from vpdt.directory.roles import Role
from vpdt.workflow.models import Notification

pytestmark = pytest.mark.django_db


def _at(user, kind, message, minutes_ago, read=False):
    n = Notification.objects.create(user=user, kind=kind, message=message)
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    Notification.objects.filter(pk=n.pk).update(created_at=at, read_at=at if read else None)


def _order(page: str) -> list[str]:
    return re.findall(r"(Thông báo [A-Z])", page)


def test_action_needed_first_then_for_information_each_newest_first(login):
    clerk = factories.person(factories.agency(), Role.CLERK)
    _at(clerk, "released", "Thông báo A: văn bản đã phát hành", 1)
    _at(clerk, "exchange_arrived", "Thông báo B: văn bản mới đến qua liên thông", 30)
    _at(clerk, "exchange_recalled", "Thông báo C: cơ quan gửi đã thu hồi", 5, read=True)
    _at(clerk, "exchange_arrived", "Thông báo D: văn bản mới đến qua liên thông", 10)
    _at(clerk, "assigned", "Thông báo E: được giao xử lý", 60, read=True)
    page = login(clerk).get("/thong-bao/").content.decode()
    # D and B need the clerk (newest first), E needs them but was read; A and C are for information.
    assert _order(page) == ["Thông báo D", "Thông báo B", "Thông báo E", "Thông báo A", "Thông báo C"]
    assert re.search(r'data-testid="action-unread">\s*2 chưa đọc', page)
    assert re.search(r'data-testid="info-unread">\s*1 chưa đọc', page)
    assert page.count(">Mới</span>") == 3


def test_nothing_waiting_says_so(login):
    person = factories.person(factories.agency(), Role.SPECIALIST)
    _at(person, "released", "Thông báo A: văn bản đã phát hành", 1, read=True)
    page = login(person).get("/thong-bao/").content.decode()
    assert "Không có việc nào đang chờ bạn." in page and "Thông báo A" in page
    assert "chưa đọc" not in page
