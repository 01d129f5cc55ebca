"""`vpdt manage refresh_report_facts [--from YYYY-MM-DD --to YYYY-MM-DD] [--agency CODE]`:
rebuild the usage facts of a period from the records (default: bring them up to date from the
watermark, as the job does every ten minutes)."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from vpdt.directory.models import Agency
from vpdt.reports import facts


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Ngày không hợp lệ: {value!r} (định dạng YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Tính lại số liệu thống kê sử dụng của một kỳ (mặc định: cập nhật từ lần tính trước)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="ngày đầu kỳ, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="ngày cuối kỳ, YYYY-MM-DD (mặc định: hôm nay)")
        parser.add_argument("--agency", help="chỉ tính cho cơ quan có mã định danh này")

    def handle(self, *args, date_from=None, date_to=None, agency=None, **options):
        started = time.perf_counter()
        if date_from is None and date_to is None and agency is None:
            days = facts.refresh()
            self.stdout.write(f"Đã cập nhật số liệu của {days} ngày ({time.perf_counter() - started:.1f} s).")
            return
        if date_from is None:
            raise CommandError("Cần --from (ngày đầu kỳ).")
        first = _date(date_from)
        last = _date(date_to) if date_to else dt.date.today()
        if last < first:
            raise CommandError("--to phải sau hoặc bằng --from.")
        agency_ids = None
        if agency:
            found = Agency.objects.filter(code=agency).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"Không có cơ quan mã {agency}.")
            agency_ids = [found]
        rows = facts.rebuild_period(first, last, agency_ids)
        self.stdout.write(f"Đã tính lại {rows} dòng số liệu từ {first:%d/%m/%Y} đến {last:%d/%m/%Y} "
                          f"({time.perf_counter() - started:.1f} s).")
