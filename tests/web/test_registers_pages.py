"""The "Sổ văn bản" pages: the agency's registers per year, each book downloaded as PDF or XLSX
(streamed), and closing a register at year end, confirmed; others are refused (403)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.records.conftest import seal
from vpdt.records import registers
from vpdt.records.models import ClosedRegisterFile, Register

pytestmark = [pytest.mark.django_db]


def _download(register, book, fmt):
    return reverse("web:register_download", args=[register.pk, book, fmt])


def test_the_clerk_lists_the_registers_of_the_year_and_downloads_each_book(client, book_world):
    w = book_world
    client.force_login(w.clerk)
    page = client.get(reverse("web:registers"), {"nam": 2025})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sổ văn bản đi chung" in html and "Sổ văn bản đến chung" in html
    for register, book in [(w.out_register, "di"), (w.in_register, "den"), (w.in_register, "theo-doi")]:
        assert _download(register, book, "pdf") in html and _download(register, book, "xlsx") in html
    assert reverse("web:register_close", args=[w.out_register.pk]) in html  # 2025 has ended
    response = client.get(_download(w.in_register, "theo-doi", "pdf"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    assert "so-theo-doi-giai-quyet-van-ban-den-chung-2025.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    xlsx = client.get(_download(w.out_register, "di", "xlsx"))
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"
    assert client.get(_download(w.out_register, "den", "pdf")).status_code == 404  # not a book of this register
    assert client.get(_download(w.out_register, "di", "doc")).status_code == 404


def test_leaders_download_admins_close_others_are_refused(client, book_world):
    w = book_world
    client.force_login(w.leader)
    html = client.get(reverse("web:registers")).content.decode()
    assert _download(w.out_register, "di", "pdf") in html
    assert reverse("web:register_close", args=[w.out_register.pk]) not in html
    assert client.get(reverse("web:register_close", args=[w.out_register.pk])).status_code == 403

    client.force_login(w.admin)
    html = client.get(reverse("web:registers")).content.decode()
    assert _download(w.out_register, "di", "pdf") not in html
    assert reverse("web:register_close", args=[w.out_register.pk]) in html
    assert client.get(_download(w.out_register, "di", "pdf")).status_code == 403

    for outsider in (w.spec, w.stranger):
        client.force_login(outsider)
        assert client.get(_download(w.out_register, "di", "pdf")).status_code == 403
        assert client.get(reverse("web:register_close", args=[w.out_register.pk])).status_code == 403
    client.force_login(w.spec)
    assert client.get(reverse("web:registers")).status_code == 403


def test_closing_is_confirmed_and_a_refusal_is_shown_next_to_the_box(client, book_world):
    w = book_world
    client.force_login(w.clerk)
    url = reverse("web:register_close", args=[w.out_register.pk])
    assert "Khóa sổ" in client.get(url).content.decode()
    unticked = client.post(url, {})
    assert unticked.status_code == 200 and "Đánh dấu ô xác nhận trước khi khóa sổ." in unticked.content.decode()
    no_seal = client.post(url, {"confirm": "on"})  # the agency has no seal yet
    assert no_seal.status_code == 200
    assert 'data-testid="field-error"' in no_seal.content.decode() and "chưa có khóa ký số" in no_seal.content.decode()
    assert not Register.objects.get(pk=w.out_register.pk).closed


@pytest.mark.slow
def test_the_clerk_closes_a_register_and_downloads_the_signed_book(client, book_world, register_ca):
    w = book_world
    seal(w, register_ca)
    client.force_login(w.clerk)
    response = client.post(reverse("web:register_close", args=[w.out_register.pk]), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"].endswith("?nam=2025")
    assert Register.objects.get(pk=w.out_register.pk).closed
    page = client.get(response["Location"]).content.decode()
    assert "Đã khóa sổ" in page and reverse("web:register_close", args=[w.out_register.pk]) not in page
    signed = ClosedRegisterFile.objects.get(register=w.out_register, book=registers.OUTGOING, file_format="pdf")
    body = b"".join(client.get(_download(w.out_register, "di", "pdf")).streaming_content)
    import hashlib

    assert hashlib.sha256(body).hexdigest() == signed.blob_id
