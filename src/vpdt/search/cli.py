"""`vpdt search …`: the text of files (status, drain now, retry the failed). Vietnamese first:
help and output in Vietnamese, the output in English with `vpdt --lang en` (gettext)."""

from __future__ import annotations

import json


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("search", help="tìm kiếm toàn văn: nội dung tệp (tình trạng, trích xuất, thử lại)")
    sub = parser.add_subparsers(dest="search_command", metavar="VIỆC", required=True)
    status = sub.add_parser("status", help="số tệp đang chờ, đang đọc, đã xong, bị lỗi")
    status.add_argument("--json", action="store_true", help="in dạng JSON (cho máy đọc)")
    status.set_defaults(func=_status)
    run = sub.add_parser("extract", help="trích xuất ngay nội dung các tệp đang chờ, trong tiến trình này")
    run.add_argument("--limit", type=int, default=None, help="nhiều nhất bấy nhiêu tệp")
    run.set_defaults(func=_extract)
    retry = sub.add_parser("retry", help="đọc lại các tệp bị lỗi")
    retry.set_defaults(func=_retry)


def _status(args) -> int:
    from vpdt.cli import setup_django

    setup_django()
    from django.utils.translation import gettext as _

    from vpdt.search.services import text_status

    counts = text_status()
    if args.json:
        print(json.dumps(counts))
    else:
        print(_("đang chờ %(pending)s  đang đọc %(working)s  đã xong %(done)s (OCR %(ocr)s)  lỗi %(failed)s")
              % counts)
    return 0


def _extract(args) -> int:
    from vpdt.cli import setup_django

    setup_django()
    from django.utils.translation import gettext as _

    from vpdt.search.services import drain

    print(_("đã trích xuất %(count)s tệp") % {"count": drain(args.limit)})
    return 0


def _retry(args) -> int:
    from vpdt.cli import setup_django

    setup_django()
    from django.utils.translation import gettext as _

    from vpdt.search.services import retry_failed

    print(_("%(count)s tệp lỗi được đưa vào hàng chờ đọc lại") % {"count": retry_failed()})
    return 0
