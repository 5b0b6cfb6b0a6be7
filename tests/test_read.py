"""Reading returns: every corpus record survives render → read exactly, blank workbooks read as
blank records, and the stamp decides the template."""

from __future__ import annotations

import json
from collections import defaultdict

import jsonschema
import openpyxl
import pytest
from openpyxl.packaging.custom import CustomPropertyList
from typer.testing import CliRunner

from tests.helpers import example_records
from tests.returns import (
    TEMPLATES,
    blank_return,
    corpus_record,
    corpus_records,
    edited,
    filled_return,
    read_one,
    without_source,
)
from xlsxkit.cli import app
from xlsxkit.form.errors import Code, Severity
from xlsxkit.form.record import blank_record
from xlsxkit.read.reader import read_return
from xlsxkit.template.record_schema import record_schema


def _by_workbook() -> dict[tuple[str, str], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for record in corpus_records():
        groups[(record["template"]["id"], record["unit"]["code"])].append(record)
    return groups


GROUPS = _by_workbook()


@pytest.mark.parametrize("group", sorted(GROUPS), ids=lambda g: f"{g[0]}-{g[1]}")
def test_every_corpus_record_reads_back_exactly(group, tmp_path):
    records = GROUPS[group]
    path = filled_return(group[0], records, tmp_path)
    result = read_return(path)
    assert result.readable and not result.findings
    assert [without_source(r.record) for r in result.records] == [without_source(r) for r in records]
    schema = jsonschema.Draft202012Validator(record_schema(TEMPLATES[group[0]]))
    for read in result.records:
        schema.validate(read.record)  # the record is what `xlsxkit schema --record` promises
    first = result.records[0].record["source"]
    assert first["file"] == path.name and first["sheet"] == result.records[0].sheet
    assert len(first["sha256"]) == 64


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
def test_a_blank_workbook_has_only_unused_sheets_and_is_an_error_of_its_own(template_id, tmp_path):
    template = TEMPLATES[template_id]
    result = read_return(blank_return(template_id, tmp_path, year=2026))
    assert result.records == []
    unused = [f for f in result.findings if f.code is Code.R_SHEET_UNUSED]
    assert len(unused) == template.projects and all(f.severity is Severity.info for f in unused)
    assert [f.code for f in result.findings if f.severity is Severity.error] == [Code.R_NOTHING_FILLED]


def test_a_sheet_with_anything_typed_is_a_project_checked_in_full(tmp_path):
    def type_a_name(book):
        book["项目2"]["E3"] = "办公楼运转经费"

    result = read_return(edited(blank_return("tangshan", tmp_path), type_a_name))
    assert [r.sheet for r in result.records] == ["项目2"]
    record = result.records[0].record
    assert (
        record["project"]["name"] == "办公楼运转经费" and record["year"] == 2025 and record["unit"]["code"] == "603001"
    )
    assert record.keys() == blank_record("project").keys()
    findings = result.records[0].findings
    assert {(f.code, f.cell) for f in findings if f.code is Code.C_REQUIRED} == {
        (Code.C_REQUIRED, "C4"),
        (Code.C_REQUIRED, "B8"),
    }
    missing = [f for f in findings if f.code is Code.C_LEVEL1_MISSING]
    assert [f.details["level1"] for f in missing] == ["产出指标", "效益指标", "满意度指标"]
    assert all(f.cell == "A9" for f in missing)
    assert [f.sheet for f in result.findings if f.code is Code.R_SHEET_UNUSED] == ["项目1", "项目3"]


def test_a_value_refused_for_its_type_makes_a_sheet_used(tmp_path):
    def type_a_wrong_amount(book):
        book["项目1"]["C4"] = "三百万"

    result = read_return(edited(blank_return("tangshan", tmp_path), type_a_wrong_amount))
    assert [r.sheet for r in result.records] == ["项目1"]
    assert Code.R_WRONG_TYPE in {f.code for f in result.records[0].findings}


@pytest.mark.parametrize("cell", ["C7", "F10"], ids=["a percentage field", "an indicator value"])
def test_a_number_too_large_in_a_percent_cell_is_a_finding_at_its_cell_not_an_unreadable_file(tmp_path, cell):
    """1e16 typed into a cell formatted as a percentage once made the whole return unreadable."""

    def type_a_huge_percentage(book):
        book["项目1"][cell] = 1e16
        book["项目1"][cell].number_format = "0%"

    result = read_one("tangshan", corpus_record("tangshan"), tmp_path, type_a_huge_percentage)
    assert result.readable and [r.sheet for r in result.records] == ["项目1"]
    assert Code.R_INTERNAL not in {f.code for f in result.all_findings()}
    if cell == "C7":  # 6月底 支出计划: a percentage past any plan
        refused = [f for f in result.records[0].findings if f.code is Code.R_WRONG_TYPE]
        assert [(f.cell, f.details["value"]) for f in refused] == [("C7", "1000000000000000000%")]
    else:  # the 指标值 is kept as the percentage shown
        assert result.records[0].record["indicators"][0]["value"] == "1000000000000000000%"


def test_a_project_entered_twice_in_a_return_is_an_error_on_the_later_sheet(tmp_path):
    """A project sheet copied within the workbook — same 项目编码, same 项目名称 — would be summed
    twice by every summary; projects of their own are not touched."""
    record = corpus_record("tangshan")
    other = {**record, "project": {**record["project"], "code": "OTHER-1", "name": "另一个项目"}}
    result = read_return(filled_return("tangshan", [record, other, record], tmp_path))
    repeated = [(f.code, f.sheet, f.cell) for f in result.all_findings() if f.code is Code.C_PROJECT_REPEATED]
    assert repeated == [(Code.C_PROJECT_REPEATED, "项目3", "B3")]  # the 项目编码 cell
    assert "项目1" in next(f.message for f in result.all_findings() if f.code is Code.C_PROJECT_REPEATED)
    assert Code.C_PROJECT_MAYBE_REPEATED not in {f.code for f in result.all_findings()}


@pytest.mark.parametrize(
    ("first", "second", "cell"),
    [
        ({"code": None}, {"code": None}, "E3"),  # one name, no codes (E3: the 项目名称 cell)
        ({"code": "P-1"}, {"code": "P-1", "name": "另一个项目"}, "B3"),  # one code, two names
    ],
    ids=["one name without codes", "one code for two names"],
)
def test_two_sheets_sharing_a_code_or_a_name_alone_are_a_warning(tmp_path, first, second, cell):
    record = corpus_record("tangshan")
    sheets = [{**record, "project": {**record["project"], **changes}} for changes in (first, second)]
    result = read_return(filled_return("tangshan", sheets, tmp_path))
    repeated = [f for f in result.all_findings() if f.code in (Code.C_PROJECT_REPEATED, Code.C_PROJECT_MAYBE_REPEATED)]
    assert [(f.code, f.sheet, f.cell, f.severity.value) for f in repeated] == [
        (Code.C_PROJECT_MAYBE_REPEATED, "项目2", cell, "warning")
    ]


def test_a_placeholder_for_a_code_is_no_code_two_projects_may_carry(tmp_path):
    """ "无" (or "/", "-") as 项目编码 of two projects of their own says nothing of either."""
    record = corpus_record("tangshan")
    sheets = [
        {**record, "project": {**record["project"], "code": "无"}},
        {**record, "project": {**record["project"], "code": "无", "name": "另一个项目"}},
    ]
    result = read_return(filled_return("tangshan", sheets, tmp_path))
    assert not {Code.C_PROJECT_REPEATED, Code.C_PROJECT_MAYBE_REPEATED} & {f.code for f in result.all_findings()}


def _without_stamp(path):
    book = openpyxl.load_workbook(path)
    del book["_xlsxkit"]
    book.custom_doc_props = CustomPropertyList()
    target = path.with_name("foreign.xlsx")
    book.save(target)
    return target


def test_a_workbook_without_stamp_needs_a_template(tmp_path):
    path = _without_stamp(filled_return("tianjin", [GROUPS[("tianjin", "685201")][0]], tmp_path))
    result = read_return(path)
    assert not result.readable and not result.records
    assert result.findings[0].code is Code.R_NO_STAMP
    assert "--template" in result.findings[0].fix


def test_a_workbook_without_stamp_reads_with_a_template_and_says_so(tmp_path):
    record = GROUPS[("luan", "079")][0]
    path = _without_stamp(filled_return("luan", [record], tmp_path))
    result = read_return(path, template=TEMPLATES["luan"])
    assert result.findings[0].code is Code.R_READ_WITHOUT_STAMP and result.findings[0].severity is Severity.warning
    read = result.records[0].record
    assert read["year"] == record["year"]  # from the form's "(2022 年度)"
    assert read["unit"] == {"code": None, "name": None}  # nothing on the sheet says which unit
    assert read["project"] == record["project"] and read["indicators"] == record["indicators"]


@pytest.mark.parametrize("template_id", ["tangshan", "tianjin", "mof"])
def test_a_hand_made_form_gives_the_unit_its_text_prints(template_id, tmp_path):
    record = next(r for r in corpus_records() + example_records() if r["template"]["id"] == template_id)
    path = _without_stamp(filled_return(template_id, [record], tmp_path))
    read = read_return(path, template=TEMPLATES[template_id]).records[0].record
    printed = {"code": record["unit"]["code"] if template_id != "mof" else None, "name": record["unit"]["name"]}
    assert read["unit"] == printed


def test_the_unit_and_year_given_are_those_of_a_workbook_without_a_stamp(tmp_path):
    record = GROUPS[("luan", "079")][0]
    path = _without_stamp(filled_return("luan", [record], tmp_path))
    outcome = CliRunner().invoke(
        app, ["read", str(path), "--template", "luan", "--unit", "079 六安市住房公积金中心", "--year", "2030"]
    )
    read = json.loads(outcome.stdout.splitlines()[0])
    assert read["unit"] == {"code": "079", "name": "六安市住房公积金中心"}
    assert read["year"] == 2030 != record["year"]  # said by the office, over the form's "(2022 年度)"


def test_a_workbook_is_not_read_with_another_template(tmp_path):
    path = filled_return("tianjin", [GROUPS[("tianjin", "685201")][0]], tmp_path)
    result = read_return(path, template=TEMPLATES["tangshan"])
    assert not result.readable
    finding = result.findings[0]
    assert finding.code is Code.R_TEMPLATE_MISMATCH
    assert finding.message == "工作簿由模板 tianjin 生成，不能按模板 tangshan 读取"


def test_a_stamp_naming_an_unknown_template_is_refused_with_a_suggestion(tmp_path):
    path = filled_return("tianjin", [GROUPS[("tianjin", "685201")][0]], tmp_path)

    def rename(book):
        book["_xlsxkit"]["B1"] = "tianjing"
        book.custom_doc_props = CustomPropertyList()

    result = read_return(edited(path, rename))
    assert result.findings[0].code is Code.R_UNKNOWN_TEMPLATE
    assert "tianjing" in result.findings[0].message and "是否应为 tianjin" in result.findings[0].message


def test_a_workbook_from_another_version_of_its_template_is_read_with_a_warning(tmp_path):
    record = GROUPS[("tianjin", "685201")][0]
    path = filled_return("tianjin", [record], tmp_path)
    newer = TEMPLATES["tianjin"].model_copy(update={"version": "2"})
    result = read_return(path, template=newer)
    assert [f.code for f in result.findings] == [Code.R_TEMPLATE_CHANGED]
    assert result.findings[0].details == {"template": "tianjin", "stamped": "1", "current": "2"}
    assert without_source(result.records[0].record)["indicators"] == record["indicators"]


def test_sheets_that_are_not_the_form_are_skipped_with_a_note(tmp_path):
    path = filled_return("tianjin", [GROUPS[("tianjin", "685201")][0]], tmp_path)

    def add_notes(book):
        book.create_sheet("备注")["A1"] = "本单位联系人：张三"

    result = read_return(edited(path, add_notes))
    assert len(result.records) == 1
    assert [(f.code, f.sheet, f.severity) for f in result.findings] == [(Code.R_SHEET_SKIPPED, "备注", Severity.info)]


def test_a_workbook_with_no_form_sheet_says_so(tmp_path):
    path = filled_return("tianjin", [GROUPS[("tianjin", "685201")][0]], tmp_path)

    def wipe(book):
        for sheet in book.worksheets[1:-2]:
            book.remove(sheet)

    result = read_return(edited(path, wipe))
    assert [f.code for f in result.findings] == [Code.R_NO_FORM_SHEET]
    assert "tianjin" in result.findings[0].message


def test_a_table_whose_header_was_wiped_is_said_to_be_unread(tmp_path):
    """The 分项绩效目标 table of the department form loses its header: the sheet is still the
    form (its other table and field are there), the lost table is named."""
    record = GROUPS[("tangshan-department", "603001")][0]
    path = filled_return("tangshan-department", [record], tmp_path)

    def wipe_header(book):
        sheet = book.worksheets[1]
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in ("分项名称", "绩效目标", "绩效指标"):
                    cell.value = None

    result = read_return(edited(path, wipe_header))
    (read,) = result.records
    assert [(f.code, f.message) for f in read.findings] == [
        (Code.R_TABLE_NOT_FOUND, "找不到表头（分项名称、绩效目标、绩效指标），这张表没有读取"),
    ]
    assert read.record["items"] == [] and read.record["measures"] == record["measures"]
