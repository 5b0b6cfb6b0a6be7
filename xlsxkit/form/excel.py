"""Excel's limits, and the names of the sheets xlsxkit writes and reads: one place for both, so
that the writer, the reader, feedback and the summary agree; and Excel's column letters.
"""

from __future__ import annotations

import functools
import re

# Excel's limits (the same in LibreOffice's .xlsx since 7.4).
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_TEXT = 32_767  # characters in one cell
MAX_ROW_HEIGHT = 409  # points: the tallest a row can be
MAX_SHEET_NAME = 31  # characters in a sheet name
SHEET_NAME_FORBIDDEN = "[]:*?/\\"  # characters a sheet name may not hold
MAX_PAGE_BREAKS = 1_023  # manual page breaks in one sheet
MAX_COLUMN_WIDTH = 255  # characters: the widest a column may be
MAX_HEADER_FOOTER = 255  # characters (UTF-16 units) of a page header or footer, codes (&P) included

# Paper sizes, as xlsxwriter's set_paper and openpyxl's page_setup.paperSize number them.
PAPER_A4 = 9
PAPER_A3 = 8

# The sheets of a generated workbook.
STAMP_SHEET = "_xlsxkit"  # very hidden: the identity stamp
LISTS_SHEET = "_lists"  # hidden: every dropdown list
INSTRUCTIONS_SHEET = "填报说明"

# The sheet feedback adds to a unit's own workbook.
FEEDBACK_SHEET = "问题清单"

# The sheets of the summary workbook.
STATUS_SHEET = "填报情况"
PROJECTS_SHEET = "项目汇总"
INDICATORS_SHEET = "指标明细"
STATS_SHEET = "统计"
COMPILATION_SHEET = "汇编"
RELAY_SHEET = "_xlsxkit_relay"  # very hidden: the summary's records, so the next level collects it as a return

# The names of xlsxkit's own sheets, which no project sheet may take (the reader passes over them,
# feedback replaces its own).
OUR_SHEETS = (STAMP_SHEET, LISTS_SHEET, INSTRUCTIONS_SHEET, FEEDBACK_SHEET, RELAY_SHEET)

_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")


@functools.lru_cache(maxsize=16384)
def column_letter(column: int) -> str:
    """Excel's letters of a 1-based column: 1 → "A", 27 → "AA", 16384 → "XFD" (as
    openpyxl.utils.get_column_letter, without importing openpyxl: commands start faster)."""
    if not 1 <= column <= MAX_COLUMNS:
        raise ValueError(f"column {column} is outside 1…{MAX_COLUMNS}")
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@functools.lru_cache(maxsize=16384)
def column_index(letters: str) -> int:
    """The 1-based column of Excel's letters: "A" → 1, "XFD" → 16384."""
    index = 0
    for letter in letters.upper():
        if not "A" <= letter <= "Z":
            raise ValueError(f"{letters!r} is not a column")
        index = index * 26 + ord(letter) - 64
    if not 1 <= index <= MAX_COLUMNS:
        raise ValueError(f"{letters!r} is outside A…XFD")
    return index


def range_bounds(reference: str) -> tuple[int, int, int, int]:
    """(first column, first row, last column, last row), 1-based, of "B2:D4" or "C3"."""
    first, _, last = reference.partition(":")
    start, end = _A1.match(first.strip()), _A1.match((last or first).strip())
    if start is None or end is None:
        raise ValueError(f"{reference!r} is not a cell range")
    return column_index(start.group(1)), int(start.group(2)), column_index(end.group(1)), int(end.group(2))
