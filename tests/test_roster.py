"""Reading the roster of units a supervising office sends workbooks to."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from xlsxkit.form.errors import Code, InputError, Problem
from xlsxkit.form.units import codes_by_name
from xlsxkit.read.roster import read_roster

CSV = "code,name,contact\n603001,唐山市住房公积金管理中心（参公）本级,财务科\n603002,丰南分中心,\n"


@pytest.mark.parametrize(
    ("encoding", "data_encoding", "detected"),
    [("utf-8", "utf-8", "utf-8"), ("utf-8 with BOM", "utf-8-sig", "utf-8 (BOM)"), ("GBK", "gbk", "gbk")],
)
def test_csv_roster_in_utf8_bom_or_gbk_reads_the_same_and_says_which(tmp_path, encoding, data_encoding, detected):
    path = tmp_path / "units.csv"
    path.write_bytes(CSV.encode(data_encoding))
    roster = read_roster(path)
    assert roster.encoding == detected, encoding
    assert [(u["code"], u["name"]) for u in roster.units] == [
        ("603001", "唐山市住房公积金管理中心（参公）本级"),
        ("603002", "丰南分中心"),
    ]
    assert roster.units[0]["contact"] == "财务科"


def test_xlsx_roster_with_chinese_headers_and_numeric_codes(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["单位代码", "单位名称"])
    sheet.append([603001, "唐山市住房公积金管理中心（参公）本级"])
    book.save(tmp_path / "units.xlsx")
    roster = read_roster(tmp_path / "units.xlsx")
    assert roster.encoding == "xlsx"
    assert roster.units == [{"code": "603001", "name": "唐山市住房公积金管理中心（参公）本级"}]


def test_roster_without_a_name_column_is_refused_naming_the_columns_it_has(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,unit\n1,a\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_roster(path)
    problem = error.value.problems[0]
    assert problem.code.code == "G001"
    assert problem.where == f"{path}:1"
    assert "name" in problem.message and "code, unit" in problem.message


def test_duplicate_codes_and_empty_names_are_reported_by_line_and_skipped(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name\n1,甲\n\n1,乙\n2,\n3,丙\n", encoding="utf-8")
    roster = read_roster(path)
    assert [u["code"] for u in roster.units] == ["1", "3"]
    assert [(p.code.code, p.where) for p in roster.problems] == [("G004", f"{path}:4"), ("G003", f"{path}:5")]
    assert "第 2 行" in roster.problems[0].message  # first seen on line 2


def test_roster_of_another_format_is_refused(tmp_path):
    path = tmp_path / "units.txt"
    path.write_text("code,name\n", encoding="utf-8")
    with pytest.raises(InputError, match="G005"):
        read_roster(path)


def test_units_are_found_by_their_trimmed_name_with_every_code_of_a_shared_name():
    units = [{"code": "1", "name": "甲"}, {"code": "2", "name": "乙 "}, {"code": "3", "name": "甲"}]
    assert codes_by_name(units) == {"甲": ["1", "3"], "乙": ["2"]}


def test_a_code_with_invisible_or_full_width_characters_is_normalised_and_said(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name\n603\u200b001,本级\u200b\n６０３００２,丰南（分中心）\n603001,重复\n", encoding="utf-8")
    roster = read_roster(path)
    assert [(u["code"], u["name"]) for u in roster.units] == [("603001", "本级"), ("603002", "丰南（分中心）")]
    codes = [(p.code, p.where) for p in roster.problems]
    assert codes == [
        (Code.G_ROSTER_INVISIBLE, f"{path}:2"),
        (Code.G_ROSTER_INVISIBLE, f"{path}:3"),
        (Code.G_ROSTER_DUPLICATE, f"{path}:4"),
    ]
    assert "\\u200b" in roster.problems[0].message and "603001" in roster.problems[0].message


def xlsx_roster_refused(path: Path, change_sheet: Callable[[bytes], bytes]) -> Problem:
    """The one problem an XLSX roster (code, name, one unit) is refused with once its sheet part is changed."""
    book = openpyxl.Workbook()
    book.active.append(["code", "name"])
    book.active.append(["603001", "本级"])
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = change_sheet(parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    with pytest.raises(InputError) as caught:
        read_roster(path)
    (problem,) = caught.value.problems
    return problem


def test_an_xlsx_roster_goes_through_the_guard_returns_pass(tmp_path):
    """One cell at XFD1048576 would make calamine allocate the whole range (and abort)."""
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    problem = xlsx_roster_refused(tmp_path / "units.xlsx", lambda sheet: sheet.replace(b"</sheetData>", far))
    assert problem.code is Code.G_ROSTER_UNREADABLE and "1048576" in problem.message


def test_an_xlsx_roster_whose_sheet_the_guard_cannot_measure_is_not_loaded(tmp_path):
    """A first sheet in UTF-16 is no XML the guard scans for cells: it might reach anywhere."""

    def utf16(sheet: bytes) -> bytes:
        text = (
            sheet.decode()
            .replace("encoding='UTF-8'", "encoding='UTF-16'")
            .replace('encoding="UTF-8"', 'encoding="UTF-16"')
        )
        return b"\xff\xfe" + text.encode("utf-16-le")

    problem = xlsx_roster_refused(tmp_path / "units.xlsx", utf16)
    assert problem.code is Code.G_ROSTER_UNREADABLE and "大小" in problem.message


def test_a_roster_that_is_no_workbook_says_so(tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_text("code,name\n603001,本级\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_roster(path)
    assert caught.value.problems[0].code is Code.G_ROSTER_UNREADABLE and "文本文件" in caught.value.problems[0].message


def test_a_csv_roster_in_neither_utf8_nor_gbk_is_refused(tmp_path):
    """Excel's "Unicode text" saves UTF-16: it decodes as neither, and is not guessed at."""
    path = tmp_path / "units.csv"
    path.write_bytes(CSV.encode("utf-16"))
    with pytest.raises(InputError) as error:
        read_roster(path)
    [problem] = error.value.problems
    assert (problem.code, problem.where) == (Code.G_ROSTER_ENCODING, str(path))
    assert "UTF-8" in problem.fix and "GBK" in problem.fix


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_a_roster_path_that_is_no_file_is_refused_naming_it(tmp_path, kind):
    path = tmp_path / "units.csv"
    if kind == "folder":
        path.mkdir()
    with pytest.raises(InputError) as caught:
        read_roster(path)
    [problem] = caught.value.problems
    assert (problem.code, problem.where) == (Code.G_ROSTER_FILE, str(path))
    assert ("文件夹" if kind == "folder" else "不存在") in problem.message


def test_a_csv_cell_too_long_for_the_csv_reader_is_refused_with_its_line(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name\n603001,甲\n603002," + "名" * 200_000 + "\n603003,丙\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_roster(path)
    [problem] = caught.value.problems
    assert (problem.code, problem.where) == (Code.G_ROSTER_CSV, f"{path}:3")
    assert "第 3 行" in problem.message and "131072" in problem.message


@pytest.mark.parametrize(
    ("header", "columns", "meaning"),
    [
        ("单位代码,单位名称,单位,代码", ("单位名称", "单位"), "单位名称"),
        ("code,name,代码", ("code", "代码"), "单位代码"),
        ("code,name,备注,备注", ("备注", "备注"), "「备注」"),
    ],
)
def test_two_columns_that_mean_the_same_are_refused_naming_both(tmp_path, header, columns, meaning):
    """单位代码 beside 代码 (or 单位名称 beside 单位): which one holds the unit's code is not
    guessed (the later one used to win silently: unit 603001 became A-17)."""
    path = tmp_path / "units.csv"
    path.write_text(header + "\n603001,唐山市住房公积金管理中心,财务科,A-17\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_roster(path)
    [problem] = caught.value.problems
    assert (problem.code, problem.where) == (Code.G_ROSTER_SAME_MEANING, f"{path}:1")
    assert all(f"「{column}」" in problem.message for column in columns)
    assert f"都表示{meaning}" in problem.message
