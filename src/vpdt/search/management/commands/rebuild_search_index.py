from django.core.management.base import BaseCommand, CommandError

from vpdt.search import services


class Command(BaseCommand):
    help = "Dựng lại chỉ mục tìm kiếm văn bản (--check: chỉ kiểm tra chỉ mục khớp với bảng)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="chỉ kiểm tra, không thay đổi gì")
        parser.add_argument("--deep", action="store_true",
                            help="dùng với --check: tính lại trích yếu không dấu "
                                 "của mọi văn bản để đối chiếu")
        parser.add_argument("--refold", action="store_true",
                            help="trước hết tính lại các subject_folded (trích yếu không dấu) đã cũ")
        parser.add_argument("--database", default="default")

    def handle(self, *args, check=False, deep=False, refold=False, database="default", **options):
        if check:
            problems = services.check_index(database, deep=deep)
            if problems:
                raise CommandError("Chỉ mục tìm kiếm không khớp: " + "; ".join(problems))
            self.stdout.write("Chỉ mục tìm kiếm khớp với bảng văn bản.")
            return
        result = services.rebuild_index(database, refold_subjects=refold)
        if result["problems"]:
            raise CommandError("Dựng lại xong nhưng vẫn lỗi: " + "; ".join(result["problems"]))
        self.stdout.write(f"Đã dựng lại chỉ mục tìm kiếm (sửa trích yếu không dấu: {result['refolded']}, "
                          f"sửa nội dung khác của văn bản: {result['document_texts']}, "
                          f"khôi phục: {', '.join(result['repaired']) or 'không'}).")
