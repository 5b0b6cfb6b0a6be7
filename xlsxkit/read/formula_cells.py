"""Which cells of a return hold a formula without a calculated value.

A workbook saved by a program that does not calculate (openpyxl, a script) keeps its formulas
but no results: calamine and openpyxl then show those cells empty, and the reader would say
"未填写" of a cell the unit did fill. This module finds such cells (<c r="C4"><f>B4*2</f></c>,
or an empty <v/>) in each sheet part while the guard (safe_open) inflates it, so the reader can
say "公式没有计算结果" instead. Cells are 0-based (row, col), as in a Grid; a cell element split
across more than MAX_CARRY bytes is not looked at.
"""

from __future__ import annotations

import re
from collections import deque

from xlsxkit.form.excel import column_index

__all__ = ["FormulaCells"]

MAX_CARRY = 2**16  # bytes of an unfinished cell element carried to the next chunk, at most

Cell = tuple[int, int]

_CELL = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br\s*=\s*["']([A-Z]{1,3})([0-9]{1,7})["'][^>]*?(?<!/)>(.*?)</(?:[A-Za-z_][\w.-]*:)?c>""",
    re.DOTALL,
)
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>\s*[^<\s]")
# Two searches for a literal start each ("<f", ":f") find whether there may be a formula faster
# than _FORMULA, which tries every "<" (<formula1> of a data validation is not one: [\s>/] after f).
_FORMULA_BARE = re.compile(rb"<f[\s>/]")
_FORMULA_PREFIXED = re.compile(rb":f[\s>/]")
_CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s")


class FormulaCells:
    """The formula cells without a value of one sheet part, given chunk by chunk (`feed`), then
    `cells` once it was read whole."""

    def __init__(self) -> None:
        self.cells: set[Cell] = set()
        self.carry = b""

    def feed(self, chunk: bytes | memoryview, last: bool = False) -> None:
        """Take the next chunk of the part (`last`: the part ends with it)."""
        text = self.carry + bytes(chunk)
        self.carry = b""
        quick = _FORMULA_BARE.search(text) or _FORMULA_PREFIXED.search(text)  # quicker than _FORMULA, not sure
        formula = _FORMULA.search(text) if quick is not None else None
        if formula is None:
            if not last:
                self._carry_unfinished(text, 0)
            return
        end = self._cells_around(text, formula)
        if end is None:  # cells laid out otherwise: every cell looked at
            end = self._every_cell(text)
        if not last:
            self._carry_unfinished(text, end)

    def _cells_around(self, text: bytes, formula: re.Match[bytes] | None) -> int | None:
        """The cells holding each formula, found from the formula back to its cell's tag (a cell's
        formula is its first child: the tag before it); where the last such cell ends, or None
        when a formula is not where a cell's first child stands (nothing is kept then)."""
        found: set[Cell] = set()
        end = 0
        while formula is not None:
            start = text.rfind(b"<", end, formula.start())
            cell = _CELL.match(text, start) if start != -1 else None
            if cell is None or cell.end() <= formula.start():
                return None
            if _VALUE.search(cell.group(3)) is None:
                found.add((int(cell.group(2)) - 1, column_index(cell.group(1).decode()) - 1))
            end = cell.end()
            formula = _FORMULA.search(text, end)
        self.cells |= found
        return end

    def _every_cell(self, text: bytes) -> int:
        """The formula cells among every cell of the text; where the last cell ends."""
        end = 0
        for match in _CELL.finditer(text):
            end = match.end()
            inner = match.group(3)
            if _FORMULA.search(inner) and _VALUE.search(inner) is None:
                self.cells.add((int(match.group(2)) - 1, column_index(match.group(1).decode()) - 1))
        return end

    def _carry_unfinished(self, text: bytes, after: int) -> None:
        """Keep a cell element begun but not ended in this chunk for the next one — also one of
        which only "<" or "<c" made it into this chunk (a tag still open at its end)."""
        last = deque(_CELL_START.finditer(text, after), maxlen=1)
        starts = [last[0].start()] if last else []
        edge = text.rfind(b"<", after)
        if edge != -1 and text.find(b">", edge) == -1:
            starts.append(edge)
        for start in sorted(starts):
            if len(text) - start <= MAX_CARRY:
                self.carry = text[start:]
                return
