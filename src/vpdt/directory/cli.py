"""`vpdt directory import-agencies FILE`: the directory's agency list from a file, either code scheme."""

from __future__ import annotations

import sys

from vpdt.cli import setup_django


def cmd_import_agencies(args) -> int:
    setup_django()
    from vpdt.core.errors import InvalidInput
    from vpdt.directory.importing import import_agencies, read_rows

    try:
        result = import_agencies(read_rows(args.file), dry_run=args.dry_run)
    except (InvalidInput, OSError) as exc:
        print(f"Không nhập được: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 1
    verb = "Sẽ nhập (chạy thử, chưa ghi)" if args.dry_run else "Đã nhập"
    print(f"{verb}: {len(result.created)} cơ quan mới, {len(result.updated)} cơ quan cập nhật, "
          f"{len(result.unchanged)} cơ quan không đổi.")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("directory", help="danh mục cơ quan: nhập danh sách (mã QCVN 102 hoặc QĐ 20/2020)")
    sub = p.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import-agencies",
                         help="nhập danh sách cơ quan từ tệp JSON (trả lời getAgenciesList, getAgenciesListQD20, "
                              "getSynchronizeUnit) hoặc CSV (cột code, name, code102, codeQD20, mail)")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true", help="kiểm tra, không ghi")
    imp.set_defaults(func=cmd_import_agencies)
