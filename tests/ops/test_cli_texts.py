"""What `vpdt backup` and `vpdt restore` print for people: Vietnamese numbers and dates."""

from vpdt.ops import cli


def test_the_archive_time_is_read_in_vietnam_time_as_dd_mm_yyyy():
    # 20:36 UTC on 3 December is 03:36 on 4 December in Vietnam
    assert cli._when("2026-12-03T20:36:16.328864+00:00") == "04/12/2026 03:36:16 (giờ Việt Nam)"
    assert cli._when("2026-12-03T20:36:16") == "04/12/2026 03:36:16 (giờ Việt Nam)"  # no zone: UTC, as written
    assert cli._when(None) == "?"
    assert cli._when("hôm qua") == "hôm qua"  # an older or foreign header: shown as it is


def test_counts_and_seconds_are_written_the_vietnamese_way():
    assert cli._count(24367225) == "24.367.225"
    assert cli._count(505) == "505"
    assert cli._seconds(0.34) == "0,3"
