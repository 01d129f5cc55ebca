"""The whole story of a document for its page: audit entries and opinions, in time order.

Labels are translated for the page; what the entries carry (names, reasons, steps) stays as written."""

from __future__ import annotations

from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from vpdt.core import audit, labels
from vpdt.core.prepared import Read, attach
from vpdt.records.choices import State

# The labels of audit actions live in the one catalogue (vpdt.core.labels).
ACTIONS = labels.ACTIONS


def _opinions(doc_id):
    from vpdt.workflow.models import Opinion

    return Opinion.objects.filter(document_id=doc_id).select_related("author", "attachment")


_OPINIONS = Read(_opinions, doc_id=int)  # written out once (vpdt.core.prepared)

# Detail keys worth showing a person, with their labels.
DETAIL = [
    ("main", _("Chủ trì")), ("co", _("Phối hợp")), ("info", _("Để biết")),
    ("instructions", _("Ý kiến chỉ đạo")), ("deadline", _("Hạn")), ("handler", _("Cán bộ xử lý")),
    ("text", _("Ý kiến")), ("reason", _("Lý do")), ("comment", _("Ý kiến")), ("step", _("Bước")),
    ("code", _("Số, ký hiệu")), ("incoming_number", _("Số đến")), ("leader_name", pgettext_lazy("submitted to", "Trình")),
    ("to_name", _("Chuyển cho")), ("new", _("Hạn mới")), ("summary", _("Kết quả")),
    ("reply_code", _("Văn bản trả lời")), ("recipients", _("Nơi nhận")), ("name", _("Tệp")),
    ("version", _("Phiên bản")), ("replacement_code", _("Văn bản thay thế")), ("note", _("Ghi chú")),
    ("recipient_name", _("Nơi nhận")), ("sent_by", _("Hình thức gửi")),
]


def _value(key: str, value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if key in ("deadline", "new") and isinstance(value, str) and len(value) == 10:
        y, m, d = value.split("-")
        return f"{d}/{m}/{y}"
    if key == "step":
        return labels.step_label(str(value))
    return str(value)


def timeline(document) -> list[dict]:
    items = []
    for e in audit.history(document):
        detail = e.detail or {}
        if e.action == "document.opinion":
            continue  # shown from the Opinion row, with its file
        state = detail.get("to")
        items.append({
            "at": e.at, "who": e.actor_name or gettext("Hệ thống"), "what": labels.action_label(e.action),
            "action": e.action,
            "state": State(state).label if state in State.values and detail.get("from") != state else "",
            "behalf": detail.get("on_behalf_of_name", ""),
            "details": [(label, _value(key, detail[key])) for key, label in DETAIL if detail.get(key) not in
                        (None, "", [])],
            "via": e.via,
        })
    for o in attach(_OPINIONS.instances(doc_id=document.pk), document=document):
        items.append({"at": o.created_at, "who": str(o.author) if o.author else "",
                      "what": ACTIONS["document.opinion"], "action": "document.opinion", "state": "", "behalf": "",
                      "details": [], "opinion": o.text, "file": o.attachment})
    items.sort(key=lambda i: i["at"])
    return items
