"""`vpdt edxml ...`: validate, show, extract, build and status from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from .errors import EdxmlError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("edxml", help="gói tin edXML (QCVN 102:2016): kiểm tra, xem, tách, tạo")
    sub = p.add_subparsers(dest="edxml_command", metavar="SUBCOMMAND", required=True)

    v = sub.add_parser("validate", help="kiểm tra gói tin; trả mã thoát 1 nếu có gói không hợp lệ")
    v.add_argument("--strict", action="store_true",
                   help="coi là lỗi mọi mã định danh cơ quan "
                        "không theo QCVN 102 mà cũng không theo QĐ 20/2020")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("show", help="in gói tin thành một đối tượng JSON")
    s.add_argument("--strict", action="store_true")
    s.add_argument("file", metavar="FILE")
    s.set_defaults(func=cmd_show)

    x = sub.add_parser("extract", help="ghi các tệp đính kèm vào thư mục DIR (giải nén nếu đã nén zip)")
    x.add_argument("file", metavar="FILE")
    x.add_argument("directory", metavar="DIR")
    x.set_defaults(func=cmd_extract)

    b = sub.add_parser("build", help="tạo gói tin văn bản từ tệp mô tả JSON và các tệp đính kèm")
    b.add_argument("spec", metavar="SPEC.json",
                   help="các trường tiêu đề, cùng tên khóa như lệnh `show` in ra")
    b.add_argument("--attach", nargs="*", default=[], metavar="FILE")
    b.add_argument("--zip", action="store_true",
                   help="nén zip từng tệp đính kèm trước (như thư viện chính thức)")
    _signing_args(b)
    b.add_argument("-o", "--output", required=True, metavar="OUT.edxml")
    b.set_defaults(func=cmd_build)

    st = sub.add_parser("status", help="tạo gói tin trạng thái (01-06, 13, 15, 16, ...)")
    st.add_argument("--from", dest="from_id", required=True, metavar="ORGAN_ID",
                    help="cơ quan báo trạng thái")
    st.add_argument("--from-name", metavar="NAME")
    st.add_argument("--to", action="append", default=[], metavar="ORGAN_ID",
                    help="cơ quan nhận (có thể lặp lại)")
    st.add_argument("--document-id", required=True, help="DocumentId của văn bản được báo trạng thái")
    st.add_argument("--response-organ-id",
                    help="OrganId của cơ quan gửi văn bản (mặc định: lấy từ DocumentId)")
    st.add_argument("--response-code", help="số, ký hiệu của văn bản (mặc định: lấy từ DocumentId)")
    st.add_argument("--response-date", help="ngày ban hành yyyy/MM/dd (mặc định: lấy từ DocumentId)")
    st.add_argument("--code", required=True, help="StatusCode, gồm hai chữ số")
    st.add_argument("--description", help="mặc định: tên của trạng thái (Đã tiếp nhận, Đang xử lý, ...)")
    st.add_argument("--timestamp", help="yyyy/MM/dd HH:mm:ss (mặc định: thời điểm hiện tại)")
    st.add_argument("--staff-department")
    st.add_argument("--staff")
    st.add_argument("--staff-email")
    st.add_argument("--staff-mobile")
    _signing_args(st)
    st.add_argument("-o", "--output", required=True, metavar="OUT.edxml")
    st.set_defaults(func=cmd_status)


def _signing_args(p) -> None:
    p.add_argument("--sign-key", metavar="KEY.pem", help="khóa bí mật (PEM) để ký số phần tiêu đề")
    p.add_argument("--sign-cert", metavar="CERT.pem", help="chứng thư số (PEM) của khóa đó")


def _signer(args):
    from .signature import XmlSigner

    if bool(args.sign_key) != bool(args.sign_cert):
        raise SystemExit("--sign-key và --sign-cert phải dùng cùng nhau")
    return XmlSigner.from_files(args.sign_key, args.sign_cert) if args.sign_key else None


def _error_line(name: str, exc: EdxmlError) -> str:
    where = f" ({exc.path})" if exc.path else ""
    return f"{name}: {exc.code}: {exc.message}{where}"


def cmd_validate(args) -> int:
    from .reader import read_package

    bad = 0
    for name in args.files:
        try:
            pkg = read_package(name, strict=args.strict)
        except EdxmlError as exc:
            bad += 1
            print(_error_line(name, exc))
            if exc.detail:
                print(f"{name}: detail: {exc.detail}", file=sys.stderr)
            continue
        for w in pkg.warnings:
            print(f"{name}: warning: {w}", file=sys.stderr)
        print(f"{name}: OK ({pkg.kind})", file=sys.stderr)
    return 1 if bad else 0


def cmd_show(args) -> int:
    from .reader import read_package
    from .show import show_dict

    try:
        pkg = read_package(args.file, strict=args.strict)
    except EdxmlError as exc:
        print(_error_line(args.file, exc), file=sys.stderr)
        return 1
    json.dump(show_dict(pkg), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def cmd_extract(args) -> int:
    from .extract import extract_package

    try:
        _, paths = extract_package(args.file, args.directory)
    except EdxmlError as exc:
        print(_error_line(args.file, exc), file=sys.stderr)
        return 1
    for p in paths:
        print(p)
    return 0


def cmd_build(args) -> int:
    from .model import AttachmentSource
    from .spec import SpecError, header_from_spec
    from .writer import write_package

    try:
        spec = json.loads(Path(args.spec).read_text(encoding="utf-8"))
        header, business = header_from_spec(spec)
    except (OSError, ValueError, SpecError) as exc:
        print(f"{args.spec}: {exc}", file=sys.stderr)
        return 2
    attachments = [AttachmentSource(name=Path(f).name, data=f) for f in args.attach]
    write_package(args.output, header, attachments, zip_attachments=args.zip, signer=_signer(args), business=business)
    print(args.output)
    return 0


def cmd_status(args) -> int:
    from .header_xml import parse_datetime
    from .model import STATUS_NAMES, Organization, ResponseFor, StaffInfo, StatusPackage
    from .writer import write_status

    parts = args.document_id.split(",", 2)
    try:
        rdate = args.response_date or (parts[1] if len(parts) == 3 else None)
        rdate = parse_datetime(rdate).date() if rdate else None
        ts = parse_datetime(args.timestamp) if args.timestamp else dt.datetime.now().replace(microsecond=0)
    except ValueError as exc:
        print(f"bad date: {exc}", file=sys.stderr)
        return 2
    if len(args.code) != 2 or not args.code.isdigit():
        print("--code phải là hai chữ số (01-06, 13, 15, 16, ...)", file=sys.stderr)
        return 2
    staff = None
    if any([args.staff_department, args.staff, args.staff_email, args.staff_mobile]):
        staff = StaffInfo(department=args.staff_department, staff=args.staff, email=args.staff_email, mobile=args.staff_mobile)
    status = StatusPackage(
        from_=Organization(organ_id=args.from_id, organ_name=args.from_name),
        to=[Organization(organ_id=t) for t in args.to],
        status_code=args.code,
        response_for=[
            ResponseFor(
                organ_id=args.response_organ_id or (parts[0] if len(parts) == 3 else None),
                code=args.response_code or (parts[2] if len(parts) == 3 else None),
                document_id=args.document_id,
                promulgation_date=rdate,
            )
        ],
        staff=staff,
        # never empty: the status's own name when no --description is given
        description=args.description or STATUS_NAMES.get(args.code) or f"Trạng thái {args.code}",
        timestamp=ts,
    )
    write_status(args.output, status, signer=_signer(args))
    print(args.output)
    return 0


def main(argv=None) -> int:
    """`python -m vpdt.edxml.cli ...` without the rest of vpdt."""
    parser = argparse.ArgumentParser(prog="vpdt")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
