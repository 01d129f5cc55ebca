"""`vpdt manage reseal_secrets`: re-seal every secret stored at rest under the current SECRET_KEY.

Changing the deployment secret: set the new VPDT_SECRET_KEY, put the old one in
VPDT_SECRET_KEY_FALLBACKS, run this command, then remove the fallback.
"""

from django.core.management.base import BaseCommand, CommandError

from vpdt.core.sealed import SealedError, reseal_all


class Command(BaseCommand):
    help = "Mã hóa lại mọi khóa bí mật đã lưu bằng SECRET_KEY hiện hành (sau khi đổi khóa)."

    def handle(self, *args, **options):
        try:
            done = reseal_all()
        except SealedError as exc:
            raise CommandError(
                "Có khóa bí mật không giải mã được bằng SECRET_KEY hay SECRET_KEY_FALLBACKS: "
                f"thêm khóa cũ vào VPDT_SECRET_KEY_FALLBACKS rồi chạy lại ({exc}).") from exc
        for field, count in done.items():
            self.stdout.write(f"{field}: {count}")
