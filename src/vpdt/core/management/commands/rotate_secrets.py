"""`vpdt rotate-secrets` (also `vpdt manage rotate_secrets`): re-seal every secret stored at rest
(hub system and upstream secrets, agencies' hub secrets, signing keys' PKCS#12 files, passwords
and API keys: every column declared with vpdt.core.sealed.register) under the current SECRET_KEY.

Changing the deployment's key: set the new VPDT_SECRET_KEY, put the old one in
VPDT_SECRET_KEY_FALLBACKS, run this command, then remove the fallback. Running it again does
nothing more (values already under the current key are left alone). The standalone hub has
its own: `vpdt hub rotate-secrets` (VPDT_HUB_SECRET_KEY, VPDT_HUB_SECRET_KEY_FALLBACKS).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vpdt.core.sealed import SealedError, reseal_all, rotation_report


def rotate(write) -> None:
    """Re-seal and `write` each line of the report; CommandError if a value opens under no key."""
    env = getattr(settings, "VPDT_SECRET_KEY_ENV", "VPDT_SECRET_KEY")
    try:
        done = reseal_all()
    except SealedError as exc:
        raise CommandError(
            f"Có khóa bí mật không giải mã được bằng {env} hay {env}_FALLBACKS, chưa đổi gì: thêm khóa cũ vào "
            f"{env}_FALLBACKS rồi chạy lại. A secret opens under no key; nothing changed ({exc}).") from exc
    for line in rotation_report(done, env):
        write(line)


class Command(BaseCommand):
    help = "Mã hóa lại mọi khóa bí mật đã lưu bằng SECRET_KEY hiện hành (sau khi đổi khóa, khóa cũ trong *_FALLBACKS)."

    def handle(self, *args, **options):
        rotate(self.stdout.write)
