"""`vpdt search …`: Vietnamese help and output by default, English with `--lang en`."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from vpdt import cli

pytestmark = pytest.mark.django_db


@pytest.fixture
def language(monkeypatch):
    monkeypatch.setattr(cli, "_language", cli._language)
    yield
    translation.deactivate()


def test_status_speaks_vietnamese_by_default(capsys, language):
    assert cli.main(["--lang", "vi", "search", "status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("đang chờ 0  đang đọc 0  đã xong 0 (OCR 0)  lỗi 0")


def test_status_extract_and_retry_in_english(capsys, language):
    assert cli.main(["--lang", "en", "search", "status"]) == 0
    assert capsys.readouterr().out.startswith("pending 0  working 0  done 0 (OCR 0)  failed 0")
    assert cli.main(["--lang", "en", "search", "extract"]) == 0
    assert capsys.readouterr().out.strip() == "extracted 0 file(s)"
    assert cli.main(["--lang", "en", "search", "retry"]) == 0
    assert capsys.readouterr().out.strip() == "0 failed file(s) queued again"


def test_status_json_keeps_its_keys(capsys, language):
    assert cli.main(["search", "status", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert {"pending", "working", "done", "failed", "ocr"} <= set(counts)


def test_the_help_is_vietnamese(capsys):
    with pytest.raises(SystemExit):
        cli.main(["search", "--help"])
    out = capsys.readouterr().out
    assert "đang chờ" in out and "pending" not in out
