"""汇编: every form drawn again as its official form, stacked on printable sheets, each form
starting a new printed page — the way the seed documents were published. Part of the summary
workbook (consolidate.py), written as the records stream by.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.form.excel import COMPILATION_SHEET, MAX_PAGE_BREAKS, MAX_ROWS, MAX_SHEET_NAME
from xlsxkit.template.layout import Layout, compile_layout
from xlsxkit.template.load import find_template
from xlsxkit.write.form_writer import PrintFormats, draw_form, render_text, set_page

A4_INCHES = {"portrait": 8.27, "landscape": 11.69}
SPARE = 72  # percent of the width-filling scale, see _width_scale


class Compilation:
    """Every form drawn again, stacked on 汇编 sheets, each starting a new printed page.

    One 汇编 sheet per template id ("汇编-tangshan"): a sheet has one set of column widths and
    one page setup, and templates differ in both (6 to 8 columns of other widths, their own
    margins), so forms of different templates never share a sheet and each looks exactly as
    its template draws it. A collection normally uses one template (and its department form),
    so this is one sheet per kind of form. A sheet takes at most 1,024 forms (Excel allows 1,023
    manual page breaks) and never passes Excel's last row; then "汇编-tangshan-2" continues it.
    """

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        self.layouts: dict[str, Layout] = {}
        self.formats: dict[str, PrintFormats] = {}
        self.sheets: dict[str, _FormSheet] = {}
        self.names: set[str] = set()
        self.unit: Any = object()
        self.numbers: Counter[str] = Counter()  # forms of each template drawn for the current unit

    def add(self, record: dict[str, Any]) -> None:
        template_id = str((record.get("template") or {}).get("id"))
        layout = self.layouts.get(template_id)
        if layout is None:
            layout = self.layouts[template_id] = compile_layout(find_template(template_id))
            self.formats[template_id] = PrintFormats(self.workbook, layout.template)
        template = layout.template
        unit = record.get("unit") or {}
        if unit.get("code") != self.unit:  # projects are numbered within their unit, as published
            self.unit = unit.get("code")
            self.numbers.clear()
        self.numbers[template_id] += 1
        rows = {t.table: len(record[t.table]) for t in template.tables() if record.get(t.table)}
        sheet_layout = layout.sheet(rows)
        height = sheet_layout.last_row + 2  # the form and one blank row after it
        place = self.sheets.get(template_id)
        if place is None or not place.fits(height):
            place = self.sheets[template_id] = self._new_sheet(layout, place)
        context = {
            "year": record.get("year"),
            "unit": unit,
            "money_unit": template.money_unit or "",
            "template": {"id": template.id, "version": template.version, "name": template.name},
            "index": self.numbers[template_id],
            "project": record.get("project") or {},
            "record": record,
        }
        context["title"] = render_text(template.title, context)
        place.draw(self.formats[template_id], layout, sheet_layout, record, context, height)

    def _new_sheet(self, layout: Layout, previous: _FormSheet | None) -> _FormSheet:
        if previous is not None:
            previous.finish()
        template = layout.template
        number = previous.number + 1 if previous is not None else 1
        base = f"{COMPILATION_SHEET}-{template.id}"
        suffix = f"-{number}" if number > 1 else ""
        name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        while name.lower() in self.names:  # ids cut to the same 31 characters
            number += 1
            suffix = f"-{number}"
            name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        self.names.add(name.lower())
        sheet = self.workbook.add_worksheet(name)
        _print_setup(sheet, layout)
        return _FormSheet(sheet, number)

    def finish(self) -> None:
        for place in self.sheets.values():
            place.finish()


def _print_setup(sheet: Worksheet, layout: Layout) -> None:
    template = layout.template
    page = template.page
    for col, width in enumerate(template.columns):
        sheet.set_column(col, col, width)
    # Not fitted to pages: Excel ignores manual page breaks then, so the scale that fits the
    # form's width is computed and set instead.
    set_page(sheet, page, _width_scale(template.columns, page.orientation, page.margins.left + page.margins.right))


def _width_scale(widths: Sequence[float], orientation: str, margins: float) -> int:
    """The print scale (percent) at which columns of these widths fit across an A4 page. Column
    widths count characters of the workbook's default font (Calibri 11, 7 pixels a digit, 96
    pixels an inch); an office suite without that font (LibreOffice with no Carlito) draws them
    about 30 % wider, so the scale keeps that much to spare (measured: at 83 % LibreOffice
    split each Tangshan form across two pages, at 72 % it did not)."""
    pixels = sum(int(w * 12 + 0.5) if w < 1 else int(w * 7 + 0.5) + 5 for w in widths)  # as Excel sizes columns
    printable = (A4_INCHES[orientation] - margins) * 96
    return max(10, min(100, math.floor(SPARE * printable / max(pixels, 1))))


class _FormSheet:
    """A 汇编 sheet: forms drawn one below the other, a page break above each but the first."""

    def __init__(self, sheet: Worksheet, number: int) -> None:
        self.sheet = sheet
        self.number = number
        self.top = 0
        self.forms = 0
        self.breaks: list[int] = []
        self.merges = _Merges()
        sheet.merge = self.merges  # compact: a sheet of a thousand forms holds ~50,000 merges

    def fits(self, height: int) -> bool:
        """Whether one more form goes on this sheet (a page break above it, its rows below)."""
        return self.forms == 0 or (self.forms <= MAX_PAGE_BREAKS and self.top + height <= MAX_ROWS)

    def draw(
        self,
        formats: PrintFormats,
        layout: Layout,
        sheet_layout: Any,
        record: dict[str, Any],
        context: dict[str, Any],
        height: int,
    ) -> None:
        if self.top:
            self.breaks.append(self.top)
        buffer = _RowOrder(self.sheet)
        draw_form(buffer, formats, layout, sheet_layout, record, context, top=self.top, printable=True)  # type: ignore[arg-type]
        buffer.flush(self.merges)
        self.forms += 1
        self.top += height
        self._release()

    def _release(self) -> None:
        """Forget the row heights of rows already written out: in constant_memory mode a row is
        final once a later row is written, and xlsxwriter would otherwise keep a record of every
        row of every form until the workbook is closed."""
        done = self.sheet.previous_row
        info, sizes = self.sheet.row_info, self.sheet.row_sizes
        for row in [r for r in info if r < done]:
            del info[row]
            sizes.pop(row, None)

    def finish(self) -> None:
        if self.breaks:
            self.sheet.set_h_pagebreaks(self.breaks)


class _Merges:
    """The merged ranges of a sheet, four unsigned ints each (xlsxwriter keeps a list per range
    and only appends to it, counts and iterates it when the sheet is written)."""

    def __init__(self) -> None:
        self._data = array("I")

    def append(self, cell_range: Sequence[int]) -> None:
        self._data.extend(cell_range)

    def __len__(self) -> int:
        return len(self._data) // 4

    def __iter__(self) -> Iterator[tuple[int, int, int, int]]:
        data = self._data
        for index in range(0, len(data), 4):
            yield data[index], data[index + 1], data[index + 2], data[index + 3]


class _RowOrder:
    """Stands in for a worksheet while one form is drawn, then writes the form row by row.

    The writer draws a form block by block (labels, then fields, then tables) and merges ranges
    over several rows, while a constant_memory worksheet takes cells in row order only (a cell
    above the row last written is dropped). The cells are collected here (a later write to a
    cell replaces an earlier one, as in xlsxwriter) and written sorted; merged ranges are
    registered with the sheet directly, their cells written as formatted blanks in order."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.cells: dict[tuple[int, int], tuple[int, Any, Format | None]] = {}
        self.merged: list[tuple[int, int, int, int]] = []
        self.heights: dict[int, float] = {}

    def merge_range(
        self, first_row: int, first_col: int, last_row: int, last_col: int, data: Any, cell_format: Format | None = None
    ) -> None:
        self.merged.append((first_row, first_col, last_row, last_col))
        for row in range(first_row, last_row + 1):
            for col in range(first_col, last_col + 1):
                self.cells[(row, col)] = (_BLANK, None, cell_format)
        if data not in (None, ""):
            self.write_string(first_row, first_col, str(data), cell_format)

    def write_string(self, row: int, col: int, string: str, cell_format: Format | None = None) -> None:
        self.cells[(row, col)] = (_STRING, string, cell_format)

    def write_number(self, row: int, col: int, number: float, cell_format: Format | None = None) -> None:
        self.cells[(row, col)] = (_NUMBER, number, cell_format)

    def write_datetime(self, row: int, col: int, date: dt.datetime, cell_format: Format | None = None) -> None:
        self.cells[(row, col)] = (_DATETIME, date, cell_format)

    def write_blank(self, row: int, col: int, blank: Any, cell_format: Format | None = None) -> None:
        self.cells[(row, col)] = (_BLANK, None, cell_format)

    def set_row(self, row: int, height: float) -> None:
        self.heights[row] = height

    def data_validation(self, *args: Any) -> None:
        raise TypeError("a printable form has no data validations")

    def flush(self, merges: _Merges) -> None:
        sheet = self.sheet
        for row, height in sorted(self.heights.items()):  # before the row is written out
            sheet.set_row(row, height)
        for cell_range in self.merged:
            merges.append(cell_range)
        for (row, col), (kind, value, fmt) in sorted(self.cells.items()):
            if kind == _STRING:
                sheet.write_string(row, col, value, fmt)
            elif kind == _NUMBER:
                sheet.write_number(row, col, value, fmt)
            elif kind == _DATETIME:
                sheet.write_datetime(row, col, value, fmt)
            elif fmt is not None and (fmt.left or fmt.right or fmt.top or fmt.bottom or fmt.pattern):
                sheet.write_blank(row, col, None, fmt)  # a blank shows only its borders (or fill)


_BLANK, _STRING, _NUMBER, _DATETIME = range(4)
