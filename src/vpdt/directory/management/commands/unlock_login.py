"""`vpdt manage unlock_login USERNAME...`: let a locked account sign in again at once."""

from django.core.management.base import BaseCommand, CommandError

from vpdt.directory import accounts
from vpdt.directory.models import User


class Command(BaseCommand):
    help = "Mở khóa đăng nhập cho tài khoản bị tạm khóa do đăng nhập sai nhiều lần."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+")

    def handle(self, *args, usernames, **options):
        for username in usernames:
            person = User.objects.filter(username__iexact=username).first()
            if person is None:
                raise CommandError(f"Không có tài khoản {username}.")
            count = accounts.unlock(None, person)
            self.stdout.write(f"{person.username}: đã mở khóa ({count} bản ghi đăng nhập sai được xóa).")
