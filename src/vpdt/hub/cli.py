"""`vpdt hub ...`: run a hub and operate its registry.

Every command takes `--database` (URL or SQLite path) and `--data-dir`, so an operator
acts on a given hub; without them the standalone defaults apply (./var/hub). With
`--embedded` they act on the hub of the e-office settings instead (vpdt.settings).
"""

from __future__ import annotations

import argparse
import os
import sys


def _setup(args) -> None:
    if getattr(args, "embedded", False):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpdt.settings")
    else:
        os.environ["DJANGO_SETTINGS_MODULE"] = "vpdt.hub.settings"
        if args.database:
            os.environ["VPDT_HUB_DATABASE"] = args.database
        if args.data_dir:
            os.environ["VPDT_HUB_DATA_DIR"] = args.data_dir
    from vpdt.cli import setup_django

    # every hub command reads or writes sealed secrets: none runs without the hub's own key
    setup_django(os.environ["DJANGO_SETTINGS_MODULE"], check=True)
    if not getattr(args, "no_migrate", False):
        from django.core.management import call_command

        call_command("migrate", "hub", database="hub", verbosity=0, interactive=False)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database",
                        help="địa chỉ URL cơ sở dữ liệu (postgres://...) hoặc tệp SQLite của trục này")
    parser.add_argument("--data-dir", help="thư mục chứa các tệp gói tin và khóa bí mật của trục")
    parser.add_argument("--embedded", action="store_true",
                        help="dùng cơ sở dữ liệu trục trong cấu hình của văn phòng điện tử")


def _waitress_options(args) -> dict:
    from vpdt.hub import services

    return {"threads": args.threads, "ident": "vpdt-hub", "channel_timeout": 300, "connection_limit": 1000,
            "max_request_body_size": services.max_package_bytes() + 1024, "_quiet": True}


def cmd_serve(args) -> int:
    _setup(args)
    import waitress
    from django.core.wsgi import get_wsgi_application

    from vpdt.core import serving, tasks
    from vpdt.hub import services

    services.store().ensure()
    services.store().clean_tmp(0)
    app = get_wsgi_application()
    print(f"vpdt hub: http://{args.host}:{args.port}/ (data {services.store().root}, "
          f"{args.workers} worker(s) x {args.threads} threads)", flush=True)
    start_consumer = None if args.no_forwarder else tasks.start_in_thread
    if args.workers > 1:
        # gunicorn runs the processes; the federation job runs in one of them.
        return serving.serve_processes(app, host=args.host, port=args.port, workers=args.workers,
                                       threads=args.threads, start_consumer=start_consumer,
                                       consumer_lock=services.store().root / "tasks.lock")
    serving.settle_heap()
    consumer = start_consumer() if start_consumer else None
    try:
        waitress.serve(app, host=args.host, port=args.port, **_waitress_options(args))
    finally:
        if consumer is not None:
            consumer.stop()
    return 0


def cmd_add_agency(args) -> int:
    _setup(args)
    from vpdt.hub import services
    from vpdt.vxp import protocol as vxp

    try:
        agency = services.add_agency(args.code, args.name, system_id=args.system_id, secret=args.secret,
                                     parent_code=args.parent or "", code_qd20=args.qd20_code)
    except vxp.VxpError as exc:
        print(f"Không đăng ký được: {exc.description()}", file=sys.stderr)
        return 1
    extra = f", mã QĐ 20/2020 {agency.code_qd20}" if agency.code_qd20 else ""
    print(f"Đã đăng ký đơn vị {agency.code} ({agency.name}{extra}) cho hệ thống {args.system_id}")
    return 0


def cmd_add_downstream(args) -> int:
    _setup(args)
    from vpdt.hub import services

    services.add_downstream(args.system_id, args.secret, args.codes, name=args.name or "")
    suffixes = ", ".join("*." + services.subtree_suffix(c) for c in args.codes)
    print(f"Đã đăng ký trục cấp dưới {args.system_id} phục vụ {suffixes}")
    return 0


def cmd_set_upstream(args) -> int:
    _setup(args)
    from vpdt.hub import services

    services.set_upstream(args.url, args.system_id, args.secret)
    print(f"Trục cấp trên: {args.url} (hệ thống {args.system_id})")
    return 0


def _refusal(exc) -> int:
    print(f"Từ chối: {exc.description()} ({exc.code})", file=sys.stderr)
    return 1


def cmd_grant_subtree(args) -> int:
    _setup(args)
    from vpdt.hub import services
    from vpdt.vxp.protocol import VxpError

    try:
        grant = services.grant_subtree(args.system_id, args.code)
    except VxpError as exc:
        return _refusal(exc)
    print(f"Hệ thống {args.system_id} được đăng ký/xóa đơn vị dưới {args.code} (mã *.{grant.suffix})")
    return 0


def cmd_revoke_subtree(args) -> int:
    _setup(args)
    from vpdt.hub import services

    if not services.revoke_subtree(args.system_id, args.code):
        print(f"Hệ thống {args.system_id} không có phạm vi {args.code}", file=sys.stderr)
        return 1
    print(f"Đã thu hồi phạm vi {args.code} của hệ thống {args.system_id} "
          "(các đơn vị đã đăng ký vẫn giữ: xóa bằng remove-agency)")
    return 0


def cmd_time_zone(args) -> int:
    _setup(args)
    from vpdt.hub import services
    from vpdt.vxp.protocol import VxpError

    try:
        services.set_time_zone(args.system_id, args.zone)
    except VxpError as exc:
        return _refusal(exc)
    print(f"Hệ thống {args.system_id}: tiêu đề timestamp đọc theo múi giờ {args.zone or 'mặc định của trục'}")
    return 0


def cmd_grants(args) -> int:
    _setup(args)
    from vpdt.hub import services

    for grant in services.grants():
        print(f"{grant.system.system_id}\t{grant.code}\t*.{grant.suffix}")
    return 0


def cmd_remove_agency(args) -> int:
    _setup(args)
    from vpdt.hub import services
    from vpdt.vxp.protocol import VxpError

    try:
        agency = services.remove_agency(args.code)
    except VxpError as exc:
        return _refusal(exc)
    print(f"Đã gỡ đơn vị {agency.code} ({agency.name}) khỏi trục")
    return 0


def cmd_refused(args) -> int:
    _setup(args)
    from django.utils import timezone

    from vpdt.hub import services

    for row in services.refused(args.system, args.limit):
        auth = "xác thực" if row.authenticated else "sai chữ ký"
        print(f"{timezone.localtime(row.at):%d/%m/%Y %H:%M:%S}\t{row.system_id}\t{auth}\t{row.operation}\t"
              f"{row.error_code}\t{row.remote_addr}\t{row.reason}")
    return 0


def cmd_verify_log(args) -> int:
    _setup(args)
    from vpdt.hub import services

    check = services.verify_log()
    if check.ok:
        print(f"Nhật ký toàn vẹn: {check.entries} bản ghi (message log OK: {check.entries} entries)")
        return 0
    print(f"NHẬT KÝ BỊ SỬA ĐỔI: {check.problem} (message log broken after {check.entries} good entries)",
          file=sys.stderr)
    return 1


def cmd_purge(args) -> int:
    _setup(args)
    from vpdt.hub import services

    count = services.purge_delivered(args.days)
    refused = services.purge_refused(args.days)
    services.prune_seen()
    print(f"Đã xóa nội dung {count} gói tin đã chuyển xong quá {args.days} ngày (nhật ký giữ nguyên) "
          f"và {refused} bản ghi yêu cầu bị từ chối")
    return 0


def cmd_rotate_secrets(args) -> int:
    _setup(args)
    from django.conf import settings

    from vpdt.core.sealed import SealedError, reseal_all, rotation_report

    env = getattr(settings, "VPDT_SECRET_KEY_ENV", "VPDT_HUB_SECRET_KEY")
    try:
        done = reseal_all()
    except SealedError as exc:
        print(f"Có khóa bí mật không giải mã được bằng {env} hay {env}_FALLBACKS, chưa đổi gì: thêm khóa cũ vào "
              f"{env}_FALLBACKS rồi chạy lại ({exc}).", file=sys.stderr)
        return 1
    for line in rotation_report(done, env):
        print(line)
    return 0


def cmd_migrate(args) -> int:
    _setup(args)
    print("Cơ sở dữ liệu của trục đã cập nhật (hub database migrated)")
    return 0


def add_parser(subparsers) -> None:
    hub = subparsers.add_parser("hub", help="trục liên thông (LGSP): vận hành trục, danh sách đơn vị, "
                                            "liên thông nhiều cấp, nhật ký gói tin")
    sub = hub.add_subparsers(dest="hub_command", metavar="HUB_COMMAND")
    hub.set_defaults(func=lambda args: (hub.print_help(), 2)[1])

    p = sub.add_parser("serve", help="chạy một trục liên thông (API VXP tại địa chỉ gốc) cùng bộ chuyển tiếp")
    _common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8100)
    p.add_argument("--threads", type=int, default=8, help="số luồng của mỗi tiến trình xử lý")
    p.add_argument("--workers", type=int, default=1,
                   help="số tiến trình của trục (dùng gunicorn khi nhiều hơn một); "
                        "khoảng một tiến trình cho mỗi lõi CPU")
    p.add_argument("--no-forwarder", action="store_true",
                   help="không đẩy gói tin lên và không kéo gói tin về từ trục cấp trên")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("add-agency", help="đăng ký một đơn vị do trục này phục vụ "
                                          "cùng thông tin xác thực của hệ thống của đơn vị")
    _common(p)
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--system-id", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--parent", help="mã định danh của đơn vị cấp trên")
    p.add_argument("--qd20-code", help="mã của đơn vị theo QĐ 20/2020/QĐ-TTg (Thông tư 01/2022); "
                                       "'' để xóa mã này")
    p.set_defaults(func=cmd_add_agency)

    p = sub.add_parser("add-downstream",
                       help="đăng ký một trục cấp dưới phục vụ nhánh đơn vị của mỗi mã CODE")
    _common(p)
    p.add_argument("codes", nargs="+", metavar="CODE")
    p.add_argument("--system-id", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--name")
    p.set_defaults(func=cmd_add_downstream)

    p = sub.add_parser("set-upstream", help="kết nối trục này với trục cấp trên")
    _common(p)
    p.add_argument("url")
    p.add_argument("--system-id", required=True)
    p.add_argument("--secret", required=True)
    p.set_defaults(func=cmd_set_upstream)

    p = sub.add_parser("grant-subtree", help="cho phép hệ thống SYSTEM đăng ký/gỡ qua VXP "
                                             "các đơn vị cấp dưới của CODE (không gồm chính CODE)")
    _common(p)
    p.add_argument("system_id", metavar="SYSTEM")
    p.add_argument("code", metavar="CODE")
    p.set_defaults(func=cmd_grant_subtree)

    p = sub.add_parser("revoke-subtree", help="thu hồi quyền đã cấp bằng grant-subtree")
    _common(p)
    p.add_argument("system_id", metavar="SYSTEM")
    p.add_argument("code", metavar="CODE")
    p.set_defaults(func=cmd_revoke_subtree)

    p = sub.add_parser("time-zone", help="múi giờ hệ thống SYSTEM dùng khi ghi tiêu đề "
                                         "XroadVnpt-timestamp (JVM chạy theo UTC thì đặt UTC)")
    _common(p)
    p.add_argument("system_id", metavar="SYSTEM")
    p.add_argument("zone", help='tên múi giờ IANA, ví dụ UTC; "" để dùng mặc định của trục '
                                 '(VPDT_HUB_CLIENT_TIME_ZONE)')
    p.set_defaults(func=cmd_time_zone)

    p = sub.add_parser("grants", help="liệt kê các nhánh đơn vị đã cấp quyền cho từng hệ thống")
    _common(p)
    p.set_defaults(func=cmd_grants)

    p = sub.add_parser("remove-agency", help="ngừng phục vụ một đơn vị (dành cho người vận hành)")
    _common(p)
    p.add_argument("code")
    p.set_defaults(func=cmd_remove_agency)

    p = sub.add_parser("refused",
                       help="các yêu cầu bị từ chối gần nhất của các hệ thống đã đăng ký, kèm lý do")
    _common(p)
    p.add_argument("--system", help="chỉ xem hệ thống có mã (system id) này")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_refused)

    p = sub.add_parser("verify-log", help="kiểm tra chuỗi băm của nhật ký gói tin")
    _common(p)
    p.set_defaults(func=cmd_verify_log)

    p = sub.add_parser("purge", help="xóa nội dung các gói tin đã chuyển xong quá DAYS ngày "
                                     "(giữ nguyên nhật ký)")
    _common(p)
    p.add_argument("--days", type=float, required=True)
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("rotate-secrets",
                       help="mã hóa lại các khóa bí mật đã lưu của các hệ thống bằng VPDT_HUB_SECRET_KEY mới "
                            "(khóa cũ đặt trong VPDT_HUB_SECRET_KEY_FALLBACKS)")
    _common(p)
    p.set_defaults(func=cmd_rotate_secrets)

    p = sub.add_parser("migrate", help="tạo mới hoặc cập nhật cơ sở dữ liệu của trục")
    _common(p)
    p.set_defaults(func=cmd_migrate)
