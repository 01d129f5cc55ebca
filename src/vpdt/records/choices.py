"""Enumerations of Decree 30 and edXML used by documents."""

from django.db import models


class Direction(models.TextChoices):
    INCOMING = "incoming", "Văn bản đến"
    OUTGOING = "outgoing", "Văn bản đi"
    INTERNAL = "internal", "Văn bản nội bộ"


class State(models.TextChoices):
    # Incoming (DOMAIN.md "Incoming")
    RECEIVED = "received", "Đã đến, chờ vào sổ"
    RETURNED = "returned", "Đã trả lại"
    REGISTERED = "registered", "Đã vào sổ"
    SUBMITTED = "submitted", "Chờ lãnh đạo cho ý kiến"
    ASSIGNED = "assigned", "Đã phân công"
    IN_PROGRESS = "in_progress", "Đang xử lý"
    COMPLETED = "completed", "Hoàn thành"
    # Outgoing (DOMAIN.md "Outgoing")
    DRAFT = "draft", "Dự thảo"
    IN_REVIEW = "in_review", "Chờ duyệt"
    SENT_BACK = "sent_back", "Trả lại để sửa"
    APPROVED = "approved", "Đã duyệt, chờ phát hành"
    RELEASED = "released", "Đã phát hành"
    RECALLED = "recalled", "Đã thu hồi"
    REPLACED = "replaced", "Đã bị thay thế"


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

    NORMAL = 0, "Thường"
    URGENT = 1, "Khẩn"
    VERY_URGENT = 2, "Thượng khẩn"
    FLASH = 3, "Hỏa tốc"
    FLASH_TIMED = 4, "Hỏa tốc hẹn giờ"


class Secrecy(models.IntegerChoices):
    NONE = 0, "Thường"
    CONFIDENTIAL = 1, "Mật"
    SECRET = 2, "Tối mật"
    TOP_SECRET = 3, "Tuyệt mật"


class SteeringType(models.IntegerChoices):
    NONE = 0, "Không chỉ đạo"
    STEERING = 1, "Chỉ đạo"
    STEERING_REPORT = 2, "Chỉ đạo, yêu cầu báo cáo"


class Source(models.TextChoices):
    PAPER = "paper", "Giấy"
    ELECTRONIC = "electronic", "Điện tử (liên thông)"
    INTERNAL = "internal", "Nội bộ"
    EMAIL = "email", "Thư điện tử"


class RecipientKind(models.TextChoices):
    UNIT = "unit", "Đơn vị nội bộ"
    AGENCY = "agency", "Cơ quan (liên thông)"
    EMAIL = "email", "Thư điện tử"
    PAPER = "paper", "Gửi giấy"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Chờ gửi"
    SENT = "sent", "Đã gửi"
    DELIVERED = "delivered", "Đã đến"
    ACCEPTED = "accepted", "Đã tiếp nhận"
    REJECTED = "rejected", "Bị từ chối"
    ASSIGNED = "assigned", "Đã phân công"
    PROCESSING = "processing", "Đang xử lý"
    COMPLETED = "completed", "Hoàn thành"
    FAILED = "failed", "Gửi lỗi"
    RECALLED = "recalled", "Đã thu hồi"


class AccessReason(models.TextChoices):
    DRAFTER = "drafter", "Người soạn thảo"
    REVIEWER = "reviewer", "Người duyệt"
    SIGNER = "signer", "Người ký"
    MAIN = "main", "Chủ trì xử lý"
    CO = "co", "Phối hợp xử lý"
    INFO = "info", "Để biết"
    UNIT = "unit", "Đơn vị nhận"
    GRANT = "grant", "Được cấp quyền"
