"""Benchmark: one large web upload through the production server, against the machine's copy rate.

    python bench/upload_bench.py [--mb 512] [--runs 3] [--dir DIR] [--workers 1] [--threads 4]
                                 [--concurrent 8 --threads 8 [--concurrent-mb 64] [--rounds 4]]

Builds a fresh e-office in DIR (SQLite, local blob store; default a temporary folder on the
disk of the repository's var/), starts it the way production does (`vpdt serve --production`:
gunicorn, gthread workers), and as a system account with an API token (scope drafts:write)
uploads a .docx of MB MiB (a zip whose big part is stored, random bytes; generated on disk as
a stream, never in memory) as a new draft version: POST /api/drafts/{id}/versions, multipart,
its body sent from the file by the kernel (`socket.sendfile`, so that the load generator takes little of
the machine's CPU) on an http.client connection. The server judges it by its bytes, stores
it in the blob store and answers with its SHA-256, checked here.

Each run, IN THE SAME RUN, the machine's copy rate on the same disk: the same file read and
written to a new file (shutil.copyfile) then fsync'd ("copy"), and the same without fsync
("copy, no fsync": the upload path does not fsync either, so this is the stricter limit).
Each run's file has other random bytes (no deduplication in the store). Printed: MB/s of the
upload (request sent → response read), the two copy rates, the ratios, and the server
worker's peak RSS (VmHWM) and RSS before the upload. Median of RUNS.

Beside them, in the same run, what the copy does not have to do: the minimal Python pipeline
(the file received from a local socket, hashed in one thread and written in another, fsync, the
process's buffers kept as the server keeps them; no HTTP,
no multipart, no database) and SHA-256 alone over the file. Where SHA-256 alone runs near the
copy rate, no server that hashes what it receives can reach half of it on two cores; the
upload/pipeline ratio is then what the HTTP server and Django's multipart parsing cost.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # the pipeline writes behind as the e-office does (core.write_behind)
MiB = 1024 * 1024
CONTENT_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'wordprocessingml.document.main+xml"/></Types>')

SETUP = """
import django, os, json
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpdt.settings")
django.setup()
from vpdt.directory import system_accounts
from vpdt.directory.models import Agency, RoleAssignment, User
from vpdt.directory.roles import Role
from vpdt.records.models import DocumentType
from vpdt.records.seed import seed_document_types
if not DocumentType.objects.filter(code="CV").exists():
    seed_document_types(DocumentType)
agency = Agency.objects.create(code="000.00.13.H90", name="Sở Khoa học và Công nghệ", abbreviation="SKHCN",
                               max_upload_mb=%(limit_mb)d)
admin = User.objects.create_user(username="admin_bench", password="Bench#12345678", agency=agency, full_name="Quản trị")
RoleAssignment.objects.create(user=admin, agency=agency, role=Role.AGENCY_ADMIN)
account = system_accounts.create_account(admin, agency, name="Phần mềm soạn thảo", role=Role.SPECIALIST)
token = system_accounts.issue_token(admin, account, name="bench", days=1, scopes=["documents:read", "drafts:write"])
print(json.dumps({"token": token}))
"""


def make_docx(path: Path, size: int) -> str:
    """A .docx whose media part is `size` bytes of fresh random data (1 MiB block repeated); its SHA-256."""
    block = os.urandom(MiB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("word/document.xml", "<w:document/>")
        with zf.open("word/media/image1.bin", "w", force_zip64=True) as fh:
            left = size
            while left > 0:
                fh.write(block[: min(left, MiB)])
                left -= MiB
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


def copy_rate(src: Path, fsync: bool) -> float:
    dst = src.with_suffix(".copy")
    t0 = time.perf_counter()
    shutil.copyfile(src, dst)
    if fsync:
        with open(dst, "rb+") as fh:
            os.fsync(fh.fileno())
    elapsed = time.perf_counter() - t0
    size = dst.stat().st_size
    dst.unlink()
    return size / MiB / elapsed


def sha256_rate(src: Path) -> float:
    """SHA-256 alone over the file (read from the page cache, as the copy left it): MB/s."""
    digest = hashlib.sha256()
    t0 = time.perf_counter()
    with open(src, "rb") as fh:
        while chunk := fh.read(4 * MiB):
            digest.update(chunk)
    return src.stat().st_size / MiB / (time.perf_counter() - t0)


def pipeline_rate(src: Path) -> float:
    """What any Python server must at least do with an upload, and nothing else: receive the file
    from a local socket (the sender: the kernel's sendfile), SHA-256 it in one thread and write
    it in another (as core.uploads does, the write behind it), fsync: MB/s. No HTTP, no multipart, no
    database; the figure the upload's cost beyond the copy is read against."""
    import queue

    from vpdt.core.serving import keep_buffers
    from vpdt.core.write_behind import WriteBehind

    keep_buffers()  # as the server does before it serves (core.serving.settle_heap)

    dst = src.with_suffix(".pipeline")
    listener = socket.create_server(("127.0.0.1", 0))

    def send():
        with socket.create_connection(listener.getsockname()) as c, open(src, "rb") as fh:
            c.sendfile(fh)

    sender = threading.Thread(target=send)
    sender.start()
    conn, _ = listener.accept()
    to_hash: queue.Queue = queue.Queue(4)
    to_write: queue.Queue = queue.Queue(4)
    digest = hashlib.sha256()
    t0 = time.perf_counter()
    with open(dst, "wb") as out:
        def hasher():
            while (chunk := to_hash.get()) is not None:
                digest.update(chunk)

        def writer():
            behind, written = WriteBehind(out), 0
            while (chunk := to_write.get()) is not None:
                out.write(chunk)
                written += len(chunk)
                behind.wrote(written)

        threads = [threading.Thread(target=hasher), threading.Thread(target=writer)]
        for thread in threads:
            thread.start()
        while True:
            buf = bytearray(2 * MiB)
            view, got = memoryview(buf), 0
            while got < len(buf) and (n := conn.recv_into(view[got:])):
                got += n
            if not got:
                break
            chunk = buf if got == len(buf) else bytes(view[:got])
            to_hash.put(chunk)
            to_write.put(chunk)
        to_hash.put(None)
        to_write.put(None)
        for thread in threads:
            thread.join()
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - t0
    conn.close()
    listener.close()
    sender.join()
    size = dst.stat().st_size
    dst.unlink()
    return size / MiB / elapsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, url: str, token: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(method, url, body=body, headers={"Authorization": f"Bearer {token}", **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def new_draft(port: int, token: str, subject: str) -> int:
    status, body = call(port, "POST", "/api/drafts", token, json.dumps({"subject": subject}).encode(),
                        {"Content-Type": "application/json"})
    assert status == 201, body
    return json.loads(body)["id"]


def upload(port: int, token: str, draft: int, path: Path) -> tuple[float, dict]:
    boundary = "vpdt-bench-" + os.urandom(8).hex()
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nbench\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"du-thao.docx\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    conn.putrequest("POST", f"/api/drafts/{draft}/versions")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    conn.send(head)
    with open(path, "rb") as fh:
        conn.sock.sendfile(fh)  # the load generator's own CPU kept small: the kernel copies the file
    conn.send(tail)
    sent = time.perf_counter() - t0
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    if response.status != 201:
        raise SystemExit(f"upload refused: {response.status} {data[:500]!r}")
    answer = json.loads(data)
    answer["_sent_s"] = sent
    return elapsed, answer


def worker_of(master: psutil.Process) -> psutil.Process:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for child in master.children(recursive=True):
            if "vpdt" in " ".join(child.cmdline()) or child.name():
                return child
        time.sleep(0.2)
    raise SystemExit("no gunicorn worker")


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=512)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where the e-office's data and the files go (default: under var/)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--src", default=str(ROOT / "src"), help="the code to measure (another checkout's src/)")
    ap.add_argument("--concurrent", type=int, default=0,
                    help="then N uploads at once (needs --threads N), in rounds: the worker's RSS after each")
    ap.add_argument("--concurrent-mb", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()

    base = Path(args.dir) if args.dir else ROOT / "var"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="upload-bench-", dir=base) as tmp:
        data = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_") and k != "DJANGO_SETTINGS_MODULE"}
        env.update(VPDT_DATA_DIR=str(data), PYTHONPATH=args.src, VPDT_MAX_UPLOAD_MB=str(args.mb + 64),
                   VPDT_SECRET_KEY="vpdt-bench-upload-secret-key-never-deployed-0123456789abcdef")
        subprocess.run([sys.executable, "-m", "vpdt.cli", "migrate"], env=env, check=True, capture_output=True)
        token = json.loads(subprocess.run([sys.executable, "-c", SETUP % {"limit_mb": args.mb + 64}], env=env,
                                          check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])["token"]
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "vpdt.cli", "serve", "--production", "--port", str(port),
                                   "--workers", str(args.workers), "--threads", str(args.threads)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if call(port, "GET", "/healthz", "")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.5)
            worker = worker_of(psutil.Process(server.pid))
            results = []
            for i in range(args.runs):
                draft = new_draft(port, token, f"Dự thảo thử tải lên {i + 1}")
                src = Path(tmp) / f"du-thao-{i}.docx"
                sha = make_docx(src, args.mb * MiB)
                load_before = os.getloadavg()[0]
                # Each measure starts with nothing of the bench's own waiting to be written: the
                # file just made, or the copy's pages, written back during the next measure slowed
                # it (the upload came after 1 GiB of the copies' writes).
                os.sync()
                copy_sync = copy_rate(src, fsync=True)
                os.sync()
                copy_nosync = copy_rate(src, fsync=False)
                os.sync()
                rss_before = worker.memory_info().rss / MiB
                peak = [rss_before]
                done = threading.Event()

                def sample(peak=peak, done=done):
                    while not done.wait(0.05):
                        peak[0] = max(peak[0], worker.memory_info().rss / MiB)

                sampler = threading.Thread(target=sample)
                sampler.start()
                try:
                    elapsed, answer = upload(port, token, draft, src)
                finally:
                    done.set()
                    sampler.join()
                assert answer["sha256"] == sha, (answer, sha)
                os.sync()
                minimal = pipeline_rate(src)
                hashing = sha256_rate(src)
                sent = answer.pop("_sent_s")  # the last byte handed to the socket: the rest is the server's
                size_mb = src.stat().st_size / MiB
                r = {"upload_mb_s": size_mb / elapsed, "copy_mb_s": copy_sync, "copy_nosync_mb_s": copy_nosync,
                     "ratio": size_mb / elapsed / copy_sync, "ratio_nosync": size_mb / elapsed / copy_nosync,
                     "pipeline_mb_s": minimal, "sha256_mb_s": hashing,
                     "ratio_pipeline": size_mb / elapsed / minimal,
                     "rss_before_mb": rss_before, "rss_peak_mb": peak[0],
                     "sent_s": sent, "answered_after_s": elapsed - sent,
                     "load": f"{load_before:.1f}→{os.getloadavg()[0]:.1f}"}
                results.append(r)
                src.unlink()
                print(f"run {i + 1}: upload {r['upload_mb_s']:.0f} MB/s ({elapsed:.2f} s); copy+fsync "
                      f"{copy_sync:.0f} MB/s, copy {copy_nosync:.0f} MB/s; ratio {r['ratio']:.2f} "
                      f"(to copy without fsync {r['ratio_nosync']:.2f}); minimal Python pipeline {minimal:.0f} MB/s "
                      f"(upload/pipeline {r['ratio_pipeline']:.2f}), SHA-256 alone {hashing:.0f} MB/s; "
                      f"worker RSS {rss_before:.0f} → peak "
                      f"{peak[0]:.0f} MB; load {r['load']}; last byte sent after {sent:.2f} s, answer {elapsed - sent:.2f} s "
                      "later", flush=True)
            med = {k: statistics.median(r[k] for r in results) for k in results[0] if k != "load"}
            print(f"median of {args.runs}: {args.mb} MiB upload, {args.workers} worker x {args.threads} threads: "
                  f"upload {med['upload_mb_s']:.0f} MB/s, copy+fsync {med['copy_mb_s']:.0f} MB/s, "
                  f"copy {med['copy_nosync_mb_s']:.0f} MB/s, ratio {med['ratio']:.2f} "
                  f"(to copy without fsync {med['ratio_nosync']:.2f}); minimal Python pipeline "
                  f"{med['pipeline_mb_s']:.0f} MB/s (upload/pipeline {med['ratio_pipeline']:.2f}), SHA-256 alone "
                  f"{med['sha256_mb_s']:.0f} MB/s; worker RSS {med['rss_before_mb']:.0f} → "
                  f"peak {med['rss_peak_mb']:.0f} MB")
            if args.concurrent:
                concurrent_rss(args, port, token, worker, Path(tmp))
        finally:
            server.terminate()
            server.wait(30)
    return 0


def concurrent_rss(args, port: int, token: str, worker: psutil.Process, tmp: Path) -> None:
    """Memory held after many uploads at once: `--concurrent` uploads of `--concurrent-mb` MiB
    together, `--rounds` times; the worker's RSS after each round (memory that stays flat stays
    near its level after the first)."""
    files = []
    for i in range(args.concurrent):
        path = tmp / f"at-once-{i}.docx"
        make_docx(path, args.concurrent_mb * MiB)
        files.append(path)
    print(f"{args.concurrent} uploads of {args.concurrent_mb} MiB at once, worker with {args.threads} threads: "
          f"RSS before {worker.memory_info().rss / MiB:.0f} MB", flush=True)
    for round_ in range(args.rounds):
        drafts = [new_draft(port, token, f"Dự thảo cùng lúc {round_ + 1}.{i + 1}") for i in range(args.concurrent)]
        t0 = time.perf_counter()
        threads = [threading.Thread(target=upload, args=(port, token, draft, path)) for draft, path in zip(drafts, files, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - t0
        time.sleep(1)
        print(f"  round {round_ + 1}: {args.concurrent * args.concurrent_mb / elapsed:.0f} MB/s together; "
              f"worker RSS after {worker.memory_info().rss / MiB:.0f} MB", flush=True)
    for path in files:
        path.unlink()


if __name__ == "__main__":
    sys.exit(main())
