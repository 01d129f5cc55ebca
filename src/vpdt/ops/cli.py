"""`vpdt backup FILE`, `vpdt backup verify FILE`, `vpdt backup keygen FILE`, `vpdt restore FILE`; with
`--hub`, the same for a standalone hub (`vpdt hub serve`: its database, packages and key)."""

from __future__ import annotations

import argparse
import json
import sys

from vpdt.cli import setup_django


def add_parser(sub: argparse._SubParsersAction) -> None:
    backup = sub.add_parser(
        "backup", help="sao lưu cơ sở dữ liệu, tệp và khóa vào một tệp mã hóa (trong khi hệ thống vẫn chạy); "
                       "`vpdt backup verify TỆP` kiểm tra, `vpdt backup keygen TỆP` tạo cặp khóa",
        description="vpdt backup TỆP | vpdt backup verify TỆP | vpdt backup keygen TỆP_KHÓA")
    backup.add_argument("words", nargs="+", metavar="TỆP", help="tệp sao lưu (hoặc: verify TỆP, keygen TỆP_KHÓA)")
    backup.add_argument("--recipient", help="khóa công khai age1… nhận bản sao lưu (mặc định VPDT_BACKUP_RECIPIENT)")
    backup.add_argument("--identity", help="tệp khóa giải mã AGE-SECRET-KEY (mặc định VPDT_BACKUP_IDENTITY_FILE)")
    backup.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    _hub_options(backup)
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="khôi phục một tệp sao lưu vào bản cài mới (thư mục dữ liệu, "
                                             "cơ sở dữ liệu trống)")
    restore.add_argument("file", metavar="TỆP")
    restore.add_argument("--identity", help="tệp khóa giải mã AGE-SECRET-KEY (mặc định VPDT_BACKUP_IDENTITY_FILE)")
    restore.add_argument("--force", action="store_true", help="ghi đè dù nơi khôi phục đã có dữ liệu")
    restore.add_argument("--keys-dir", help="nơi ghi khóa bí mật của hệ thống (mặc định <thư mục dữ liệu>/restored-keys)")
    _hub_options(restore)
    restore.set_defaults(func=cmd_restore)


def _hub_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hub", action="store_true",
                        help="một trục liên thông chạy riêng (`vpdt hub serve`): cơ sở dữ liệu, các gói tin và khóa "
                             "của nó (VPDT_HUB_DATABASE, VPDT_HUB_DATA_DIR, VPDT_HUB_SECRET_KEY)")
    parser.add_argument("--database", help="với --hub: URL cơ sở dữ liệu (postgres://…) hoặc tệp SQLite của trục")
    parser.add_argument("--data-dir", help="với --hub: thư mục gói tin và khóa của trục")


def _setup(args) -> None:
    """Django for the e-office (vpdt.settings), or with --hub for a standalone hub (vpdt.hub.settings)."""
    import os

    if getattr(args, "hub", False):
        os.environ["DJANGO_SETTINGS_MODULE"] = "vpdt.hub.settings"
        if args.database:
            os.environ["VPDT_HUB_DATABASE"] = args.database
        if args.data_dir:
            os.environ["VPDT_HUB_DATA_DIR"] = args.data_dir
        setup_django("vpdt.hub.settings")
        return
    if args.database or args.data_dir:
        raise SystemExit("--database và --data-dir chỉ dùng cùng --hub (văn phòng điện tử: VPDT_DATABASE_URL, "
                         "VPDT_DATA_DIR).")
    setup_django()


def _count(n: int) -> str:
    """A count as Vietnamese writes it: 24.367.225."""
    return f"{n:,}".replace(",", ".")


def _seconds(s: float) -> str:
    return f"{s:.1f}".replace(".", ",")


def _when(iso: str | None) -> str:
    """The archive's time (ISO 8601, UTC, in its header) as people read it: dd/mm/yyyy hh:mm:ss,
    Vietnam's time."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    try:
        at = dt.datetime.fromisoformat(iso or "")
    except ValueError:
        return iso or "?"
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return f"{at.astimezone(ZoneInfo('Asia/Ho_Chi_Minh')):%d/%m/%Y %H:%M:%S} (giờ Việt Nam)"


def cmd_backup(args) -> int:
    from vpdt.ops import backup

    words = args.words
    try:
        if words[0] == "keygen" and len(words) == 2:
            recipient = backup.keygen(words[1])
            print(f"Đã tạo khóa giải mã {words[1]} (giữ riêng, ngoài máy chủ). Khóa công khai để sao lưu:\n{recipient}")
            return 0
        if words[0] == "verify" and len(words) == 2:
            check = backup.verify(words[1], backup.load_identities(args.identity))
            if args.json:
                print(json.dumps({"ok": check.ok, "members": check.members, "bytes": check.bytes,
                                  "problems": check.problems, "header": check.header}, ensure_ascii=False, indent=2))
            elif check.ok:
                print(f"Bản sao lưu nguyên vẹn: {check.members} thành phần, {_count(check.bytes)} byte nội dung (trước mã hóa), tạo lúc "
                      f"{_when(check.header.get('created_at'))}; mọi mã băm SHA-256 khớp danh mục.")
            else:
                print("BẢN SAO LƯU HỎNG:\n  " + "\n  ".join(check.problems), file=sys.stderr)
            return 0 if check.ok else 1
        if len(words) != 1:
            print("Cách dùng: vpdt backup TỆP | vpdt backup verify TỆP | vpdt backup keygen TỆP_KHÓA", file=sys.stderr)
            return 2
        _setup(args)
        done = backup.backup(words[0], backup.load_recipients(args.recipient, args.identity),
                             progress=None if args.json else (lambda m: print(m, flush=True)))
    except (backup.BackupError, FileExistsError) as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"path": str(done.path), "members": done.members, "bytes": done.bytes,
                          "seconds": round(done.seconds, 2), "counts": done.counts, "missing": done.missing,
                          "corrupt": done.corrupt}, ensure_ascii=False, indent=2))
    else:
        print(f"Đã sao lưu vào {done.path}: {done.members} thành phần, tệp mã hóa {_count(done.bytes)} byte, "
              f"{_seconds(done.seconds)} giây.")
        for m in done.missing:
            print(f"  Lưu ý: {m} đã bị xóa khỏi kho sau lúc chụp.")
    for m in done.corrupt:
        print(f"LỖI: tệp {m} trong kho đã hỏng (nội dung không khớp SHA-256 của tên); bản sao lưu ghi nhận "
              "nhưng không khôi phục được cho tới khi tệp được thay bằng bản đúng.", file=sys.stderr)
    return 1 if done.corrupt else 0


def cmd_restore(args) -> int:
    from vpdt.ops import backup

    _setup(args)
    try:
        done = backup.restore(args.file, backup.load_identities(args.identity), force=args.force,
                              keys_dir=args.keys_dir, progress=lambda m: print(m, flush=True))
    except backup.BackupError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    main = "hub" if args.hub else "default"
    total = sum(done.counts.get(main, {}).values())
    print(f"Đã khôi phục {done.members} thành phần trong {_seconds(done.seconds)} giây; số dòng mọi bảng khớp bản chụp "
          f"({_count(total)} dòng ở cơ sở dữ liệu {'của trục' if args.hub else 'chính'}), mọi tệp được tham chiếu đều có "
          "trong kho.")
    for note in done.notes:
        print(f"  {note}")
    return 0
