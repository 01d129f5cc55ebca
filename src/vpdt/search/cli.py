"""`vpdt search …`: the text of files (status, drain now, retry the failed)."""

from __future__ import annotations

import json


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("search", help="full-text search: the text of files (status, extract, retry)")
    sub = parser.add_subparsers(dest="search_command", metavar="ACTION", required=True)
    status = sub.add_parser("status", help="how many files are pending, being read, done, failed")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    run = sub.add_parser("extract", help="extract the text of due files now, in this process")
    run.add_argument("--limit", type=int, default=None)
    run.set_defaults(func=_extract)
    retry = sub.add_parser("retry", help="try the failed files again")
    retry.set_defaults(func=_retry)


def _status(args) -> int:
    from vpdt.cli import setup_django

    setup_django()
    from vpdt.search.services import text_status

    counts = text_status()
    if args.json:
        print(json.dumps(counts))
    else:
        print("pending {pending}  working {working}  done {done} (OCR {ocr})  failed {failed}".format(**counts))
    return 0


def _extract(args) -> int:
    from vpdt.cli import setup_django

    setup_django()
    from vpdt.search.services import drain

    print(f"extracted {drain(args.limit)} file(s)")
    return 0


def _retry(args) -> int:
    from vpdt.cli import setup_django

    setup_django()
    from vpdt.search.services import retry_failed

    print(f"{retry_failed()} failed file(s) queued again")
    return 0
