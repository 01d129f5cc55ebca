"""`vpdt archive verify PACKAGE` (offline, no database) and `vpdt archive export` (a dossier or a
year as the archive package, for an external archive).

`verify` prints one JSON object and exits 0 when every file matches the manifest, none is missing
or extra, the manifest is the one the signed record names and the record's signature is valid;
1 otherwise, each problem naming its file; 2 when the package cannot be read at all.
"""

from __future__ import annotations

import json
import sys


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("archive", help="gói hồ sơ nộp lưu: kiểm tra, xuất")
    sub = p.add_subparsers(dest="archive_command", metavar="SUBCOMMAND", required=True)

    v = sub.add_parser("verify", help="kiểm tra một gói hồ sơ nộp lưu, không cần cơ sở dữ liệu; JSON ra stdout")
    v.add_argument("package", metavar="PACKAGE.zip")
    v.set_defaults(func=cmd_verify)

    e = sub.add_parser("export", help="xuất một hồ sơ hoặc các hồ sơ của một năm thành gói nộp lưu đã ký")
    scope = e.add_mutually_exclusive_group(required=True)
    scope.add_argument("--dossier", metavar="CODE", help="mã hồ sơ (OrganId.năm.ký hiệu)")
    scope.add_argument("--agency", metavar="CODE", help="mã định danh cơ quan (cùng với --year)")
    e.add_argument("--year", type=int, metavar="Y", help="năm của hồ sơ (cùng với --agency)")
    e.add_argument("--pin", default=None, help="mã PIN thiết bị ký số của cơ quan (nếu có)")
    e.add_argument("-o", "--output", required=True, metavar="FILE.zip")
    e.set_defaults(func=cmd_export)


def cmd_verify(args) -> int:
    from vpdt.archive import verify

    report = verify.verify(args.package)
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    for problem in report.problems:
        print(f"lỗi: {problem.path}: {problem.message}", file=sys.stderr)
    if report.ok:
        print(f"Gói hợp lệ: {report.files_checked} tệp khớp bảng mã băm; ký bởi {report.signer}.", file=sys.stderr)
        return 0
    return 2 if report.signature == "unreadable" and report.files_checked == 0 else 1


def cmd_export(args) -> int:
    if args.agency and args.year is None:
        print("lỗi: --agency cần --year.", file=sys.stderr)
        return 2
    from vpdt.cli import setup_django

    setup_django()
    from pathlib import Path

    from vpdt.archive.models import Dossier
    from vpdt.archive.services import transfer
    from vpdt.core.errors import VpdtError
    from vpdt.directory.models import Agency
    from vpdt.records.actors import MAINTENANCE, system_actor

    if args.dossier:
        dossier = Dossier.objects.select_related("agency").filter(code=args.dossier).first()
        if dossier is None:
            print(f"lỗi: không có hồ sơ {args.dossier}.", file=sys.stderr)
            return 1
        agency = dossier.agency
    else:
        agency = Agency.objects.filter(code=args.agency).first()
        if agency is None:
            print(f"lỗi: không có cơ quan {args.agency}.", file=sys.stderr)
            return 1
    out = Path(args.output)
    part = out.with_name(out.name + ".part")
    try:
        with part.open("wb") as fh:
            signer, manifest_sha, files, dossiers = transfer.export(
                system_actor(agency, MAINTENANCE), agency, fh, dossier_code=args.dossier,
                year=None if args.dossier else args.year, pin=args.pin)
        part.replace(out)
    except VpdtError as exc:
        part.unlink(missing_ok=True)
        print(f"lỗi: {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps({"file": str(out), "dossiers": [d.code for d in dossiers], "files": files,
                      "manifest_sha256": manifest_sha, "signer": signer}, ensure_ascii=False, indent=2))
    return 0
