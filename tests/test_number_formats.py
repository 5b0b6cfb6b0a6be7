"""Numbers as the cell shows them: a number formatted as a percentage reads as the percentage
shown ("95%", not "0.95"), a date-formatted one as its date, on either reader (calamine, and
openpyxl for a sheet too large for it); a percent field takes 0.5 in a percent-formatted cell and
50 in a plain one both as "50"."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from openpyxl.packaging.custom import CustomPropertyList
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter, range_boundaries

from tests.returns import TEMPLATES, corpus_record, edited, filled_return
from xlsxkit.form.cell_values import from_cell, text_of
from xlsxkit.form.record import ValueType
from xlsxkit.read import number_formats
from xlsxkit.read import reader as read
from xlsxkit.read.number_formats import PercentCells, is_percent_format, percent_styles
from xlsxkit.read.reader import read_return
from xlsxkit.read.safe_open import inspect_file
from xlsxkit.template.layout import compile_layout

SHEET = "项目1"
PERCENT_95 = {"kind": "quantitative", "op": "=", "number": 95, "unit": "%", "date": None}


def _cells(record: dict[str, Any]) -> tuple[str, str, str]:
    """Where tangshan puts, for this record, the first two indicators' 指标值 and 资金支出计划 06."""
    place = compile_layout(TEMPLATES["tangshan"]).sheet({"indicators": len(record["indicators"])})
    table, plan = place.table("indicators"), place.field("spending_plan.06")
    assert table is not None and plan is not None
    value = table.column("value")
    assert value is not None
    first = get_column_letter(value.col + 1) + str(table.first_row + 1)
    second = get_column_letter(value.col + 1) + str(table.first_row + 2)
    return first, second, get_column_letter(plan.box.col + 1) + str(plan.box.row + 1)


def _typed(cells: dict[str, tuple[Any, str]]) -> Callable[[openpyxl.Workbook], None]:
    """An edit typing values with number formats into cells of the first project sheet, as a
    clerk's office suite stores them (95% typed: 0.95 with the format 0%)."""

    def edit(book: openpyxl.Workbook) -> None:
        for cell, (value, number_format) in cells.items():
            book[SHEET][cell] = value
            book[SHEET][cell].number_format = number_format

    return edit


def _read(path: Path, template_id: str | None = None) -> dict[str, Any]:
    result = read_return(path, template=TEMPLATES[template_id] if template_id else None)
    assert result.readable and len(result.records) == 1, result.findings
    return result.records[0].record


# --- in our own workbooks ---------------------------------------------------------------------


@pytest.mark.parametrize("fallback", [False, True], ids=["calamine", "openpyxl"])
def test_a_percentage_typed_as_a_number_in_the_value_column_reads_as_shown(tmp_path, monkeypatch, fallback):
    if fallback:  # every sheet streamed by openpyxl, as a sheet too large for calamine is
        monkeypatch.setattr(read, "CELL_BUDGET", 0)
    record = corpus_record("tangshan")
    first, second, _ = _cells(record)
    path = edited(filled_return("tangshan", [record], tmp_path), _typed({first: (0.95, "0%"), second: (0.955, "0.0%")}))
    indicators = _read(path)["indicators"]
    assert indicators[0]["value"] == "95%" and indicators[0]["parsed"] == PERCENT_95
    assert indicators[1]["value"] == "95.5%" and indicators[1]["parsed"]["number"] == 95.5


def test_a_percentage_keeps_every_digit_the_format_does_not_show(tmp_path):
    record = corpus_record("tangshan")
    first, second, _ = _cells(record)
    path = edited(filled_return("tangshan", [record], tmp_path), _typed({first: (0.12345, "0%"), second: (1, "0.00%")}))
    indicators = _read(path)["indicators"]
    assert [indicators[0]["value"], indicators[1]["value"]] == ["12.345%", "100%"]


def test_a_number_whose_percent_sign_is_a_literal_reads_as_the_number(tmp_path):
    record = corpus_record("tangshan")
    first, second, _ = _cells(record)
    path = edited(filled_return("tangshan", [record], tmp_path), _typed({first: (95, '0"%"'), second: (0.95, "0.00")}))
    indicators = _read(path)["indicators"]
    assert [indicators[0]["value"], indicators[1]["value"]] == ["95", "0.95"]


@pytest.mark.parametrize("fallback", [False, True], ids=["calamine", "openpyxl"])
def test_a_date_formatted_number_in_the_value_column_reads_as_its_date(tmp_path, monkeypatch, fallback):
    if fallback:
        monkeypatch.setattr(read, "CELL_BUDGET", 0)
    record = corpus_record("tangshan")
    first, second, _ = _cells(record)
    dates = {first: (dt.datetime(2025, 12, 31), "yyyy-mm-dd"), second: (dt.datetime(2025, 6, 30), 'yyyy"年"m"月"d"日"')}
    indicators = _read(edited(filled_return("tangshan", [record], tmp_path), _typed(dates)))["indicators"]
    assert [indicators[0]["value"], indicators[1]["value"]] == ["2025-12-31", "2025-06-30"]
    deadline = {"kind": "deadline", "op": "=", "number": None, "unit": None, "date": "2025-12-31"}
    assert indicators[0]["parsed"] == deadline


@pytest.mark.parametrize(("typed", "number_format"), [(0.5, "0%"), (0.5, "0.00%"), (50, "General"), (50, "0")])
def test_a_spending_plan_share_reads_as_its_percent_whether_the_cell_is_a_percentage_or_not(
    tmp_path,
    typed,
    number_format,
):
    record = corpus_record("tangshan")
    _, _, plan = _cells(record)
    path = edited(filled_return("tangshan", [record], tmp_path), _typed({plan: (typed, number_format)}))
    assert _read(path)["spending_plan"]["06"] == "50"


# --- in a form made by hand -------------------------------------------------------------------


def _hand_made(source: Path, target: Path, cells: dict[str, tuple[Any, str]]) -> Path:
    """The first project sheet of a generated return typed up again by hand in a new workbook:
    the same labels and values as shown, in plain cells (no stamp, no number formats: 75 where
    the return shows 75%; the merges kept), then `cells` typed with their formats."""
    sheet = openpyxl.load_workbook(source)[SHEET]
    book = xlsxwriter.Workbook(str(target))
    out = book.add_worksheet(SHEET)
    formats: dict[str, Any] = {}

    def write(row: int, col: int, value: Any, number_format: str | None = None) -> None:
        style = None
        if number_format is not None:
            style = formats.setdefault(number_format, book.add_format({"num_format": number_format}))
        if isinstance(value, dt.datetime):
            out.write_datetime(row, col, value, style)
        elif isinstance(value, (int, float)):
            out.write_number(row, col, value, style)
        else:
            out.write_string(row, col, str(value), style)

    for merged in sheet.merged_cells.ranges:
        c0, r0, c1, r1 = range_boundaries(merged.coord)
        out.merge_range(r0 - 1, c0 - 1, r1 - 1, c1 - 1, None)
    typed = {_zero_based(cell): value for cell, value in cells.items()}
    for row in sheet.iter_rows():
        for cell in row:
            if (cell.row - 1, cell.column - 1) not in typed and cell.value is not None:
                shown = cell.value * 100 if "%" in cell.number_format else cell.value
                write(cell.row - 1, cell.column - 1, shown)
    for (row, col), (value, number_format) in typed.items():
        write(row, col, value, number_format)
    book.close()
    return target


def _zero_based(cell: str) -> tuple[int, int]:
    letters, row = coordinate_from_string(cell)
    return row - 1, column_index_from_string(letters) - 1


def test_a_hand_made_form_read_with_a_template_takes_numbers_as_shown(tmp_path):
    record = corpus_record("tangshan")
    first, second, plan = _cells(record)
    typed = {first: (0.95, "0%"), second: (0.955, "0.00%"), plan: (50, "General")}
    path = _hand_made(filled_return("tangshan", [record], tmp_path), tmp_path / "手工表.xlsx", typed)
    read_back = _read(path, "tangshan")
    assert read_back["spending_plan"] == {**record["spending_plan"], "06": "50"}  # 75 and 100 plain too
    values = [i["value"] for i in read_back["indicators"]]
    assert values == ["95%", "95.5%", *(i["value"] for i in record["indicators"][2:])]
    assert read_back["indicators"][0]["parsed"] == PERCENT_95


def test_a_hand_made_form_with_percent_cells_in_its_spending_plan(tmp_path):
    record = corpus_record("tangshan")
    _, _, plan = _cells(record)
    path = _hand_made(filled_return("tangshan", [record], tmp_path), tmp_path / "手工表.xlsx", {plan: (0.5, "0%")})
    assert _read(path, "tangshan")["spending_plan"]["06"] == "50"


@pytest.mark.libreoffice
@pytest.mark.parametrize("suffix", ["xlsx", "ods"])
def test_a_hand_made_form_typed_in_libreoffice_reads_as_typed(office, tmp_path, suffix):
    """The clerk types 95% and 95.5% as 指标值 and 50 as the share spent by June into the plain
    cells of a hand-made form; LibreOffice keeps 0.95 and 0.955 with percent formats."""
    record = corpus_record("tangshan")
    first, second, plan = _cells(record)
    path = _hand_made(filled_return("tangshan", [record], tmp_path), tmp_path / "手工表.xlsx", {})
    with office.open(path) as book:
        book.type_cells(SHEET, {first: "95%", second: "95.5%", plan: "50"})
        saved = book.save_as(tmp_path / f"手工表（已填）.{suffix}")
    read_back = _read(saved, "tangshan")
    assert [i["value"] for i in read_back["indicators"][:2]] == ["95%", "95.5%"]
    assert read_back["indicators"][0]["parsed"] == PERCENT_95
    assert read_back["spending_plan"] == {**record["spending_plan"], "06": "50"}


def test_an_unstamped_copy_of_our_form_reads_its_percent_cells_as_percentages(tmp_path):
    record = corpus_record("tangshan")
    first, _, _ = _cells(record)

    def unstamp(book: openpyxl.Workbook) -> None:
        _typed({first: (0.95, "0%")})(book)
        del book["_xlsxkit"]
        book.custom_doc_props = CustomPropertyList()

    read_back = _read(edited(filled_return("tangshan", [record], tmp_path), unstamp), "tangshan")
    assert read_back["spending_plan"] == record["spending_plan"]  # our 0% cells: 0.5 → "50"
    assert read_back["indicators"][0]["value"] == "95%"


# --- the values, cell by cell -----------------------------------------------------------------


def test_a_percent_field_takes_the_number_by_what_is_known_of_its_cell():
    assert from_cell(ValueType.percent, 0.5, None, percent=True) == "50"
    assert from_cell(ValueType.percent, 50, None, percent=False) == "50"
    assert from_cell(ValueType.percent, 0.5, None, percent=None) == "50"  # not known: as our own cells
    assert from_cell(ValueType.percent, "50%", None, percent=True) == "50"  # text is as typed, whatever the format
    assert from_cell(ValueType.text, 0.95, None, percent=True) == "95%"
    assert from_cell(ValueType.text, 0.95, None, percent=None) == "0.95"


def test_a_text_holds_a_percent_formatted_number_as_shown():
    assert text_of(0.95, percent=True) == "95%"
    assert text_of(1.0, percent=True) == "100%"
    assert text_of(0.1 + 0.2, percent=True) == "30%"  # Excel's 15 significant digits, not float noise
    assert text_of(-0.05, percent=True) == "-5%"
    assert text_of("95%", percent=True) == "95%"
    assert text_of(True, percent=True) == "True"
    assert text_of(0.95) == "0.95" and text_of(1.0) == "1"
    assert text_of(dt.date(2025, 12, 31), percent=True) == "2025-12-31"


# --- the formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "percent"),
    [
        ("0%", True),
        ("0.00%", True),
        ("0.0%", True),
        ("#,##0.0%", True),
        ("[Red]0%", True),
        ("0%;[Red]-0%", True),
        ('0"%"', False),
        ("0\\%", False),
        ('0.0"%";-0.0"%"', False),
        ("General", False),
        ("0.00", False),
        ("#,##0.00", False),
        ("@", False),
        ("yyyy-mm-dd", False),
        ('yyyy"年"m"月"d"日"', False),
        ("[$-804]0", False),
    ],
)
def test_a_format_is_a_percentage_when_its_percent_sign_is_not_a_literal(code, percent):
    assert is_percent_format(code) is percent


STYLES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="4"><numFmt numFmtId="164" formatCode="0.00%"/><numFmt numFmtId="165" formatCode="0&quot;%&quot;"/>
<numFmt numFmtId="166" formatCode="#,##0.00"/><numFmt numFmtId="167" formatCode="0.0\\%"/></numFmts>
<cellXfs count="8"><xf numFmtId="0"/><!-- <xf numFmtId="10"/> --><xf numFmtId="9"/>
<xf numFmtId="10" applyNumberFormat="1"/><xf numFmtId="164"/>
<xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="167"/><xf numFmtId="14"/></cellXfs>
</styleSheet>"""


def test_the_percent_cell_formats_of_a_styles_part():
    # built-in 9 "0%" and 10 "0.00%", custom "0.00%"; not the literal 0"%" nor 0.0\%, money, a date,
    # nor a comment
    assert percent_styles(STYLES) == frozenset({1, 2, 3})


SHEET_XML = b"""<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1" s="3" customFormat="1"><c r="A1" s="3"><v>0.95</v></c><c r="B1" s="4"><v>95</v></c>
<c r="C1" s="3" t="s"><v>0</v></c></row>
<row r="7"><c s="3" r="B7" t="n"><v>0.5</v></c><c r="C7" s="3"/><c r="D7" s="3" t="str"><f>A1</f><v>x</v></c>
<c r="E7" s="3" t="b"><v>1</v></c><c r="F7" s="3" t="e"><v>#N/A</v></c><c r="G7" s='3'><f>A1</f><v>0.95</v></c>
<c r="H7" t="inlineStr"><is><t>x s="3" > y s="3"</t></is></c></row>
<row r="30"><x:c r="AB30" s="13"><x:v>1</x:v></x:c><c r="AC30" s="31"><v>1</v></c></row>
</sheetData></worksheet>"""


def test_a_default_cell_format_that_is_a_percentage_leaves_the_cells_unknown():
    styles = STYLES.replace(b'<cellXfs count="8"><xf numFmtId="0"/>', b'<cellXfs count="8"><xf numFmtId="9"/>')
    assert percent_styles(styles) is None
    assert PercentCells(None).reader("xl/worksheets/sheet1.xml", SHEET_XML) is None


def test_a_part_that_is_not_a_worksheet_is_not_read():
    shared_strings = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    assert PercentCells(frozenset({3})).reader("xl/sharedStrings.xml", shared_strings) is None


@pytest.mark.parametrize("size", [7, 64, len(SHEET_XML)])
def test_the_numbers_of_a_sheet_with_a_percent_cell_format(size):
    """Numbers only (not a shared, formula or inline string, a boolean, an error, an empty
    cell), from tags in any attribute order, quotes or prefix, split anywhere between chunks."""
    cells = PercentCells(frozenset({3, 13}))
    reader = cells.reader("xl/worksheets/sheet1.xml", SHEET_XML)
    assert reader is not None
    for at in range(0, len(SHEET_XML), size):
        reader.feed(SHEET_XML[at : at + size])
    reader.close()
    assert cells.by_part == {"xl/worksheets/sheet1.xml": frozenset({(0, 0), (6, 1), (6, 6), (29, 27)})}


def test_a_workbook_without_percent_formats_knows_it_has_no_percent_cells():
    cells = PercentCells(frozenset())
    reader = cells.reader("xl/worksheets/sheet1.xml", SHEET_XML)
    assert reader is not None
    reader.feed(SHEET_XML)
    reader.close()
    assert cells.by_part == {"xl/worksheets/sheet1.xml": frozenset()}


def test_a_sheet_with_more_percent_cells_than_kept_is_unknown(monkeypatch):
    monkeypatch.setattr(number_formats, "MAX_PERCENT_CELLS", 3)
    cells = PercentCells(frozenset({3, 13}))
    first_row = SHEET_XML.split(b"</row>")[0]
    for part, xml in (("xl/worksheets/sheet1.xml", SHEET_XML), ("xl/worksheets/sheet2.xml", first_row)):
        reader = cells.reader(part, xml)
        assert reader is not None
        reader.feed(xml)
        reader.close()
    assert cells.by_part == {"xl/worksheets/sheet2.xml": frozenset({(0, 0)})}  # the room sheet1 took is given back


CONTENT_XML = """<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">
<office:body><office:spreadsheet><table:table table:name="项目1&amp;2">
<table:table-column table:number-columns-repeated="3"/><table:table-row table:number-rows-repeated="2">
<table:table-cell table:number-columns-repeated="16384"/></table:table-row>
<table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="percentage"
 office:value="0.5"><text:p>50%</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell/><table:table-cell office:value-type="percentage" office:value="0.25"
 table:number-columns-spanned="3"><text:p>25%</text:p></table:table-cell><table:covered-table-cell
 table:number-columns-repeated="2"/><table:table-cell office:value-type="percentage" office:value="1"/>
<table:table-cell office:value-type="float" office:value="0.5"><text:p>0.5</text:p></table:table-cell></table:table-row>
</table:table><table:table table:name="Sheet2"><table:table-row>
<table:table-cell office:value-type="string"><text:p>x</text:p>
</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>""".encode()


@pytest.mark.parametrize("size", [5, len(CONTENT_XML)])
def test_the_percentages_of_an_ods_content_part(size):
    cells = PercentCells(None)  # an .ods has no xl/styles.xml: its cells say it themselves
    reader = cells.reader("content.xml", CONTENT_XML)
    assert reader is not None
    for at in range(0, len(CONTENT_XML), size):
        reader.feed(CONTENT_XML[at : at + size])
    reader.close()
    assert cells.by_table == {"项目1&2": frozenset({(2, 2), (3, 1), (3, 4)}), "Sheet2": frozenset()}


def test_the_guard_gives_each_sheet_its_percent_cells(tmp_path):
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    percent, literal = book.add_format({"num_format": "0%"}), book.add_format({"num_format": '0"%"'})
    first, second = book.add_worksheet("甲"), book.add_worksheet("乙")
    first.write_number("B7", 0.95, percent)
    first.write_number("C7", 95, literal)
    first.write_string("D7", "95%", percent)
    second.write_number("A1", 50)
    book.close()
    with zipfile.ZipFile(path) as archive:  # xlsxwriter writes the styles after the sheets
        names = archive.namelist()
        assert names.index("xl/styles.xml") > names.index("xl/worksheets/sheet1.xml")
    assert inspect_file(path).percent_cells == {"甲": frozenset({(6, 1)}), "乙": frozenset()}
