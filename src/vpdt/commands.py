"""`vpdt serve`, `vpdt worker`, `vpdt demo` (load, reset, accounts, otp), `vpdt manage`, `vpdt audit`: running the e-office.

It sits above every app (it loads the demo, runs the jobs the apps registered), so it
lives at the top of the package beside cli.py, not in core.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from vpdt.cli import setup_django


def _role(code: str) -> str:
    """A role as a person reads it (Vietnamese), never its code."""
    from vpdt.core.labels import role_label

    return role_label(code)


def add_parser(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="chạy văn phòng điện tử (web, API, tác vụ nền và trục liên thông tỉnh)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--demo", action="store_true",
                       help="chế độ mẫu: nạp tỉnh mẫu nếu cơ sở dữ liệu còn trống, tự tạo khóa bí mật trong thư mục dữ liệu")
    serve.add_argument("--no-worker", action="store_true",
                       help="không chạy tác vụ nền trong tiến trình này (chạy `vpdt worker` riêng)")
    serve.add_argument("--threads", type=int, default=8, help="số luồng mỗi tiến trình")
    serve.add_argument("--workers", type=int, default=None,
                       help="số tiến trình phục vụ (gunicorn khi nhiều hơn 1), khoảng một tiến trình mỗi lõi "
                            "(mặc định 1; với --production: VPDT_WEB_WORKERS hoặc số lõi)")
    serve.add_argument("--production", action="store_true",
                       help="chạy thật: gunicorn (kể cả một tiến trình), tệp tĩnh qua whitenoise, không chạy tác vụ "
                            "nền (chạy `vpdt worker`) và không tự chuyển đổi cơ sở dữ liệu (chạy `vpdt migrate` trước); "
                            "xem docs/deploy.md")
    serve.add_argument("--migrate", action="store_true",
                       help="với --production: chuyển đổi cơ sở dữ liệu trước khi phục vụ (chỉ khi một tiến trình)")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="chuyển đổi cơ sở dữ liệu (văn phòng và trục nhúng) lên phiên bản mã "
                                             "hiện tại; chạy một lần trước khi khởi động các tiến trình phục vụ")
    migrate.set_defaults(func=cmd_migrate)

    worker = sub.add_parser("worker", help="chạy các tác vụ nền (gửi/nhận liên thông, nhắc hạn) trên hàng đợi Huey")
    worker.add_argument("--once", action="store_true", help="chạy mỗi tác vụ một lần rồi thoát")
    worker.add_argument("--threads", type=int, default=None, help="số luồng chạy tác vụ (mặc định VPDT_TASK_WORKERS)")
    worker.set_defaults(func=cmd_worker)

    demo = sub.add_parser("demo", help="tỉnh mẫu: nạp dữ liệu, in tài khoản")
    demo_sub = demo.add_subparsers(dest="demo_command", metavar="ACTION")
    load = demo_sub.add_parser("load", help="nạp tỉnh mẫu (bỏ qua nếu đã có)")
    load.add_argument("--force", action="store_true", help="nạp dù đã có dữ liệu")
    load.set_defaults(func=cmd_demo_load)
    accounts = demo_sub.add_parser("accounts", help="in danh sách tài khoản mẫu")
    accounts.add_argument("--json", action="store_true", help="in dạng JSON")
    accounts.set_defaults(func=cmd_demo_accounts)
    reset = demo_sub.add_parser("reset", help="đặt lại bản đào tạo của tỉnh mẫu về lúc vừa nạp (chỉ khi VPDT_DEMO=1 "
                                              "và thư mục dữ liệu là của tỉnh mẫu)")
    reset.add_argument("--reload", action="store_true", help="nạp lại từ đầu thay vì khôi phục bản chụp")
    reset.set_defaults(func=cmd_demo_reset)
    otp = demo_sub.add_parser("otp", help="in mã xác thực hai bước hiện tại của tài khoản mẫu (lãnh đạo, quản trị)")
    otp.set_defaults(func=cmd_demo_otp)
    demo.set_defaults(func=cmd_demo_load, force=False)

    audit = sub.add_parser("audit", help="nhật ký hệ thống: kiểm tra chuỗi mã băm, neo đầu chuỗi")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    verify = audit_sub.add_parser("verify", help="kiểm tra toàn bộ nhật ký (chuỗi mã băm và các mốc neo); "
                                                 "mã thoát 0 nếu nguyên vẹn, 1 và mục hỏng đầu tiên nếu không")
    verify.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    verify.set_defaults(func=cmd_audit_verify)
    anchor = audit_sub.add_parser("anchor", help="neo đầu chuỗi ngay (tệp có chữ ký, sổ nhật ký của trục)")
    anchor.set_defaults(func=cmd_audit_anchor)
    audit.set_defaults(func=cmd_audit_verify, json=False)
    rotate = sub.add_parser("rotate-secrets",
                            help="mã hóa lại mọi khóa bí mật đã lưu bằng VPDT_SECRET_KEY mới (khóa cũ trong "
                                 "VPDT_SECRET_KEY_FALLBACKS)")
    rotate.set_defaults(func=cmd_rotate_secrets)

    manage = sub.add_parser("manage", help="lệnh quản trị Django (migrate, createsuperuser, …)")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)


def migrate_all(verbosity: int = 0) -> None:
    from django.conf import settings
    from django.core.management import call_command

    for alias in settings.DATABASES:
        call_command("migrate", database=alias, interactive=False, verbosity=verbosity)


def cmd_manage(args) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["vpdt manage", *args.args])
    return 0


def cmd_rotate_secrets(args) -> int:
    setup_django(check=True)
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("rotate_secrets", skip_checks=True)
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_demo_load(args) -> int:
    os.environ["VPDT_DEMO"] = "1"  # the demo's own key (vpdt.core.secret_keys), as `vpdt serve --demo`
    setup_django(check=True)
    migrate_all()
    _load_demo(force=getattr(args, "force", False), progress=print)
    return 0


def _load_demo(*, force: bool = False, progress=print) -> None:
    """Load the demo province (when empty, or forced); a fresh load marks the data directory as
    a training copy and keeps the snapshot `vpdt demo reset` restores (vpdt.demo.training)."""
    from vpdt.demo import training
    from vpdt.demo.loader import load_demo
    from vpdt.directory.models import Agency

    fresh = force or not Agency.objects.exists()
    load_demo(force=force, progress=progress)
    if fresh:
        training.after_load(progress)


def cmd_demo_reset(args) -> int:
    from vpdt.demo import training

    try:
        training.check_environment()  # before Django: a production instance is refused, not half-started
        setup_django(check=True)
        training.check_training_instance()
    except training.NotATrainingInstance as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        done = training.reset(progress=lambda msg: print(msg, flush=True), reload=args.reload)
    except training.ResetRefused as exc:  # another reset of this instance is running
        print(exc, file=sys.stderr)
        return 1
    how = "khôi phục bản chụp" if done.how == "snapshot" else "nạp lại từ đầu"
    print(f"{done.summary} Đặt lại xong trong {done.seconds:.1f} giây ({how}).")
    return 0


def cmd_demo_accounts(args) -> int:
    setup_django()
    from vpdt.demo.loader import demo_accounts

    accounts = demo_accounts()
    if args.json:
        print(json.dumps(accounts, ensure_ascii=False, indent=2))
    else:
        for a in accounts:
            print(f"{a['username']:<28} {a['password']:<12} {_role(a['role']):<22} {a['agency_code']}  {a['agency_name']}")
    return 0


def _otp_banner() -> list[str]:
    from vpdt.demo.loader import demo_code
    from vpdt.demo.province import TOTP_SECRET

    secret = " ".join(TOTP_SECRET[i:i + 4] for i in range(0, len(TOTP_SECRET), 4))
    return ["", "Xác thực hai bước: lãnh đạo và quản trị (kể cả admin) được hỏi mã sau mật khẩu.",
            f"  Khóa bí mật TOTP chung của tỉnh mẫu: {secret}",
            "  Thêm khóa này vào ứng dụng xác thực (FreeOTP, Aegis, Google Authenticator…),",
            f"  hoặc lấy mã hiện tại bằng lệnh: vpdt demo otp (mã lúc khởi động: {demo_code()}, đổi sau 30 giây).",
            "  Người ký số cũng nhập mã này khi duyệt ký (khóa ký mẫu mở theo từng lần ký)."]


def cmd_demo_otp(args) -> int:
    import time

    setup_django()
    from vpdt.demo.loader import demo_code

    print(f"{demo_code()}  (mã xác thực hai bước của tài khoản mẫu, còn {30 - int(time.time()) % 30} giây)")
    return 0


def clean_spools() -> dict[str, int]:
    """At start: remove temporary files left by interrupted work (exchange, blob and hub spools),
    older than VPDT_SPOOL_GRACE_SECONDS so that work running in another process keeps its own."""
    from django.conf import settings

    done = {"files": 0, "bytes": 0}
    if "vpdt.exchange" in settings.INSTALLED_APPS:
        from vpdt.exchange import spool

        done = spool.clean_at_start()
    if "vpdt.hub" in settings.INSTALLED_APPS:
        from vpdt.hub import services as hub

        grace = max(settings.VPDT_SPOOL_GRACE_SECONDS, settings.EXCHANGE_LEASE_SECONDS)
        done["files"] += hub.store().clean_tmp(grace)
    return done
def cmd_audit_verify(args) -> int:
    setup_django()
    from dataclasses import asdict

    from vpdt.core import audit

    check = audit.verify()
    if args.json:
        print(json.dumps(asdict(check), ensure_ascii=False, indent=2))
        return 0 if check.ok else 1
    for note in check.notes:
        print(f"Lưu ý: {note}")
    if check.ok:
        print(f"Nhật ký nguyên vẹn: {check.entries} mục trong chuỗi (đến số {check.head_seq}, "
              f"mã băm {check.head_hash[:16]}…), {check.legacy} mục trước chuỗi, {check.anchors} mốc neo khớp; "
              f"kiểm tra trong {check.seconds:.1f} giây.")
        return 0
    p = check.problem
    print(f"NHẬT KÝ BỊ SỬA ĐỔI ({p.kind}): {p.message}")
    if p.entry_id is not None:
        print(f"  Mục: số {p.seq}, id {p.entry_id}, lúc {p.at}, người thực hiện {p.actor}, hành động {p.action}")
    print(f"  Đã kiểm tra {check.entries} mục nguyên vẹn trước đó.")
    return 1


def cmd_audit_anchor(args) -> int:
    setup_django()
    from vpdt.core import audit

    done = audit.anchor(force=True)
    print(f"Đã neo đầu chuỗi: mục số {done.seq}, mã băm {done.hash[:16]}…" if done else "Nhật ký còn trống.")
    return 0


def cmd_worker(args) -> int:
    setup_django(check=True)
    from django.conf import settings

    from vpdt.core import tasks

    clean_spools()

    if args.once:
        print(json.dumps(tasks.run_once(), ensure_ascii=False, default=str))
        return 0
    print(f"vpdt worker: {len(tasks.jobs())} tác vụ: {', '.join(j.name for j in tasks.jobs())} "
          f"(hàng đợi {settings.VPDT_TASKS})", flush=True)
    from vpdt.core import serving

    serving.settle_heap()
    tasks.run_consumer(args.threads)
    return 0


def cmd_migrate(args) -> int:
    setup_django(check=True)
    migrate_all(verbosity=1)
    return 0


def unapplied_migrations() -> list[str]:
    """The migrations not yet applied, per database alias (`app.name`), empty when up to date."""
    from django.conf import settings
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    missing = []
    for alias in settings.DATABASES:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        missing += [f"{alias}:{migration.app_label}.{migration.name}" for migration, _ in plan]
    return missing


def web_workers(args) -> int:
    """How many web processes: --workers, else VPDT_WEB_WORKERS, else one per core in production."""
    if args.workers:
        return args.workers
    if args.production:
        return int(os.environ.get("VPDT_WEB_WORKERS") or os.cpu_count() or 1)
    return 1


def cmd_serve(args) -> int:
    os.environ.setdefault("VPDT_SERVE", "1")
    if args.production:
        return serve_production(args)
    if args.demo:
        os.environ["VPDT_DEMO"] = "1"  # a random key kept in the data dir (vpdt.core.secret_keys)
    setup_django(check=True)
    from django.conf import settings

    settings.ALLOWED_HOSTS.extend([args.host, f"{args.host}:{args.port}"])
    if not os.environ.get("VPDT_SITE_URL"):
        settings.VPDT_SITE_URL = f"http://{args.host}:{args.port}"
    print("Đang chuẩn bị cơ sở dữ liệu…", flush=True)
    migrate_all()
    clean_spools()
    if args.demo:
        from vpdt.demo.loader import demo_accounts

        _load_demo(progress=lambda msg: print(msg, flush=True))
    address = f"http://{args.host}:{args.port}"
    print("", flush=True)
    print(f"vpdt đang chạy tại {address}", flush=True)
    print(f"  API: {address}/api/ (tài liệu OpenAPI: {address}/api/docs, {address}/api/openapi.json)")
    if "vpdt.hub" in settings.INSTALLED_APPS:
        print(f"  Trục liên thông (hub) tỉnh: {address}/hub")
    if args.demo:
        print("\nTài khoản mẫu (mật khẩu chung bên dưới):")
        for a in demo_accounts():
            print(f"  {a['username']:<26} {a['password']:<10} {_role(a['role']):<22} {a['agency_name']}")
        for line in _otp_banner():
            print(line)
    if args.demo and "vpdt.exchange" in settings.INSTALLED_APPS and "vpdt.hub" in settings.INSTALLED_APPS:
        from vpdt.demo.interconnection import banner

        for line in banner():
            print(line)
    sys.stdout.flush()

    from vpdt.core import serving, tasks
    from vpdt.wsgi import application

    start_consumer = None if args.no_worker else tasks.start_in_thread
    workers = web_workers(args)
    if workers > 1:
        # gunicorn runs the processes; the job consumer runs in one of them.
        return serving.serve_processes(application, host=args.host, port=args.port, workers=workers,
                                       threads=args.threads, start_consumer=start_consumer,
                                       consumer_lock=settings.DATA_DIR / "tasks.lock")
    # One process (the embedded default): waitress, the consumer in a thread beside it.
    from waitress import serve

    serving.settle_heap()
    consumer = start_consumer() if start_consumer else None
    try:
        serve(application, host=args.host, port=args.port, threads=args.threads, ident="vpdt",
              max_request_body_size=serving.request_limit_bytes(), channel_timeout=300)
    finally:
        if consumer is not None:
            consumer.stop()
    return 0


def serve_production(args) -> int:
    """The e-office's web processes only: gunicorn with `workers` processes x `threads` threads,
    static files from whitenoise (in the same processes, compressed and cached), no job consumer
    (`vpdt worker` runs the jobs), no hub (`vpdt hub serve`), no demo, no migration unless asked.
    Each process's command is in docs/deploy.md."""
    if args.demo:
        print("--production không dùng với --demo (tỉnh mẫu chỉ để thử).", file=sys.stderr)
        return 2
    setup_django(check=True)
    from django.conf import settings

    workers = web_workers(args)
    if args.migrate:
        migrate_all()
    missing = unapplied_migrations()
    if missing:
        print(f"Cơ sở dữ liệu chưa được chuyển đổi ({len(missing)} bước, ví dụ {missing[0]}): "
              "chạy `vpdt migrate` một lần trước khi khởi động các tiến trình phục vụ.", file=sys.stderr)
        return 1
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and workers > 1:
        print("Lưu ý: SQLite phục vụ nhiều tiến trình nhưng mọi lần ghi xếp hàng một; "
              "bản chạy thật dùng PostgreSQL (VPDT_DATABASE_URL).", file=sys.stderr, flush=True)
    settings.ALLOWED_HOSTS.extend([args.host, f"{args.host}:{args.port}"])
    if not os.environ.get("VPDT_SITE_URL"):
        settings.VPDT_SITE_URL = f"http://{args.host}:{args.port}"
    from vpdt.core import serving
    from vpdt.wsgi import application

    print(f"vpdt (production) tại http://{args.host}:{args.port}: {workers} tiến trình x {args.threads} luồng "
          f"(gunicorn), cơ sở dữ liệu {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
          f"kho tệp {serving.blob_backend_name()}, hàng đợi {settings.VPDT_TASKS}; "
          "tác vụ nền: `vpdt worker`, trục: `vpdt hub serve`", flush=True)
    return serving.serve_processes(application, host=args.host, port=args.port, workers=workers,
                                   threads=args.threads, start_consumer=None, consumer_lock=None,
                                   timeout=int(os.environ.get("VPDT_WEB_TIMEOUT_SECONDS", "300")))
