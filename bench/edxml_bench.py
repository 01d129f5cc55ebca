"""Benchmark: write then read an edXML package with one large attachment.

    python bench/edxml_bench.py [--mb 500] [--runs 3] [--zip]

Writes a package whose attachment is MB megabytes of random data (streamed from a
generator, never whole in memory), reads it back with attachments discarded (size and
SHA-256 computed, as the hub does), and prints per-run seconds, MB/s of decoded
attachment bytes, and the peak RSS of the process. Each run is a fresh subprocess so
peak RSS is that run's own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


class RandomStream:
    """`size` bytes of pseudo-random data, produced block by block."""

    def __init__(self, size: int):
        self.left = size
        self.block = os.urandom(1 << 20)

    def read(self, n=-1):
        n = min(self.left, len(self.block) if n is None or n < 0 else min(n, len(self.block)))
        self.left -= n
        return self.block[:n]


def one_run(mb: int, zipped: bool) -> dict:
    from vpdt.edxml import AttachmentSource, MessageHeader, Organization, read_package, write_package

    size = mb * 1024 * 1024
    header = MessageHeader(
        from_=Organization("000.00.00.H53", "UBND tỉnh Tây Ninh"),
        to=[Organization("000.00.13.H53", "Sở TT&TT")],
        document_id="000.00.00.H53,2025/07/01,1/BENCH",
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.edxml"
        t0 = time.perf_counter()
        write_package(path, header, [AttachmentSource("bench.bin", RandomStream(size))], zip_attachments=zipped)
        t_write = time.perf_counter() - t0
        xml_size = path.stat().st_size
        t0 = time.perf_counter()
        pkg = read_package(path)
        t_read = time.perf_counter() - t0
    assert pkg.attachments[0].size == (size if not zipped else pkg.attachments[0].size)
    return {
        "write_s": t_write,
        "read_s": t_read,
        "write_mb_s": mb / t_write,
        "read_mb_s": mb / t_read,
        "xml_mb": xml_size / 1024 / 1024,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--zip", action="store_true")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_run(args.mb, args.zip)))
        return 0
    results = []
    for i in range(args.runs):
        cmd = [sys.executable, __file__, "--one", "--mb", str(args.mb)] + (["--zip"] if args.zip else [])
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        results.append(r)
        print(f"run {i + 1}: write {r['write_mb_s']:.0f} MB/s, read+decode {r['read_mb_s']:.0f} MB/s, "
              f"xml {r['xml_mb']:.0f} MB, peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    print(f"median of {args.runs}: attachment {args.mb} MB{' zipped' if args.zip else ''}; "
          f"write {med['write_mb_s']:.0f} MB/s ({med['write_s']:.2f} s), "
          f"read+decode {med['read_mb_s']:.0f} MB/s ({med['read_s']:.2f} s), peak RSS {med['peak_rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
