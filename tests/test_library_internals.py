"""Library internals: xlsxkit touches XlsxWriter's undocumented attributes in one module only
(xlsxkit/write/xlsxwriter_internals.py), and these tests fail when one of them changes name, type
or meaning; run them before raising the XlsxWriter bound in pyproject.toml. Also: the canvases
draw_form draws on (a form at row 0, a form stacked at a row offset in row order), and the public
ways that replaced openpyxl's and XlsxWriter's internals elsewhere (grid, annotate, consolidate)."""

from __future__ import annotations

import gc
import io
import re
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from xlsxwriter.workbook import Workbook

from tests.helpers import FIXED_TIME, example_records
from xlsxkit.cycle.consolidate import consolidate
from xlsxkit.read.grid import grid_from_openpyxl
from xlsxkit.template.layout import Box, compile_layout
from xlsxkit.template.load import find_template
from xlsxkit.write.canvas import FormStack, WorksheetCanvas
from xlsxkit.write.form_drawing import PrintFormats, draw_form
from xlsxkit.write.form_text import render_text
from xlsxkit.write.xlsxwriter_internals import (
    TESTED_VERSIONS,
    forget_written_rows,
    shows_when_blank,
    use_compact_merges,
    wraps_text,
)

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def new_workbook(path: Path, constant_memory: bool = True) -> Workbook:
    return Workbook(str(path), {"constant_memory": constant_memory, "tmpdir": str(path.parent)})


def sheet_xml(path: Path, part: str = "xl/worksheets/sheet1.xml") -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(part).decode("utf-8")


# --- XlsxWriter internals (xlsxkit.write.xlsxwriter_internals) ----------------------------------


def test_the_tested_versions_are_the_ones_pyproject_allows() -> None:
    line = next(line for line in PYPROJECT.read_text(encoding="utf-8").splitlines() if '"xlsxwriter' in line)
    low, high = re.search(r"xlsxwriter>=([0-9.]+),<([0-9.]+)", line).groups()  # type: ignore[union-attr]

    def version(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split("."))

    assert all(version(low) <= version(tested) < version(high) for tested in TESTED_VERSIONS)
    assert "xlsxwriter_internals" in line  # the pin says why it is there


def test_merge_range_keeps_its_ranges_in_worksheet_merge_a_list_of_four_ints(tmp_path: Path) -> None:
    workbook = new_workbook(tmp_path / "a.xlsx", constant_memory=False)
    sheet = workbook.add_worksheet()
    assert sheet.merge == [] and type(sheet.merge) is list
    sheet.merge_range(1, 2, 3, 4, "", None)
    assert [list(cell_range) for cell_range in sheet.merge] == [[1, 2, 3, 4]]
    workbook.close()


def test_merged_ranges_appended_to_compact_merges_are_the_sheets_merged_cells(tmp_path: Path) -> None:
    """xlsxwriter writes <mergeCells> from Worksheet.merge by counting and iterating it."""
    path = tmp_path / "a.xlsx"
    workbook = new_workbook(path)
    sheet = workbook.add_worksheet()
    merges = use_compact_merges(sheet)
    assert sheet.merge is merges
    ranges = [(0, 0, 1, 3), (2, 1, 2, 2), (70_000, 0, 70_004, 5)]
    for cell_range in ranges:
        merges.append(cell_range)
    assert len(merges) == 3 and list(merges) == ranges
    sheet.write_string(0, 0, "x")
    workbook.close()
    assert '<mergeCells count="3"><mergeCell ref="A1:D2"/><mergeCell ref="B3:C3"/>' in sheet_xml(path)
    ranges_read = {str(r) for r in openpyxl.load_workbook(path).worksheets[0].merged_cells.ranges}
    assert ranges_read == {"A1:D2", "B3:C3", "A70001:F70005"}


def test_compact_merges_refuse_a_sheet_whose_merge_is_not_an_empty_list(tmp_path: Path) -> None:
    workbook = new_workbook(tmp_path / "a.xlsx", constant_memory=False)
    sheet = workbook.add_worksheet()
    sheet.merge_range(0, 0, 1, 1, "", None)
    with pytest.raises(RuntimeError, match=r"Worksheet\.merge"):
        use_compact_merges(sheet)
    workbook.close()


def test_set_row_keeps_heights_in_row_info_and_row_sizes_and_previous_row_is_the_row_in_hand(tmp_path: Path) -> None:
    workbook = new_workbook(tmp_path / "a.xlsx")
    sheet = workbook.add_worksheet()
    assert sheet.previous_row == 0 and sheet.row_info == {} and sheet.row_sizes == {}
    sheet.set_row(0, 30)
    sheet.set_row(1, 45)
    assert type(sheet.row_info) is dict and type(sheet.row_sizes) is dict
    assert set(sheet.row_info) == set(sheet.row_sizes) == {0, 1}
    sheet.write_string(0, 0, "a")
    assert sheet.previous_row == 0
    sheet.write_string(1, 0, "b")  # row 0 is written out
    assert sheet.previous_row == 1
    workbook.close()


def test_forgetting_written_rows_keeps_their_heights_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook = new_workbook(path)
    sheet = workbook.add_worksheet()
    for row in range(5):
        sheet.set_row(row, 18 + 3 * row)
        sheet.write_string(row, 0, f"row {row}")
        forget_written_rows(sheet)
        assert set(sheet.row_info) == set(sheet.row_sizes) == {row}  # only the row not yet written
    workbook.close()
    heights = openpyxl.load_workbook(path).worksheets[0].row_dimensions
    assert [heights[row + 1].height for row in range(5)] == [18, 21, 24, 27, 30]


def test_format_attributes_read_for_wrapping_and_blank_cells(tmp_path: Path) -> None:
    workbook = new_workbook(tmp_path / "a.xlsx")
    assert wraps_text(workbook.add_format({"text_wrap": True}))
    assert not wraps_text(workbook.add_format({"bold": True}))
    for properties in (
        {"border": 1},
        {"left": 1},
        {"right": 2},
        {"top": 1},
        {"bottom": 1},
        {"bg_color": "#FF0", "pattern": 1},
    ):
        assert shows_when_blank(workbook.add_format(properties)), properties
    assert not shows_when_blank(workbook.add_format({"bold": True, "align": "center", "text_wrap": True}))
    workbook.close()


# --- canvases: a form at row 0, a form stacked at an offset --------------------------------------


def form_parts(template_id: str = "tangshan", number: int = 0) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    layout = compile_layout(find_template(template_id))
    template = layout.template
    record = example_records(template_id)[number]
    rows = {t.table: len(record[t.table]) for t in template.tables() if record.get(t.table)}
    context: dict[str, Any] = {
        "year": record.get("year"),
        "unit": record.get("unit") or {},
        "money_unit": template.money_unit or "",
        "template": {"id": template.id, "version": template.version, "name": template.name},
        "index": number + 1,
        "project": record.get("project") or {},
        "record": record,
    }
    context["title"] = render_text(template.title, context)
    return layout, layout.sheet(rows), record, context


def drawn(sheet: Any, top: int, rows: int) -> dict[str, Any]:
    """What a form shows from sheet row `top` (0-based): values, merges, heights, borders, fonts."""
    cells = [cell for row in sheet.iter_rows(min_row=top + 1, max_row=top + rows) for cell in row]
    return {
        "values": {(c.row - 1 - top, c.column): c.value for c in cells if c.value is not None},
        "merges": {
            (m.min_row - 1 - top, m.min_col, m.max_row - 1 - top, m.max_col)
            for m in sheet.merged_cells.ranges
            if top < m.min_row <= top + rows
        },
        "heights": {row: sheet.row_dimensions[top + row + 1].height for row in range(rows)},
        "borders": {
            (c.row - 1 - top, c.column): (c.border.left.style, c.border.top.style)
            for c in cells
            if c.border.left.style or c.border.top.style
        },
        "fonts": {(c.row - 1 - top, c.column): (c.font.b, c.font.sz) for c in cells if c.value is not None},
    }


def test_a_form_drawn_at_an_offset_in_row_order_equals_the_form_drawn_at_row_0(tmp_path: Path) -> None:
    """The 汇编's canvas: the same form three times, at row 0, below the first and far down; each
    has the values, merged ranges, row heights, borders and fonts of the form drawn at row 0."""
    layout, sheet_layout, record, context = form_parts()
    rows = sheet_layout.last_row + 1
    plain = new_workbook(tmp_path / "plain.xlsx", constant_memory=False)
    formats = PrintFormats(plain, layout.template)
    draw_form(WorksheetCanvas(plain.add_worksheet()), formats, layout, sheet_layout, record, context, printable=True)
    plain.close()
    expected = drawn(openpyxl.load_workbook(tmp_path / "plain.xlsx").worksheets[0], 0, rows)
    assert expected["values"] and expected["merges"] and expected["borders"]
    assert any(height and height > 20 for height in expected["heights"].values())  # wrapped text grew a row

    stacked = new_workbook(tmp_path / "stacked.xlsx")
    sheet = stacked.add_worksheet()
    stack, formats, tops = FormStack(sheet), PrintFormats(stacked, layout.template), [0, rows + 1, 70_000]
    for top in tops:
        canvas = stack.canvas(top)
        draw_form(canvas, formats, layout, sheet_layout, record, context, printable=True)
        canvas.flush()
        assert len(sheet.row_info) <= 1  # the heights of rows written out are forgotten
    assert len(stack.merges) == len(tops) * len(expected["merges"])
    stacked.close()
    result = openpyxl.load_workbook(tmp_path / "stacked.xlsx").worksheets[0]
    for top in tops:
        assert drawn(result, top, rows) == expected, top


def test_row_order_canvas_writes_cells_in_row_order_and_a_later_write_wins(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook = new_workbook(path)
    sheet = workbook.add_worksheet()
    bordered, plain = workbook.add_format({"border": 1}), workbook.add_format({"bold": True})
    canvas = FormStack(sheet).canvas(10)
    canvas.merge_range(0, 0, 2, 1, bordered)  # rows 0-2, written before the cells of rows 1 and 2
    canvas.write_string(0, 0, "merged", bordered)
    canvas.write_number(2, 3, 7, plain)
    canvas.write_string(1, 3, "first", plain)
    canvas.write_string(1, 3, "second", plain)
    canvas.write_blank(1, 5, plain)  # shows nothing: not written
    canvas.set_row(1, 33)
    canvas.flush()
    workbook.close()
    result = openpyxl.load_workbook(path).worksheets[0]
    assert [str(r) for r in result.merged_cells.ranges] == ["A11:B13"]
    assert (result["A11"].value, result["D12"].value, result["D13"].value) == ("merged", "second", 7)
    assert result.row_dimensions[12].height == 33
    xml = sheet_xml(path)
    assert all(f'<c r="{cell}" s=' in xml for cell in ("B11", "A12", "B12", "A13", "B13"))  # bordered blanks
    assert '<c r="F12"' not in xml


def test_a_stacked_form_has_no_data_validations(tmp_path: Path) -> None:
    workbook = new_workbook(tmp_path / "a.xlsx")
    canvas = FormStack(workbook.add_worksheet()).canvas(5)
    with pytest.raises(NotImplementedError, match="printed copy"):
        canvas.data_validation(0, 0, 1, 1, {"validate": "any"})
    workbook.close()


def test_worksheet_canvas_writes_straight_to_the_sheet(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook = new_workbook(path, constant_memory=False)
    fmt = workbook.add_format({"border": 1})
    canvas = WorksheetCanvas(workbook.add_worksheet())
    canvas.merge_range(0, 0, 1, 1, fmt)
    canvas.write_string(0, 0, "=1+1", fmt)
    canvas.write_number(2, 0, 1.5, fmt)
    canvas.write_datetime(3, 0, FIXED_TIME, workbook.add_format({"num_format": "yyyy-mm-dd"}))
    canvas.write_blank(4, 0, fmt)
    canvas.set_row(2, 30)
    canvas.data_validation(5, 0, 6, 0, {"validate": "integer", "criteria": ">=", "value": 0})
    workbook.close()
    result = openpyxl.load_workbook(path).worksheets[0]
    assert [str(r) for r in result.merged_cells.ranges] == ["A1:B2"]
    assert (result["A1"].value, result["A1"].data_type, result["A3"].value) == ("=1+1", "s", 1.5)
    assert result["A4"].value == FIXED_TIME and result["A5"].border.left.style == "thin"
    assert result.row_dimensions[3].height == 30
    assert [str(v.sqref) for v in result.data_validations.dataValidation] == ["A6:A7"]


# --- public ways elsewhere ----------------------------------------------------------------------


def swapped_sheets_workbook(path: Path) -> bytes:
    """Sheets 甲 and 乙 in parts sheet2.xml and sheet1.xml: the first sheet is not in sheet1.xml."""
    workbook = new_workbook(path, constant_memory=False)
    first, second = workbook.add_worksheet("甲"), workbook.add_worksheet("乙")
    first.merge_range(0, 0, 1, 1, "甲", None)
    second.merge_range(2, 2, 3, 4, "乙", None)
    workbook.close()
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
                other = "sheet2.xml" if info.filename.endswith("sheet1.xml") else "sheet1.xml"
                target.writestr("xl/worksheets/" + other, data)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                text = data.decode("utf-8").replace("sheet1.xml", "sheet@.xml").replace("sheet2.xml", "sheet1.xml")
                target.writestr(info, text.replace("sheet@.xml", "sheet2.xml"))
            else:
                target.writestr(info, data)
    swapped = out.getvalue()
    path.write_bytes(swapped)
    return swapped


@pytest.mark.parametrize("given", ["path", "bytes"])
def test_a_windowed_grid_reads_merges_from_the_part_the_relationships_name(tmp_path: Path, given: str) -> None:
    content = swapped_sheets_workbook(tmp_path / "swapped.xlsx")
    for name, merges, value in (("甲", [Box(0, 0, 2, 2)], "甲"), ("乙", [Box(2, 2, 2, 3)], "乙")):
        source = tmp_path / "swapped.xlsx" if given == "path" else io.BytesIO(content)
        grid = grid_from_openpyxl(source, name, 100, 20)
        assert grid.merges == merges and value in {v for row in grid.rows for v in row}


def test_a_failed_consolidation_closes_and_removes_its_row_files(tmp_path: Path, monkeypatch: Any) -> None:
    """constant_memory keeps each sheet's rows in a temporary file: closed (no ResourceWarning,
    which the test settings make an error) and removed when consolidation fails."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    records = example_records("tangshan")

    def failing() -> Any:
        yield from records[:2]
        raise RuntimeError("the ledger went away")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeError, match="ledger"):
            consolidate(failing(), [], tmp_path / "out" / "s.xlsx")
        gc.collect()  # a row file left open would warn here
    assert list(temporary.iterdir()) == [] and list((tmp_path / "out").iterdir()) == []


def test_no_library_internals_outside_the_adapter() -> None:
    """The internals xlsxkit used before the adapter (openpyxl's book._archive,
    sheet._worksheet_path and sheet._cells; XlsxWriter's Worksheet.merge, row_info, row_sizes,
    previous_row, row_data_fh, row_data_filename, fileclosed) are named nowhere else."""
    adapter = ROOT / "xlsxkit" / "write" / "xlsxwriter_internals.py"
    undocumented = re.compile(
        r"\._archive\b|\b_worksheet_path\b|\._cells\b|\.merge\s*=[^=]|\.(row_info|row_sizes|previous_row|"
        r"row_data_fh|row_data_filename|fileclosed)\b"
    )
    for path in sorted((ROOT / "xlsxkit").rglob("*.py")):
        if path == adapter:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            assert not undocumented.search(code), f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
