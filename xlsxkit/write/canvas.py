"""Where a form is drawn: the few sheet operations draw_form needs (FormCanvas), and where they go.

draw_form (form_drawing) draws one form in form rows, row 0 being the form's first row. A
generated workbook has one form a sheet: WorksheetCanvas writes it straight onto the worksheet.
The 汇编 (xlsxkit.cycle.compendium) stacks every form, one below the other, on sheets of a
constant_memory workbook: FormStack gives each form a RowOrderCanvas at its row offset, which
collects the form and writes it out in row order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from xlsxkit.write.xlsxwriter_internals import CompactMerges, forget_written_rows, shows_when_blank, use_compact_merges


class FormCanvas(Protocol):
    """The sheet operations of drawing a form; rows count from the form's first row."""

    def write_string(self, row: int, col: int, string: str, cell_format: Format) -> None:
        """Text into a cell, always as text (never a formula or a number)."""

    def write_number(self, row: int, col: int, number: float, cell_format: Format) -> None:
        """A number into a cell."""

    def write_datetime(self, row: int, col: int, date: dt.datetime, cell_format: Format) -> None:
        """A date and time into a cell."""

    def write_blank(self, row: int, col: int, cell_format: Format) -> None:
        """A cell with a format and no value."""

    def merge_range(self, first_row: int, first_col: int, last_row: int, last_col: int, cell_format: Format) -> None:
        """Merge a range, its cells blank in `cell_format`; its value is written to its first cell after."""

    def set_row(self, row: int, height: float) -> None:
        """A row's height, in points."""

    def data_validation(
        self, first_row: int, first_col: int, last_row: int, last_col: int, options: dict[str, Any]
    ) -> None:
        """A data validation (xlsxwriter's options) over a range."""


class WorksheetCanvas:
    """A form drawn straight onto an xlsxwriter worksheet, its first row at the sheet's row 0.
    Where the canvas's operation is the worksheet's own, with the same arguments (writing a
    string, a number, a date; a row's height), it is the worksheet's method itself: one call
    less for each of the hundreds of cells of a form."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.write_string: Callable[[int, int, str, Format], None] = sheet.write_string
        self.write_number: Callable[[int, int, float, Format], None] = sheet.write_number
        self.write_datetime: Callable[[int, int, dt.datetime, Format], None] = sheet.write_datetime
        self.set_row: Callable[[int, float], None] = sheet.set_row

    def write_blank(self, row: int, col: int, cell_format: Format) -> None:
        """A cell with a format and no value."""
        self.sheet.write_blank(row, col, None, cell_format)

    def merge_range(self, first_row: int, first_col: int, last_row: int, last_col: int, cell_format: Format) -> None:
        """Merge a range, its cells blank in `cell_format`."""
        self.sheet.merge_range(first_row, first_col, last_row, last_col, "", cell_format)

    def data_validation(
        self, first_row: int, first_col: int, last_row: int, last_col: int, options: dict[str, Any]
    ) -> None:
        """A data validation over a range."""
        self.sheet.data_validation(first_row, first_col, last_row, last_col, options)


class FormStack:
    """A worksheet of a constant_memory workbook that takes forms one below the other (the 汇编).

    Each form is drawn on the RowOrderCanvas `canvas(top)` gives, at sheet row `top`, and written
    out by its `flush()`; a form's rows must come below the rows already written. The sheet's
    merged ranges are kept four ints each, and the row heights of rows written out are forgotten
    (xlsxkit.write.xlsxwriter_internals), so memory stays flat in the number of forms."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.merges = use_compact_merges(sheet)

    def canvas(self, top: int) -> RowOrderCanvas:
        """A canvas for one form whose first row is the sheet's row `top`."""
        return RowOrderCanvas(self.sheet, top, self.merges)


_BLANK, _STRING, _NUMBER, _DATETIME = range(4)


class RowOrderCanvas:
    """One form of a FormStack: collected while it is drawn, then written out in row order.

    draw_form draws block by block (labels, fields, tables) and merges ranges over several rows,
    while a constant_memory worksheet takes cells in row order only. The cells are collected here
    (a later write to a cell replaces an earlier one, as in xlsxwriter) and written sorted, at the
    form's row offset; merged ranges are added to the sheet's CompactMerges, their cells written
    as formatted blanks in order where the format shows on a blank cell (a border or a fill)."""

    def __init__(self, sheet: Worksheet, top: int, merges: CompactMerges) -> None:
        self.sheet = sheet
        self.top = top  # the sheet row of the form's first row
        self.merges = merges
        self.cells: dict[tuple[int, int], tuple[int, Any, Format]] = {}
        self.merged: list[tuple[int, int, int, int]] = []
        self.heights: dict[int, float] = {}

    def write_string(self, row: int, col: int, string: str, cell_format: Format) -> None:
        """Text into a cell."""
        self.cells[(row, col)] = (_STRING, string, cell_format)

    def write_number(self, row: int, col: int, number: float, cell_format: Format) -> None:
        """A number into a cell."""
        self.cells[(row, col)] = (_NUMBER, number, cell_format)

    def write_datetime(self, row: int, col: int, date: dt.datetime, cell_format: Format) -> None:
        """A date and time into a cell."""
        self.cells[(row, col)] = (_DATETIME, date, cell_format)

    def write_blank(self, row: int, col: int, cell_format: Format) -> None:
        """A cell with a format and no value."""
        self.cells[(row, col)] = (_BLANK, None, cell_format)

    def merge_range(self, first_row: int, first_col: int, last_row: int, last_col: int, cell_format: Format) -> None:
        """Merge a range, its cells blank in `cell_format`."""
        self.merged.append((first_row, first_col, last_row, last_col))
        for row in range(first_row, last_row + 1):
            for col in range(first_col, last_col + 1):
                self.cells[(row, col)] = (_BLANK, None, cell_format)

    def set_row(self, row: int, height: float) -> None:
        """A row's height, in points."""
        self.heights[row] = height

    def data_validation(
        self, first_row: int, first_col: int, last_row: int, last_col: int, options: dict[str, Any]
    ) -> None:
        """Not here: the forms of a stack are printed copies (draw_form's `printable`), and a
        validation's formula may name a cell of the form (二级指标's list), which would need the
        form's row offset too."""
        raise NotImplementedError("a form drawn on a FormStack is a printed copy: it has no data validations")

    def flush(self) -> None:
        """Write the form out: row heights first (before their rows are written), its merged
        ranges, its cells in row order; then forget the heights of rows written out."""
        sheet, top = self.sheet, self.top
        for row, height in sorted(self.heights.items()):
            sheet.set_row(top + row, height)
        for first_row, first_col, last_row, last_col in self.merged:
            self.merges.append((top + first_row, first_col, top + last_row, last_col))
        for (row, col), (kind, value, fmt) in sorted(self.cells.items()):
            if kind == _STRING:
                sheet.write_string(top + row, col, value, fmt)
            elif kind == _NUMBER:
                sheet.write_number(top + row, col, value, fmt)
            elif kind == _DATETIME:
                sheet.write_datetime(top + row, col, value, fmt)
            elif shows_when_blank(fmt):
                sheet.write_blank(top + row, col, None, fmt)
        self.cells.clear()
        self.merged.clear()
        self.heights.clear()
        forget_written_rows(sheet)
