"""The 汇编 of the summary workbook: every form drawn again as its template draws it, one form a
printed page, the forms of one template stacked on one sheet with a page break above each but
the first, printed one A4 page wide; past Excel's 1,023 manual page breaks a continuation sheet.

Read from the summary workbook that consolidate writes, as a user opens it. Form heights are
the templates' (templates/*.yaml): a Tangshan form is 8 rows of fields, the table's header and
one row per indicator; a Tianjin form 5 rows of fields, header and indicators; one blank row
follows each form.
"""

from __future__ import annotations

import copy
import itertools
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tests.returns import corpus_records
from xlsxkit.cycle.consolidate import consolidate

ROWS_ABOVE_TABLE = {"tangshan": 8, "tianjin": 5}
# templates/*.yaml columns, in characters, and page margins (left + right), in inches
COLUMNS = {"tangshan": (13, 13, 11, 11, 16, 13, 14), "tianjin": (13, 14, 12, 12, 13, 11, 12)}
A4_PORTRAIT_INCHES = 8.27


def of(template_id: str) -> list[dict[str, Any]]:
    return [r for r in corpus_records() if r["template"]["id"] == template_id]


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory):
    """The summary of the corpus: 六安 (unit 079), Tangshan's department form and projects (603001),
    Tianjin (685201), in that order."""
    made = consolidate(iter(corpus_records()), [], tmp_path_factory.mktemp("compendium") / "summary.xlsx")
    return made, openpyxl.load_workbook(made.workbook)


def form_tops(records: list[dict[str, Any]], template_id: str) -> list[int]:
    """0-based first row of each form on its 汇编 sheet."""
    tops, top = [], 0
    for record in records:
        tops.append(top)
        top += ROWS_ABOVE_TABLE[template_id] + 1 + len(record["indicators"]) + 1
    return tops


def test_one_compendium_sheet_per_template_in_the_order_first_met(summary):
    made, book = summary
    compiled = [name for name in made.sheets if name.startswith("汇编")]
    assert compiled == ["汇编-luan", "汇编-tangshan-department", "汇编-tangshan", "汇编-tianjin"]
    assert [name for name in book.sheetnames if name.startswith("汇编")] == compiled


@pytest.mark.parametrize("template_id", ["tangshan", "tianjin"])
def test_each_form_starts_a_printed_page_where_its_template_puts_its_rows(summary, template_id):
    _, book = summary
    sheet = book[f"汇编-{template_id}"]
    records = of(template_id)
    tops = form_tops(records, template_id)
    # openpyxl's break id is the last row of a page (1-based): the next form's first row, 0-based
    assert [brk.id for brk in sheet.row_breaks.brk] == tops[1:]
    for number, (top, record) in enumerate(zip(tops, records, strict=True), start=1):
        # numbered within the unit, as published: each corpus unit here has one template
        assert sheet.cell(top + 1, 1).value == f"{number}.{record['project']['name']}绩效目标表"


def test_a_page_holds_one_form(summary):
    _, book = summary
    sheet = book["汇编-tangshan"]
    breaks = [0, *(brk.id for brk in sheet.row_breaks.brk), sheet.max_row]
    titles = [row for row in range(1, sheet.max_row + 1) if str(sheet.cell(row, 1).value or "").endswith("绩效目标表")]
    pages = [[t for t in titles if start < t <= end] for start, end in itertools.pairwise(breaks)]
    assert [len(page) for page in pages] == [1] * len(of("tangshan"))


def test_a_form_shows_its_records_values_in_the_forms_money_unit(summary):
    _, book = summary
    sheet = book["汇编-tangshan"]
    record = of("tangshan")[0]
    assert record["funds"]["annual"]["total"] == "585000.00"  # yuan, in the record
    assert sheet["E3"].value == record["project"]["name"]
    assert (sheet["B4"].value, sheet["C4"].value) == ("预算数", 58.5)  # 万元 on the form
    first_indicator = record["indicators"][0]
    assert (sheet["C10"].value, sheet["F10"].value) == (first_indicator["level3"], first_indicator["value"])
    assert "B8:G8" in {str(r) for r in sheet.merged_cells.ranges}  # the 绩效目标 cell, as on the form


@pytest.mark.parametrize("template_id", ["tangshan", "tianjin"])
def test_the_sheet_prints_one_a4_page_wide_without_fitting_to_pages(summary, template_id):
    _, book = summary
    sheet = book[f"汇编-{template_id}"]
    setup = sheet.page_setup
    assert setup.paperSize == 9 and setup.orientation == "portrait"  # A4
    fit = sheet.sheet_properties.pageSetUpPr
    assert not (fit and fit.fitToPage)  # Excel ignores manual page breaks on a sheet fitted to pages
    widths = {
        col: dim.width for dim in sheet.column_dimensions.values() for col in range(dim.min, dim.max + 1)
    }  # xlsxwriter writes columns of one width as one range (C:D)
    assert [widths[col] for col in range(1, 8)] == pytest.approx(COLUMNS[template_id], abs=1)
    scale = int(setup.scale or 100)  # 100, the default, is not written
    # Excel draws a column of w characters (Calibri 11) w * 7 + 5 pixels wide, 96 pixels an inch;
    # LibreOffice the (w * 7 + 5) / 7 characters stored times Calibri's (or Carlito's) digit, 1038/2048
    # of 11 points
    pixels = sum(w * 7 + 5 for w in COLUMNS[template_id])
    points = sum((w * 7 + 5) / 7 * 11 * 1038 / 2048 for w in COLUMNS[template_id])
    printable = A4_PORTRAIT_INCHES - sheet.page_margins.left - sheet.page_margins.right
    assert 90 <= scale <= 100 and pixels / 96 * scale / 100 <= printable and points / 72 * scale / 100 <= printable


def test_the_department_form_has_its_own_sheet_and_title(summary):
    _, book = summary
    sheet = book["汇编-tangshan-department"]
    [record] = of("tangshan-department")
    assert sheet["A1"].value == f"{record['year']}年度部门整体绩效目标"
    assert not sheet.row_breaks.brk  # a single form
    texts = {c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert record["items"][0]["title"] in texts and record["measures"][0] in texts


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name → its part in the package."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    return {
        s.get("name"): "xl/" + targets[s.get(rel)].lstrip("/").removeprefix("xl/")
        for s in workbook.iter(f"{{{ns['m']}}}sheet")
    }


def test_past_excels_page_break_limit_a_continuation_sheet_takes_the_next_form(tmp_path):
    """Excel allows 1,023 manual page breaks in a sheet: 1,024 forms. The 1,025th goes on
    汇编-tangshan-2 (forms of one indicator each, 11 rows with the blank one, to keep it quick)."""
    base = copy.deepcopy(of("tangshan")[0])
    base["indicators"] = base["indicators"][:1]

    def forms():
        for number in range(1, 1026):
            record = copy.deepcopy(base)
            record["project"]["name"] = f"第{number}号项目"
            yield record

    made = consolidate(forms(), [], tmp_path / "many.xlsx", compilation=True)
    assert [n for n in made.sheets if n.startswith("汇编")] == ["汇编-tangshan", "汇编-tangshan-2"]
    parts = _sheet_parts(made.workbook)
    with zipfile.ZipFile(made.workbook) as archive:
        first = archive.read(parts["汇编-tangshan"]).decode("utf-8")
        second = archive.read(parts["汇编-tangshan-2"]).decode("utf-8")
    breaks = [int(b) for b in re.findall(r'<brk id="(\d+)"', first)]
    assert breaks == [11 * n for n in range(1, 1024)]  # 1,023 breaks, one above each form but the first
    assert "<brk " not in second
    book = CalamineWorkbook.from_path(str(made.workbook))
    titles = [
        row[0] for row in book.get_sheet_by_name("汇编-tangshan").to_python() if str(row[0]).endswith("绩效目标表")
    ]
    assert len(titles) == 1024 and titles[-1] == "1024.第1024号项目绩效目标表"
    rest = book.get_sheet_by_name("汇编-tangshan-2").to_python()
    assert rest[0][0] == "1025.第1025号项目绩效目标表"
