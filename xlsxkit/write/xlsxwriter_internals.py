"""The only module that touches XlsxWriter's undocumented attributes. Nothing else in xlsxkit does.

XlsxWriter has no public way to do these, and each of them is needed:

* Merged ranges of the 汇编 (`Worksheet.merge`). The 汇编 stacks every form, one below the
  other, on a sheet of a constant_memory workbook, which takes cells in row order only: a cell
  above the row being written is dropped. The public `merge_range` writes blanks into every row
  of a range at once, so one range over two rows writes out its first row before the form's
  other cells of that row arrive, and they are lost; and it keeps every cell of every range in a
  dict (`Worksheet.merged_cells`, for its overlap check) for as long as the workbook is open. So
  the ranges go straight into the list that xlsxwriter writes as <mergeCells> when it closes the
  sheet, which xlsxwriter only appends to, counts and iterates; `CompactMerges`, four unsigned
  ints a range, stands in for that list (a sheet of a thousand forms holds ~50,000 ranges: 0.8
  MB here, 8 MB as lists). The form's cells under each range are written, in row order, by the
  canvas (xlsxkit.write.canvas.RowOrderCanvas).
* Row heights of rows already written (`Worksheet.previous_row`, `row_info`, `row_sizes`). In
  constant_memory mode a row is final once a later row is written, but xlsxwriter keeps every
  `set_row` (about 290 bytes a row) until the workbook is closed; `forget_written_rows` drops
  those of written rows.
* What a Format draws (`Format.text_wrap`, `left`, `right`, `top`, `bottom`, `pattern`): set by
  the public `set_*` methods, read here only.

Measured on a summary of 10,000 returns (30,000 forms on 30 汇编 sheets): peak memory 91 MiB with
the first two, 309 MiB with a list of lists and every row height kept.

Tested with XlsxWriter 3.3.0 and 3.3.1 (TESTED_VERSIONS); pyproject.toml allows >=3.3,<3.4.
(3.2.x keeps row heights elsewhere, in `set_rows`.) tests/test_library_internals.py fails when any
of these attributes changes name, type or meaning: run it with a new version before raising that
bound. Here, a `merge` that is not the empty list it should be raises (output would be wrong),
and row heights that cannot be forgotten are kept (only memory grows).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

TESTED_VERSIONS = ("3.3.0", "3.3.1")


class CompactMerges:
    """A sheet's merged ranges, four unsigned ints each (first row, first col, last row, last
    col), in place of the list of lists xlsxwriter keeps; it only appends, counts and iterates."""

    def __init__(self) -> None:
        self._data = array("I")

    def append(self, cell_range: tuple[int, int, int, int]) -> None:
        """Add one range (as xlsxwriter's merge_range would, without writing its cells)."""
        self._data.extend(cell_range)

    def __len__(self) -> int:
        return len(self._data) // 4

    def __iter__(self) -> Iterator[tuple[int, int, int, int]]:
        data = self._data
        for index in range(0, len(data), 4):
            yield data[index], data[index + 1], data[index + 2], data[index + 3]


def use_compact_merges(sheet: Worksheet) -> CompactMerges:
    """Give a new worksheet a CompactMerges for its merged ranges, and return it: ranges appended
    to it are written as the sheet's <mergeCells> when the workbook closes. Raises RuntimeError
    where xlsxwriter no longer keeps them as this module expects."""
    current = getattr(sheet, "merge", None)
    if not isinstance(current, list) or current:
        raise RuntimeError(
            f"XlsxWriter {xlsxwriter.__version__}: Worksheet.merge is not the empty list xlsxkit expects "
            f"(tested with {', '.join(TESTED_VERSIONS)}); see xlsxkit/write/xlsxwriter_internals.py"
        )
    merges = CompactMerges()
    sheet.merge = merges
    return merges


def forget_written_rows(sheet: Worksheet) -> None:
    """Drop the row heights xlsxwriter keeps for rows of a constant_memory worksheet already
    written out (those above the row it is writing). Does nothing where they are not kept as
    this module expects: memory grows, output does not change."""
    done = getattr(sheet, "previous_row", None)
    info = getattr(sheet, "row_info", None)
    sizes = getattr(sheet, "row_sizes", None)
    if not isinstance(done, int) or not isinstance(info, dict) or not isinstance(sizes, dict):
        return
    for row in [r for r in info if r < done]:
        del info[row]
        sizes.pop(row, None)


def wraps_text(cell_format: Format) -> bool:
    """Whether the format wraps text (set with text_wrap)."""
    return bool(cell_format.text_wrap)


def shows_when_blank(cell_format: Format) -> bool:
    """Whether a blank cell of this format shows anything: a border or a fill."""
    fmt = cell_format
    return bool(fmt.left or fmt.right or fmt.top or fmt.bottom or fmt.pattern)
