"""The forms the daily mix POSTs (address, fields), shared by the locustfile and
bench/page_profile.py --acts, so that what is timed in process is what the people send."""

from __future__ import annotations

import datetime

DEADLINE = (datetime.date.today() + datetime.timedelta(days=15)).strftime("%d/%m/%Y")


def register(doc: int) -> tuple[str, dict]:
    return f"/van-ban/{doc}/register/", {"confirm": "1"}


def release(doc: int) -> tuple[str, dict]:
    return f"/van-ban/{doc}/release/", {"confirm": "on"}


def assign(doc: int, specialist: int) -> tuple[str, dict]:
    return f"/van-ban/{doc}/phan-cong/", {"main": f"p:{specialist}", "deadline": DEADLINE,
                                          "instructions": "Tham mưu, báo cáo trước hạn"}


def opinion(doc: int) -> tuple[str, dict]:
    return f"/van-ban/{doc}/opinion/", {"text": "Đề xuất giao phòng chuyên môn tham mưu."}
