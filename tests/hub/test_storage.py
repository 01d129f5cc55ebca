"""The package store: directories made once per process, and again if removed under it."""

from __future__ import annotations

import hashlib
import io
import shutil

import pytest

from vpdt.hub import storage


def _receive(store: storage.PackageStore, data: bytes) -> storage.Incoming:
    incoming = store.receive(io.BytesIO(data).read, 1024 * 1024, len(data))
    incoming.match_hash_file(None)
    return incoming


def test_directories_are_made_once_then_not_asked_again(tmp_path, monkeypatch):
    store = storage.PackageStore(tmp_path / "hub")
    first = _receive(store, b"<edXML>1</edXML>")
    assert store.commit(first).read_bytes() == b"<edXML>1</edXML>"
    made = []
    monkeypatch.setattr(storage.Path, "mkdir", lambda self, *a, **k: made.append(self))
    again = storage.PackageStore(tmp_path / "hub")  # services.store() makes one per request
    second = _receive(again, b"<edXML>1</edXML>")
    assert again.commit(second) == store.path(hashlib.sha256(b"<edXML>1</edXML>").hexdigest())
    assert made == []


def test_a_store_whose_directories_were_removed_makes_them_again(tmp_path):
    store = storage.PackageStore(tmp_path / "hub")
    store.commit(_receive(store, b"<edXML>a</edXML>"))
    shutil.rmtree(tmp_path / "hub")
    incoming = _receive(store, b"<edXML>b</edXML>")
    target = store.commit(incoming)
    assert target.read_bytes() == b"<edXML>b</edXML>"
    assert target == store.path(hashlib.sha256(b"<edXML>b</edXML>").hexdigest())
    assert not incoming.path.exists()
    assert list((tmp_path / "hub" / "tmp").iterdir()) == []


def test_the_first_package_of_a_directory_makes_it(tmp_path):
    store = storage.PackageStore(tmp_path / "hub")
    for n in range(20):  # several two-level directories, each made by its first package
        data = f"<edXML>{n}</edXML>".encode()
        assert store.commit(_receive(store, data)).read_bytes() == data
    assert len(list((tmp_path / "hub" / "packages").glob("*/*/*.edxml"))) == 20


def test_two_first_packages_of_one_directory_at_once_are_both_stored(tmp_path, monkeypatch):
    """Two requests (threads or processes) commit the first two packages of one two-level
    directory: both renames find it missing, and the other one makes it before this one looks.
    Each must still be stored (CI saw a 599 for it, tests/hub/test_concurrency.py)."""
    store = storage.PackageStore(tmp_path / "hub")
    incoming = _receive(store, b"<edXML>race</edXML>")
    target = store.path(incoming.sha256)
    real_replace = storage.os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 1:  # missing now; the other request makes it right after
            target.parent.mkdir(parents=True, exist_ok=True)
            raise FileNotFoundError(2, "No such file or directory", str(src))
        return real_replace(src, dst)

    monkeypatch.setattr(storage.os, "replace", replace)
    assert store.commit(incoming).read_bytes() == b"<edXML>race</edXML>"
    assert not incoming.path.exists()


def test_a_temp_file_gone_before_its_commit_is_an_error_not_a_package(tmp_path):
    store = storage.PackageStore(tmp_path / "hub")
    incoming = _receive(store, b"<edXML>gone</edXML>")
    incoming.path.unlink()
    with pytest.raises(FileNotFoundError):
        store.commit(incoming)
    assert not store.path(incoming.sha256).exists()
