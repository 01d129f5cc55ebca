"""Zipped attachments inflate within bounds counted as the bytes come out (issue 11)."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from vpdt.edxml import DirectorySink, EdxmlError, Limits, read_package
from vpdt.edxml.extract import extract_package
from vpdt.edxml.zipinfo import ZipBudget, archive_size, list_entries

from .bombs import bomb, package_with_zip, zip_bytes

MiB = 1 << 20


def _package(zipped: bytes, **kw) -> bytes:
    out = io.BytesIO()
    package_with_zip(out, zipped, **kw)
    return out.getvalue()


def test_a_zip_bomb_in_an_attachment_is_refused_while_inflating(tmp_path):
    data = bomb(64 * MiB)  # 64 MiB of zeros in about 64 KB
    assert len(data) < 100_000
    package = _package(data)
    started = time.monotonic()
    with pytest.raises(EdxmlError) as err:
        read_package(package, attachment_sink=DirectorySink(tmp_path))
    assert err.value.code == "EDXML_ZIP_BOMB"
    assert "100 times" in err.value.detail  # the ratio stopped it, long before 64 MiB came out
    assert "bom nén" in err.value.message
    assert time.monotonic() - started < 3
    assert list(tmp_path.iterdir()) == []  # nothing half-written left by the sink


def test_the_total_inflated_is_bounded_even_at_a_modest_ratio():
    data = zip_bytes({"so-lieu.csv": (6 * MiB, 3 * 1024)})  # about 20 times: under the ratio bound
    limits = Limits(max_unzipped_bytes=2 * MiB)
    with pytest.raises(EdxmlError) as err:
        read_package(_package(data), limits=limits)
    assert err.value.code == "EDXML_ZIP_BOMB" and str(2 * MiB) in err.value.detail
    pkg = read_package(_package(data))  # within the default bounds it is read and listed
    assert pkg.attachments[0].zip_entries[0].size == 6 * MiB


def test_the_bound_stops_the_inflation_near_it_not_at_the_end():
    data = bomb(64 * MiB)
    budget = ZipBudget(Limits(max_zip_ratio=10_000, max_unzipped_bytes=3 * MiB), len(data))
    out = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf, pytest.raises(EdxmlError):
        with budget.open(zf, budget.entries(zf)[0]) as entry:
            while block := entry.read(10 * MiB):  # asking for more gets one 64 KiB block at a time
                out += len(block)
    assert 3 * MiB - (64 << 10) <= out <= 3 * MiB  # counted to the bound, within one block


def test_too_many_entries_are_refused():
    data = zip_bytes({f"tep-{i}.txt": (10, 0) for i in range(1001)})
    with pytest.raises(EdxmlError) as err:
        read_package(_package(data, name="nhieu-tep"))
    assert err.value.code == "EDXML_ZIP_BOMB" and "1001 entries" in err.value.detail


def test_small_text_that_compresses_well_is_not_a_bomb():
    data = zip_bytes({"bien-ban.txt": (512 * 1024, 0)})  # 512 KiB of zeros: ratio > 100 but under the floor
    pkg = read_package(_package(data))
    assert pkg.attachments[0].zip_entries[0].size == 512 * 1024


def test_declared_sizes_are_not_trusted():
    """A zip that says its entry is 10 bytes is not inflated past what it says (and is bad);
    one that says it is huge is stopped by the counted bytes."""
    data = bytearray(bomb(64 * MiB))
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (10).to_bytes(4, "little")  # central directory: uncompressed size
    data[22:26] = (10).to_bytes(4, "little")  # local header too
    pkg = read_package(_package(bytes(data)))
    assert pkg.attachments[0].zipped is False  # not a usable zip: kept as the bytes received
    assert any(w.code == "EDXML_BAD_ZIP" for w in pkg.warnings)
    with zipfile.ZipFile(io.BytesIO(bomb(64 * MiB))) as zf:
        assert zf.infolist()[0].file_size == 64 * MiB  # honest here; the bound counts anyway
    with pytest.raises(EdxmlError):
        list_entries(io.BytesIO(bomb(64 * MiB)), Limits(max_zip_ratio=10_000, max_unzipped_bytes=MiB))


def test_a_zip_inside_a_zip_is_never_opened():
    inner = bomb(64 * MiB)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("ho-so.zip", inner)
    pkg = read_package(_package(outer.getvalue(), name="ho-so"))
    entries = pkg.attachments[0].zip_entries
    assert [(e.name, e.size) for e in entries] == [("ho-so.zip", len(inner))]  # the inner zip as a file


def test_extract_refuses_a_bomb_and_leaves_nothing(tmp_path):
    package = _package(zip_bytes({"so-lieu.csv": (6 * MiB, 3 * 1024)}), extra=b"%PDF-1.4 to trinh")
    out = tmp_path / "out"
    # The reader's listing and the extraction count the same bounds.
    with pytest.raises(EdxmlError) as err:
        extract_package(package, out, limits=Limits(max_unzipped_bytes=2 * MiB))
    assert err.value.code == "EDXML_ZIP_BOMB"
    assert list(out.iterdir()) == []
    _, paths = extract_package(package, out)
    assert sorted(p.name for p in paths) == ["bao-cao.pdf", "to-trinh.pdf"]
    assert (out / "bao-cao.pdf").stat().st_size == 6 * MiB


def test_archive_size_is_the_real_size():
    data = bomb(MiB)
    f = io.BytesIO(data)
    f.seek(5)
    assert archive_size(f) == len(data) and f.tell() == 5
