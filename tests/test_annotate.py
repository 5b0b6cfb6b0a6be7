"""The feedback workbook: the unit's own return with each finding marked on its cell (fill by
severity, a comment with code, message and fix) and listed on a first sheet 问题清单, while
everything the form needs (protection, merges, validations, the stamp) stays, so the unit can
correct it and send it back.

The return is the first Tangshan corpus record with five mistakes (项目1: 预算数 C4, 一级指标
header A9, 指标 rows from 10: A 一级, B 二级, C 三级, F 指标值).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment

from tests.returns import corpus_record, edited, filled_return
from xlsxkit.cycle.annotate import annotate, feedback_name
from xlsxkit.form.errors import Code, ReturnFileError
from xlsxkit.form.excel import FEEDBACK_SHEET
from xlsxkit.read.reader import ReadResult, read_return
from xlsxkit.template.styles import INPUT_FILL

FORM = "项目1"
EXPECTED = {  # code → the cell its finding names
    "C002": "C4",  # 年度资金总额 ≠ 财政资金 + 其他资金
    "C010": "A9",  # no 满意度指标: the table's 一级指标 header
    "C013": "F10",  # 服务次数 without 指标值
    "C020": "F11",  # 质量指标 with a qualitative value (a warning)
    "C012": "B14",  # 数量指标 under 效益指标
}
FILL = {"error": "FFFFC7CE", "warning": "FFFFEB9C"}


def mistaken_record() -> dict[str, Any]:
    record = corpus_record("tangshan")
    record["funds"]["annual"]["fiscal"] = "580000.00"
    record["indicators"][0]["value"] = None
    record["indicators"][1]["value"] = "良好"
    record["indicators"][4]["level2"] = "数量指标"
    record["indicators"] = [i for i in record["indicators"] if i["level1"] != "满意度指标"]
    return record


class Case:
    """The return, what reading it found, and its feedback workbook (made once)."""

    def __init__(self, root: Path) -> None:
        self.returned = filled_return("tangshan", [mistaken_record()], root / "returned")
        self.result = read_return(self.returned)
        self.findings = self.result.all_findings()
        self.feedback = annotate(self.returned, self.findings, root / "feedback" / "反馈.xlsx")


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    return Case(tmp_path_factory.mktemp("annotate"))


def list_rows(book: openpyxl.Workbook) -> list[tuple[Any, ...]]:
    """The rows of 问题清单 under its title and header."""
    return list(book[FEEDBACK_SHEET].iter_rows(min_row=3, values_only=True))


def test_the_return_has_the_five_mistakes(case: Case) -> None:
    assert {f.code.code: f.cell for f in case.findings} == EXPECTED
    assert {f.sheet for f in case.findings} == {FORM}
    assert [f.code for f in case.findings if f.severity.value == "warning"] == [Code.C_QUALITATIVE_QUANTITY]


def test_each_finding_cell_has_a_comment_and_the_fill_of_its_severity(case: Case) -> None:
    original = openpyxl.load_workbook(case.returned)[FORM]
    sheet = openpyxl.load_workbook(case.feedback)[FORM]
    for finding in case.findings:
        cell = sheet[finding.cell]
        assert cell.comment is not None, finding.cell
        assert f"[{finding.code.code}]" in cell.comment.text
        assert finding.message in cell.comment.text and f"修改方法：{finding.fix}" in cell.comment.text
        assert ("错误：" if finding.severity.value == "error" else "提示：") in cell.comment.text
        assert cell.comment.author == "xlsxkit"
        assert (cell.fill.fill_type, cell.fill.fgColor.rgb) == ("solid", FILL[finding.severity.value])
        before = original[finding.cell]
        assert (cell.font.name, cell.font.b, cell.font.sz) == (before.font.name, before.font.b, before.font.sz)
        assert (cell.border.left.style, cell.number_format) == (before.border.left.style, before.number_format)
    marked = {c.coordinate for row in sheet.iter_rows() for c in row if c.comment is not None}
    assert marked == set(EXPECTED.values())
    with zipfile.ZipFile(case.feedback) as package:  # openpyxl does not read a comment's box back
        boxes = [package.read(n).decode() for n in package.namelist() if n.endswith(".vml")]
    assert len(boxes) == 1 and boxes[0].count("width:360px") == len(EXPECTED)


def test_the_list_is_the_first_and_active_sheet_with_a_row_and_a_link_per_finding(case: Case) -> None:
    book = openpyxl.load_workbook(case.feedback)
    assert book.sheetnames[0] == FEEDBACK_SHEET and book.active.title == FEEDBACK_SHEET
    assert [s.title for s in book.worksheets if s.sheet_view.tabSelected] == [FEEDBACK_SHEET]  # no group of tabs
    sheet = book[FEEDBACK_SHEET]
    title = sheet["A1"].value
    assert title == "唐山市住房公积金管理中心（参公）本级 填报问题清单（共 5 项：错误 4 项，提示 1 项）"
    assert [c.value for c in sheet[2]] == ["序号", "工作表", "单元格", "级别", "代码", "问题", "修改方法"]
    rows = list_rows(book)
    assert [row[2] for row in rows] == ["C4", "A9", "F10", "F11", "B14"]  # row by row, then column
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5]
    by_code = {f.code.code: f for f in case.findings}
    for number, row in enumerate(rows, start=3):
        finding = by_code[row[4]]
        assert row[1:] == (
            FORM,
            finding.cell,
            "错误" if finding.severity.value == "error" else "提示",
            finding.code.code,
            finding.message,
            finding.fix,
        )
        link = sheet.cell(number, 3).hyperlink
        assert link is not None and link.location == f"'{FORM}'!{finding.cell}"
        target_sheet, target_cell = link.location.split("!")
        assert target_sheet.strip("'") in book.sheetnames and book[target_sheet.strip("'")][target_cell].comment
    assert sheet.freeze_panes == "A3"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.column_dimensions["F"].width >= 40 and sheet.cell(3, 6).alignment.wrap_text
    assert not sheet.protection.sheet


def test_everything_the_form_needs_is_kept(case: Case) -> None:
    before = openpyxl.load_workbook(case.returned)
    after = openpyxl.load_workbook(case.feedback)
    assert after.sheetnames == [FEEDBACK_SHEET, *before.sheetnames]
    for old in before.worksheets:
        new = after[old.title]
        assert new.sheet_state == old.sheet_state
        assert new.protection.sheet and new.protection.sheet == old.protection.sheet
        assert (new.protection.password, new.protection.objects) == (old.protection.password, old.protection.objects)
        assert sorted(map(str, new.merged_cells.ranges)) == sorted(map(str, old.merged_cells.ranges))
        assert [(v.type, v.formula1, str(v.sqref)) for v in new.data_validations.dataValidation] == [
            (v.type, v.formula1, str(v.sqref)) for v in old.data_validations.dataValidation
        ]
        assert (new.page_setup.orientation, new.page_setup.fitToWidth, new.print_area) == (
            old.page_setup.orientation,
            old.page_setup.fitToWidth,
            old.print_area,
        )
    assert after["_xlsxkit"].sheet_state == "veryHidden" and after["_lists"].sheet_state == "hidden"
    assert len(before[FORM].data_validations.dataValidation) > 0
    props = {p.name: p.value for p in after.custom_doc_props.props}
    stamp = {p.name: p.value for p in before.custom_doc_props.props}
    assert props == {**stamp, "xlsxkit.output": "feedback"}  # the stamp kept, our output mark added
    assert props["xlsxkit.template_id"] == "tangshan"
    assert {n: d.attr_text for n, d in after.defined_names.items()} == {
        n: d.attr_text for n, d in before.defined_names.items()
    }


def without_source(result: ReadResult) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.record.items() if k != "source"} for r in result.records]


def test_the_feedback_workbook_reads_as_the_return_did(case: Case) -> None:
    again = read_return(case.feedback)
    assert without_source(again) == without_source(case.result)
    assert [[f.as_dict() for f in r.findings] for r in again.records] == [
        [f.as_dict() for f in r.findings] for r in case.result.records
    ]
    assert [(f.code, f.sheet) for f in again.findings] == [
        *((f.code, f.sheet) for f in case.result.findings),
        (Code.R_SHEET_SKIPPED, FEEDBACK_SHEET),
    ]


def test_stored_findings_merged_cells_sheets_files_and_an_earlier_comment(tmp_path: Path) -> None:
    """Findings as the ledger stores them (dicts); two on one cell share one comment, after the
    unit's own comment; a cell inside a merge is marked at its top-left; a finding about a sheet
    at its A1; one about the file only listed, first."""

    def note(book: openpyxl.Workbook) -> None:
        book[FORM]["F12"].comment = Comment("单位备注：按上年口径", "张三")

    returned = edited(filled_return("tangshan", [corpus_record("tangshan")], tmp_path), note)
    stored = [
        {
            "sheet": FORM,
            "cell": "F12",
            "severity": "warning",
            "code": "C024",
            "message": "时限不在年度内",
            "fix": "核对时限",
        },
        {
            "sheet": FORM,
            "cell": "F12",
            "severity": "error",
            "code": "C016",
            "message": "「XX」是占位符",
            "fix": "填写实际值",
        },
        {
            "sheet": FORM,
            "cell": "A11",
            "severity": "error",
            "code": "C011",
            "message": "一级指标不对",
            "fix": "从下拉选择",
        },
        {
            "sheet": FORM,
            "cell": None,
            "severity": "warning",
            "code": "R011",
            "message": "工作表太大",
            "fix": "删除远处内容",
        },
        {
            "sheet": None,
            "cell": None,
            "severity": "info",
            "code": "F011",
            "message": "工作簿含有宏",
            "fix": "另存为 xlsx",
        },
        {
            "sheet": "不存在的表",
            "cell": "B2",
            "severity": "error",
            "code": "R013",
            "message": "找不到表头",
            "fix": "恢复表头",
        },
    ]
    feedback = annotate(returned.read_bytes(), stored, tmp_path / "out" / "fb.xlsx", unit_name="测试单位")
    book = openpyxl.load_workbook(feedback)
    sheet = book[FORM]
    shared = sheet["F12"].comment
    assert shared.text.startswith("单位备注：按上年口径\n\n") and shared.author == "张三"
    assert shared.text.index("[C024] 提示：时限不在年度内") < shared.text.index("[C016] 错误：「XX」是占位符")
    assert sheet["F12"].fill.fgColor.rgb == FILL["error"]  # the worst of the cell's findings
    assert "A10:A13" in {str(r) for r in sheet.merged_cells.ranges}
    assert "[C011]" in sheet["A10"].comment.text and sheet["A10"].fill.fgColor.rgb == FILL["error"]
    assert "[R011] 提示：工作表太大" in sheet["A1"].comment.text
    rows = list_rows(book)
    assert [(row[1], row[2], row[4]) for row in rows] == [
        ("（整个文件）", None, "F011"),
        (FORM, "全表", "R011"),
        (FORM, "A11", "C011"),
        (FORM, "F12", "C024"),
        (FORM, "F12", "C016"),
        ("不存在的表", "B2", "R013"),
    ]
    links = [book[FEEDBACK_SHEET].cell(n, 3).hyperlink for n in range(3, 3 + len(rows))]
    assert [link.location if link else None for link in links] == [
        None,
        f"'{FORM}'!A1",
        f"'{FORM}'!A10",
        f"'{FORM}'!F12",
        f"'{FORM}'!F12",
        None,
    ]
    assert book[FEEDBACK_SHEET]["A1"].value.startswith(
        "测试单位 填报问题清单（共 6 项：错误 3 项，提示 2 项，说明 1 项）"
    )
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["fb.xlsx"]  # no partial file left


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    returned = filled_return("tangshan", [corpus_record("tangshan")], tmp_path)
    stored = [
        {
            "sheet": FORM,
            "cell": "F10",
            "severity": "error",
            "code": "C016",
            "message": '=HYPERLINK("http://example.com","点此")',
            "fix": "+1-1",
            "extra": "ignored",
        }
    ]
    feedback = annotate(returned, stored, tmp_path / "fb.xlsx", unit_name="=cmd|' /C calc'!A0")
    book = openpyxl.load_workbook(feedback)
    sheet = book[FEEDBACK_SHEET]
    for cell in (sheet["A1"], sheet["F3"], sheet["G3"]):
        assert cell.data_type == "s" and isinstance(cell.value, str)
    assert sheet["F3"].value == '=HYPERLINK("http://example.com","点此")' and sheet["G3"].value == "+1-1"
    assert sheet["A1"].value.startswith("=cmd|")
    assert book[FORM]["F10"].comment.text.endswith(
        '[C016] 错误：=HYPERLINK("http://example.com","点此")\n修改方法：+1-1'
    )
    with zipfile.ZipFile(feedback) as package:
        index = package.read("xl/workbook.xml").decode()
        assert f'name="{FEEDBACK_SHEET}"' in index
        first = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in first and "<f " not in first and "HYPERLINK" in first


def test_a_corrected_feedback_workbook_is_annotated_afresh(case: Case, tmp_path: Path) -> None:
    """The unit fixes 指标值 F10 in the feedback workbook and sends it back: the new feedback has
    one 问题清单, F10 has neither comment nor red fill any more, the rest is marked once."""

    def fix(book: openpyxl.Workbook) -> None:
        book[FORM]["F10"] = "≥4次"

    corrected = edited(copy_of(case.feedback, tmp_path), fix, name="corrected.xlsx")
    result = read_return(corrected)
    assert Code.C_NO_VALUE not in {f.code for f in result.all_findings()}
    again = annotate(corrected, result.all_findings(), tmp_path / "again.xlsx")
    book = openpyxl.load_workbook(again)
    assert book.sheetnames.count(FEEDBACK_SHEET) == 1 and book.sheetnames[0] == FEEDBACK_SHEET
    assert [row[4] for row in list_rows(book)] == ["C002", "C010", "C020", "C012"]  # R007 of the old list dropped
    sheet = book[FORM]
    assert sheet["F10"].comment is None
    assert (sheet["F10"].fill.fill_type, sheet["F10"].fill.fgColor.rgb) == ("solid", "FF" + INPUT_FILL.lstrip("#"))
    for cell in ("C4", "A9", "F11", "B14"):
        assert sheet[cell].comment.text.count("【填报问题】") == 1


def copy_of(path: Path, folder: Path) -> Path:
    target = folder / "feedback-copy.xlsx"
    target.write_bytes(path.read_bytes())
    return target


def test_findings_as_objects_or_dicts_give_the_same_workbook_content(case: Case, tmp_path: Path) -> None:
    from_dicts = annotate(case.returned, [f.as_dict() for f in case.findings], tmp_path / "dicts.xlsx")
    one, other = openpyxl.load_workbook(case.feedback), openpyxl.load_workbook(from_dicts)
    assert list_rows(one) == list_rows(other)
    assert [(c.coordinate, c.comment.text) for row in one[FORM].iter_rows() for c in row if c.comment] == [
        (c.coordinate, c.comment.text) for row in other[FORM].iter_rows() for c in row if c.comment
    ]


def test_feedback_file_names() -> None:
    assert feedback_name("603001", "唐山市住房公积金管理中心（参公）本级", "x.xlsx") == (
        "603001-唐山市住房公积金管理中心（参公）本级-问题反馈.xlsx"
    )
    assert feedback_name(None, None, "某单位 上报.xlsx") == "某单位 上报-问题反馈.xlsx"
    assert feedback_name(None, "", "某单位-问题反馈.xlsx") == "某单位-问题反馈.xlsx"
    assert feedback_name("001", "a/b:c*?", "x.xlsx") == "001-a_b_c__-问题反馈.xlsx"


def test_a_file_the_reader_refuses_is_not_opened(tmp_path: Path) -> None:
    with pytest.raises(ReturnFileError) as raised:
        annotate(b"not a workbook", [], tmp_path / "fb.xlsx")
    assert raised.value.finding.code is Code.F_NOT_XLSX
    assert not (tmp_path / "fb.xlsx").exists()


@pytest.mark.libreoffice
def test_libreoffice_shows_a_note_at_each_finding_cell(case: Case, office: Any) -> None:
    with office.open(case.feedback) as book:
        assert book.sheet_names[0] == FEEDBACK_SHEET
        assert book.doc.getCurrentController().getActiveSheet().getName() == FEEDBACK_SHEET
        sheet = book.sheet(FORM)
        notes = sheet.getAnnotations()
        found = {}
        for i in range(notes.getCount()):
            note = notes.getByIndex(i)
            position = note.getPosition()
            found[cell_name(position.Row, position.Column)] = note.getString()
        assert set(found) == set(EXPECTED.values())
        for finding in case.findings:
            assert finding.message in found[finding.cell] and finding.fix in found[finding.cell]
        assert sheet.isProtected() and not book.sheet(FEEDBACK_SHEET).isProtected()
        assert book.cell(FORM, "F10").CellBackColor == 0xFFC7CE
        assert book.cell(FORM, "F11").CellBackColor == 0xFFEB9C
        fields = book.cell(FEEDBACK_SHEET, "C3").getTextFields().createEnumeration()
        assert f"#'{FORM}'!C4" == fields.nextElement().URL


def cell_name(row: int, col: int) -> str:
    return f"{openpyxl.utils.get_column_letter(col + 1)}{row + 1}"
