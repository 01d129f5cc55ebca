"""`vpdt backup` / `verify` / `restore` throughput against the machine's own raw limit, same run.

    python bench/backup_bench.py [--mib 256] [--files 256] [--runs 3]

Makes a fresh SQLite instance in a temporary directory with `--files` random blobs (`--mib` in
all) and one document per blob, then per run: the raw limit (read every blob, SHA-256, write one
file, fsync: what any copy must at least do) and `backup` (snapshot + tar + age + fsync), `verify`
(decrypt + tar + SHA-256) and `restore` (into another fresh directory, with its checks). Prints MiB/s,
the ratio to raw, peak RSS of this process, and the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--files", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="vpdt-backup-bench-"))
    os.environ.update({"VPDT_DATA_DIR": str(root / "a"), "VPDT_SECRET_KEY": "bench-" + "k" * 40,
                       "DJANGO_SETTINGS_MODULE": "vpdt.settings"})
    import django

    django.setup()
    from django.core.files.storage import FileSystemStorage
    from django.core.management import call_command
    from pyrage import x25519

    from vpdt.core import blobs
    from vpdt.ops import backup

    for alias in ("default", "hub"):
        call_command("migrate", database=alias, verbosity=0)
    size = args.mib * 1024 * 1024 // args.files
    paths = []
    for _ in range(args.files):
        blob = blobs.store_stream(iter([os.urandom(size)]), max_bytes=size + 1)
        paths.append(blobs.local_path(blob))
    identity = x25519.Identity.generate()
    total = args.mib
    results: dict[str, list[float]] = {"raw": [], "backup": [], "verify": [], "restore": []}
    for run in range(args.runs):
        t = time.perf_counter()
        with open(root / "raw.out", "wb") as out:
            for p in paths:
                digest = hashlib.sha256()
                with open(p, "rb") as fh:
                    while chunk := fh.read(1024 * 1024):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        results["raw"].append(total / (time.perf_counter() - t))
        archive = root / "b.age"
        t = time.perf_counter()
        backup.backup(archive, [identity.to_public()])
        results["backup"].append(total / (time.perf_counter() - t))
        t = time.perf_counter()
        assert backup.verify(archive, [identity]).ok
        results["verify"].append(total / (time.perf_counter() - t))
        target_dir = root / f"r{run}"
        target = backup.Instance(
            {a: {**c, "NAME": str(target_dir / f"{a}.sqlite3")} for a, c in backup.Instance.from_settings().databases.items()},
            FileSystemStorage(location=str(target_dir / "blobs")), target_dir, target_dir / "audit", target_dir / "hub")
        t = time.perf_counter()
        backup.restore(archive, [identity], instance=target)
        results["restore"].append(total / (time.perf_counter() - t))
        shutil.rmtree(target_dir)
    raw = statistics.median(results["raw"])
    print(f"dataset: {args.files} blobs, {args.mib} MiB, SQLite; runs: {args.runs}; load average {os.getloadavg()}")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:8s} median {med:7.1f} MiB/s  (runs: {', '.join(f'{v:.0f}' for v in values)})  "
              f"ratio to raw {med / raw:.2f}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
