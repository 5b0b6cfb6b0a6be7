"""Generating unit workbooks: what a unit receives, blank or prefilled."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import FIXED_TIME, example_records
from xlsxkit.form.errors import InputError
from xlsxkit.form.excel import INSTRUCTIONS_SHEET, LISTS_SHEET
from xlsxkit.template.layout import compile_layout
from xlsxkit.template.load import find_template
from xlsxkit.write.generate import (
    UnitRecords,
    generate_blank,
    generate_for_roster,
    generate_prefilled,
    unplaced_values,
)
from xlsxkit.write.records_file import read_record_groups

UNITS = [{"code": "603001", "name": "唐山市住房公积金管理中心（参公）本级"}, {"code": "603002", "name": "丰南分中心"}]


@pytest.fixture(scope="module")
def tangshan():
    return find_template("tangshan")


@pytest.fixture(scope="module")
def blank_book(tangshan, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("blank")
    report = generate_blank(tangshan, UNITS, 2026, out, generated_at=FIXED_TIME)
    assert not report.problems
    return report.files[0].path


@pytest.fixture(scope="module")
def prefilled_book(tangshan, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prefilled")
    records = example_records("tangshan")[:3]
    report = generate_prefilled(
        tangshan, [UnitRecords(records[0]["unit"], records)], None, out, generated_at=FIXED_TIME
    )
    assert not report.problems
    return report.files[0].path


def test_one_workbook_per_unit_named_by_the_template(tangshan, tmp_path):
    report = generate_blank(tangshan, UNITS, 2026, tmp_path, generated_at=FIXED_TIME)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "603001-唐山市住房公积金管理中心（参公）本级.xlsx",
        "603002-丰南分中心.xlsx",
    ]
    assert [g.unit["code"] for g in report.files] == ["603001", "603002"]


def test_blank_workbook_has_instructions_project_sheets_and_hidden_lists(blank_book, tangshan):
    book = openpyxl.load_workbook(blank_book)
    assert book.sheetnames == [INSTRUCTIONS_SHEET, "项目1", "项目2", "项目3", LISTS_SHEET, "_xlsxkit"]
    assert book[LISTS_SHEET].sheet_state == "hidden"
    assert book["_xlsxkit"].sheet_state == "veryHidden"
    assert "603001" in book[INSTRUCTIONS_SHEET]["A2"].value
    assert book["项目1"]["A1"].value == "2026年度项目支出绩效目标表"


def test_projects_option_sets_the_number_of_blank_sheets(tangshan, tmp_path):
    report = generate_blank(tangshan, UNITS[:1], 2026, tmp_path, projects=5, generated_at=FIXED_TIME)
    names = openpyxl.load_workbook(report.files[0].path).sheetnames
    assert [n for n in names if n.startswith("项目")] == [f"项目{i}" for i in range(1, 6)]


def test_identity_stamp_in_hidden_sheet_and_document_properties(blank_book, tangshan):
    book = openpyxl.load_workbook(blank_book)
    stamp = {row[0].value: row[1].value for row in book["_xlsxkit"].iter_rows()}
    assert stamp["template_id"] == "tangshan"
    assert stamp["template_version"] == tangshan.version
    assert stamp["template_hash"] == tangshan.digest
    assert (stamp["unit_code"], stamp["unit_name"], stamp["year"]) == ("603001", UNITS[0]["name"], "2026")
    assert stamp["generated_at"] == FIXED_TIME.isoformat()
    assert len(stamp["generation_id"]) == 16
    properties = {p.name: p.value for p in book.custom_doc_props.props}
    assert properties["xlsxkit.template_id"] == "tangshan"
    assert properties["xlsxkit.generation_id"] == stamp["generation_id"]


def test_same_inputs_give_byte_identical_files(tangshan, tmp_path):
    first = generate_blank(tangshan, UNITS, 2026, tmp_path / "a", generated_at=FIXED_TIME)
    second = generate_blank(tangshan, UNITS, 2026, tmp_path / "b", generated_at=FIXED_TIME)
    digests = [[hashlib.sha256(g.path.read_bytes()).hexdigest() for g in r.files] for r in (first, second)]
    assert digests[0] == digests[1]


def test_generation_id_differs_per_unit_and_time(tangshan, tmp_path):
    a = generate_blank(tangshan, UNITS, 2026, tmp_path / "a", generated_at=FIXED_TIME)
    b = generate_blank(tangshan, UNITS[:1], 2026, tmp_path / "b", generated_at=FIXED_TIME + dt.timedelta(seconds=1))
    ids = [_stamp(g.path)["generation_id"] for g in a.files + b.files]
    assert len(set(ids)) == 3


def _stamp(path: Path) -> dict[str, str]:
    book = openpyxl.load_workbook(path)
    return {row[0].value: row[1].value for row in book["_xlsxkit"].iter_rows()}


def test_every_sheet_is_protected_and_only_input_cells_are_unlocked(blank_book, tangshan):
    book = openpyxl.load_workbook(blank_book)
    for sheet in book.worksheets:
        assert sheet.protection.sheet, sheet.title
    sheet = book["项目1"]
    layout = compile_layout(tangshan).sheet()
    for place in layout.fields:
        assert sheet[place.box.a1.split(":")[0]].protection.locked is False, place.key
    for static in layout.statics:
        assert sheet[static.box.a1.split(":")[0]].protection.locked is True, static.text
    table = layout.table("indicators")
    for row in range(table.first_row + 1, table.last_row + 2):
        assert sheet.cell(row, 1).protection.locked is False
    assert sheet.cell(table.header_row + 1, 1).protection.locked is True


def test_units_may_insert_and_delete_rows_without_a_password(blank_book):
    sheet = openpyxl.load_workbook(blank_book)["项目1"]
    protection = sheet.protection
    assert protection.insertRows is False and protection.deleteRows is False  # False = not forbidden
    assert protection.password is None


def test_password_protects_sheets_when_given(tangshan, tmp_path):
    report = generate_blank(tangshan, UNITS[:1], 2026, tmp_path, password="s3cret", generated_at=FIXED_TIME)
    sheet = openpyxl.load_workbook(report.files[0].path)["项目1"]
    assert sheet.protection.password


def test_blank_indicator_table_has_skeleton_levels_and_prepared_rows(blank_book, tangshan):
    sheet = openpyxl.load_workbook(blank_book)["项目1"]
    table = compile_layout(tangshan).sheet().table("indicators")
    header = [sheet.cell(table.header_row + 1, c.col + 1).value for c in table.columns]
    assert header == ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"]
    levels = [
        (sheet.cell(table.first_row + 1 + i, 1).value, sheet.cell(table.first_row + 1 + i, 2).value)
        for i in range(table.rows)
    ]
    assert levels[: len(table.skeleton)] == list(table.skeleton)
    assert all(level == (None, None) for level in levels[len(table.skeleton) :])
    assert table.rows == 12


def test_prefilled_sheet_holds_every_record_value_in_its_cell(prefilled_book, tangshan):
    records = example_records("tangshan")[:3]
    book = openpyxl.load_workbook(prefilled_book)
    assert book.sheetnames[1:4] == ["项目1", "项目2", "项目3"]
    layout = compile_layout(tangshan)
    record = records[0]
    sheet = book["项目1"]
    assert sheet["A1"].value == "1.办公楼运转经费绩效目标表"
    fields = layout.sheet({"indicators": len(record["indicators"])})

    def cell(key):
        return sheet[fields.field(key).box.a1.split(":")[0]].value

    assert cell("project.code") == "13020025P004M6910003G"
    assert Decimal(str(cell("funds.annual.total"))) * 10000 == Decimal(record["funds"]["annual"]["total"])
    assert cell("spending_plan.03") is None and cell("spending_plan.12") == 1
    assert cell("goals.annual") == record["goals"]["annual"]
    table = fields.table("indicators")
    for i, indicator in enumerate(record["indicators"]):
        row = table.first_row + 1 + i
        for column in table.columns:
            assert shown_value(sheet, row, column.col + 1) == indicator[column.key], (i, column.key)


def shown_value(sheet, row: int, col: int):
    """The value a person sees in a cell: a merged range's top-left value."""
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            return sheet.cell(merged.min_row, merged.min_col).value
    return sheet.cell(row, col).value


def test_money_cells_show_two_decimals_and_percent_cells_are_percentages(prefilled_book, tangshan):
    sheet = openpyxl.load_workbook(prefilled_book)["项目1"]
    fields = compile_layout(tangshan).sheet({"indicators": 6})
    assert sheet[fields.field("funds.annual.total").box.a1].number_format == "#,##0.00"
    assert sheet[fields.field("spending_plan.06").box.a1.split(":")[0]].number_format == "0%"


def test_levels_are_merged_down_as_on_the_official_form(prefilled_book):
    sheet = openpyxl.load_workbook(prefilled_book)["项目1"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    # 办公楼运转经费: four 产出指标 rows (10-13) then 效益指标, 满意度指标
    assert "A10:A13" in merged
    assert not any(r.startswith("B10:") for r in merged)  # four different 二级 under 产出指标


def test_level_values_stay_in_every_row_under_a_merge(prefilled_book):
    """So the cascading 二级 dropdown of each row still sees its 一级."""
    with zipfile.ZipFile(prefilled_book) as archive:
        xml = archive.read("xl/worksheets/sheet2.xml").decode()
        strings = re.findall(r"<t[^>]*>([^<]*)</t>", archive.read("xl/sharedStrings.xml").decode())
    for row in (10, 11, 12, 13):
        index = re.search(rf'<c r="A{row}" s="\d+" t="s"><v>(\d+)</v>', xml)
        assert index and strings[int(index.group(1))] == "产出指标", row


def test_formula_looking_user_text_is_written_as_text(tangshan, tmp_path):
    record = copy.deepcopy(example_records("tangshan")[0])
    record["project"]["name"] = "=1+1"
    record["goals"]["annual"] = "@SUM(A1)"
    record["indicators"][0]["value"] = "+1"
    record["indicators"][1]["level3"] = "-2"
    record["indicators"][2]["basis"] = '=HYPERLINK("http://x","y")'
    report = generate_prefilled(
        tangshan, [UnitRecords(record["unit"], [record])], 2026, tmp_path, generated_at=FIXED_TIME
    )
    with zipfile.ZipFile(report.files[0].path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode(), name
    sheet = openpyxl.load_workbook(report.files[0].path)["项目1"]
    values = {c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"=1+1", "@SUM(A1)", "+1", "-2", '=HYPERLINK("http://x","y")'} <= values


def test_indicator_dropdowns_cascade_from_level1_to_level2(blank_book, tangshan):
    sheet = openpyxl.load_workbook(blank_book)["项目1"]
    table = compile_layout(tangshan).sheet().table("indicators")
    rows = f"{table.first_row + 1}:{table.last_row + 1}"
    by_range = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    level1 = by_range[f"A{rows.replace(':', ':A')}"]
    level2 = by_range[f"B{rows.replace(':', ':B')}"]
    assert (level1.type, level1.formula1) == ("list", "xk_level1")
    assert level2.type == "list"
    assert level2.formula1 == f'INDIRECT("xk_level2_"&MATCH($A{table.first_row + 1},xk_level1,0))'
    assert level2.error and "一级" in level2.error
    names = openpyxl.load_workbook(blank_book).defined_names
    assert "xk_level1" in names and "xk_level2_1" in names


def test_money_cells_accept_only_non_negative_numbers(blank_book, tangshan):
    sheet = openpyxl.load_workbook(blank_book)["项目1"]
    place = compile_layout(tangshan).sheet().field("funds.annual.total")
    validation = next(v for v in sheet.data_validations.dataValidation if str(v.sqref) == place.box.a1)
    assert (validation.type, validation.operator, validation.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert "万元" in validation.error and "万元" in validation.prompt


def test_records_of_another_template_warn_of_values_without_a_cell(tangshan):
    record = example_records("luan")[0]
    record["form"] = "project"
    problems = unplaced_values(compile_layout(tangshan), UnitRecords(record["unit"], [record]))
    keys = {p.details["key"] for p in problems}
    assert "funds.overall.total" in keys and "department" in keys
    assert all(p.code.code == "G013" for p in problems)


def test_rows_grow_so_long_text_shows_whole(tangshan, tmp_path):
    record = copy.deepcopy(example_records("tangshan")[0])
    record["goals"]["annual"] = "\n".join(
        f"{i}.提供整洁的办公环境、确保办公区域安全，保障各项业务正常开展。" * 2 for i in range(1, 7)
    )
    report = generate_prefilled(
        tangshan, [UnitRecords(record["unit"], [record])], 2026, tmp_path, generated_at=FIXED_TIME
    )
    sheet = openpyxl.load_workbook(report.files[0].path)["项目1"]
    place = compile_layout(tangshan).sheet({"indicators": 6}).field("goals.annual")
    declared = dict(compile_layout(tangshan).sheet().row_heights)[place.box.row]
    height = sheet.row_dimensions[place.box.row + 1].height
    assert height > declared * 2  # six paragraphs of two lines each
    lines = 12
    assert height >= lines * tangshan.font.size * 1.2


def test_a_template_number_format_replaces_the_type_default(tmp_path):
    luan = find_template("luan")
    record = example_records("luan")[0]
    report = generate_prefilled(luan, [UnitRecords(record["unit"], [record])], None, tmp_path, generated_at=FIXED_TIME)
    sheet = openpyxl.load_workbook(report.files[0].path)["项目1"]
    place = compile_layout(luan).sheet({"indicators": len(record["indicators"])}).field("project.period_years")
    cell = sheet[place.box.a1.split(":")[0]]
    assert (cell.value, cell.number_format) == (3, '0"年"')


def test_a_unit_name_with_a_character_windows_forbids_gets_its_workbook_under_a_file_name_without_it(
    tangshan, tmp_path
):
    units = [{"code": "1", "name": "财务/审计科:一"}, *UNITS]
    report = generate_blank(tangshan, units, 2026, tmp_path, generated_at=FIXED_TIME)
    assert not report.problems
    assert (report.files[0].unit["code"], report.files[0].path.name) == ("1", "1-财务_审计科_一.xlsx")
    book = openpyxl.load_workbook(report.files[0].path)
    assert _stamp(report.files[0].path)["unit_name"] == "财务/审计科:一"  # the workbook keeps the exact name
    assert "财务/审计科:一" in book[INSTRUCTIONS_SHEET]["A2"].value


def test_a_file_name_template_with_a_forbidden_character_of_its_own_is_reported_and_the_batch_goes_on(
    tangshan, tmp_path
):
    template = tangshan.model_copy(update={"file_name": "{{ unit.code }}?.xlsx"})
    report = generate_blank(template, UNITS, 2026, tmp_path, generated_at=FIXED_TIME)
    assert not report.files
    assert [(p.code.code, p.where) for p in report.problems] == [("G020", "603001"), ("G020", "603002")]
    assert "file_name" in report.problems[0].fix


def test_two_units_given_the_same_file_name_are_not_overwritten(tangshan, tmp_path):
    template = tangshan.model_copy(update={"file_name": "{{ unit.name }}.xlsx"})
    units = [{"code": "1", "name": "分中心"}, {"code": "2", "name": "分中心"}]
    report = generate_blank(template, units, 2026, tmp_path, generated_at=FIXED_TIME)
    assert [g.unit["code"] for g in report.files] == ["1"]
    (problem,) = report.problems
    assert problem.code.code == "G022" and "unit.code" in problem.fix


def test_a_project_sheet_named_like_one_of_xlsxkits_own_sheets_is_given_another_name(tangshan, tmp_path):
    """A sheet_name that renders 填报说明 or _lists (sheets xlsxkit writes itself) made the workbook
    fail (DuplicateWorksheetName); 问题清单 would be replaced by feedback. The record keeps the name."""
    from xlsxkit.read.reader import read_return

    template = tangshan.model_copy(update={"sheet_name": "{{ project.name }}"})
    records = copy.deepcopy(example_records("tangshan")[:3])
    for record, name in zip(records, ["填报说明", "_LISTS", "问题清单"], strict=True):
        record["project"]["name"] = name
    report = generate_prefilled(
        template, [UnitRecords(records[0]["unit"], records)], None, tmp_path, generated_at=FIXED_TIME
    )
    assert not report.problems
    path = report.files[0].path
    names = openpyxl.load_workbook(path).sheetnames
    assert names == [INSTRUCTIONS_SHEET, "填报说明(2)", "_LISTS(2)", "问题清单(2)", LISTS_SHEET, "_xlsxkit"]
    read = read_return(path, template=template)
    assert [(r.sheet, r.record["project"]["name"]) for r in read.records] == list(
        zip(names[1:4], ["填报说明", "_LISTS", "问题清单"], strict=True)
    )


def test_a_template_text_naming_a_missing_roster_column_is_reported_per_unit(tangshan, tmp_path):
    template = tangshan.model_copy(update={"instructions": "联系人：{{ unit.contact }}"})
    units = [{"code": "1", "name": "甲", "contact": "张三"}, {"code": "2", "name": "乙"}]
    report = generate_blank(template, units, 2026, tmp_path, generated_at=FIXED_TIME)
    assert [g.unit["code"] for g in report.files] == ["1"]
    (problem,) = report.problems
    assert (problem.code.code, problem.where) == ("G021", "2")
    assert "contact" in problem.message
    assert not list(tmp_path.glob(".partial-*"))  # nothing half-written is left behind


def test_records_file_problems_are_reported_by_line_and_the_rest_is_generated(tangshan, tmp_path):
    good = example_records("tangshan")[0]
    wrong_money = copy.deepcopy(good)
    wrong_money["funds"]["annual"]["total"] = "五十万"
    department = example_records("tangshan-department")[0]
    path = tmp_path / "records.jsonl"
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in (good, wrong_money, department, [1])) + "\n",
        encoding="utf-8",
    )
    groups, problems = read_record_groups(path, tangshan)
    assert [len(g.records) for g in groups] == [1]
    assert [(p.code.code, p.where) for p in problems] == [
        ("G014", f"{path}:2"),
        ("G012", f"{path}:3"),
        ("G011", f"{path}:4"),
    ]
    assert "funds.annual.total" in problems[0].message and "五十万" in problems[0].message


def test_a_budget_system_record_with_only_name_and_budget_gets_blank_indicator_rows(tangshan, tmp_path):
    record = {
        "form": "project",
        "unit": {"code": "603001", "name": "唐山市住房公积金管理中心（参公）本级"},
        "project": {"name": "办公楼运转经费", "code": "13020025P004M6910003G"},
        "funds": {"annual": {"total": "585000.00", "fiscal": "585000.00"}},
    }
    path = tmp_path / "budget.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    groups, problems = read_record_groups(path, tangshan)
    assert not problems
    report = generate_prefilled(tangshan, groups, 2026, tmp_path / "out", generated_at=FIXED_TIME)
    assert not report.problems
    sheet = openpyxl.load_workbook(report.files[0].path)["项目1"]
    layout = compile_layout(tangshan).sheet()
    assert sheet[layout.field("project.name").box.a1.split(":")[0]].value == "办公楼运转经费"
    assert sheet[layout.field("funds.annual.total").box.a1].value == 58.5
    table = layout.table("indicators")
    assert table.rows == 12
    levels = [sheet.cell(table.first_row + 1 + i, 1).value for i in range(table.rows)]
    assert levels[: len(table.skeleton)] == [level1 for level1, _ in table.skeleton]


def _write_records(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_roster_and_records_together_prefill_the_units_with_records_and_blank_the_others(tangshan, tmp_path):
    records = example_records("tangshan")[:2]
    roster = [{"code": "603002", "name": "丰南分中心", "contact": "综合科"}, {**UNITS[0], "name": "本级（新名称）"}]
    report = generate_for_roster(
        tangshan, roster, [UnitRecords(records[0]["unit"], records)], 2026, tmp_path, generated_at=FIXED_TIME
    )
    assert not report.problems
    assert [(g.unit["code"], g.sheets) for g in report.files] == [("603002", 3), ("603001", 2)]
    blank, prefilled = (openpyxl.load_workbook(g.path) for g in report.files)
    assert blank["项目1"]["A1"].value == "2026年度项目支出绩效目标表"
    assert prefilled["项目1"]["A1"].value == "1.办公楼运转经费绩效目标表"
    assert report.files[1].path.name == "603001-本级（新名称）.xlsx"  # the roster's unit, not last year's name
    assert {_stamp(g.path)["year"] for g in report.files} == {"2026"}


def test_records_of_a_unit_not_on_the_roster_are_reported_with_their_lines_and_get_no_workbook(tangshan, tmp_path):
    record = example_records("tangshan")[0]
    stranger = {**record, "unit": {"code": "699999", "name": "已撤并的分中心"}}
    path = _write_records(tmp_path / "last-year.jsonl", [stranger, record, stranger])
    groups, problems = read_record_groups(path, tangshan)
    assert not problems and [g.lines for g in groups] == [[1, 3], [2]]
    report = generate_for_roster(
        tangshan, UNITS, groups, 2026, tmp_path / "out", generated_at=FIXED_TIME, records_file=path
    )
    assert [g.unit["code"] for g in report.files] == ["603001", "603002"]
    (problem,) = report.problems
    assert (problem.code.code, problem.where) == ("G015", f"{path}:1")
    assert "699999" in problem.message and "第 1、3 行" in problem.message and "2 条记录" in problem.message
    assert "加入名单" in problem.fix


def test_a_file_name_taken_by_a_blank_unit_is_not_overwritten_by_a_prefilled_one(tangshan, tmp_path):
    template = tangshan.model_copy(update={"file_name": "{{ unit.name }}.xlsx"})
    roster = [{"code": "603002", "name": "分中心"}, {"code": "603001", "name": "分中心"}]
    records = example_records("tangshan")[:1]
    report = generate_for_roster(
        template, roster, [UnitRecords(records[0]["unit"], records)], 2026, tmp_path, generated_at=FIXED_TIME
    )
    assert [g.unit["code"] for g in report.files] == ["603002"]
    assert [p.code.code for p in report.problems] == ["G022"]


def test_with_a_roster_a_record_named_but_not_coded_takes_the_code_of_the_roster_unit_of_that_name(tangshan, tmp_path):
    record = example_records("tangshan")[0]
    named = [{**record, "unit": {"name": name}} for name in ("\u3000丰南分中心 ", "丰南", "分中心")]
    path = _write_records(tmp_path / "last-year.jsonl", named)
    roster = [*UNITS, {"code": "603003", "name": "分中心"}, {"code": "603004", "name": "分中心"}]
    groups, problems = read_record_groups(path, tangshan, roster_units=roster)
    assert [(g.unit, g.lines) for g in groups] == [({"code": "603002", "name": "\u3000丰南分中心 "}, [1])]
    assert groups[0].records[0]["unit"]["code"] == "603002"
    assert [(p.code.code, p.where) for p in problems] == [("G011", f"{path}:2"), ("G016", f"{path}:3")]
    assert "unit.code" in problems[0].message
    assert "603003、603004" in problems[1].message
    _, alone = read_record_groups(path, tangshan)
    assert [(p.code.code, p.where) for p in alone] == [("G011", f"{path}:{line}") for line in (1, 2, 3)]


# --- records that cannot be written as they are: reported by line, the batch goes on ---------------


def _one_problem_per_line(path: Path, tangshan) -> list[tuple[str, str, str]]:
    groups, problems = read_record_groups(path, tangshan)
    assert [g.unit["code"] for g in groups] == ["603009"]  # the good record after the bad ones is read
    return [(p.code.code, p.where, p.details.get("key", "")) for p in problems]


def test_records_lines_that_are_not_utf8_json_are_reported_by_line_and_the_lines_after_them_are_read(
    tangshan, tmp_path
):
    good = {**example_records("tangshan")[0], "unit": {"code": "603009", "name": "丙"}}
    line = json.dumps(good, ensure_ascii=False)
    path = tmp_path / "records.jsonl"
    path.write_bytes(
        b"\xff stray byte\n"
        + line.encode("gb18030")  # a line saved as GBK
        + b'\n{"form": "project", "year": '
        + b"9" * 5000  # more digits than Python turns into a number
        + b"}\n"
        + b"[" * 100_000
        + b"]" * 100_000
        + b"\n"
        + line.encode("utf-8")
        + b"\n"
    )
    problems = _one_problem_per_line(path, tangshan)
    assert problems == [("G010", f"{path}:{n}", "") for n in (1, 2, 3, 4)]


@pytest.mark.parametrize(
    "data",
    [
        (json.dumps(example_records("tangshan")[0], ensure_ascii=False) + "\n").encode("utf-16"),
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",  # a workbook given by mistake
    ],
    ids=["utf-16", "xlsx"],
)
def test_a_records_file_that_is_no_text_at_all_is_one_error_naming_the_file(tangshan, tmp_path, data):
    path = tmp_path / "records.jsonl"
    path.write_bytes(data)
    with pytest.raises(InputError) as raised:
        read_record_groups(path, tangshan)
    assert [(p.code.code, p.where) for p in raised.value.problems] == [("G017", str(path))]
    assert "UTF-8" in raised.value.problems[0].fix


def _bad_record(change, template_id: str = "tangshan") -> dict:
    record = copy.deepcopy(example_records(template_id)[0])
    change(record)
    return record


def _problems_of(tangshan, tmp_path, bad: dict | str, template=None) -> list[tuple[str, str, str]]:
    """Read a records file of `bad` (a record, or a line as written) then a good record of another unit."""
    made_with = "tangshan" if template is None or template.form != "project" else template.id
    good = {**example_records(made_with)[0], "unit": {"code": "603009", "name": "丙"}}
    path = tmp_path / "records.jsonl"
    first = bad if isinstance(bad, str) else json.dumps(bad, ensure_ascii=False)
    path.write_text(first + "\n" + json.dumps(good, ensure_ascii=False) + "\n", encoding="utf-8")
    groups, problems = read_record_groups(path, template or tangshan)
    assert [g.unit["code"] for g in groups] == ["603009"]
    report = generate_prefilled(template or tangshan, groups, None, tmp_path / "out", generated_at=FIXED_TIME)
    assert [g.unit["code"] for g in report.files] == ["603009"]
    assert {p.where for p in problems} == {f"{path}:1"}
    return [(p.code.code, p.details["key"], p.details["detail"]) for p in problems]


def _line_with(key_text: str, number: str) -> str:
    """The example record's line with the value of `"total": …` replaced as JSON text."""
    line = json.dumps(example_records("tangshan")[0], ensure_ascii=False)
    old = f'"total": {json.dumps(example_records("tangshan")[0]["funds"]["annual"]["total"])}'
    assert old in line
    return line.replace(old, f'"total": {number}', 1)


@pytest.mark.parametrize("number", ['"NaN"', '"Infinity"', "1e400", "NaN", "-Infinity"])
def test_an_amount_that_is_not_a_finite_number_is_reported_for_its_record_and_key(tangshan, tmp_path, number):
    problems = _problems_of(tangshan, tmp_path, _line_with("total", number))
    assert [(code, key) for code, key, _ in problems] == [("G014", "funds.annual.total")]


def test_an_indicator_value_that_is_not_a_number_where_a_number_is_wanted_is_reported(tmp_path):
    evaluation = find_template("self-evaluation")
    target = example_records("tangshan")[0]
    record = json.dumps(target, ensure_ascii=False)
    path = tmp_path / "targets.jsonl"
    path.write_text(record + "\n", encoding="utf-8")
    (group,), _ = read_record_groups(path, evaluation)
    made = group.records[0]
    made["indicators"][0]["weight"] = float("nan")
    made["total_score"] = float("inf")
    path.write_text(json.dumps(made, ensure_ascii=False) + "\n", encoding="utf-8")
    _, problems = read_record_groups(path, evaluation)
    assert [(p.code.code, p.details["key"]) for p in problems] == [
        ("G014", "total_score"),
        ("G014", "indicators[0].weight"),
    ]


@pytest.mark.parametrize("value", [{"a": 1}, ["产出指标"], True, 1.5], ids=["object", "list", "true", "a float"])
def test_an_indicator_text_that_is_not_text_is_reported_for_its_row_and_column(tangshan, tmp_path, value):
    problems = _problems_of(tangshan, tmp_path, _bad_record(lambda r: r["indicators"][1].update(level3=value)))
    assert [(code, key) for code, key, _ in problems] == [("G014", "indicators[1].level3")]
    assert "应为文字" in problems[0][2]


def test_whole_numbers_in_indicator_text_are_written_as_their_digits_as_text(tangshan, tmp_path):
    record = _bad_record(lambda r: [item.update(level1=7) for item in r["indicators"]])
    record["indicators"][0]["level3"] = 12345678901234567890
    report = generate_prefilled(
        tangshan, [UnitRecords(record["unit"], [record])], 2026, tmp_path, generated_at=FIXED_TIME
    )
    assert not report.problems
    sheet = openpyxl.load_workbook(report.files[0].path)["项目1"]
    table = compile_layout(tangshan).sheet({"indicators": len(record["indicators"])}).table("indicators")
    first = table.first_row + 1
    assert (sheet.cell(first, 1).value, sheet.cell(first, 1).data_type) == ("7", "s")  # merged down, as text
    assert sheet.cell(first, 3).value == "12345678901234567890"
    assert sheet.cell(first, 3).data_type == "s"


def test_a_record_given_directly_with_an_object_for_a_text_is_reported_for_its_unit_and_the_batch_goes_on(
    tangshan, tmp_path
):
    bad = _bad_record(lambda r: r["indicators"][0].update(level3={"a": 1}))
    good = {**example_records("tangshan")[0], "unit": {"code": "603009", "name": "丙"}}
    groups = [UnitRecords(bad["unit"], [bad]), UnitRecords(good["unit"], [good])]
    report = generate_prefilled(tangshan, groups, 2026, tmp_path, generated_at=FIXED_TIME)
    assert [g.unit["code"] for g in report.files] == ["603009"]
    assert [(p.code.code, p.where) for p in report.problems] == [("G021", bad["unit"]["code"])]
    assert not list(tmp_path.glob(".partial-*"))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda r: r.update(indicators="产出指标 数量指标 窗口人员 ≥71人"), "indicators"),
        (lambda r: r.update(indicators=5), "indicators"),
        (lambda r: r.update(indicators={"level1": "产出指标", "level3": "窗口人员"}), "indicators"),
        (lambda r: r.update(indicators=["产出指标 数量指标 窗口人员 ≥71人"]), "indicators[0]"),
        (lambda r: r.update(goals="保障住房公积金业务正常运转"), "goals"),
        (lambda r: r["funds"].update(annual=["964700.00"]), "funds.annual"),
        (lambda r: r.update(project="办公楼运转经费"), "project"),
    ],
    ids=["indicators text", "indicators 5", "indicators object", "indicators of texts", "goals", "funds", "project"],
)
def test_a_record_part_of_the_wrong_shape_is_reported_by_line_and_key_not_left_blank(tangshan, tmp_path, change, key):
    problems = _problems_of(tangshan, tmp_path, _bad_record(change))
    assert [(code, part) for code, part, _ in problems] == [("G014", key)]
    assert problems[0][2].startswith("应为")


@pytest.mark.parametrize(
    ("template_id", "change", "key"),
    [
        ("monitor", lambda r: r.update(funds=5), "funds"),
        ("self-evaluation", lambda r: r.update(project="x"), "project"),
        ("monitor", lambda r: r.update(indicators=["产出指标"]), "indicators[0]"),
    ],
)
def test_a_target_with_a_part_of_the_wrong_shape_makes_no_follow_on_form_and_is_reported(
    tangshan, tmp_path, template_id, change, key
):
    problems = _problems_of(tangshan, tmp_path, _bad_record(change), template=find_template(template_id))
    assert [(code, part) for code, part, _ in problems] == [("G014", key)]


def test_a_text_longer_than_an_excel_cell_holds_is_reported_and_never_cut_short(tangshan, tmp_path):
    long = _bad_record(lambda r: r["project"].update(name="项" * 40_000))
    long["indicators"][0]["level3"] = "x" * 32_768
    problems = _problems_of(tangshan, tmp_path, long)
    assert [(code, key) for code, key, _ in problems] == [("G014", "project.name"), ("G014", "indicators[0].level3")]
    assert "32767" in problems[0][2]
    report = generate_prefilled(  # given directly, not through a records file: no workbook either
        tangshan, [UnitRecords(long["unit"], [long])], 2026, tmp_path / "direct", generated_at=FIXED_TIME
    )
    assert not report.files and [p.code.code for p in report.problems] == ["G021"]


@pytest.mark.parametrize("value", [{"a": 1}, True, ["甲", "乙"], 1.5], ids=["object", "true", "list", "float"])
def test_a_text_field_holding_something_else_than_text_is_reported_not_written_as_python_spells_it(
    tangshan, tmp_path, value
):
    problems = _problems_of(tangshan, tmp_path, _bad_record(lambda r: r["project"].update(name=value)))
    assert [(code, key) for code, key, _ in problems] == [("G014", "project.name")]


@pytest.mark.parametrize(
    ("template_id", "key", "value", "detail"),
    [
        ("tangshan", "funds.annual.total", "123.456789", "分"),
        ("tangshan", "funds.annual.total", "1e30", "15"),
        ("tangshan", "funds.annual.total", "1234567890123.456", "15"),
        ("shanghai", "project.start_date", "1899-12-31", "1900"),
        ("shanghai", "project.start_date", "2025-06-30T12:00:00+08:00", "时区"),
        ("shanghai", "project.start_date", 20250101, "日期"),
        ("luan", "project.period_years", "1e20", "15"),
        ("tangshan", "spending_plan.06", "33.33333333333333333", "15"),
    ],
)
def test_a_value_the_reader_would_refuse_in_its_own_workbook_is_reported_at_generation(
    tangshan, tmp_path, template_id, key, value, detail
):
    def change(record):
        parent, last = key.rsplit(".", 1)
        node = record
        for part in parent.split("."):
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        node[last] = value

    template = find_template(template_id)
    problems = _problems_of(tangshan, tmp_path, _bad_record(change, template_id), template=template)
    assert [(code, part) for code, part, _ in problems] == [("G014", key)]
    assert detail in problems[0][2]


def test_a_template_text_failing_on_a_value_is_reported_for_that_unit_and_the_batch_goes_on(tangshan, tmp_path):
    template = tangshan.model_copy(update={"instructions": "每人 {{ unit.staff // 2 }} 份"})
    units = [{"code": "1", "name": "甲", "staff": "十"}, {"code": "2", "name": "乙", "staff": 10}]
    report = generate_blank(template, units, 2026, tmp_path, generated_at=FIXED_TIME)
    assert [g.unit["code"] for g in report.files] == ["2"]
    assert [(p.code.code, p.where) for p in report.problems] == [("G021", "1")]


def test_a_shanghai_record_whose_start_date_is_a_number_is_reported_and_the_other_units_are_generated(tmp_path):
    shanghai = find_template("shanghai")
    record = copy.deepcopy(example_records("shanghai")[0])
    record["project"]["start_date"] = 20250101
    other = {**example_records("shanghai")[0], "unit": {"code": "310002", "name": "第二单位"}}
    path = _write_records(tmp_path / "records.jsonl", [record, other])
    groups, problems = read_record_groups(path, shanghai)
    assert [(p.code.code, p.details["key"]) for p in problems] == [("G014", "project.start_date")]
    report = generate_prefilled(shanghai, groups, None, tmp_path / "out", generated_at=FIXED_TIME)
    assert [g.unit["code"] for g in report.files] == ["310002"] and not report.problems


def test_rows_grown_for_a_very_long_text_stop_at_excels_tallest_row(tangshan, tmp_path):
    record = _bad_record(lambda r: r["goals"].update(annual="保障住房公积金业务正常运转。" * 150))
    report = generate_prefilled(
        tangshan, [UnitRecords(record["unit"], [record])], 2026, tmp_path, generated_at=FIXED_TIME
    )
    xml = zipfile.ZipFile(report.files[0].path).read("xl/worksheets/sheet2.xml").decode()
    heights = [float(h) for h in re.findall(r' ht="([\d.]+)"', xml)]
    assert max(heights) <= 409


# --- the file system: one unit's trouble is reported and the batch goes on ---------------------------


def test_a_unit_name_too_long_for_a_file_name_is_reported_with_its_unit_and_the_batch_goes_on(tangshan, tmp_path):
    units = [{"code": "603001", "name": "唐山市住房公积金管理中心" * 8}, UNITS[1]]
    report = generate_blank(tangshan, units, 2026, tmp_path, generated_at=FIXED_TIME)
    assert [g.unit["code"] for g in report.files] == ["603002"]
    (problem,) = report.problems
    assert (problem.code.code, problem.where) == ("G025", "603001")
    assert "255" in problem.message and "unit.code" in problem.fix


def test_a_folder_in_the_place_of_a_units_workbook_is_reported_and_the_units_after_it_are_written(tangshan, tmp_path):
    (tmp_path / "603001-唐山市住房公积金管理中心（参公）本级.xlsx").mkdir()
    report = generate_blank(tangshan, UNITS, 2026, tmp_path, generated_at=FIXED_TIME)
    assert [g.unit["code"] for g in report.files] == ["603002"]
    (problem,) = report.problems
    assert (problem.code.code, problem.where) == ("G026", "603001")
    assert "文件夹" in problem.message and str(tmp_path) in problem.message
    assert not list(tmp_path.glob(".partial-*"))


def test_a_disk_full_when_a_workbook_is_saved_is_that_units_problem_and_the_batch_goes_on(
    tangshan, tmp_path, monkeypatch
):
    """xlsxwriter says a file it cannot create as its own FileCreateError (not an OSError)."""
    import errno

    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    close, calls = xlsxwriter.Workbook.close, []

    def full_for_the_first(book):  # the first unit's workbook (written to a temporary name)
        calls.append(book)
        if len(calls) == 1:
            raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))
        return close(book)

    monkeypatch.setattr(xlsxwriter.Workbook, "close", full_for_the_first)
    report = generate_blank(tangshan, UNITS, 2026, tmp_path, generated_at=FIXED_TIME)
    assert [g.unit["code"] for g in report.files] == ["603002"]
    (problem,) = report.problems
    assert (problem.code.code, problem.where) == ("G026", "603001") and "磁盘已满" in problem.message
