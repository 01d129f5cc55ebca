"""Reference data: the starting retention table (bảng thời hạn bảo quản), after Thông tư
10/2022/TT-BNV's groups common to every agency. A starting table the platform admin adjusts
(Django admin). Literals: a migration is history; vpdt.archive.seed keeps the current list
for the tests' re-seeding."""

from django.db import migrations

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


def seed(apps, schema_editor):
    RetentionPeriod = apps.get_model("archive", "RetentionPeriod")
    for order, (code, name, years, field) in enumerate(RETENTION_PERIODS, start=1):
        RetentionPeriod.objects.using(schema_editor.connection.alias).get_or_create(
            code=code, defaults={"name": name, "years": years, "field": field, "order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
