"""The agency admin's webhook walk, on a desktop and on a phone (390 px): "Webhook" from the
administration tabs, a subscription made with two events ticked, the secret shown once, then
paused; the page never scrolls sideways."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, databases=["default", "hub"])]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_admin_subscribes_sees_the_secret_once_and_pauses(people, width):
    from vpdt.webhooks.models import WebhookSubscription

    page = people.login("skhcn.quantri", width=width, height=860)
    page.goto("/quan-tri/")
    page.get_by_test_id("admin-tabs").get_by_role("link", name="Webhook").click()
    page.wait_for_url("**/quan-tri/webhook/")
    form = page.get_by_test_id("webhook-new")
    form.get_by_label("Địa chỉ nhận (URL)").fill("https://cong.example.vn/vpdt-hook")
    form.get_by_label("Vào sổ văn bản đến").check()
    form.get_by_label("Phát hành văn bản đi").check()
    form.get_by_role("button", name="Đăng ký").click()
    secret = page.get_by_test_id("webhook-secret").locator("code").inner_text().strip()
    found = WebhookSubscription.objects.get(url="https://cong.example.vn/vpdt-hook")
    assert secret.startswith("whsec_") and found.secret_value() == secret
    assert found.events == ["document.registered", "document.released"]
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_role("link", name="https://cong.example.vn/vpdt-hook").click()
    page.wait_for_url(f"**/quan-tri/webhook/{found.pk}/")
    assert secret not in page.content()
    page.get_by_role("button", name="Tạm dừng").click()
    page.get_by_role("button", name="Dùng lại").wait_for()
    assert not WebhookSubscription.objects.get(pk=found.pk).active
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
