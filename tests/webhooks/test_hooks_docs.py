"""docs/webhooks.md: its Python and openssl recipes verify a signature the sender really makes."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from vpdt.webhooks import events, sender

DOC = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
BODY = '{"event":"document.arrived","document":{"subject":"Về việc chuyển đổi số"}}'.encode()


def _block(lang: str) -> str:
    return re.search(rf"```{lang}\n(.*?)```", DOC, re.S).group(1)


def test_every_event_is_documented():
    for name in events.EVENTS:
        assert f"`{name}`" in DOC, name


def test_the_python_recipe_verifies_and_refuses():
    space: dict = {}
    exec(_block("python"), space)  # noqa: S102 - the documented recipe itself
    verify = space["verify"]
    stamp = str(int(time.time()))
    headers = {"X-Vpdt-Timestamp": stamp, "X-Vpdt-Signature": sender.sign("whsec_abc", stamp, BODY)}
    assert verify("whsec_abc", headers, BODY)
    assert not verify("whsec_other", headers, BODY)
    assert not verify("whsec_abc", headers, BODY + b" ")
    old = str(int(time.time()) - 3600)
    assert not verify("whsec_abc", {"X-Vpdt-Timestamp": old, "X-Vpdt-Signature": sender.sign("whsec_abc", old, BODY)},
                      BODY)


def test_the_openssl_recipe_prints_the_signature(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed here: the shell recipe is not checked")
    (tmp_path / "body.json").write_bytes(BODY)
    script = _block("sh").replace("SECRET='whsec_…'", "SECRET='whsec_abc'")
    out = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "sha256=" + out.strip() == sender.sign("whsec_abc", "1796040000", BODY)
