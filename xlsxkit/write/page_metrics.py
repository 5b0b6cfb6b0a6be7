"""How wide a column and a page are when printed, in points: what decides a print scale."""

from __future__ import annotations

A4_INCHES = {"portrait": 210 / 25.4, "landscape": 297 / 25.4}  # page width
# A column's width counts characters of the workbook's default font, Calibri 11 (xlsxwriter's
# Normal style; the templates name their 宋体 on each cell). Excel draws w characters as
# int(w * 7 + 0.5) + 5 pixels at 96 an inch (7: Calibri's digit rounded to pixels, 5: padding)
# and the file stores pixels / 7 characters, which LibreOffice multiplies by the digit's true
# advance in Calibri or in Carlito, its metric-compatible twin: 1038/2048 em, 5.575 points where
# Excel counts 7 pixels (5.25 points). LibreOffice's columns are thus about 6 % wider than
# Excel's; without Carlito (DejaVu Sans in its place) 25 % wider, so it is installed where
# LibreOffice prints (fonts-crosextra-carlito).
DIGIT_PIXELS, PADDING_PIXELS = 7, 5
DIGIT_POINTS = 11 * 1038 / 2048


def column_points(width: float) -> float:
    """The printed width, in points at 100 %, of a column `width` characters wide: the wider of
    Excel's (whole pixels, 96 an inch) and LibreOffice's (stored characters × the digit of
    Calibri or Carlito)."""
    if width < 1:
        pixels = int(width * (DIGIT_PIXELS + PADDING_PIXELS) + 0.5)
    else:
        pixels = int(width * DIGIT_PIXELS + 0.5) + PADDING_PIXELS
    stored = (pixels * 256 // DIGIT_PIXELS) / 256  # as xlsxwriter writes <col width>
    return max(pixels * 72 / 96, stored * DIGIT_POINTS)


def printable_points(orientation: str, left: float, right: float) -> float:
    """The width in points of an A4 page within its left and right margins (inches)."""
    return (A4_INCHES[orientation] - left - right) * 72
