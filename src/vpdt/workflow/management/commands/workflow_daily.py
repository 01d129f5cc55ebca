"""`vpdt manage workflow_daily [--date YYYY-MM-DD]`: reminders, leaders' digest, e-mails, now."""

import datetime as dt
import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Nhắc hạn xử lý, gửi bản tổng hợp hằng ngày cho lãnh đạo và gửi thư thông báo."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="ngày (YYYY-MM-DD), mặc định hôm nay")

    def handle(self, *args, **options):
        from vpdt.workflow.notifications import run_daily

        day = dt.date.fromisoformat(options["date"]) if options.get("date") else None
        self.stdout.write(json.dumps(run_daily(day), ensure_ascii=False))
