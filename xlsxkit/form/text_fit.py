"""How tall a row must be for wrapped text to show whole.

Excel does not grow a row for wrapped text written by a program, so a long 年度目标
rendered from a record would be cut off on screen and in print. We estimate: CJK and
full-width characters take two width units, others one; a column width of N holds about
N units of an 11-point font.
"""

from __future__ import annotations

import functools
import math
import unicodedata

LINE_FACTOR = 1.35  # line height / font size


def display_units(text: str) -> int:
    """The width of text in half-width units: a CJK character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


@functools.lru_cache(maxsize=16384)
def lines_needed(text: str, width_chars: float, font_size: float) -> int:
    """Lines that `text` wraps into in a cell `width_chars` wide (explicit breaks kept); the labels,
    headers and instructions every unit's workbook repeats are measured once."""
    capacity = max(1.0, width_chars * 11.0 / font_size - 1)
    return sum(max(1, math.ceil(display_units(line) / capacity)) for line in text.split("\n"))


def default_row_height(font_size: float) -> float:
    """The height a row has when nothing sets it (15 points for an 11-point font)."""
    return round(font_size * LINE_FACTOR + 0.15, 1)


@functools.lru_cache(maxsize=16384)
def height_for(text: str, width_chars: float, font_size: float, *, rows: int = 1) -> float:
    """Points a row (or each of `rows` merged rows) needs to show `text` whole."""
    lines = lines_needed(text, width_chars, font_size)
    return math.ceil(lines * font_size * LINE_FACTOR + 4) / rows
