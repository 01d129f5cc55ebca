"""Reference data: the document types of Decree 30 Phụ lục III, as they were when this
migration was written (literals: a migration is history; vpdt.records.seed keeps the
current list for the tests' re-seeding)."""

from django.db import migrations

# (code, name, abbreviation, is_normative, is_copy, edxml_type)
DOCUMENT_TYPES = [
    ("CV", "Công văn", "", False, False, 1),
    ("NQ", "Nghị quyết", "NQ", True, False, 2),
    ("QD", "Quyết định", "QĐ", True, False, 3),
    ("CT", "Chỉ thị", "CT", True, False, 4),
    ("QC", "Quy chế", "QC", False, False, 5),
    ("QYD", "Quy định", "QyĐ", False, False, 6),
    ("TC", "Thông cáo", "TC", False, False, 7),
    ("TB", "Thông báo", "TB", False, False, 8),
    ("HD", "Hướng dẫn", "HD", False, False, 9),
    ("CTR", "Chương trình", "CTr", False, False, 10),
    ("KH", "Kế hoạch", "KH", False, False, 11),
    ("PA", "Phương án", "PA", False, False, 12),
    ("DEA", "Đề án", "ĐA", False, False, 13),
    ("DA", "Dự án", "DA", False, False, 14),
    ("BC", "Báo cáo", "BC", False, False, 15),
    ("BB", "Biên bản", "BB", False, False, 16),
    ("TTR", "Tờ trình", "TTr", False, False, 17),
    ("HOD", "Hợp đồng", "HĐ", False, False, 18),
    ("CD", "Công điện", "CĐ", False, False, 19),
    ("BGN", "Bản ghi nhớ", "BGN", False, False, 20),
    ("BTT", "Bản thỏa thuận", "BTT", False, False, 21),
    ("GUQ", "Giấy ủy quyền", "GUQ", False, False, 22),
    ("GM", "Giấy mời", "GM", False, False, 23),
    ("GGT", "Giấy giới thiệu", "GGT", False, False, 24),
    ("GNP", "Giấy nghỉ phép", "GNP", False, False, 25),
    ("PG", "Phiếu gửi", "PG", False, False, 26),
    ("PC", "Phiếu chuyển", "PC", False, False, 27),
    ("PB", "Phiếu báo", "PB", False, False, 28),
    ("TCO", "Thư công", "", False, False, 29),
    ("SY", "Bản sao y", "SY", False, True, 30),
    ("TRS", "Bản trích sao", "TrS", False, True, 31),
    ("SL", "Bản sao lục", "SL", False, True, 32),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("records", "DocumentType")
    for order, (code, name, abbr, normative, copy, edxml_type) in enumerate(DOCUMENT_TYPES, start=1):
        DocumentType.objects.using(schema_editor.connection.alias).update_or_create(
            code=code,
            defaults={"name": name, "abbreviation": abbr, "is_normative": normative, "is_copy": copy,
                      "edxml_type": edxml_type, "order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
