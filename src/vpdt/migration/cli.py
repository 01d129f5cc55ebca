"""`vpdt import csv|xlsx|edxml|bundle …`: bring a legacy system's documents in (docs/import.md).

Exit 0 when every row was imported or skipped, 1 when some were rejected (the report says
which and why), 2 when nothing could be read (a bad mapping, a missing file, an unknown agency):
then nothing was written.

What it prints and the report it writes are Vietnamese, English with `vpdt --lang en` (the
language is active once setup_django() ran: the messages are worded after it, never at import).
The argparse help stays Vietnamese (it is built before the language option is read).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path

KINDS = ("csv", "xlsx", "edxml", "bundle")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("import", help="nhập văn bản từ hệ thống cũ (CSV, XLSX, thư mục edXML, gói JSON)")
    sub = p.add_subparsers(dest="import_kind", metavar="NGUỒN", required=True)
    for kind, help_ in (("csv", "tệp CSV xuất từ hệ thống cũ, với tệp ánh xạ cột"),
                        ("xlsx", "tệp Excel (.xlsx) xuất từ hệ thống cũ, với tệp ánh xạ cột"),
                        ("edxml", "thư mục các gói edXML (kho lưu của phần mềm khác)"),
                        ("bundle", "gói JSON Lines theo docs/import-bundle.schema.json (tệp hoặc thư mục)")):
        s = sub.add_parser(kind, help=help_)
        s.add_argument("path", metavar="TỆP_HOẶC_THƯ_MỤC")
        if kind in ("csv", "xlsx"):
            s.add_argument("--mapping", required=True, metavar="MAPPING.json", help="tệp ánh xạ cột → trường")
            s.add_argument("--files", metavar="THƯ_MỤC", help="thư mục chứa các tệp nêu trong cột «files»")
        if kind == "edxml":
            s.add_argument("--source", default="edxml", help="tên nguồn dữ liệu (mặc định: edxml)")
            s.add_argument("--book", default="chung", help="sổ cũ của các văn bản (mặc định: chung)")
        s.add_argument("--agency", metavar="MÃ", help="mã định danh cơ quan có dữ liệu (nếu tệp chưa ghi)")
        s.add_argument("--dry-run", action="store_true", help="đọc và kiểm tra hết, không ghi gì")
        s.add_argument("--report", metavar="BÁO_CÁO.csv", help="nơi ghi báo cáo CSV (mặc định: thư mục hiện tại)")
        s.add_argument("--batch", type=int, default=1000, help="số bản ghi mỗi lô (một giao dịch)")
        s.add_argument("--no-progress", action="store_true", help="không hiện thanh tiến độ")
        s.set_defaults(func=cmd_import)


def _err(message: str) -> int:
    from django.utils.translation import gettext as _

    print(_("lỗi: %(message)s") % {"message": message}, file=sys.stderr)
    return 2


def cmd_import(args) -> int:
    from vpdt.cli import setup_django

    setup_django()
    from django.utils.translation import gettext as _

    from vpdt.core.errors import VpdtError
    from vpdt.directory.models import Agency
    from vpdt.migration import sources
    from vpdt.migration.normalize import Normalizer

    path = Path(args.path)
    if not path.exists():
        return _err(_("Không thấy «%(path)s».") % {"path": path})
    with tempfile.TemporaryDirectory(prefix="vpdt-import-") as workdir:
        try:
            agency_code, source, total, rows, norm_opts, note = _open(args, path, Path(workdir), sources)
            if not agency_code:
                return _err(_("Chưa rõ cơ quan: dùng --agency MÃ (hoặc ghi «agency» trong tệp ánh xạ/gói)."))
            agency = Agency.objects.filter(code=agency_code).first()
            if agency is None:
                return _err(_("Không có cơ quan mã «%(code)s» trong danh bạ.") % {"code": agency_code})
            if args.import_kind == "edxml":
                codes = {agency.code.upper(), *([agency.code_qd20.upper()] if agency.code_qd20 else [])}
                total, rows = sources.edxml_rows(path, codes, args.book, Path(workdir))
            normalizer = Normalizer(agency, **norm_opts)
        except VpdtError as exc:
            return _err(f"{exc} [{exc.code}]")
        if note:
            print(note, file=sys.stderr)
        try:
            report = _run(args, agency, source, normalizer, rows, total)
        except VpdtError as exc:  # e.g. a byte the declared encoding cannot read, mid-file
            return _err(_("%(error)s; các lô trước đó đã ghi xong, chạy lại sau khi sửa sẽ tiếp tục.")
                        % {"error": f"{exc} [{exc.code}]"})
    return _print(args, report, source)


def _open(args, path: Path, workdir: Path, sources):
    """(agency code, source name, total rows, rows, normaliser options, a line for the operator)."""
    from django.utils.translation import gettext as _

    if args.import_kind in ("csv", "xlsx"):
        mapping = sources.Mapping.load(args.mapping)
        files_dir = Path(args.files) if args.files else None
        if files_dir is not None and not files_dir.is_dir():
            raise sources.SourceError(_("Không thấy thư mục tệp «%(path)s».") % {"path": files_dir})
        opts = {"date_format": mapping.raw.get("date_format", "dd/mm/yyyy"), "values": mapping.raw.get("values"),
                "direction": mapping.raw.get("direction"), "book": mapping.raw.get("book", "chung")}
        agency = args.agency or mapping.raw.get("agency")
        if args.import_kind == "csv":
            total = max(sources.count_lines(path) - 1, 0)
            encoding, rows = sources.csv_rows(path, mapping, files_dir)
            return agency, mapping.source, total, rows, opts, _("Bảng mã của tệp: %(encoding)s.") % {"encoding": encoding}
        total, rows = sources.xlsx_rows(path, mapping, files_dir)
        return agency, mapping.source, total, rows, opts, ""
    if args.import_kind == "edxml":
        if not path.is_dir():
            raise sources.SourceError(_("«%(path)s» không phải thư mục.") % {"path": path})
        return args.agency, args.source, 0, iter(()), {"date_format": "yyyy-mm-dd"}, ""
    header, total, rows = sources.bundle_rows(path)
    return args.agency or header.get("agency"), header["source"], total, rows, {"date_format": "yyyy-mm-dd"}, ""


def _run(args, agency, source, normalizer, rows, total):
    from django.utils.translation import get_language
    from django.utils.translation import gettext as _

    from vpdt.migration.engine import Importer

    if args.no_progress or not sys.stderr.isatty():
        return Importer(agency, source, normalizer, dry_run=args.dry_run, batch=args.batch).run(rows)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[rate]} " + _("bản ghi/giây")), TextColumn(_("còn")), TimeRemainingColumn(),
               TextColumn(_("đã chạy")), TimeElapsedColumn())
    thousands = "." if (get_language() or "vi").startswith("vi") else ","  # of the rate
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(_("Thử nhập") if args.dry_run else _("Đang nhập"), total=total or None, rate="—")

        def advance(n: int) -> None:
            bar.advance(task, n)
            t = bar.tasks[0]
            if t.speed:
                bar.update(task, rate=f"{t.speed:,.0f}".replace(",", thousands))

        return Importer(agency, source, normalizer, dry_run=args.dry_run, batch=args.batch,
                        progress=advance).run(rows)


def _print(args, report, source: str) -> int:
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext, pgettext

    total = report.total
    path = Path(args.report) if args.report else Path(f"bao-cao-nhap-{source}-{datetime.now():%Y%m%d-%H%M%S}.csv")
    summary_path, rejected_path = report.write_csv(path)
    title = _("THỬ NHẬP (--dry-run): không ghi gì vào cơ sở dữ liệu") if args.dry_run else _("KẾT QUẢ NHẬP")
    print(_("%(title)s — nguồn «%(source)s»") % {"title": title, "source": source})
    register, year_, read, imported, skipped, rejected = (_("Sổ"), _("Năm"), _("Đọc"), pgettext("import", "Nhập"),
                                                          _("Bỏ qua"), pgettext("import", "Từ chối"))
    print(f"{register:<48} {year_:>5} {read:>8} {imported:>8} {skipped:>8} {rejected:>8}")
    for (name, year), t in sorted(report.groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        name = report.register_label(name)
        print(f"{name[:48]:<48} {year or '':>5} {t.read:>8} {t.imported:>8} {t.skipped:>8} {t.rejected:>8}")
        for reason, n in t.reasons.most_common(5):
            print("    " + _("từ chối %(count)s: %(reason)s") % {"count": n, "reason": reason})
    all_ = _("Tổng")
    print(f"{all_:<48} {'':>5} {total.read:>8} {total.imported:>8} {total.skipped:>8} {total.rejected:>8}")
    if report.unmatched_issuers:
        print(_("Cơ quan ban hành không có trong danh bạ (%(count)s), giữ tên, không tạo mới:")
              % {"count": len(report.unmatched_issuers)})
        for issuer, n in report.unmatched_issuers.most_common(10):
            print("    " + ngettext("%(issuer)s (%(count)s văn bản)", "%(issuer)s (%(count)s văn bản)", n)
                  % {"issuer": issuer, "count": n})
    if report.changed:
        n = len(report.changed)
        print(ngettext("%(count)s bản ghi đã đổi ở hệ thống cũ sau lần nhập trước (không cập nhật, sổ cũ đã khóa): "
                       "%(ids)s", "%(count)s bản ghi đã đổi ở hệ thống cũ sau lần nhập trước (không cập nhật, sổ cũ "
                       "đã khóa): %(ids)s", n) % {"count": n, "ids": ", ".join(report.changed[:10])})
    rate = total.read / report.seconds if report.seconds else 0
    print(ngettext("%(count)s bản ghi trong %(seconds)s giây (%(rate)s bản ghi/giây); báo cáo: %(report)s, "
                   "các dòng bị từ chối: %(rejected)s",
                   "%(count)s bản ghi trong %(seconds)s giây (%(rate)s bản ghi/giây); báo cáo: %(report)s, "
                   "các dòng bị từ chối: %(rejected)s", total.read)
          % {"count": total.read, "seconds": f"{report.seconds:.1f}", "rate": f"{rate:,.0f}",
             "report": summary_path, "rejected": rejected_path})
    return 1 if total.rejected else 0
