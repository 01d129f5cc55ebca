"""QCVN 102:2016 agency codes: format, level and parent, and a tree whose depth is data."""

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from vpdt.directory import codes
from vpdt.directory.models import Agency


@pytest.mark.parametrize("code, level, parent", [
    ("000.00.00.H53", 1, None),
    ("000.00.01.H53", 2, "000.00.00.H53"),
    ("000.00.13.H53", 2, "000.00.00.H53"),
    ("000.30.38.H53", 3, "000.00.38.H53"),
    ("001.30.38.H53", 4, "000.30.38.H53"),
    ("000.00.00.G22", 1, None),
    ("777.77.04.D77", 4, "000.77.04.D77"),
])
def test_good_codes_give_level_and_parent(code, level, parent):
    assert codes.is_valid_code(code)
    assert codes.code_level(code) == level
    assert codes.parent_code(code) == parent


@pytest.mark.parametrize("code", [
    "", "28.22.H17", "000.00.00.h53", "000.00.00.H5", "000.00.00.53", "0000.00.00.H53", "000-00-00-H53",
    "000.00.00.H53 ", " 000.00.00.H53", "000.0A.00.H53", "000.00.00.HH3", "000.00.00",
])
def test_bad_codes_are_refused_with_a_vietnamese_message(code):
    assert not codes.is_valid_code(code)
    with pytest.raises(codes.InvalidAgencyCode, match="không đúng định dạng QCVN 102"):
        codes.parse_code(code)


@pytest.mark.django_db
def test_agency_with_bad_code_fails_validation():
    agency = Agency(code="28.22.H17", name="Sai mã", abbreviation="X")
    with pytest.raises(ValidationError):
        agency.full_clean()


@pytest.mark.django_db
def test_parent_is_derived_from_code_when_it_exists_and_skips_missing_levels():
    province = factories.agency("000.00.00.H53", name="UBND tỉnh")
    district = factories.agency("000.00.38.H53", name="UBND huyện")
    commune = factories.agency("000.30.38.H53", name="UBND xã")
    assert district.parent == province and district.level == 2
    assert commune.parent == district and commune.level == 3
    # Since 2025 the district level is gone in most places: a commune directly under the province.
    orphan_commune = factories.agency("000.31.39.H53", name="UBND xã mới")
    assert orphan_commune.parent == province
    assert orphan_commune.level == 2


@pytest.mark.django_db
def test_tree_depth_is_data_an_explicit_parent_wins():
    ministry = factories.agency("000.00.00.G14")
    dept = factories.agency("000.00.05.G14", parent=None)
    unit = Agency.objects.create(code="000.00.00.K53", name="HĐND", abbreviation="HĐND", parent=dept)
    assert dept.parent == ministry
    assert unit.parent == dept and unit.level == 3
