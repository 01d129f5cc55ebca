"""The directory import reads agency lists in either code scheme (QCVN 102, QĐ 20/2020)."""

from __future__ import annotations

import json

import pytest

from tests import factories
from vpdt.cli import main
from vpdt.core.errors import InvalidInput
from vpdt.core.models import AuditEntry
from vpdt.directory.importing import import_agencies, read_rows
from vpdt.directory.models import Agency

pytestmark = pytest.mark.django_db


def test_a_qd20_list_sets_the_second_code_of_known_and_new_agencies(tmp_path):
    factories.agency(code="000.00.00.H53", name="UBND tỉnh Tây Ninh")
    # getAgenciesListQD20's answer: code is the QĐ 20 code, code102 the QCVN 102 one
    answer = {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "data": [
        {"code": "H53", "code102": "000.00.00.H53", "name": "UBND tỉnh Tây Ninh", "id": 1, "mail": ""},
        {"code": "H53.13", "code102": "000.00.13.H53", "name": "Sở TT&TT Tây Ninh", "id": 2, "mail": "stt@tayninh.gov.vn"},
    ]}
    path = tmp_path / "qd20.json"
    path.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    result = import_agencies(read_rows(path))
    assert (result.created, result.updated) == (["000.00.13.H53"], ["000.00.00.H53"])
    stt = Agency.objects.get(code="000.00.13.H53")
    assert (stt.code_qd20, stt.email, stt.parent.code) == ("H53.13", "stt@tayninh.gov.vn", "000.00.00.H53")
    assert Agency.objects.get(code="000.00.00.H53").code_qd20 == "H53"
    assert AuditEntry.objects.filter(action="agency.update").exists()
    # a QĐ 20-only row updates the agency that carries that code
    again = tmp_path / "rename.csv"
    again.write_text("code,name\nH53.13,Sở Khoa học và Công nghệ Tây Ninh\n", encoding="utf-8")
    assert import_agencies(read_rows(again)).updated == ["000.00.13.H53"]
    assert Agency.objects.get(code_qd20="H53.13").name == "Sở Khoa học và Công nghệ Tây Ninh"


def test_a_qcvn102_csv_and_the_cli(tmp_path, capsys):
    path = tmp_path / "list.csv"
    path.write_text("code,name,codeQD20,mail\n000.00.00.H41,UBND tỉnh Nghệ An,H41,\n"
                    "000.00.14.H41,Sở TT&TT Nghệ An,,\n", encoding="utf-8")
    assert main(["directory", "import-agencies", "--dry-run", str(path)]) == 0
    assert not Agency.objects.exists()
    assert main(["directory", "import-agencies", str(path)]) == 0
    assert "2 cơ quan mới" in capsys.readouterr().out
    assert dict(Agency.objects.values_list("code", "code_qd20")) == {"000.00.00.H41": "H41", "000.00.14.H41": ""}


def test_a_synchronize_unit_answer_skips_removed_units():
    rows = [{"id": "1", "pid": "0", "code": "000.00.00.H41", "codeQD20": "H41", "name": "UBND tỉnh Nghệ An",
             "mail": "", "centerCode": "", "version": 3, "deleted": False, "modifyDate": "", "isAgency": True},
            {"id": "2", "pid": "1", "code": "001.77.00.H41", "codeQD20": "", "name": "Đã xóa", "mail": "",
             "centerCode": "", "version": 4, "deleted": True, "modifyDate": "", "isAgency": True}]
    assert import_agencies(rows).created == ["000.00.00.H41"]
    assert not Agency.objects.filter(code="001.77.00.H41").exists()


@pytest.mark.parametrize("rows, why", [
    ([{"code": "vxp.saas.03", "name": "x"}], "không theo QCVN 102"),
    ([{"code": "H53.77", "name": "x"}], "chưa có trong danh mục"),
    ([{"code": "000.00.13.H53", "code102": "000.00.14.H53", "name": "x"}], "khác nhau"),
    ([{"code": "000.00.13.H53", "codeQD20": "13.H53", "name": "x"}], "QĐ 20/2020"),
    ([{"code": "H53.13", "code102": "000.00.13.H53", "name": "a"},
      {"code": "H53.13", "code102": "000.00.14.H53", "name": "b"}], "dòng trước"),
])
def test_a_bad_row_refuses_the_whole_list(rows, why):
    factories.agency(code="000.00.00.H53", name="UBND tỉnh Tây Ninh")
    with pytest.raises(InvalidInput) as exc:
        import_agencies([{"code": "000.00.00.H53", "codeQD20": "H53", "name": "UBND"}, *rows])
    assert why in exc.value.message
    assert Agency.objects.get().code_qd20 == ""  # nothing written


def test_the_recipient_picker_finds_an_agency_by_its_qd20_code():
    from vpdt.directory.recipients import search_agencies

    own = factories.agency(code="000.00.00.H53", name="UBND tỉnh Tây Ninh")
    stt = factories.agency(code="000.00.13.H53", name="Sở Thông tin và Truyền thông", code_qd20="H53.13")
    clerk = factories.person(own, "clerk")
    assert search_agencies(clerk, "H53.13") == [stt]
