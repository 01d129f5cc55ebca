"""The demo province's canned direction texts (ý kiến chỉ đạo mẫu), as a director writes them."""

from __future__ import annotations

from vpdt.directory.models import Agency
from vpdt.workflow.models import DirectionText

TEXTS = [
    "Giao {unit} chủ trì tham mưu, báo cáo trước ngày {date}.",
    "Giao {unit} chủ trì, phối hợp các đơn vị liên quan nghiên cứu, đề xuất xử lý theo quy định.",
    "Giao {unit} nghiên cứu, dự thảo văn bản trả lời, trình Lãnh đạo trước ngày {date}.",
    "Đề nghị các đơn vị được giao phối hợp cung cấp thông tin, số liệu cho đơn vị chủ trì đúng thời hạn.",
    "Chuyển các phòng để biết, triển khai thực hiện trong phạm vi chức năng, nhiệm vụ.",
    "Văn phòng theo dõi, đôn đốc, tổng hợp kết quả thực hiện, báo cáo Lãnh đạo.",
]


def extend_demo(context: dict) -> None:
    context.get("progress", lambda _m: None)("Tạo ý kiến chỉ đạo mẫu của các cơ quan…")
    rows = []
    for agency in Agency.objects.filter(units__isnull=False).distinct():
        for i, text in enumerate(TEXTS, start=1):
            rows.append(DirectionText(agency=agency, text=text.format(unit="Phòng …", date="…"), order=i * 10))
    DirectionText.objects.bulk_create(rows)
