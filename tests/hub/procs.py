"""Real hub processes for end-to-end tests: `vpdt hub serve` on free loopback ports."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from vpdt.vxp.client import VxpClient

VPDT = [sys.executable, "-m", "vpdt.cli"]
# The hub processes run the code this process imported (a bench run from a git worktree must
# not start the editable install's tree instead).
SRC = Path(__import__("vpdt").__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubProcess:
    def __init__(self, name: str, root: Path):
        self.name = name
        self.dir = root / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.env = dict(os.environ, VPDT_HUB_POLL_SECONDS="0.2", VPDT_HUB_RETRY_BASE_SECONDS="0.2",
                        VPDT_HUB_RETRY_MAX_SECONDS="2", VPDT_HUB_MIN_FREE_MB="0",
                        # a hub killed mid-push lets the package go again within the tests' waits
                        VPDT_HUB_FORWARD_LEASE_SECONDS="5",
                        # each hub its own key (there is no default one), the same across its restarts
                        VPDT_HUB_SECRET_KEY=f"vpdt-tests-hub-{name}-secret-key-never-deployed-0123456789",
                        PYTHONPATH=os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p))
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def args(self) -> list[str]:
        return ["--data-dir", str(self.dir), "--database", str(self.dir / "hub.sqlite3")]

    def run(self, *command: str) -> str:
        out = subprocess.run([*VPDT, "hub", command[0], *self.args(), *command[1:]], env=self.env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def spawn(self, *commands: tuple[str, ...]) -> subprocess.Popen:
        """One process that runs several `vpdt hub` commands on this hub in order: one Python
        and Django start-up instead of one per command. Wait for it with `finish`."""
        argv = [["hub", c[0], *self.args(), *c[1:]] for c in commands]
        return subprocess.Popen([sys.executable, "-c", _RUN_MANY, json.dumps(argv)], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def start(self, *serve_args: str) -> HubProcess:
        log = open(self.dir / "serve.log", "ab")
        self.proc = subprocess.Popen([*VPDT, "hub", "serve", "--port", str(self.port), *self.args(), *serve_args],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                assert self.proc.poll() is None, (self.dir / "serve.log").read_text()
                time.sleep(0.1)
        raise TimeoutError(f"hub {self.name} did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, system_id: str, secret: str) -> VxpClient:
        return VxpClient(self.url + "/", system_id, secret, timeout=30, sdk_quirks=True)


_RUN_MANY = """
import json, sys
from vpdt.cli import main
for argv in json.loads(sys.argv[1]):
    code = main(argv)
    if code:
        sys.exit(code)
"""


def finish(*procs: subprocess.Popen, timeout: float = 120) -> list[str]:
    """Wait for processes made by `HubProcess.spawn` (they run side by side); their outputs."""
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        outputs.append(out)
    return outputs


def run_all(plan: dict[HubProcess, list[tuple[str, ...]]]) -> list[str]:
    """Each hub's commands in order, the hubs side by side; each hub's output in plan order."""
    return finish(*(hub.spawn(*commands) for hub, commands in plan.items()))


def retrying(call, attempts: int = 200, pause: float = 0.1):
    """Call until it does not fail with a transport error: what the SDK does on I/O errors."""
    for _ in range(attempts):
        try:
            return call()
        except httpx.TransportError:
            time.sleep(pause)
    raise TimeoutError("hub unreachable")


def drain(client: VxpClient, dest: Path, received: dict, message_type: str = "edoc") -> int:
    """Fetch, store, then acknowledge everything waiting; `received[sha256]` counts receipts."""
    dest.mkdir(parents=True, exist_ok=True)
    items = client.get_received_edoc_list(message_type=message_type)
    for item in items:
        path = dest / f"{item['docId']}.edxml"
        client.get_edoc(item["docId"], path)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if item["docId"] not in received.setdefault("_docids", set()):
            received["_docids"].add(item["docId"])
            received[sha] = received.get(sha, 0) + 1
        client.update_status(item["docId"], "done")
    return len(items)


def wait_for(predicate, timeout: float = 60, pause: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    raise TimeoutError("condition not reached")
