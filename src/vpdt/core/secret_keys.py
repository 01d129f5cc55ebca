"""The deployment's own secret key: where it comes from, and the check that refuses to run without it.

SECRET_KEY signs sessions and CSRF tokens and, through vpdt.core.sealed, encrypts every secret
kept at rest (hub system secrets, agencies' hub secrets, PKCS#12 signing keys and their
passwords). A key printed in the source would let anyone holding a copy of the database open
them, so there is no default key: a deployment sets its own, from

1. the environment variable itself (VPDT_SECRET_KEY, the hub's VPDT_HUB_SECRET_KEY), or
2. a file named by <that variable>_FILE (a secret mounted by the orchestrator, mode 0600), or
3. in demo mode only (VPDT_DEMO=1, which `vpdt serve --demo` sets): a random key made once
   and kept in the data dir (mode 0600), so sessions and sealed secrets survive a restart.

Otherwise SECRET_KEY stays empty (Django refuses to use an empty key) and the system check
below (vpdt.E001) stops `vpdt serve`, `vpdt worker`, `vpdt hub ...` and `manage.py` commands
with a message that says how to set one. Settings modules call `load`; they import nothing
of Django here.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# The key the source used to carry as its default. Data made with it (an old demo's var/) still
# opens in demo mode, where it is a fallback; anywhere else it is refused as SECRET_KEY.
LEGACY_PUBLIC_KEY = "vpdt-demo-insecure-key-change-me-in-production-0123456789"
MIN_LENGTH = 32
FILE_NAME = "secret.key"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def demo_mode() -> bool:
    """VPDT_DEMO=1: the demo (`make run`, `vpdt serve --demo`)."""
    return _truthy(os.environ.get("VPDT_DEMO"))


def read_or_create(path: Path) -> str:
    """The key kept in `path`, made (random, 0600) the first time."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text(encoding="utf-8").strip()


def load(env: str, data_dir: Path, *, demo: bool | None = None) -> tuple[str, str]:
    """(key, source) for a settings module; source is "env", "file", "demo" or "missing"."""
    if os.environ.get(env, "").strip():
        return os.environ[env].strip(), "env"
    key_file = os.environ.get(f"{env}_FILE", "").strip()
    if key_file:
        try:
            return Path(key_file).read_text(encoding="utf-8").strip(), "file"
        except OSError as exc:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"Không đọc được tệp khóa bí mật {env}_FILE={key_file} ({exc.strerror}). "
                                       f"Cannot read the secret key file.") from None
    if demo_mode() if demo is None else demo:
        return read_or_create(data_dir / FILE_NAME), "demo"
    return "", "missing"


def fallbacks(env: str) -> list[str]:
    """Former keys (comma-separated in <env>_FALLBACKS), accepted for opening only."""
    return [k.strip() for k in os.environ.get(f"{env}_FALLBACKS", "").split(",") if k.strip()]


def problems() -> list:
    """The system check's findings (Error vpdt.E001/E002, Warning vpdt.W001/W002)."""
    from django.conf import settings
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    env = getattr(settings, "VPDT_SECRET_KEY_ENV", "VPDT_SECRET_KEY")
    how = (f"Đặt biến môi trường {env} (một chuỗi ngẫu nhiên dài, ví dụ: python -c \"import secrets; "
           f"print(secrets.token_urlsafe(48))\") hoặc {env}_FILE (đường dẫn tệp chứa khóa, quyền 0600); "
           "chạy thử thì dùng chế độ mẫu (`vpdt serve --demo`, VPDT_DEMO=1). "
           f"Set {env} or {env}_FILE; demo mode makes its own key.")
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:
        key = ""
    if not key:
        data_dir = getattr(settings, "HUB_DATA_DIR", None) or getattr(settings, "DATA_DIR", None)
        if data_dir and (Path(data_dir) / FILE_NAME).exists():
            how += (f" Khóa tạo trước đây còn ở {Path(data_dir) / FILE_NAME}: chuyển nó ra khỏi thư mục dữ liệu "
                    f"và đặt {env}_FILE trỏ tới nó. A key made before is in the data dir: point {env}_FILE at it.")
        return [checks.Error("Chưa có khóa bí mật (SECRET_KEY) riêng của hệ thống: không khởi động ngoài "
                             "chế độ mẫu. No secret key of this deployment.", hint=how, id="vpdt.E001")]
    found = []
    if key == LEGACY_PUBLIC_KEY:
        found.append(checks.Error("Khóa bí mật đang dùng là khóa mẫu công khai trong mã nguồn: ai có bản sao "
                                  "cơ sở dữ liệu cũng giải mã được. The secret key is the public demo key.",
                                  hint=f"{how} Giữ khóa cũ trong {env}_FALLBACKS rồi chạy `vpdt rotate-secrets`.",
                                  id="vpdt.E002"))
    elif len(key) < MIN_LENGTH:
        found.append(checks.Warning(f"Khóa bí mật ngắn hơn {MIN_LENGTH} ký tự. The secret key is short.",
                                    hint=how, id="vpdt.W001"))
    if LEGACY_PUBLIC_KEY in getattr(settings, "SECRET_KEY_FALLBACKS", []) and \
            getattr(settings, "VPDT_SECRET_KEY_SOURCE", "") != "demo":
        found.append(checks.Warning(
            "Khóa mẫu công khai còn trong danh sách khóa cũ: chạy `vpdt rotate-secrets` rồi bỏ nó khỏi "
            f"{env}_FALLBACKS. The public demo key is still a fallback.", id="vpdt.W002"))
    return found


def check_secret_key(app_configs=None, **kwargs) -> list:
    return problems()


def require() -> None:
    """Raise ImproperlyConfigured when the check finds an error (the WSGI entry point runs no checks)."""
    from django.core.exceptions import ImproperlyConfigured

    errors = [p for p in problems() if p.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(f"{p.id}: {p.msg} {p.hint or ''}" for p in errors))
