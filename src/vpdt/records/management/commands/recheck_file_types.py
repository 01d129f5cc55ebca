"""`vpdt manage recheck_file_types`: decide by their bytes the type of files stored before
files were judged at upload (they are served as downloads until then)."""

from django.core.management.base import BaseCommand

from vpdt.records import services


class Command(BaseCommand):
    help = "Xác định loại tệp (theo nội dung) cho các tệp lưu trước khi có kiểm tra tệp."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="dừng sau chừng này tệp (chạy lại để tiếp tục)")

    def handle(self, *args, limit=None, **options):
        counts = services.recheck_stored_types(limit=limit)
        self.stdout.write(f"Đã xác định loại {counts['checked']} tệp; {counts['flagged']} tệp bị gắn cờ "
                          "(chỉ tải về, không mở trong trình xem).")
