"""The whole story of a document for its page: audit entries and opinions, in time order.

Labels are translated for the page; what the entries carry (names, reasons, steps) stays as written."""

from __future__ import annotations

from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from vpdt.core import audit
from vpdt.records.choices import State

ACTIONS = {
    "document.receive": _("Tiếp nhận văn bản"),
    "document.create": _("Tạo dự thảo"),
    "document.attach": _("Thêm tệp"),
    "document.update": _("Sửa thông tin"),
    "document.draft_version": _("Tải lên phiên bản dự thảo"),
    "document.recipients": _("Cập nhật nơi nhận"),
    "document.register": _("Vào sổ văn bản đến"),
    "document.return": _("Trả lại nơi gửi"),
    "document.submit": _("Trình lãnh đạo"),
    "document.assign": _("Lãnh đạo phân công xử lý"),
    "document.reassign": _("Lãnh đạo đơn vị giao xử lý"),
    "document.opinion": _("Cho ý kiến"),
    "document.extension_request": _("Đề nghị gia hạn"),
    "document.extension_decide": _("Duyệt gia hạn"),
    "document.transfer_back": _("Chuyển lại"),
    "document.complete": _("Hoàn thành xử lý"),
    "document.submit_review": _("Trình duyệt dự thảo"),
    "document.review_approve": _("Duyệt, chuyển bước tiếp"),
    "document.review_forward": _("Chuyển tiếp người duyệt"),
    "document.approve": _("Duyệt ký"),
    "document.send_back": _("Trả lại để sửa"),
    "document.issue_number": _("Cấp số, ngày"),
    "document.release": _("Phát hành"),
    "document.acknowledge": _("Đơn vị xác nhận đã nhận"),
    "document.recall": _("Thu hồi"),
    "document.replace": _("Thay thế"),
    "document.update_released": _("Cập nhật văn bản đã phát hành"),
    "document.grant_access": _("Cấp quyền xem"),
    "document.read_secret": _("Xem văn bản mật"),
    "document.link_reply": _("Liên kết văn bản trả lời"),
    "document.info_done": _("Đã xem văn bản được giao để biết"),
}

# Detail keys worth showing a person, with their labels.
DETAIL = [
    ("main", _("Chủ trì")), ("co", _("Phối hợp")), ("info", _("Để biết")),
    ("instructions", _("Ý kiến chỉ đạo")), ("deadline", _("Hạn")), ("handler", _("Cán bộ xử lý")),
    ("text", _("Ý kiến")), ("reason", _("Lý do")), ("comment", _("Ý kiến")), ("step", _("Bước")),
    ("code", _("Số, ký hiệu")), ("incoming_number", _("Số đến")), ("leader_name", pgettext_lazy("submitted to", "Trình")),
    ("to_name", _("Chuyển cho")), ("new", _("Hạn mới")), ("summary", _("Kết quả")),
    ("reply_code", _("Văn bản trả lời")), ("recipients", _("Nơi nhận")), ("name", _("Tệp")),
    ("version", _("Phiên bản")), ("replacement_code", _("Văn bản thay thế")),
]


def _value(key: str, value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if key in ("deadline", "new") and isinstance(value, str) and len(value) == 10:
        y, m, d = value.split("-")
        return f"{d}/{m}/{y}"
    return str(value)


def timeline(document) -> list[dict]:
    items = []
    for e in audit.history(document):
        detail = e.detail or {}
        if e.action == "document.opinion":
            continue  # shown from the Opinion row, with its file
        state = detail.get("to")
        items.append({
            "at": e.at, "who": e.actor_name or gettext("Hệ thống"), "what": ACTIONS.get(e.action, e.action),
            "action": e.action,
            "state": State(state).label if state in State.values and detail.get("from") != state else "",
            "behalf": detail.get("on_behalf_of_name", ""),
            "details": [(label, _value(key, detail[key])) for key, label in DETAIL if detail.get(key) not in
                        (None, "", [])],
            "via": e.via,
        })
    for o in document.opinions.select_related("author", "attachment"):
        items.append({"at": o.created_at, "who": str(o.author) if o.author else "",
                      "what": ACTIONS["document.opinion"], "action": "document.opinion", "state": "", "behalf": "",
                      "details": [], "opinion": o.text, "file": o.attachment})
    items.sort(key=lambda i: i["at"])
    return items
