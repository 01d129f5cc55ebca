"""Serving a WSGI application (the e-office or a hub) in one process or in many.

One process (the embedded default): waitress, with the background-job consumer in a thread
of the same process; nothing forks, so `make run` is one process to start and to stop.
Several processes (`--workers N`): gunicorn's pre-fork server (gthread workers) runs them,
restarts a worker that dies, and stops them all on SIGTERM/SIGINT. Exactly one worker at a
time runs the job consumer: the one holding an exclusive lock on a file of the data dir; a
replacement worker takes the lock over when its holder died.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path


def _die_with_parent() -> None:
    """A worker dies with its master (SIGKILL of the master leaves no orphan on the port)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def settle_heap() -> None:
    """Before serving: what starting made and keeps (modules, settings, models, URL patterns …)
    is put out of the cyclic garbage collector's sight (gc.freeze), after one last collection of
    what starting left behind.

    A process serving for days makes nearly all of its objects at start. Each full collection
    used to walk them all again: streaming a 512 MiB upload allocates enough to set off several,
    and they took 12 % of the worker's CPU (bench/upload_bench.py, perf). Frozen before gunicorn
    forks, they are also left untouched by the workers' collections, so their memory pages stay
    shared with the master's (the use the Python documentation gives for gc.freeze)."""
    import gc

    gc.collect()
    gc.freeze()
    keep_buffers()


#: glibc's mallopt parameters (malloc.h): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
BUFFER_MMAP = 4 * 1024 * 1024
BUFFER_TRIM = 16 * 1024 * 1024
ARENAS = 2


def keep_buffers() -> bool:
    """Let the process keep the memory of the buffers a stream goes through, instead of giving it
    back to the kernel after each one and faulting it in again for the next.

    Streaming a body means buffers of 1-2 MiB made and freed all the time (the socket's reads,
    the server's and the parser's chunks, the upload handler's queues). glibc's defaults give
    the top of its heap back to the kernel once a few MiB are free there, so each new buffer was
    fresh pages, zeroed by the kernel and faulted in one by one: 66,000 page faults for a 512 MiB
    upload, and a quarter of the request thread's CPU (0.49 s against 0.37 s without them,
    measured in one process: gunicorn's reader over a socket pair, the parser, the handler).

    Now allocations under BUFFER_MMAP come from the heap, and up to BUFFER_TRIM of free memory
    stays at its top to be used again. glibc gives each thread that allocates its own arena
    (up to 8 per core), each of which would keep that much: after 8 uploads at once in one
    8-thread worker, its RSS stayed 40-90 MB above the old code's. With at most ARENAS arenas
    (the threads of a Python process allocate under the GIL, so they hardly contend for one)
    it stays where it was: 174-184 MB against 165-174 MB (bench/upload_bench.py's server,
    4 rounds of 8 uploads of 64 MiB). Settings made before the threads start; not glibc (musl):
    nothing changes. Returns whether the allocator took them."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return (bool(mallopt(_M_MMAP_THRESHOLD, BUFFER_MMAP)) and bool(mallopt(_M_TRIM_THRESHOLD, BUFFER_TRIM))
            and bool(mallopt(_M_ARENA_MAX, ARENAS)))


def serve_processes(application, *, host: str, port: int, workers: int, threads: int,
                    consumer_lock: Path | None = None, start_consumer: Callable[[], object] | None = None,
                    timeout: int = 300) -> int:
    """Run `application` in `workers` gunicorn processes; one of them runs `start_consumer()`."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    held: list = []

    def post_fork(server, worker) -> None:
        _die_with_parent()

    def post_worker_init(worker) -> None:
        if start_consumer is None or consumer_lock is None:
            return
        consumer_lock.parent.mkdir(parents=True, exist_ok=True)
        fh = open(consumer_lock, "a")  # noqa: SIM115 - held for the worker's life
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()  # another worker runs the consumer
            return
        held.append(fh)
        held.append(start_consumer())

    options = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 10,
        "reuse_port": True,
        "accesslog": None,
        "post_fork": post_fork,
        "post_worker_init": post_worker_init,
        "control_socket_disable": True,
        "proc_name": "vpdt",
    }

    class Application(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            return application

    from vpdt.core import tasks

    connections.close_all()  # no database connection may cross a fork,
    close = getattr(tasks.huey.storage, "close", None)
    if close is not None:
        close()  # nor the SQLite queue's (Redis's pool reconnects in a new process by itself)
    settle_heap()
    Application().run()
    return 0


def blob_backend_name() -> str:
    """Where the files go, as an operator reads it: the local directory or the S3 bucket."""
    from django.conf import settings

    blobs = settings.STORAGES["blobs"]
    options = blobs.get("OPTIONS", {})
    if "s3" in blobs["BACKEND"]:
        return f"s3://{options.get('bucket_name')} ({options.get('endpoint_url') or 'AWS'})"
    return str(options.get("location"))


# --- the request body bound -------------------------------------------------------------------
# A request may carry at most one upload at the largest limit of any agency, plus the form
# around it (VPDT_REQUEST_OVERHEAD_MB); VPDT_MAX_REQUEST_MB fixes the bound instead. waitress
# is given it (max_request_body_size: it answers 413 and reads no further); under gunicorn,
# or any WSGI server, BodyLimitMiddleware answers 413 before anything reads the body.

_cached: tuple[float, int] | None = None


def request_limit_bytes() -> int:
    """The largest request body accepted (cached a minute: it reads the agencies' limits)."""
    global _cached
    import time

    from django.conf import settings

    if settings.VPDT_MAX_REQUEST_MB:
        return settings.VPDT_MAX_REQUEST_MB * 1024 * 1024
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < 60:
        return _cached[1]
    mb = settings.VPDT_MAX_UPLOAD_MB
    try:
        from django.apps import apps
        from django.db.models import Max

        Agency = apps.get_model("directory", "Agency")  # noqa: N806 - core imports no higher app
        mb = max(mb, Agency.objects.aggregate(m=Max("max_upload_mb"))["m"] or 0)
    except Exception:  # no database yet (before migrate): the default limit
        pass
    limit = (mb + settings.VPDT_REQUEST_OVERHEAD_MB) * 1024 * 1024
    _cached = (now, limit)
    return limit


def _too_large(request, length: int, limit: int):
    """413: JSON {"code", "message"} for systems (/api/, the hub), a Vietnamese page for people."""
    from django.http import HttpResponse, JsonResponse
    from django.template.loader import render_to_string

    message = f"Yêu cầu quá lớn (tối đa {limit // (1024 * 1024)} MB)."
    if request.path.startswith(("/api/", "/hub")):
        return JsonResponse({"code": "REQUEST_TOO_LARGE", "message": message,
                             "detail": f"Content-Length {length} > {limit}"}, status=413,
                            json_dumps_params={"ensure_ascii": False})
    context = {"status": 413, "code": "REQUEST_TOO_LARGE", "message": message, "detail": "",
               "heading": "Tệp hoặc yêu cầu quá lớn"}
    try:  # the page's frame is rendered without the request: nothing of the body was read
        html = render_to_string("web/error.html", context)
    except Exception:  # noqa: BLE001 - the refusal itself must not fail
        html = f"<!doctype html><meta charset=utf-8><title>413</title><h1>413</h1><p>{message}</p>"
    return HttpResponse(html, status=413)


class BodyLimitMiddleware:
    """413, in Vietnamese, for a request whose declared body is larger than the bound."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_limit_bytes()
        if length > limit:
            response = _too_large(request, length, limit)
            response["Connection"] = "close"
            return response
        return self.get_response(request)
