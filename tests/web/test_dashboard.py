"""The home page's counters and the queues' tabs (issue 14 "Dashboard"): each says how many
documents its list holds, for each role, and links to that list."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from tests.workflow.walk import approved, assigned, draft
from vpdt.records.models import Document
from vpdt.workflow import counters, queues, services

CARD = re.compile(r'href="(?P<url>[^"]+)" data-testid="counter-(?P<key>\w+)">.*?data-value="(?P<value>\d+)"', re.S)
TAB = re.compile(r'href="(?P<url>[^"]+)" data-testid="tab-(?P<key>\w+)">[^<]*<span[^>]*data-count="(?P<value>\d+)"')


def cards(page: str) -> dict[str, tuple[int, str]]:
    return {m["key"]: (int(m["value"]), m["url"]) for m in CARD.finditer(page)}


def tabs(page: str) -> dict[str, tuple[int, str]]:
    return {m["key"]: (int(m["value"]), m["url"]) for m in TAB.finditer(page)}


def in_queue(name, user) -> int:
    return queues.get(name, user).count()


def busy_agency(w):
    """Work in every queue: one document overdue, one due in two days, one draft waiting for the
    unit head's review, one approved draft waiting for the clerk to release it."""
    today = timezone.localdate()
    late = assigned(w, number=501)
    soon = assigned(w, number=502)
    Document.objects.filter(pk=late.pk).update(due_date=today - dt.timedelta(days=3))
    Document.objects.filter(pk=soon.pk).update(due_date=today + dt.timedelta(days=1))
    in_review = draft(w, subject="Về việc báo cáo tiến độ")
    services.submit_for_review(w.spec, in_review)
    approved(w)
    return late, soon, in_review


def test_each_roles_cards_say_what_their_queues_hold(world, login):
    busy_agency(world)
    for user in (world.clerk, world.leader, world.head, world.spec):
        page = login(user).get("/").content.decode()
        shown = cards(page)
        assert shown, user.username
        for key, (value, url) in shown.items():
            assert value == in_queue(key, user), (user.username, key)
            assert url == ("/" if key == "waiting" else f"/viec/{key}/")
    # the work really is there: the figures are not all zero
    assert cards(login(world.leader).get("/").content.decode())["overdue"][0] == 1
    assert cards(login(world.head).get("/").content.decode())["approval"][0] == 1
    assert cards(login(world.clerk).get("/").content.decode())["release"][0] == 1


def test_a_role_sees_the_cards_of_its_work_only(world, login):
    busy_agency(world)
    assert set(cards(login(world.spec).get("/").content.decode())) == {"waiting", "overdue", "due_soon"}
    assert set(cards(login(world.head).get("/").content.decode())) == {"waiting", "overdue", "due_soon", "approval"}
    assert set(cards(login(world.clerk).get("/").content.decode())) == {
        "waiting", "overdue", "due_soon", "approval", "release"}


def test_the_tabs_show_their_counts_and_a_card_leads_to_its_list(world, login):
    late, soon, _draft = busy_agency(world)
    c = login(world.leader)
    shown = tabs(c.get("/").content.decode())
    assert set(shown) >= {"waiting", "following", "overdue", "due_soon", "approval"}
    for key, (value, url) in shown.items():
        assert value == in_queue(key, world.leader), key
        listed = c.get(url).content.decode()
        assert f'data-testid="tab-{key}"' in listed
    overdue_list = c.get("/viec/overdue/").content.decode()
    assert late.subject in overdue_list and f"/van-ban/{late.pk}/" in overdue_list
    assert f"/van-ban/{soon.pk}/" not in overdue_list
    due_soon_list = c.get("/viec/due_soon/").content.decode()
    assert f"/van-ban/{soon.pk}/" in due_soon_list and f"/van-ban/{late.pk}/" not in due_soon_list


def test_the_cards_are_on_the_home_page_only_and_not_in_a_swapped_list(world, login):
    busy_agency(world)
    c = login(world.leader)
    assert 'data-testid="dashboard"' in c.get("/").content.decode()
    assert 'data-testid="dashboard"' not in c.get("/viec/overdue/").content.decode()
    partial = c.get("/", headers={"HX-Request": "true", "HX-Target": "doc-list"}).content.decode()
    assert 'data-testid="dashboard"' not in partial and 'data-testid="tab-' not in partial


def test_a_count_stops_at_its_cap_and_says_so(world, login, monkeypatch):
    busy_agency(world)
    following = queues.get("following", world.leader)
    n = following.count()
    assert n >= 3
    assert counters.bounded_count(following, n) == (n, False)
    assert counters.bounded_count(following, n - 1) == (n - 1, True)
    monkeypatch.setattr(counters, "CAP", n - 1)
    page = login(world.leader).get("/").content.decode()
    assert re.search(rf'data-testid="tab-following">[^<]*<span[^>]*data-count="{n - 1}">{n - 1}\+<', page)


def test_approval_and_release_queues_hold_the_drafts_waiting_for_that_person(world):
    _late, _soon, in_review = busy_agency(world)
    assert set(queues.get("approval", world.head).values_list("pk", flat=True)) == {in_review.pk}
    assert not queues.get("approval", world.spec).exists()
    released = queues.get("release", world.clerk)
    assert released.count() == 1 and not queues.get("release", world.leader).exists()
    # both are parts of "Chờ xử lý"
    assert in_review.pk in set(queues.get("waiting", world.head).values_list("pk", flat=True))
    assert set(released.values_list("pk", flat=True)) <= set(queues.get("waiting", world.clerk)
                                                            .values_list("pk", flat=True))


def test_a_filtered_list_does_not_change_its_tabs_count(world, login):
    """The open tab's count is the list's own only when nothing filters the list."""
    busy_agency(world)
    c = login(world.leader)
    everything = in_queue("following", world.leader)
    assert everything >= 2
    for query in ("", "?sort=old", "?q=khong+co+van+ban+nao", "?state=assigned&page=1"):
        shown = tabs(c.get(f"/viec/following/{query}").content.decode())
        assert shown["following"][0] == everything, query


def test_a_pages_counters_are_one_statement_and_say_what_each_count_alone_says(world):
    """Counted together (one SELECT of sub-counts): the same figures as each queue counted on its
    own, capped the same way; a queue that cannot hold anything costs nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    busy_agency(world)
    for user in (world.clerk, world.leader, world.head, world.spec):
        keys = counters.queue_keys(user)
        built = [queues.QUEUES[key][1](user) for key in keys]
        with CaptureQueriesContext(connection) as counting:
            together = counters.bounded_counts(built)
        assert len(counting) == 1, user.username
        assert together == [counters.bounded_count(qs) for qs in built], user.username
        assert sum(n for n, _ in together) > 0
    following = queues.get("following", world.leader)
    n = following.count()
    none = Document.objects.none()
    assert counters.bounded_counts([none, following, none], n - 1) == [(0, False), (n - 1, True), (0, False)]
    with CaptureQueriesContext(connection) as counting:
        assert counters.bounded_counts([none]) == [(0, False)]
    assert len(counting) == 0
