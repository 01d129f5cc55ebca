"""`vpdt pdf sign|verify` and `vpdt pki demo-ca`: signatures from the command line, no Django.

`verify` prints one JSON object and exits 0 only when the PDF has at least one signature and
every signature is valid and trusted; 1 otherwise; 2 when the input cannot be read.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from .errors import SigningError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("pdf", help="chữ ký số trên PDF: ký, kiểm tra")
    sub = p.add_subparsers(dest="pdf_command", metavar="SUBCOMMAND", required=True)

    s = sub.add_parser("sign", help="ký số IN.pdf, ghi ra OUT.pdf (PAdES, ghi nối tiếp vào tệp)")
    s.add_argument("input", metavar="IN.pdf")
    s.add_argument("output", metavar="OUT.pdf")
    s.add_argument("--key", metavar="KEY.p12", help="tệp PKCS#12 (khóa mềm)")
    s.add_argument("--password", help="mật khẩu tệp PKCS#12 (nên dùng --password-env)")
    s.add_argument("--password-env", metavar="VAR", help="biến môi trường chứa mật khẩu tệp PKCS#12")
    s.add_argument("--pkcs11-lib", metavar="LIB", help="thư viện PKCS#11 của thiết bị ký số (token)")
    s.add_argument("--token-label", metavar="L")
    s.add_argument("--key-label", metavar="K")
    s.add_argument("--cert-label", metavar="C", help="mặc định: nhãn của khóa")
    s.add_argument("--pin", help="mã PIN người dùng của token")
    s.add_argument("--image", metavar="PNG", help="hình chữ ký hoặc con dấu hiển thị trong ô chữ ký")
    s.add_argument("--field-box", metavar="x1,y1,x2,y2",
                   help="ô chữ ký hiển thị, tọa độ theo điểm PDF tính từ góc dưới bên trái")
    s.add_argument("--page", type=int, default=0,
                   help="chỉ số trang đặt ô chữ ký (trang đầu là 0), -1 là trang cuối (mặc định 0)")
    s.add_argument("--field-name", default="Signature1")
    s.add_argument("--reason", default="")
    s.add_argument("--location", default="")
    s.add_argument("--tsa", metavar="URL", help="máy chủ cấp dấu thời gian RFC 3161: PAdES B-T")
    s.set_defaults(func=cmd_sign)

    v = sub.add_parser("verify", help="kiểm tra mọi chữ ký trong tệp PDF; kết quả JSON ra stdout")
    v.add_argument("file", metavar="FILE.pdf")
    v.add_argument("--trust", action="append", default=[], metavar="CA.pem",
                   help="chứng thư gốc tin cậy (có thể lặp lại); "
                        "mặc định: tệp chứng thư gốc mà VPDT_TRUST_ROOTS chỉ định")
    v.add_argument("--crl", action="append", default=[], metavar="FILE", help="tệp CRL (có thể lặp lại)")
    v.add_argument("--fetch", action="store_true",
                   help="tải CRL/truy vấn OCSP theo địa chỉ ghi trong chứng thư số")
    v.set_defaults(func=cmd_verify)

    k = subparsers.add_parser("pki", help="hạ tầng khóa công khai demo")
    ksub = k.add_subparsers(dest="pki_command", metavar="SUBCOMMAND", required=True)
    d = ksub.add_parser("demo-ca",
                        help="tạo CA gốc và CA trung gian demo, khóa của cá nhân và cơ quan, các CRL")
    d.add_argument("directory", metavar="DIR")
    d.add_argument("--people", nargs="*", default=[], metavar="tài_khoản:Họ tên")
    d.add_argument("--agencies", nargs="*", default=[], metavar="mã:Tên")
    d.add_argument("--password", default=None, help="mật khẩu tệp PKCS#12 (mặc định Demo@2026)")
    d.set_defaults(func=cmd_demo_ca)


def _quiet() -> None:
    # pyHanko logs path-building tracebacks for untrusted chains: the JSON already says it.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)


def _fail(exc: SigningError, code: int = 2) -> int:
    print(f"lỗi: {exc.message}" + (f" ({exc.detail})" if exc.detail else ""), file=sys.stderr)
    return code


def _signer(args):
    from . import keys

    if args.key:
        password = args.password
        if args.password_env:
            password = os.environ.get(args.password_env)
            if password is None:
                raise SigningError("KEY_BAD_PASSWORD", "Chưa có mật khẩu khóa ký.", f"${args.password_env} is not set")
        try:
            data = Path(args.key).read_bytes()
        except OSError as exc:
            raise SigningError("KEY_UNREADABLE", "Không đọc được tệp khóa ký.", str(exc)) from exc
        return keys.SoftwareKey.from_pkcs12(data, password or "")
    if args.pkcs11_lib:
        missing = [n for n in ("token_label", "key_label", "pin") if not getattr(args, n)]
        if missing:
            raise SigningError("TOKEN_ARGS", "Thiếu thông tin thiết bị ký số.", "missing --" + ", --".join(m.replace("_", "-") for m in missing))
        return keys.Pkcs11Key(args.pkcs11_lib, args.token_label, args.key_label, args.pin, cert_label=args.cert_label)
    raise SigningError("KEY_MISSING", "Chưa chọn khóa ký.", "give --key KEY.p12 or --pkcs11-lib ...")


def cmd_sign(args) -> int:
    from . import pdf

    _quiet()
    box = None
    if args.field_box:
        try:
            box = tuple(float(v) for v in args.field_box.split(","))
            if len(box) != 4:
                raise ValueError
        except ValueError:
            return _fail(SigningError("BAD_BOX", "Vùng chữ ký không hợp lệ.", f"--field-box {args.field_box!r}: x1,y1,x2,y2"))
    try:
        signer = _signer(args)
        try:
            pdf.sign_pdf(
                args.input, args.output, signer, field_name=args.field_name, page=args.page, box=box,
                image=args.image, reason=args.reason, location=args.location, tsa_url=args.tsa,
            )
        finally:
            close = getattr(signer, "close", None)
            if close:
                close()
    except SigningError as exc:
        return _fail(exc, 2 if exc.code.startswith(("PDF_", "KEY_UNREADABLE")) else 1)
    print(json.dumps({"file": args.output, "field_name": args.field_name, "signer_subject": signer.subject},
                     ensure_ascii=False))
    return 0


def cmd_verify(args) -> int:
    from . import pdf, pki

    _quiet()
    try:
        roots = pki.load_certs(args.trust) if args.trust else None
        reports = pdf.verify_pdf(args.file, trust_roots=roots, crls=args.crl or None, allow_fetching=args.fetch)
    except SigningError as exc:
        return _fail(exc, 2)
    except (OSError, ValueError) as exc:
        return _fail(SigningError("INPUT_UNREADABLE", "Không đọc được tệp đầu vào.", str(exc)), 2)
    keys = ("field_name", "signer_subject", "signing_time", "intact", "covers_whole_document", "trusted",
            "revocation_checked", "revoked", "expired", "summary", "message_vi")
    summary = pdf.overall(reports)
    out = {
        "file": args.file,
        "summary": summary,
        "message_vi": pdf.MESSAGES_VI[summary],
        "signatures": [{k: r.as_dict()[k] for k in keys} for r in reports],
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    ok = bool(reports) and all(r.summary == "valid" and r.trusted for r in reports)
    return 0 if ok else 1


def _pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        key, sep, name = v.partition(":")
        if not sep or not key or not name:
            raise SigningError("BAD_ARGUMENT", f"Sai định dạng {what}.", f"{v!r}: expected key:Name")
        out.append((key.strip(), name.strip()))
    return out


def cmd_demo_ca(args) -> int:
    from . import pki

    try:
        people, agencies = _pairs(args.people, "người ký"), _pairs(args.agencies, "cơ quan")
    except SigningError as exc:
        return _fail(exc, 2)
    kw = {"password": args.password} if args.password else {}
    ca = pki.make_demo_ca(args.directory, people=people, agencies=agencies, **kw)
    print(json.dumps({
        "directory": str(ca.directory),
        "root": str(ca.root_pem),
        "intermediate": str(ca.intermediate_pem),
        "trust_bundle": str(ca.chain_pem),
        "crls": [str(p) for p in ca.crl_paths],
        "people": {k: str(v) for k, v in ca.people.items()},
        "agencies": {k: str(v) for k, v in ca.agencies.items()},
    }, ensure_ascii=False, indent=2))
    return 0
