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
        description="Check a hub that speaks the national axis API (VXP) with two of its systems: every business "
                    "type and every status in both directions; writes a JSON and an HTML report. Exit 0 only when "
                    "every check passed.",
    )
    p.add_argument("--endpoint", required=True, metavar="URL", help="the hub's endpoint, as a vendor's SDK gets it")
    p.add_argument("--sender", required=True, metavar="SYS:SECRET:CODE",
                   help="system id, secret and agency code of the first system (a secret of the form env:NAME is "
                        "read from the environment variable NAME)")
    p.add_argument("--receiver", required=True, metavar="SYS:SECRET:CODE", help="the same for the second system")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="directory for conformance.json and conformance.html (default: conformance-<time>)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="how long a package may take to reach its receiver (default 30)")
    p.add_argument("--poll", type=float, default=0.5, metavar="SECONDS", help="pause between two looks (default 0.5)")
    p.add_argument("--unknown-code", default="999.99.99.Z99", metavar="CODE",
                   help="an agency code no hub has, for the refusal check (default 999.99.99.Z99)")
    p.add_argument("--receiver-qd20", metavar="CODE",
                   help="the receiver's code in the QĐ 20/2020 scheme: also check that a document addressed by it "
                        "reaches the receiver")
    p.add_argument("--sdk-habits", action="store_true",
                   help="sign requests exactly as the official SDK does (no nonce key, keys of earlier calls kept)")
    p.add_argument("--keep-packages", action="store_true",
                   help="keep the packages sent (gui-*) and received back (nhan-*) in DIR/packages")
    p.add_argument("--verbose", "-v", action="store_true", help="print each check as it ends")
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
