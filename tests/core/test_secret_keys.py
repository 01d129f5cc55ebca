"""The deployment's own secret key (vpdt.core.secret_keys): no process starts on a public or
missing key outside demo mode; demo mode keeps one random key in the data dir."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from vpdt.core import secret_keys
from vpdt.core.secret_keys import LEGACY_PUBLIC_KEY

VPDT = [sys.executable, "-m", "vpdt.cli"]


def _env(tmp_path, **extra) -> dict:
    """The environment of a deployment with nothing set: no key, no demo, its own data dirs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(VPDT_DATA_DIR=str(tmp_path / "var"), VPDT_HUB_DATA_DIR=str(tmp_path / "hub"), **extra)
    return env


def _run(args, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([*VPDT, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=env["VPDT_DATA_DIR"].rsplit("/", 1)[0])


@pytest.mark.slow
@pytest.mark.parametrize("command", [["serve", "--port", "9"], ["worker", "--once"], ["hub", "serve", "--port", "9"]],
                         ids=["serve", "worker", "hub-serve"])
def test_no_process_starts_without_its_own_key(tmp_path, command):
    # every other command (rotate-secrets, hub add-agency, ...) goes through the same
    # vpdt.cli.setup_django(check=True)
    done = _run(command, _env(tmp_path))
    assert done.returncode != 0
    assert "vpdt.E001" in done.stderr
    env = "VPDT_HUB_SECRET_KEY" if command[0] == "hub" else "VPDT_SECRET_KEY"
    assert f"{env}_FILE" in done.stderr and "Chưa có khóa bí mật" in done.stderr
    assert not (tmp_path / "var" / "secret.key").exists() and not (tmp_path / "hub" / "secret.key").exists()


def test_the_key_comes_from_the_variable_then_its_file_then_demo_mode(tmp_path, monkeypatch):
    for name in ("VPDT_X_SECRET_KEY", "VPDT_X_SECRET_KEY_FILE", "VPDT_DEMO"):
        monkeypatch.delenv(name, raising=False)
    assert secret_keys.load("VPDT_X_SECRET_KEY", tmp_path) == ("", "missing")
    monkeypatch.setenv("VPDT_DEMO", "1")
    key, source = secret_keys.load("VPDT_X_SECRET_KEY", tmp_path)
    assert source == "demo" and len(key) >= 48
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    assert secret_keys.load("VPDT_X_SECRET_KEY", tmp_path) == (key, "demo")  # kept, not made again
    key_file = tmp_path / "mounted"
    key_file.write_text("a-key-from-a-mounted-file-0123456789-abcdefghij\n")
    monkeypatch.setenv("VPDT_X_SECRET_KEY_FILE", str(key_file))
    assert secret_keys.load("VPDT_X_SECRET_KEY", tmp_path) == ("a-key-from-a-mounted-file-0123456789-abcdefghij", "file")
    monkeypatch.setenv("VPDT_X_SECRET_KEY", "from-the-environment")
    assert secret_keys.load("VPDT_X_SECRET_KEY", tmp_path) == ("from-the-environment", "env")
    monkeypatch.setenv("VPDT_X_SECRET_KEY_FALLBACKS", "old-1, old-2,")
    assert secret_keys.fallbacks("VPDT_X_SECRET_KEY") == ["old-1", "old-2"]


def _start_demo_until_key(tmp_path, env) -> str:
    """`vpdt serve --demo` up to its database step (the checks passed), then stopped."""
    proc = subprocess.Popen([*VPDT, "serve", "--demo", "--port", "9"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        line = proc.stdout.readline()  # the first line comes after the system checks
        assert "Đang chuẩn bị cơ sở dữ liệu" in line, line + proc.stdout.read()
    finally:
        proc.kill()
        proc.wait(30)
    return (tmp_path / "var" / "secret.key").read_text()


@pytest.mark.slow
def test_demo_mode_makes_one_key_and_keeps_it(tmp_path):
    env = _env(tmp_path)
    first = _start_demo_until_key(tmp_path, env)
    key_file = tmp_path / "var" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.strip()) >= 48 and first.strip() != LEGACY_PUBLIC_KEY
    mtime = key_file.stat().st_mtime_ns
    time.sleep(0.05)
    assert _start_demo_until_key(tmp_path, env) == first  # the second start reuses it
    assert key_file.stat().st_mtime_ns == mtime


def test_the_check_passes_with_the_suites_key():
    from vpdt.core.secret_keys import problems

    assert problems() == []


def test_the_check_names_each_problem(settings):
    from vpdt.core.secret_keys import problems

    settings.SECRET_KEY = LEGACY_PUBLIC_KEY
    assert [p.id for p in problems()] == ["vpdt.E002"]
    settings.SECRET_KEY = "short"
    assert [p.id for p in problems()] == ["vpdt.W001"]
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "x" * 40, [LEGACY_PUBLIC_KEY]
    assert [p.id for p in problems()] == ["vpdt.W002"]
