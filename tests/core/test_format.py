from vpdt.web.templatetags.vpdt_format import common_name, iso_datetime


def test_iso_timestamp_shows_as_vietnamese_date_and_time_in_vietnam_time():
    assert iso_datetime("2026-11-21T13:36:41+07:00") == "21/11/2026 13:36"
    assert iso_datetime("2026-11-21T06:36:41+00:00") == "21/11/2026 13:36"
    assert iso_datetime("") == "" and iso_datetime("not a date") == "not a date"


def test_common_name_of_a_certificate_subject():
    assert common_name("Common Name: Phạm Văn Quang, Country: VN") == "Phạm Văn Quang"
    assert common_name("Organization: X") == "Organization: X"
