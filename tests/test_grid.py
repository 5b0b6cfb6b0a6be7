"""A returned sheet as the reader sees it: the same grid of values and merged ranges whether
python-calamine reads the sheet whole or openpyxl streams a window of it; what a person sees in
a merged cell; text longer than Excel allows read whole, never cut.
"""

from __future__ import annotations

import datetime as dt
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from tests.helpers import example_records
from tests.returns import corpus_record, filled_return
from xlsxkit.form.excel import MAX_CELL_TEXT
from xlsxkit.read.grid import Grid, grid_from_calamine, grid_from_openpyxl
from xlsxkit.template.layout import Box


def calamine_grid(path: Path, sheet: str) -> Grid:
    return grid_from_calamine(CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet))


def same_day(value: Any) -> Any:
    """calamine gives a date cell as a date, openpyxl as a datetime at midnight: the same day."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def trimmed(grid: Grid, width: int) -> list[list[Any]]:
    return [[same_day(v) for v in row[:width]] + [""] * (width - len(row)) for row in grid.rows]


@pytest.mark.parametrize(
    ("template_id", "record"),
    [("tangshan", lambda: corpus_record("tangshan")), ("shanghai", lambda: example_records("shanghai")[0])],
    ids=["tangshan-corpus", "shanghai-with-dates"],
)
def test_calamine_and_openpyxl_read_a_return_into_the_same_grid(template_id, record, tmp_path):
    path = filled_return(template_id, [record()], tmp_path)
    whole = calamine_grid(path, "项目1")
    width = max(len(row) for row in whole.rows)
    streamed = grid_from_openpyxl(path, "项目1", 1000, 50)
    assert streamed.height == whole.height
    assert trimmed(streamed, width) == trimmed(whole, width)
    assert all(v == "" for row in streamed.rows for v in row[width:])
    assert sorted(streamed.merges, key=str) == sorted(whole.merges, key=str)
    assert len(whole.merges) > 10  # a form is mostly merged ranges
    if template_id == "shanghai":  # a date reads as the record's date either way
        end = record()["project"]["end_date"]
        assert any(same_day(v) == dt.date.fromisoformat(end) for row in streamed.rows for v in row)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sheet with a value of each kind, a merged range with its value, a blank merged range, a
    cell far to the right, nothing below row 6."""
    path = tmp_path_factory.mktemp("grid") / "small.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("表")
    sheet.write_string("A1", "项目名称")
    sheet.write_number("B1", 58.5)
    sheet.write_number("C1", 4)
    sheet.write_formula("D1", "=B1*2", None, 117)
    sheet.write_datetime("A2", dt.datetime(2025, 12, 31), book.add_format({"num_format": "yyyy-mm-dd"}))
    sheet.write_boolean("B2", True)
    sheet.write_string("F3", "远处")
    sheet.merge_range("A4:C5", "合并", None)
    sheet.merge_range("D6:E6", "", None)
    book.close()
    return path


def test_a_small_sheet_reads_the_same_both_ways_with_its_values_typed(small):
    whole = calamine_grid(small, "表")
    streamed = grid_from_openpyxl(small, "表", 100, 20)
    assert trimmed(streamed, 6) == trimmed(whole, 6)
    assert [whole.value(0, c) for c in range(4)] == ["项目名称", 58.5, 4, 117]  # a formula's cached result
    assert same_day(whole.value(1, 0)) == dt.date(2025, 12, 31) and whole.value(1, 1) is True
    assert sorted(whole.merges, key=str) == sorted(streamed.merges, key=str) == [Box(3, 0, 2, 3), Box(5, 3, 1, 2)]


def test_what_a_person_sees_in_a_merged_range_is_its_top_left_value(small):
    grid = calamine_grid(small, "表")
    assert [grid.shown(r, c) for r in (3, 4) for c in (0, 1, 2)] == ["合并"] * 6
    assert grid.value(4, 2) is None  # stored only in the top-left cell
    assert grid.shown(4, 3) is None  # just outside the range
    assert grid.merge_origin(4, 2) == (3, 0) and grid.merge_origin(2, 0) is None


def test_a_blank_or_outside_cell_has_no_value_and_the_last_filled_row_is_the_last_with_text(small):
    grid = calamine_grid(small, "表")
    assert grid.value(0, 4) is None and grid.value(500, 0) is None and grid.value(0, 500) is None
    assert grid.value(-1, 0) is None
    assert grid.last_filled_row() == 3  # the merged range's value; D6:E6 is blank
    assert list(grid.texts()) == [(0, 0, "项目名称"), (2, 5, "远处"), (3, 0, "合并")]
    assert Grid("空", []).last_filled_row() == -1


def test_a_streamed_window_holds_only_its_rows_columns_and_the_merges_starting_in_it(small):
    window = grid_from_openpyxl(small, "表", 4, 2)
    assert window.rows == [["项目名称", 58.5], [dt.datetime(2025, 12, 31), True], ["", ""], ["合并", ""]]
    assert window.merges == [Box(3, 0, 2, 3)]  # starts inside the window (it reaches beyond it)
    assert grid_from_openpyxl(small, "表", 2, 10).height == 2


def test_percent_is_unknown_without_the_files_formats_and_follows_a_merged_range(small):
    grid = calamine_grid(small, "表")
    assert grid.percent(0, 1) is None
    told = grid_from_calamine(
        CalamineWorkbook.from_path(str(small)).get_sheet_by_name("表"), percent_cells=frozenset({(3, 0)})
    )
    assert told.percent(4, 2) is True  # inside the merged range whose top-left is a percentage
    assert told.percent(0, 1) is False
    assert (
        grid_from_calamine(
            CalamineWorkbook.from_path(str(small)).get_sheet_by_name("表"), percent_cells=frozenset()
        ).percent(3, 0)
        is False
    )


def test_text_longer_than_excel_allows_is_read_whole_both_ways(tmp_path):
    """Excel cuts text at 32,767 characters; another tool may write more. Patched into the
    shared strings, since xlsxwriter and openpyxl refuse to write it."""
    source = tmp_path / "short.xlsx"
    book = xlsxwriter.Workbook(source)
    book.add_worksheet("表").write_string("B2", "PLACEHOLDER")
    book.close()
    long_text = "长" * (MAX_CELL_TEXT + 10)
    path = tmp_path / "long.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                assert b"PLACEHOLDER" in data
                data = data.replace(b"PLACEHOLDER", long_text.encode("utf-8"))
            zout.writestr(item, data)
    assert calamine_grid(path, "表").value(1, 1) == long_text
    assert grid_from_openpyxl(path, "表", 10, 10).value(1, 1) == long_text


def test_merged_ranges_are_found_however_the_sheet_xml_spells_them(tmp_path):
    """Another writer's sheet XML: a namespace prefix, single quotes, spaces around =, and a
    merge list long enough to cross the 64 KiB chunks it is read in."""
    book = openpyxl.Workbook()
    book.active.title = "表"
    book.active["A1"] = "x"
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    spelled = tmp_path / "spelled.xlsx"
    expected = [Box(2 * k, 0, 2, 2) for k in range(4000)]  # A1:B2, A3:B4, … about 150 KiB of XML
    merges = "".join(
        f"<x:mergeCell  ref = '{box.a1}' />" if k % 2 else f'<mergeCell ref="{box.a1}"/>'
        for k, box in enumerate(expected)
    )
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(spelled, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = text.replace(
                    "<worksheet ", '<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                )
                data = text.replace(
                    "</sheetData>", f'</sheetData><mergeCells count="{len(expected)}">{merges}</mergeCells>'
                ).encode()
            target.writestr(item, data)
    grid = grid_from_openpyxl(spelled, "表", 10_000, 10)
    assert grid.merges == expected


def test_a_merged_range_over_whole_columns_is_seen_without_a_key_per_cell():
    """A clerk merging H20 to the sheet's last row and column (H20:XFD1048576) is a valid
    workbook: its cells show H20's value, and the grid does not key 17 billion cells to say so."""
    rows: list[list[Any]] = [[""] * 8 for _ in range(20)]
    rows[19][7] = "合并"
    grid = Grid("项目1", rows, merged=[(19, 7, 1_048_575, 16_383), (0, 0, 0, 1)])
    tracemalloc.start()
    try:
        assert grid.shown(500_000, 9_000) == "合并" and grid.shown(19, 7) == "合并"
        assert grid.merge_origin(0, 1) == (0, 0) and grid.merge_origin(18, 7) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
