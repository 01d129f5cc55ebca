"""The replacing document is named by its whole số, ký hiệu: the quick search's prefix
(`12/SKHCN`, issue 15) never picks one; the code in lower case or with Đ as D still does."""

from __future__ import annotations

from tests.workflow.walk import approved
from vpdt.records.choices import State
from vpdt.workflow import services


def test_a_prefix_names_no_replacement_but_the_folded_whole_code_does(world, login):
    doc = approved(world)
    services.issue_number(world.clerk, doc)
    services.release(world.clerk, doc)
    new = approved(world)
    services.issue_number(world.clerk, new)
    new.refresh_from_db()
    prefix = f"{new.number_text}/{new.notation.split('-')[0]}"
    assert prefix != new.code
    c = login(world.clerk)
    r = c.post(f"/van-ban/{doc.pk}/replace/", {"reason": "Sai nội dung", "replacement": prefix,
                                                    "confirm": "on"}, follow=True)
    assert f"Không tìm thấy văn bản thay thế: {prefix}" in r.content.decode()
    doc.refresh_from_db()
    assert doc.state == State.RELEASED
    r = c.post(f"/van-ban/{doc.pk}/replace/", {"reason": "Sai nội dung", "replacement": new.code.lower(),
                                                    "confirm": "on"}, follow=True)
    doc.refresh_from_db()
    assert doc.state == State.REPLACED
