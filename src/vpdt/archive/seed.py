"""Reference data seeded by migration (archive/0002): the starting retention table.

Groups of dossiers common to every agency, after the table of Thông tư 10/2022/TT-BNV
(thời hạn bảo quản hồ sơ, tài liệu chung của các cơ quan, tổ chức). It is a STARTING table:
the platform admin adjusts it (Django admin, "Bảng thời hạn bảo quản") to the province's own
decision; a file plan entry copies the years when it is written, so a later change of the
table does not change a plan already drafted. `years` None means permanent (vĩnh viễn).
"""

# (code, name, years or None for permanent, field)
RETENTION_PERIODS = [
    ("TH.01", "Hồ sơ xây dựng, ban hành chế độ, quy định, hướng dẫn về những vấn đề chung của cơ quan",
     None, "Tổng hợp"),
    ("TH.02", "Hồ sơ tổ chức thực hiện chế độ, quy định, hướng dẫn của cơ quan cấp trên", 20, "Tổng hợp"),
    ("TH.03", "Hồ sơ hội nghị tổng kết năm, nhiều năm của cơ quan", None, "Tổng hợp"),
    ("TH.04", "Hồ sơ hội nghị sơ kết, hội nghị chuyên đề", 10, "Tổng hợp"),
    ("TH.05", "Kế hoạch, báo cáo công tác năm, nhiều năm", None, "Tổng hợp"),
    ("TH.06", "Kế hoạch, báo cáo công tác 6 tháng, 9 tháng", 20, "Tổng hợp"),
    ("TH.07", "Kế hoạch, báo cáo công tác tháng, quý", 10, "Tổng hợp"),
    ("TH.08", "Công văn trao đổi về công tác chung", 10, "Tổng hợp"),
    ("TC.01", "Hồ sơ thành lập, sáp nhập, giải thể, quy định chức năng, nhiệm vụ của cơ quan, đơn vị",
     None, "Tổ chức, cán bộ"),
    ("TC.02", "Hồ sơ gốc cán bộ, công chức, viên chức", 70, "Tổ chức, cán bộ"),
    ("TC.03", "Hồ sơ thi đua, khen thưởng cấp cơ quan", 20, "Tổ chức, cán bộ"),
    ("TT.01", "Hồ sơ thanh tra, kiểm tra do cơ quan thực hiện", 15, "Thanh tra, khiếu nại, tố cáo"),
    ("TT.02", "Hồ sơ giải quyết khiếu nại, tố cáo", 15, "Thanh tra, khiếu nại, tố cáo"),
    ("KT.01", "Báo cáo tài chính, quyết toán ngân sách năm", None, "Tài chính, kế toán"),
    ("KT.02", "Chứng từ kế toán", 10, "Tài chính, kế toán"),
    ("VT.01", "Sổ đăng ký văn bản đi, văn bản đến", 20, "Văn thư, lưu trữ"),
    ("VT.02", "Tập lưu văn bản đi của cơ quan", 50, "Văn thư, lưu trữ"),
    ("VT.03", "Hồ sơ về công tác văn thư, lưu trữ (kế hoạch, báo cáo, hướng dẫn nghiệp vụ)", 20,
     "Văn thư, lưu trữ"),
    ("VT.04", "Giấy mời, giấy giới thiệu, phiếu gửi, phiếu chuyển", 5, "Văn thư, lưu trữ"),
    ("CN.01", "Hồ sơ ứng dụng công nghệ thông tin, chuyển đổi số của cơ quan", 20, "Công nghệ thông tin"),
]


def seed_retention_periods(model, using: str = "default") -> None:
    """Adds the lines of the starting table that are missing (by code); never overwrites a line
    the platform admin changed."""
    for order, (code, name, years, field) in enumerate(RETENTION_PERIODS, start=1):
        model.objects.using(using).get_or_create(
            code=code, defaults={"name": name, "years": years, "field": field, "order": order * 10})
