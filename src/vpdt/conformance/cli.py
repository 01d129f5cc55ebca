"""`vpdt conformance`: check a hub (any vendor's) and write the report. No Django."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "conformance",
        help="kiểm tra tương thích một trục liên thông (VXP, QCVN 102): gửi nhận thử mọi loại gói tin, ghi biên bản",
        description="Kiểm tra một trục liên thông dùng API của Trục liên thông văn bản quốc gia (VXP) "
                    "bằng hai hệ thống kết nối vào trục: gửi nhận thử mọi loại nghiệp vụ và mọi trạng thái "
                    "theo cả hai chiều; ghi biên bản dạng JSON và HTML. Trả mã thoát 0 chỉ khi "
                    "mọi phép kiểm tra đều đạt.",
    )
    p.add_argument("--endpoint", required=True, metavar="URL",
                   help="địa chỉ endpoint của trục, đúng như cấu hình cho SDK của nhà cung cấp")
    p.add_argument("--sender", required=True, metavar="SYS:SECRET:CODE",
                   help="mã hệ thống, khóa bí mật và mã định danh cơ quan của hệ thống thứ nhất "
                        "(khóa bí mật dạng env:NAME được đọc từ biến môi trường NAME)")
    p.add_argument("--receiver", required=True, metavar="SYS:SECRET:CODE",
                   help="như trên, cho hệ thống thứ hai")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="thư mục ghi conformance.json và conformance.html "
                        "(mặc định: conformance-<thời điểm>)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="thời gian tối đa (giây) để một gói tin đến được bên nhận (mặc định 30)")
    p.add_argument("--poll", type=float, default=0.5, metavar="SECONDS",
                   help="thời gian chờ (giây) giữa hai lần hỏi trục (mặc định 0.5)")
    p.add_argument("--unknown-code", default="999.99.99.Z99", metavar="CODE",
                   help="mã định danh cơ quan không trục nào có, dùng để kiểm tra việc từ chối "
                        "(mặc định 999.99.99.Z99)")
    p.add_argument("--receiver-qd20", metavar="CODE",
                   help="mã của bên nhận theo QĐ 20/2020: kiểm tra thêm việc văn bản gửi tới mã này "
                        "đến được bên nhận")
    p.add_argument("--sdk-habits", action="store_true",
                   help="ký yêu cầu đúng như SDK chính thức (không có trường nonce, "
                        "giữ lại các trường của những lần gọi trước)")
    p.add_argument("--keep-packages", action="store_true",
                   help="lưu các gói tin đã gửi (gui-*) và đã nhận về (nhan-*) vào DIR/packages")
    p.add_argument("--verbose", "-v", action="store_true", help="in kết quả từng phép kiểm tra ngay khi xong")
    p.set_defaults(func=cmd_conformance)


def _party(text: str, role: str):
    from .packages import Party

    party = Party.parse(text, role)
    if party.secret.startswith("env:"):
        name = party.secret[4:]
        if name not in os.environ:
            raise ValueError(f"--{role}: environment variable {name} is not set")
        party = Party(party.system_id, os.environ[name], party.code, role)
    return party


def cmd_conformance(args) -> int:
    from .report import OUTCOME_VI, write_html, write_json
    from .suite import Suite

    try:
        sender, receiver = _party(args.sender, "sender"), _party(args.receiver, "receiver")
    except ValueError as exc:
        print(f"vpdt conformance: {exc}", file=sys.stderr)
        return 2
    if sender.code == receiver.code:
        print("vpdt conformance: --sender and --receiver need two different agency codes", file=sys.stderr)
        return 2
    out = Path(args.out or f"conformance-{dt.datetime.now():%Y%m%d-%H%M%S}")
    out.mkdir(parents=True, exist_ok=True)

    def progress(check):
        print(f"{OUTCOME_VI[check.outcome]:>20}  {check.id}  {check.got[:160]}", file=sys.stderr)

    suite = Suite(args.endpoint, sender, receiver, timeout=args.timeout, poll=args.poll,
                  unknown_code=args.unknown_code, sdk_habits=args.sdk_habits, receiver_qd20=args.receiver_qd20,
                  keep=out / "packages" if args.keep_packages else None,
                  progress=progress if args.verbose else None)
    report = suite.run()
    json_path = write_json(report, out / "conformance.json")
    html_path = write_html(report, out / "conformance.html")
    s = report.summary
    verdict = "ĐẠT" if report.ok else "KHÔNG ĐẠT"
    line = (f"vpdt conformance {args.endpoint}: {verdict}: {s['passed']}/{s['total']} kiểm tra đạt, "
            f"{s['failed']} không đạt, {s['skipped']} không kiểm tra được")
    if report.failed():
        line += "; không đạt: " + ", ".join(report.failed())
    print(line)
    print(f"biên bản: {html_path} {json_path}")
    return 0 if report.ok else 1
