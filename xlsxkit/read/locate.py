"""Find where a template's fields and tables actually are on a returned sheet.

People insert and delete rows, move a block down, add columns at the right: so the reader
does not trust the Layout's addresses, it looks for each field's label near where the Layout
expects it and for each table's header row, carrying the offset found so far down the sheet.
Fields without a label, or whose label is not found, are taken at the expected place moved
by that offset (and said so).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field

from xlsxkit.form.excel import MAX_CELL_TEXT
from xlsxkit.read.grid import Grid
from xlsxkit.template.layout import ColumnPlace, FieldPlace, SheetLayout, TablePlace, label_pattern

ROW_WINDOW = 8  # how far (rows) from the expected place a label may have moved
COL_WINDOW = 3
HEADER_WINDOW = 12


@functools.lru_cache(maxsize=16384)
def compact(text: str) -> str:
    """Text as labels are compared: no white space at all."""
    return "".join(text.split())


@dataclass(frozen=True)
class LocatedTable:
    """Where a table was found on a returned sheet: its header row, its columns and its data rows."""

    place: TablePlace
    header_row: int
    columns: tuple[tuple[ColumnPlace, int], ...]  # each column place and the column it is in
    first_row: int
    last_row: int  # inclusive; last_row < first_row for an empty table


@dataclass
class Located:
    """What locating found on a returned sheet: each field's cell, each table, the labels missed, and
    cells over Excel's limit."""

    fields: dict[str, tuple[int, int]] = field(default_factory=dict)  # key → (row, col)
    unlabelled: list[FieldPlace] = field(default_factory=list)  # label expected, not found
    tables: dict[str, LocatedTable] = field(default_factory=dict)
    labels_found: int = 0
    labels_expected: int = 0
    too_long: list[tuple[int, int, int]] = field(default_factory=list)  # cells over Excel's limit

    @property
    def recognised(self) -> bool:
        """Does this sheet look like the form at all (most labels and every table header found)?"""
        return len(self.tables) > 0 and self.labels_found * 2 >= self.labels_expected


class TextIndex:
    """Where each text stands on the sheet, for finding labels quickly; and, on the way, the
    cells holding more text than Excel allows in a cell."""

    def __init__(self, grid: Grid) -> None:
        self.by_text: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.too_long: list[tuple[int, int, int]] = []  # (row, col, length)
        by_text = self.by_text
        for r, cells in enumerate(grid.rows):  # (Grid.texts, inlined: every filled cell of every return)
            for c, text in enumerate(cells):
                if type(text) is not str or not text:
                    continue
                if len(text) <= 200:  # labels are short; long cells are values
                    by_text[compact(text)].append((r, c))
                elif len(text) > MAX_CELL_TEXT:
                    self.too_long.append((r, c, len(text)))

    def find(self, label: str) -> list[tuple[int, int]]:
        """The cells whose text is the label (white space aside, any text for a jinja2 part)."""
        if "{" not in label:
            return self.by_text.get(compact(label), [])
        pattern = label_pattern(label)
        return [place for text, places in self.by_text.items() if pattern.match(text) for place in places]


def nearest(candidates: list[tuple[int, int]], row: int, col: int, *, below: int = -1) -> tuple[int, int] | None:
    """The candidate closest to (row, col) within the window, after row `below`."""
    best = None
    best_distance = None
    for r, c in candidates:
        if r <= below or abs(r - row) > ROW_WINDOW or abs(c - col) > COL_WINDOW:
            continue
        distance = abs(r - row) * 2 + abs(c - col)
        if best_distance is None or distance < best_distance:
            best, best_distance = (r, c), distance
    return best


def locate(grid: Grid, sheet: SheetLayout) -> Located:
    """Every field's and table's place on `grid`, for a sheet compiled with the template's rows."""
    index = TextIndex(grid)
    found = Located(too_long=index.too_long)
    shift = 0  # rows the sheet has moved down relative to the Layout, as found so far
    floor = -1  # rows at or above this belong to what was found already
    blocks = _blocks_in_order(sheet)
    for position, block in enumerate(blocks):
        if isinstance(block, TablePlace):
            table = _locate_table(grid, index, block, shift, floor, blocks[position + 1 :])
            if table is None:
                continue
            found.tables[block.bind] = table
            shift = table.header_row - block.header_row
            floor = table.header_row
            # what follows the table moves with the table's own length
            shift += (table.last_row - table.first_row) - (block.rows - 1)
            floor = max(floor, table.last_row)
            continue
        place = block
        if place.label is None or place.label_box is None:
            found.fields[place.key] = (place.box.row + shift, place.box.col)
            continue
        found.labels_expected += 1
        label_at = nearest(index.find(place.label), place.label_box.row + shift, place.label_box.col, below=floor - 1)
        if label_at is None:
            found.unlabelled.append(place)
            found.fields[place.key] = (place.box.row + shift, place.box.col)
            continue
        found.labels_found += 1
        shift = label_at[0] - place.label_box.row
        found.fields[place.key] = (place.box.row + shift, place.box.col + label_at[1] - place.label_box.col)
    return found


def _blocks_in_order(sheet: SheetLayout) -> list[FieldPlace | TablePlace]:
    """Fields and tables top to bottom (fields by their label's row, then left to right)."""

    def top(block: FieldPlace | TablePlace) -> tuple[int, int]:
        if isinstance(block, TablePlace):
            return block.header_row, -1
        anchor = block.label_box or block.box
        return anchor.row, block.box.col

    return sorted([*sheet.fields, *sheet.tables], key=top)


def _locate_table(
    grid: Grid,
    index: TextIndex,
    table: TablePlace,
    shift: int,
    floor: int,
    following: list[FieldPlace | TablePlace],
) -> LocatedTable | None:
    expected = table.header_row + shift
    votes: dict[int, int] = defaultdict(int)
    headers = {compact(c.header) for c in table.columns}
    for header in headers:
        for r, _ in index.find(header):
            if r > floor and abs(r - expected) <= HEADER_WINDOW:
                votes[r] += 1
    if not votes:
        return None
    header_row = max(votes, key=lambda r: (votes[r], -abs(r - expected)))
    if votes[header_row] * 2 < len(headers):
        return None
    columns = _columns_in(grid, table, header_row)
    last = _table_end(grid, index, header_row, following)
    return LocatedTable(table, header_row, columns, header_row + 1, last)


def _columns_in(grid: Grid, table: TablePlace, header_row: int) -> tuple[tuple[ColumnPlace, int], ...]:
    """Each column of the table at the header cell carrying its name (nearest to where the Layout
    has it; a header used twice, as 六安's 二级指标, is matched in order)."""
    cells = [(c, compact(str(v))) for c, v in enumerate(grid.rows[header_row]) if isinstance(v, str) and v.strip()]
    taken: set[int] = set()
    placed = []
    for column in table.columns:
        wanted = compact(column.header)
        options = [c for c, text in cells if text == wanted and c not in taken]
        col = min(options, key=lambda c: abs(c - column.col)) if options else column.col
        taken.add(col)
        placed.append((column, col))
    return tuple(placed)


def _table_end(
    grid: Grid,
    index: TextIndex,
    header_row: int,
    following: list[FieldPlace | TablePlace],
) -> int:
    """The table's last row: the row before whatever the Layout puts next, else the sheet's last row."""
    for block in following:
        anchor = _anchor_text(block)
        if anchor is None:
            continue
        rows = sorted(r for r, _ in index.find(anchor) if r > header_row)
        if rows:
            return rows[0] - 1
    return grid.last_filled_row()


def _anchor_text(block: FieldPlace | TablePlace) -> str | None:
    if isinstance(block, TablePlace):
        return block.columns[0].header if block.columns else None
    return block.label
