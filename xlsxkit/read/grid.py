"""One sheet of a return as a grid of cell values and merged ranges, whoever saved it.

The reader sees sheets only through a Grid: python-calamine fills it (fast), and openpyxl's
streaming reader fills it where calamine cannot serve — a sheet whose cells reach so far that
calamine would allocate the whole range — reading only the first rows and columns, within a
cell budget. Rows and columns are 0-based, as in the Layout.

Neither reader says which numbers are shown as percentages (0.95 for "95%"); the grid is told
by the guard's scan of the file (number_formats), where the file format lets it tell.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxkit.form.excel import range_bounds
from xlsxkit.read.safe_open import require_defusedxml
from xlsxkit.read.workbook_parts import sheet_parts_of
from xlsxkit.template.layout import Box

WIDE_MERGE = 10_000  # a merged range of more cells is looked through, not keyed cell by cell


@dataclass
class Grid:
    """A sheet as the reader sees it: its values by (row, col), 0-based, its merged ranges and, where
    known, its cells shown as percentages."""

    name: str
    rows: list[list[Any]]
    # the merged ranges, each (first row, first col, last row, last col), as the readers give them
    # (making a Box of each would cost more than the rest of the grid): `merges` has the Boxes
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    # the numeric cells shown as percentages; None: not known (the file format does not tell)
    percent_cells: frozenset[tuple[int, int]] | None = None
    _origin_of: dict[tuple[int, int], tuple[int, int]] | None = field(default=None, repr=False)
    _wide: list[tuple[int, int, int, int]] = field(default_factory=list, repr=False)  # looked through, not keyed

    @property
    def merges(self) -> list[Box]:
        """The merged ranges."""
        return [Box(r0, c0, r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in self.merged]

    @property
    def height(self) -> int:
        """The number of rows read."""
        return len(self.rows)

    def value(self, row: int, col: int) -> Any:
        """The value stored in a cell; None for a blank cell or one outside the grid."""
        if 0 <= row < len(self.rows):
            cells = self.rows[row]
            if 0 <= col < len(cells):
                value = cells[col]
                return None if value == "" else value
        return None

    def merge_origin(self, row: int, col: int) -> tuple[int, int] | None:
        """The first cell of the merged range covering the cell, if any."""
        if self._origin_of is None:
            self._origin_of, self._wide = {}, []
            for r0, c0, r1, c1 in self.merged:
                if (r1 - r0 + 1) * (c1 - c0 + 1) > WIDE_MERGE:  # (A20:XFD1048576 would be 17 billion keys)
                    self._wide.append((r0, c0, r1, c1))
                    continue
                for r in range(r0, r1 + 1):
                    for c in range(c0, c1 + 1):
                        self._origin_of[r, c] = (r0, c0)
        origin = self._origin_of.get((row, col))
        if origin is None:
            for r0, c0, r1, c1 in self._wide:
                if r0 <= row <= r1 and c0 <= col <= c1:
                    return r0, c0
        return origin

    def shown(self, row: int, col: int) -> Any:
        """What a person sees in a cell: its own value, or the merged range's where it is blank."""
        value = self.value(row, col)
        if value is None:
            origin = self.merge_origin(row, col)
            if origin is not None:
                return self.value(*origin)
        return value

    def percent(self, row: int, col: int) -> bool | None:
        """Whether the number `shown` in a cell is percent-formatted; None when not known."""
        if self.percent_cells is None:
            return None
        if not self.percent_cells:  # most sheets: no percentages at all
            return False
        if self.value(row, col) is None:
            origin = self.merge_origin(row, col)
            if origin is not None:
                row, col = origin
        return (row, col) in self.percent_cells

    def texts(self) -> Iterator[tuple[int, int, str]]:
        """Every non-empty text cell as (row, col, text)."""
        for r, cells in enumerate(self.rows):
            for c, value in enumerate(cells):
                if isinstance(value, str) and value:
                    yield r, c, value

    def last_filled_row(self) -> int:
        """The last row with any value (-1 for an empty sheet)."""
        for r in range(len(self.rows) - 1, -1, -1):
            if any(v not in ("", None) for v in self.rows[r]):
                return r
        return -1


def grid_from_calamine(sheet: Any, *, percent_cells: frozenset[tuple[int, int]] | None = None) -> Grid:
    """A grid from a python-calamine sheet (values from A1; merged ranges), and which of its
    numbers are shown as percentages, where that is known."""
    rows = sheet.to_python(skip_empty_area=False)
    merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or ())]
    return Grid(sheet.name, rows, merged, percent_cells)


def grid_from_openpyxl(
    source: Path | io.BytesIO,
    sheet_name: str,
    max_rows: int,
    max_cols: int,
    *,
    percent_cells: frozenset[tuple[int, int]] | None = None,
) -> Grid:
    """A grid of the first max_rows × max_cols cells of a sheet of an .xlsx file (its path, or its
    bytes), streamed by openpyxl (read-only mode never builds the whole range), with its merged
    ranges inside that window, and which of its numbers are shown as percentages, where that is
    known. The file has passed the guard (safe_open.inspect_file)."""
    require_defusedxml()
    import openpyxl

    book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    try:
        rows = [
            ["" if v is None else v for v in cells]
            for cells in book[sheet_name].iter_rows(max_row=max_rows, max_col=max_cols, values_only=True)
        ]
    finally:
        book.close()
    merges = _merged_ranges_streamed(source, sheet_name, max_rows, max_cols)
    while rows and all(v == "" for v in rows[-1]):
        rows.pop()
    return Grid(sheet_name, rows, [(b.row, b.col, b.last_row, b.last_col) for b in merges], percent_cells)


# <mergeCell ref="A1:B2"/>, with any namespace prefix (<x:mergeCell>), quote or spacing.
MERGE_CELL = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref\s*=\s*["']([A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7})["']"""
)


def _merged_ranges_streamed(source: Path | io.BytesIO, sheet_name: str, max_rows: int, max_cols: int) -> list[Box]:
    """Merged ranges within the window, read from the sheet's XML without loading its cells; the
    sheet's part is found as the guard finds it, through the workbook's relationships."""
    with zipfile.ZipFile(source) as archive:
        part = sheet_parts_of(archive).get(sheet_name)
        if not part or part not in archive.namelist():
            return []
        boxes: list[Box] = []
        with archive.open(part) as stream:
            carry = b""
            while chunk := stream.read(1 << 16):
                data = carry + chunk
                cut = data.rfind(b"<")  # a tag still open at the chunk's end goes on with the next
                data, carry = (data[:cut], data[cut:]) if cut != -1 and data.find(b">", cut) == -1 else (data, b"")
                for match in MERGE_CELL.finditer(data):
                    c0, r0, c1, r1 = range_bounds(match.group(1).decode())
                    if r0 <= max_rows and c0 <= max_cols:  # (all four bounds are set for an A1:B2)
                        boxes.append(Box(r0 - 1, c0 - 1, r1 - r0 + 1, c1 - c0 + 1))
    return list(dict.fromkeys(boxes))
