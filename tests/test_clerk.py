"""The clerk harness (tests/clerk.py) fills generated workbooks in LibreOffice as a person does,
and what it fills reads back as the record it typed: money typed in 万元 or 元, percentages as
"50%", dates as "2025-12-31", 一级/二级 typed into their dropdowns, rows inserted where the
prepared ones run out. A value LibreOffice's validity check refuses goes in as typed; required
cells can be emptied; a sheet copied into a new workbook loses the stamp; .xls and .ods copies
open with the typed values.

One soffice serves the session (the `office` fixture); each test closes what it opens.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine

from tests.clerk import copy_sheet_to_new_workbook, field_cell, fill_project, table_cell, typed_text
from tests.helpers import FIXED_TIME, example_records
from tests.libreoffice import Office, OfficeError
from tests.returns import TEMPLATES, corpus_record, without_source
from xlsxkit.form.errors import Code, Severity
from xlsxkit.form.excel import STAMP_SHEET
from xlsxkit.form.record import ValueType, get_path
from xlsxkit.read.reader import read_return
from xlsxkit.template.layout import compile_layout
from xlsxkit.write.generate import generate_blank

SHEET = "项目1"
UNTOUCHED = {"项目2", "项目3"}
OLE2, ZIP = b"\xd0\xcf\x11\xe0", b"PK\x03\x04"  # how .xls and .xlsx/.ods files begin


def blank_for(record: dict[str, Any], out: Path) -> Path:
    """The blank workbook generated, with the record's template, for its unit and year."""
    template = TEMPLATES[record["template"]["id"]]
    report = generate_blank(template, [record["unit"]], record["year"], out, generated_at=FIXED_TIME)
    assert not report.problems, report.problems
    return report.files[0].path


def prepared_rows(template_id: str) -> int:
    table = compile_layout(TEMPLATES[template_id]).sheet().table("indicators")
    assert table is not None
    return table.rows


def longest_example(template_id: str) -> dict[str, Any]:
    return max(example_records(template_id), key=lambda record: len(record["indicators"]))


def sheet_values(path: Path, sheet: str = SHEET) -> list[list[Any]]:
    """A sheet's cell values as calamine reads them, the file's format known by its content
    (`from_path` goes by the suffix, and takes an .xlsx named .xls for a broken .xls)."""
    with path.open("rb") as file:
        return python_calamine.CalamineWorkbook.from_filelike(file).get_sheet_by_name(sheet).to_python()


def test_typed_text_is_what_a_person_types() -> None:
    assert typed_text(ValueType.money, "585000.00", "万元") == "58.5"
    assert typed_text(ValueType.money, "3807700.00", "元") == "3807700"
    assert typed_text(ValueType.money, "0.00", "万元") == "0"
    assert typed_text(ValueType.percent, "50", None) == "50%"
    assert typed_text(ValueType.percent, "33.30", None) == "33.3%"
    assert typed_text(ValueType.date, "2025-12-31", None) == "2025-12-31"
    assert typed_text(ValueType.integer, 3, None) == "3"
    department = {"code": "079", "name": "六安市住房公积金中心"}
    assert typed_text(ValueType.coded_name, department, None) == "[079]六安市住房公积金中心"
    assert typed_text(ValueType.text, "=1+1", None) == "=1+1"


# tangshan: 万元, 资金支出计划 in %, fewer indicators than prepared rows. luan: 万元 for two
# periods, 二级/三级 shown twice, 项目期 "3年", a coded 主管部门, 22 indicators in 20 rows.
# shanghai: 元, dates, choice lists, 31 indicators in 15 rows.
CASES = {
    "tangshan": corpus_record("tangshan"),
    "luan": corpus_record("luan"),
    "shanghai": longest_example("shanghai"),
}


def test_the_cases_cover_inserting_rows() -> None:
    assert len(CASES["tangshan"]["indicators"]) < prepared_rows("tangshan")
    assert len(CASES["luan"]["indicators"]) > prepared_rows("luan")
    assert len(CASES["shanghai"]["indicators"]) > prepared_rows("shanghai")
    assert TEMPLATES["shanghai"].money_unit == "元" and CASES["shanghai"]["project"]["start_date"] is not None


@pytest.mark.libreoffice
@pytest.mark.parametrize("template_id", CASES)
def test_a_blank_filled_by_the_clerk_reads_back_as_the_record(office: Office, tmp_path: Path, template_id: str) -> None:
    record = CASES[template_id]
    template = TEMPLATES[template_id]
    last = table_cell(template, "indicators", len(record["indicators"]) - 1, "level2")
    with office.open(blank_for(record, tmp_path)) as book:
        fill_project(book, SHEET, template, record)
        invalid = book.invalid_cells(SHEET)
        last_dropdown = book.cell(SHEET, last).Validation.Type.value
        saved = book.save_as(tmp_path / "returned" / f"{record['unit']['code']} 绩效目标表（终稿）.xlsx")
    assert invalid == []  # LibreOffice's own validity check accepts all the clerk typed
    assert last_dropdown == "LIST"  # the last row, inserted where the prepared rows ran out, has the 二级 dropdown
    result = read_return(saved)
    assert [without_source(r.record) for r in result.records] == [without_source(record)]
    assert {f.sheet for f in result.findings if f.code is Code.R_SHEET_UNUSED} == UNTOUCHED
    # what was typed as "58.5", "50%", "2025-12-31" or "3" is stored as a number or a date, not as text
    values = sheet_values(saved)
    for place in compile_layout(template).sheet().fields:
        stored = values[place.box.row][place.box.col]
        if place.type in (ValueType.money, ValueType.percent, ValueType.integer):
            assert stored == "" or isinstance(stored, float), (place.key, stored)
        if place.type is ValueType.date:
            assert stored == "" or isinstance(stored, dt.date), (place.key, stored)


@pytest.mark.libreoffice
def test_money_and_percent_are_stored_as_a_person_typing_them_stores_them(office: Office, tmp_path: Path) -> None:
    record, template = CASES["tangshan"], TEMPLATES["tangshan"]
    with office.open(blank_for(record, tmp_path)) as book:
        fill_project(book, SHEET, template, record)
        total = book.cell(SHEET, field_cell(template, "funds.annual.total"))
        june = book.cell(SHEET, field_cell(template, "spending_plan.06"))
        stored = (total.getValue(), total.getString(), june.getValue(), june.getString())
    assert stored == (58.5, "58.50", 0.5, "50%")  # 585000.00 yuan typed "58.5" on a 万元 form; "50%"


@pytest.mark.libreoffice
def test_a_level2_not_under_its_level1_goes_in_as_typed_and_is_flagged(office: Office, tmp_path: Path) -> None:
    record, template = CASES["tangshan"], TEMPLATES["tangshan"]
    assert record["indicators"][0]["level1"] == "产出指标"
    level2 = table_cell(template, "indicators", 0, "level2")
    with office.open(blank_for(record, tmp_path)) as book:
        fill_project(book, SHEET, template, record)
        book.type_text(SHEET, level2, "经济效益指标")  # a 效益指标's 二级, which the dropdown refuses
        invalid = book.invalid_cells(SHEET)
        saved = book.save_as(tmp_path / "wrong-level2.xlsx")
    assert invalid == [level2]
    result = read_return(saved)
    assert result.records[0].record["indicators"][0]["level2"] == "经济效益指标"
    found = [(f.code, f.cell) for f in result.records[0].findings if f.severity is not Severity.info]
    assert found == [(Code.C_LEVEL2_MISMATCH, level2)]


@pytest.mark.libreoffice
def test_required_cells_emptied_by_the_clerk_read_as_missing(office: Office, tmp_path: Path) -> None:
    template = TEMPLATES["tangshan"]
    record = copy.deepcopy(CASES["tangshan"])
    record["project"]["name"] = None
    record["goals"]["annual"] = None
    blanks = [field_cell(template, "project.name"), field_cell(template, "goals.annual")]
    with office.open(blank_for(record, tmp_path)) as book:
        fill_project(book, SHEET, template, CASES["tangshan"])  # filled in full first …
        fill_project(book, SHEET, template, record)  # … then the two cells deleted
        assert [book.get_string(SHEET, cell) for cell in blanks] == ["", ""]
        saved = book.save_as(tmp_path / "blanks.xlsx")
    result = read_return(saved)
    assert [without_source(r.record) for r in result.records] == [without_source(record)]
    required = [(f.code, f.cell) for f in result.records[0].findings if f.severity is Severity.error]
    assert sorted(required) == sorted((Code.C_REQUIRED, cell) for cell in blanks)


@pytest.mark.libreoffice
def test_a_locked_cell_cannot_be_typed_into(office: Office, tmp_path: Path) -> None:
    record, template = CASES["tangshan"], TEMPLATES["tangshan"]
    name = compile_layout(template).sheet().field("project.name")
    label = name.label_box if name is not None else None
    assert label is not None
    with office.open(blank_for(record, tmp_path)) as book:
        with pytest.raises(OfficeError, match="locked cell"):
            book.type_text(SHEET, label.a1, "项目")
        assert book.get_string(SHEET, label.a1) == "项目名称"


@pytest.mark.libreoffice
def test_a_sheet_copied_into_a_new_workbook_has_no_stamp(office: Office, tmp_path: Path) -> None:
    record, template = CASES["tangshan"], TEMPLATES["tangshan"]
    blank = blank_for(record, tmp_path)
    with office.open(blank) as book:
        fill_project(book, SHEET, template, record)
        copied = copy_sheet_to_new_workbook(office, book, SHEET, tmp_path / "复制.xlsx")
    assert python_calamine.CalamineWorkbook.from_path(str(copied)).sheet_names == [SHEET]  # no _xlsxkit, no _lists
    assert STAMP_SHEET in python_calamine.CalamineWorkbook.from_path(str(blank)).sheet_names
    generated, copy_book = openpyxl.load_workbook(blank), openpyxl.load_workbook(copied)
    assert not any(name.startswith("xlsxkit.") for name in copy_book.custom_doc_props.names)
    merges = [{str(r) for r in book[SHEET].merged_cells.ranges} for book in (copy_book, generated)]
    assert merges[0] == merges[1]
    unstamped = read_return(copied)
    assert [f.code for f in unstamped.findings] == [Code.R_NO_STAMP] and not unstamped.records
    # read with its template, the copy gives the record (unit and year from the sheet's own text)
    named = read_return(copied, template=TEMPLATES["tangshan"])
    assert Code.R_READ_WITHOUT_STAMP in {f.code for f in named.findings}
    assert [without_source(r.record) for r in named.records] == [without_source(record)]


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("name", "file_format", "magic"),
    [
        ("603001 绩效目标表.xls", None, OLE2),
        ("603001 绩效目标表.ods", None, ZIP),
        ("603001 绩效目标表（给财务）.xls", "xlsx", ZIP),  # an .xlsx under a name ending .xls
    ],
)
def test_saved_in_another_format_the_typed_values_are_there(
    office: Office,
    tmp_path: Path,
    name: str,
    file_format: str | None,
    magic: bytes,
) -> None:
    record, template = CASES["tangshan"], TEMPLATES["tangshan"]
    with office.open(blank_for(record, tmp_path)) as book:
        fill_project(book, SHEET, template, record)
        saved = book.save_as(tmp_path / name, file_format)
    assert saved.read_bytes().startswith(magic)
    values = sheet_values(saved)
    layout = compile_layout(template).sheet()

    def at(key: str) -> Any:
        place = layout.field(key)
        assert place is not None
        return values[place.box.row][place.box.col]

    assert at("project.name") == get_path(record, "project.name")
    assert (at("funds.annual.total"), at("spending_plan.06")) == (58.5, 0.5)
    table = layout.table("indicators")
    assert table is not None
    value = table.column("value")
    assert value is not None
    typed = [values[table.first_row + i][value.col] for i in range(len(record["indicators"]))]
    assert typed == [indicator["value"] for indicator in record["indicators"]]
