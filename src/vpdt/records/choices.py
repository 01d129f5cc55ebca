"""Enumerations of Decree 30 and edXML used by documents."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Direction(models.TextChoices):
    INCOMING = "incoming", _("Văn bản đến")
    OUTGOING = "outgoing", _("Văn bản đi")
    INTERNAL = "internal", _("Văn bản nội bộ")


class State(models.TextChoices):
    # Incoming (DOMAIN.md "Incoming")
    RECEIVED = "received", _("Đã đến, chờ vào sổ")
    RETURNED = "returned", _("Đã trả lại")
    REGISTERED = "registered", _("Đã vào sổ")
    SUBMITTED = "submitted", _("Chờ lãnh đạo cho ý kiến")
    ASSIGNED = "assigned", _("Đã phân công")
    IN_PROGRESS = "in_progress", _("Đang xử lý")
    COMPLETED = "completed", pgettext_lazy("state", "Hoàn thành")
    # Outgoing (DOMAIN.md "Outgoing")
    DRAFT = "draft", _("Dự thảo")
    IN_REVIEW = "in_review", _("Chờ duyệt")
    SENT_BACK = "sent_back", _("Trả lại để sửa")
    APPROVED = "approved", _("Đã duyệt, chờ phát hành")
    RELEASED = "released", _("Đã phát hành")
    RECALLED = "recalled", _("Đã thu hồi")
    REPLACED = "replaced", _("Đã bị thay thế")


INCOMING_STATES = [
    State.RECEIVED, State.RETURNED, State.REGISTERED, State.SUBMITTED,
    State.ASSIGNED, State.IN_PROGRESS, State.COMPLETED,
]
OUTGOING_STATES = [
    State.DRAFT, State.IN_REVIEW, State.SENT_BACK, State.APPROVED,
    State.RELEASED, State.RECALLED, State.REPLACED,
]


class Urgency(models.IntegerChoices):
    """edXML Priority."""

    NORMAL = 0, _("Thường")
    URGENT = 1, _("Khẩn")
    VERY_URGENT = 2, _("Thượng khẩn")
    FLASH = 3, _("Hỏa tốc")
    FLASH_TIMED = 4, _("Hỏa tốc hẹn giờ")


class Secrecy(models.IntegerChoices):
    NONE = 0, _("Thường")
    CONFIDENTIAL = 1, _("Mật")
    SECRET = 2, _("Tối mật")
    TOP_SECRET = 3, _("Tuyệt mật")


class SteeringType(models.IntegerChoices):
    NONE = 0, _("Không chỉ đạo")
    STEERING = 1, _("Chỉ đạo")
    STEERING_REPORT = 2, _("Chỉ đạo, yêu cầu báo cáo")


class Source(models.TextChoices):
    PAPER = "paper", _("Giấy")
    ELECTRONIC = "electronic", _("Điện tử (liên thông)")
    INTERNAL = "internal", _("Nội bộ")
    EMAIL = "email", _("Thư điện tử")


class RecipientKind(models.TextChoices):
    UNIT = "unit", pgettext_lazy("recipient kind", "Đơn vị nội bộ")
    AGENCY = "agency", _("Cơ quan (liên thông)")
    EMAIL = "email", _("Thư điện tử")
    PAPER = "paper", _("Gửi giấy")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    DELIVERED = "delivered", _("Đã đến")
    ACCEPTED = "accepted", _("Đã tiếp nhận")
    REJECTED = "rejected", _("Bị từ chối")
    ASSIGNED = "assigned", _("Đã phân công")
    PROCESSING = "processing", _("Đang xử lý")
    COMPLETED = "completed", pgettext_lazy("state", "Hoàn thành")
    FAILED = "failed", _("Gửi lỗi")
    RECALLED = "recalled", _("Đã thu hồi")


class AccessReason(models.TextChoices):
    DRAFTER = "drafter", _("Người soạn thảo")
    REVIEWER = "reviewer", _("Người duyệt")
    SIGNER = "signer", _("Người ký")
    MAIN = "main", _("Chủ trì xử lý")
    CO = "co", _("Phối hợp xử lý")
    INFO = "info", _("Để biết")
    UNIT = "unit", _("Đơn vị nhận")
    GRANT = "grant", _("Được cấp quyền")
