"""The `vpdt` command: one entry point for every thing a person or an operator does.

Each feature contributes its subcommands through an `add_parser(subparsers)` function in
its own `cli.py`; a subcommand sets `func(args) -> int` as its default. Subcommands that
need Django call `setup_django()` first; pure ones (edxml) never import Django.

What a person reads is Vietnamese; `vpdt --lang en …` (or VPDT_LANGUAGE=en) switches what the
commands print and write to English: `setup_django()` activates the language chosen.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Modules that contribute subcommands, in the order `vpdt --help` lists them.
COMMAND_MODULES = [
    "vpdt.commands",  # serve, worker, demo, manage
    "vpdt.edxml.cli",  # edxml validate/show/extract/build/status
    "vpdt.hub.cli",  # hub serve/add-agency/set-upstream/verify-log
    "vpdt.signing.cli",  # pdf sign/verify, pki demo-ca
    "vpdt.archive.cli",  # archive verify/export
    "vpdt.migration.cli",  # import csv/xlsx/edxml/bundle from a legacy system
    "vpdt.directory.cli",  # directory import-agencies (either code scheme)
    "vpdt.conformance.cli",  # conformance: check a vendor's hub, write the report
    "vpdt.ops.cli",  # backup, backup verify, restore
    "vpdt.search.cli",  # search status/extract/retry: the text of files
]

LANGUAGES = ("vi", "en")
_language: str | None = None  # `--lang` of this run (main); setup_django() activates it


def default_language() -> str:
    """VPDT_LANGUAGE when it names one of LANGUAGES ("en", "en_US.UTF-8" too), else Vietnamese."""
    lang = os.environ.get("VPDT_LANGUAGE", "").strip().lower()[:2]
    return lang if lang in LANGUAGES else "vi"


def setup_django(settings: str = "vpdt.settings", *, check: bool = False) -> None:
    """Django set up; with `check`, the system checks too: a process that serves or runs jobs
    refuses to start on an error (no secret key of its own, vpdt.E001), message on stderr."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    import django

    django.setup()
    if not check:
        # A command's own output. Not a process that serves or runs jobs (check): a request
        # takes the person's language, and what jobs store (notifications, audit) stays Vietnamese.
        from django.utils import translation

        translation.activate(_language or default_language())
    if check:
        from django.core.management.base import BaseCommand, SystemCheckError

        try:
            BaseCommand().check(display_num_errors=False)
        except SystemCheckError as exc:
            raise SystemExit(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vpdt",
        description="vpdt: văn phòng điện tử mở (open e-office for Vietnamese public agencies)",
    )
    parser.add_argument("--lang", choices=LANGUAGES, default=default_language(),
                        help="ngôn ngữ của thông báo, báo cáo và lỗi: vi (tiếng Việt) hoặc en (tiếng Anh); "
                             "mặc định lấy từ biến môi trường VPDT_LANGUAGE, không có thì vi")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A feature not installed yet must not break the others.
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    global _language
    parser = build_parser()
    args = parser.parse_args(argv)
    _language = args.lang
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0 if args.command is None else 2
    return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
