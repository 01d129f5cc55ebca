"""Benchmark: write then read an edXML package with one large attachment.

    python bench/edxml_bench.py [--mb 500] [--runs 3] [--zip]

Writes a package whose attachment is MB megabytes of random data (streamed from a
generator, never whole in memory), reads it back with attachments discarded (size and
SHA-256 computed, as the hub does), and prints per-run seconds, MB/s of decoded
attachment bytes, and the peak RSS of the process. Each run is a fresh subprocess so
peak RSS is that run's own.

In the same run, the raw limit: the same file read in 1 MiB pieces, a2b_base64 of each
(carrying the remainder to a multiple of 4), SHA-256, written to a file; and the reader with a
file sink (DirectorySink, fsync) doing the same work, alternated twice, best of each: "ratio"
is reader-to-file / raw; and both
without writing (read_package discarding / raw to /dev/null, alternated twice, best of each):
"ratio without writing".
"""

from __future__ import annotations

import argparse
import binascii
import hashlib
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


def raw_decode(src: Path, dst: Path | None) -> float:
    """The limit: the attachment's base64 text read in 1 MiB pieces, a2b_base64, SHA-256, write."""
    t0 = time.perf_counter()
    size = src.stat().st_size
    with open(src, "rb") as fh:
        head = fh.read(1 << 20)
        fh.seek(max(size - (1 << 16), 0))
        tail_at = fh.tell()
        tail = fh.read()
    tag = b"ContentTransferEncoded"
    start = head.index(b">", head.index(tag)) + 1
    end = tail_at + tail.rindex(b"<", 0, tail.rindex(tag))
    digest = hashlib.sha256()
    rest = b""
    left = end - start
    with open(src, "rb") as fh, open(dst or os.devnull, "wb") as out:
        fh.seek(start)
        while left > 0 and (chunk := fh.read(min(1 << 20, left))):
            left -= len(chunk)
            data = rest + chunk
            n = len(data) & ~3
            rest = data[n:]
            raw = binascii.a2b_base64(data[:n])
            digest.update(raw)
            out.write(raw)
        raw = binascii.a2b_base64(rest)
        digest.update(raw)
        out.write(raw)
        out.flush()
        if dst is not None:
            os.fsync(out.fileno())
    return time.perf_counter() - t0


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
        # Reader and raw limit alternate, twice each, the best time of each kept: other work on
        # the machine then weighs on both alike.
        t_read = t_raw_nowrite = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            pkg = read_package(path)
            t_read = min(t_read, time.perf_counter() - t0)
            t_raw_nowrite = min(t_raw_nowrite, raw_decode(path, None))
        from vpdt.edxml.sinks import DirectorySink

        t_raw = t_file = float("inf")
        for i in range(2):
            t_raw = min(t_raw, raw_decode(path, Path(tmp) / "raw.bin"))
            os.unlink(Path(tmp) / "raw.bin")
            t0 = time.perf_counter()
            sink = DirectorySink(Path(tmp) / f"out{i}")
            read_package(path, attachment_sink=sink)
            for p in sink.paths:
                with open(p, "rb+") as fh:
                    os.fsync(fh.fileno())
            t_file = min(t_file, time.perf_counter() - t0)
            for p in sink.paths:
                p.unlink()
    assert pkg.attachments[0].size == (size if not zipped else pkg.attachments[0].size)
    return {
        "write_s": t_write,
        "read_s": t_read,
        "raw_s": t_raw,
        "file_s": t_file,
        "raw_mb_s": mb / t_raw,
        "file_mb_s": mb / t_file,
        "ratio": t_raw / t_file,
        "raw_nowrite_mb_s": mb / t_raw_nowrite,
        "ratio_nowrite": t_raw_nowrite / t_read,
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
              f"read+decode to a file {r['file_mb_s']:.0f} MB/s, raw limit {r['raw_mb_s']:.0f} MB/s, "
              f"ratio {r['ratio']:.2f}; without writing: raw {r['raw_nowrite_mb_s']:.0f} MB/s, "
              f"ratio {r['ratio_nowrite']:.2f}; xml {r['xml_mb']:.0f} MB, peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    print(f"median of {args.runs}: attachment {args.mb} MB{' zipped' if args.zip else ''}; "
          f"write {med['write_mb_s']:.0f} MB/s ({med['write_s']:.2f} s), "
          f"read+decode {med['read_mb_s']:.0f} MB/s ({med['read_s']:.2f} s), "
          f"read+decode to a file {med['file_mb_s']:.0f} MB/s, raw limit {med['raw_mb_s']:.0f} MB/s, "
          f"ratio {med['ratio']:.2f}; without writing: raw {med['raw_nowrite_mb_s']:.0f} MB/s, "
          f"ratio {med['ratio_nowrite']:.2f}; peak RSS {med['peak_rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
