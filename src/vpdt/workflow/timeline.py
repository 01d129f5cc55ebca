"""The whole story of a document for its page: audit entries and opinions, in time order, in Vietnamese."""

from __future__ import annotations

from vpdt.core import audit
from vpdt.records.choices import State

ACTIONS = {
    "document.receive": "Tiếp nhận văn bản",
    "document.create": "Tạo dự thảo",
    "document.attach": "Thêm tệp",
    "document.update": "Sửa thông tin",
    "document.draft_version": "Tải lên phiên bản dự thảo",
    "document.recipients": "Cập nhật nơi nhận",
    "document.register": "Vào sổ văn bản đến",
    "document.return": "Trả lại nơi gửi",
    "document.submit": "Trình lãnh đạo",
    "document.assign": "Lãnh đạo phân công xử lý",
    "document.reassign": "Lãnh đạo đơn vị giao xử lý",
    "document.opinion": "Cho ý kiến",
    "document.extension_request": "Đề nghị gia hạn",
    "document.extension_decide": "Duyệt gia hạn",
    "document.transfer_back": "Chuyển lại",
    "document.complete": "Hoàn thành xử lý",
    "document.submit_review": "Trình duyệt dự thảo",
    "document.review_approve": "Duyệt, chuyển bước tiếp",
    "document.review_forward": "Chuyển tiếp người duyệt",
    "document.approve": "Duyệt ký",
    "document.send_back": "Trả lại để sửa",
    "document.issue_number": "Cấp số, ngày",
    "document.release": "Phát hành",
    "document.acknowledge": "Đơn vị xác nhận đã nhận",
    "document.recall": "Thu hồi",
    "document.replace": "Thay thế",
    "document.update_released": "Cập nhật văn bản đã phát hành",
    "document.grant_access": "Cấp quyền xem",
    "document.read_secret": "Xem văn bản mật",
}

# Detail keys worth showing a person, with their labels.
DETAIL = [
    ("main", "Chủ trì"), ("co", "Phối hợp"), ("info", "Để biết"), ("instructions", "Ý kiến chỉ đạo"),
    ("deadline", "Hạn"), ("handler", "Cán bộ xử lý"), ("text", "Ý kiến"), ("reason", "Lý do"),
    ("comment", "Ý kiến"), ("step", "Bước"), ("code", "Số, ký hiệu"), ("incoming_number", "Số đến"),
    ("leader_name", "Trình"), ("to_name", "Chuyển cho"), ("new", "Hạn mới"), ("summary", "Kết quả"),
    ("reply_code", "Văn bản trả lời"), ("recipients", "Nơi nhận"), ("name", "Tệp"), ("version", "Phiên bản"),
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
            "at": e.at, "who": e.actor_name or "Hệ thống", "what": ACTIONS.get(e.action, e.action),
            "action": e.action,
            "state": State(state).label if state in State.values and detail.get("from") != state else "",
            "behalf": detail.get("on_behalf_of_name", ""),
            "details": [(label, _value(key, detail[key])) for key, label in DETAIL if detail.get(key) not in
                        (None, "", [])],
            "via": e.via,
        })
    for o in document.opinions.select_related("author", "attachment"):
        items.append({"at": o.created_at, "who": str(o.author) if o.author else "", "what": "Cho ý kiến",
                      "action": "document.opinion", "state": "", "behalf": "", "details": [],
                      "opinion": o.text, "file": o.attachment})
    items.sort(key=lambda i: i["at"])
    return items
