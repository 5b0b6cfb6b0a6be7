"""A printable report sheet of the summary workbook, set up as reports are in Chinese offices.

A title row; a line with 编制单位, the money unit and the date; the header row (repeated on every
printed page, frozen on screen, with an autofilter); data rows with thin borders on every cell
and long text wrapped, each row tall enough to show its text whole; landscape, fitted to one page
wide, on A4 or — where A4 would shrink the table below READABLE_SCALE — A3; page numbers
"第 N 页，共 M 页" in the footer.

Rows are written in order (the workbook is in constant_memory mode). Text only ever goes through
write_string, and a link only through write_url with a target of our own making (a place in 汇编).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.form.excel import PAPER_A3, PAPER_A4
from xlsxkit.form.money import MoneyUnit
from xlsxkit.form.text_fit import default_row_height, lines_needed
from xlsxkit.write.xlsxwriter_internals import forget_written_rows

FONT_SIZE = 10
TITLE_SIZE = 16
FOOTER = "&C第 &P 页，共 &N 页"
MARGIN_INCHES = 0.4  # left and right
# Printable width in pixels (96 per inch) of a landscape page within the margins.
PRINTABLE_PIXELS = {PAPER_A4: (11.69 - 2 * MARGIN_INCHES) * 96, PAPER_A3: (16.54 - 2 * MARGIN_INCHES) * 96}
READABLE_SCALE = 0.7  # below this on A4 a table goes on A3
# LibreOffice steps the lines of wrapped CJK text at about 1.45 × the font size (Noto CJK's line
# gap), Excel at about 1.3: rows are made tall enough for the taller, so no line is cut in either.
LINE_POINTS = FONT_SIZE * 1.5
ROW_PADDING = 3
MAX_LINKS = 65_530  # Excel's limit of hyperlinks in one sheet; past it the place is shown as text
HEADER_ROW = 2
FORGET_EVERY = 1024  # rows between two drops of the heights of rows already written out


@dataclass(frozen=True)
class Column:
    """A column of a report: its header, width (characters) and what its cells hold."""

    header: str
    width: float
    kind: str = "text"


def in_money_unit(amount: Decimal | None, factor: Decimal) -> float | None:
    """An amount in yuan as a report's money cell holds it, in its unit (58.5 for 585000 on 万元)."""
    return None if amount is None else float(amount / factor)


def column_pixels(width: float) -> float:
    """Excel's width in pixels of a column `width` characters wide (7-pixel digits, 5 padding)."""
    return width * 7 + 5


def paper_for(widths: Sequence[float]) -> int:
    """A4, unless fitting the columns across a landscape A4 page would print below READABLE_SCALE."""
    pixels = sum(column_pixels(w) for w in widths)
    return PAPER_A4 if PRINTABLE_PIXELS[PAPER_A4] / pixels >= READABLE_SCALE else PAPER_A3


def paper_name(paper: int) -> str:
    """The paper as an office names it."""
    return "A3" if paper == PAPER_A3 else "A4"


class ReportFormats:
    """The formats every report sheet of one workbook shares, made once."""

    def __init__(self, workbook: Workbook, money_unit: MoneyUnit) -> None:
        base = {"font_size": FONT_SIZE, "border": 1, "valign": "top"}
        numbers = {
            "text": "@",
            "wrap": "@",
            "int": "0",
            "money": money_unit.number_format,
            "number": "General",
            "date": "yyyy-mm-dd",
            "time": "yyyy-mm-dd hh:mm",
            "percent": "0.0%",
            "link": "@",
        }
        self.cells: dict[tuple[str, str], Format] = {}
        for style, extra in (("data", {}), ("subtotal", {"bold": True, "bg_color": "#F2F2F2", "pattern": 1})):
            for kind, number_format in numbers.items():
                properties: dict[str, Any] = {**base, **extra, "num_format": number_format}
                if kind in ("wrap", "text"):
                    properties["text_wrap"] = True
                if kind == "link":
                    properties.update({"font_color": "#1F4E79", "underline": 1})
                self.cells[(style, kind)] = workbook.add_format(properties)
        self.cells[("total", "text")] = self.cells[("subtotal", "text")]
        for kind in numbers:
            self.cells[("total", kind)] = self.cells[("subtotal", kind)]
        self.header = workbook.add_format(
            {
                **base,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#D9D9D9",
                "pattern": 1,
            }
        )
        self.title = workbook.add_format(
            {"bold": True, "font_size": TITLE_SIZE, "align": "center", "valign": "vcenter"}
        )
        self.info_left = workbook.add_format({"font_size": FONT_SIZE, "align": "left", "valign": "vcenter"})
        self.info_right = workbook.add_format({"font_size": FONT_SIZE, "align": "right", "valign": "vcenter"})
        self.section = workbook.add_format({"bold": True, "font_size": FONT_SIZE + 2})

    def cell(self, kind: str, style: str = "data") -> Format:
        """The bordered format of a cell of this kind, in a data, 小计 or 合计 row."""
        return self.cells[(style, kind)]


@dataclass(frozen=True)
class ReportHeading:
    """What the top of every report sheet says: who compiled it, in which money unit, when."""

    office: str
    money_unit: MoneyUnit
    date: dt.date

    def line(self, *, with_money: bool) -> tuple[str, str]:
        """The left and right parts of the line under the title."""
        right = f"单位：{self.money_unit}    " if with_money else ""
        return f"编制单位：{self.office}", f"{right}编制日期：{self.date.year}年{self.date.month}月{self.date.day}日"


class ReportSheet:
    """One table of the summary as a printable report; rows are added in order."""

    def __init__(
        self,
        workbook: Workbook,
        formats: ReportFormats,
        name: str,
        title: str,
        columns: Sequence[Column],
        heading: ReportHeading,
        *,
        frozen_columns: int = 0,
    ) -> None:
        self.sheet: Worksheet = workbook.add_worksheet(name)
        self.formats = formats
        self.columns = tuple(columns)
        self.row = HEADER_ROW
        self.links = 0
        self.paper = paper_for([c.width for c in self.columns])
        last = len(self.columns) - 1
        for col, column in enumerate(self.columns):
            self.sheet.set_column(col, col, column.width)
        self.sheet.set_row(0, TITLE_SIZE * 2)
        self.sheet.merge_range(0, 0, 0, last, "", formats.title)
        self.sheet.write_string(0, 0, title, formats.title)
        left, right = heading.line(with_money=any(c.kind == "money" for c in self.columns))
        middle = max(1, len(self.columns) // 2)
        self.sheet.set_row(1, default_row_height(FONT_SIZE) + 4)
        self._span(1, 0, middle - 1, left, formats.info_left)
        self._span(1, middle, last, right, formats.info_right)
        header_height = max(_height(c.header, c.width) for c in self.columns)
        self.sheet.set_row(HEADER_ROW, max(header_height, 2 * default_row_height(FONT_SIZE)))
        for col, column in enumerate(self.columns):
            self.sheet.write_string(HEADER_ROW, col, column.header, formats.header)
        self.sheet.freeze_panes(HEADER_ROW + 1, frozen_columns)
        self.sheet.repeat_rows(HEADER_ROW)
        self.sheet.set_landscape()
        self.sheet.set_paper(self.paper)
        self.sheet.set_margins(left=MARGIN_INCHES, right=MARGIN_INCHES, top=0.6, bottom=0.6)
        self.sheet.center_horizontally()
        self.sheet.fit_to_pages(1, 0)
        self.sheet.set_footer(FOOTER)
        self.sheet.set_start_page(1)  # each report numbers its own pages, printed alone or with the others

    def _span(self, row: int, first: int, last: int, text: str, fmt: Format) -> None:
        if last > first:
            self.sheet.merge_range(row, first, row, last, "", fmt)
        self.sheet.write_string(row, first, text, fmt)

    def add_row(self, values: Sequence[Any], *, style: str = "data", links: dict[int, str] | None = None) -> int:
        """Write the next row (a value per column; None a blank bordered cell); `links` maps a
        column to the place its text links to, a target of our own making: "internal:'汇编-tangshan'!A35",
        or "external:汇总表-汇编.xlsx#'汇编-tangshan'!A35" (a 汇编 workbook beside the summary). Returns
        the row."""
        self.row += 1
        row = self.row
        if row % FORGET_EVERY == 0:  # xlsxwriter would keep every row's height until the workbook closes
            forget_written_rows(self.sheet)
        height = default_row_height(FONT_SIZE)
        for value, column in zip(values, self.columns, strict=True):
            if isinstance(value, str) and column.kind in ("text", "wrap", "link"):
                height = max(height, _height(value, column.width))
        self.sheet.set_row(row, height)
        for col, (value, column) in enumerate(zip(values, self.columns, strict=True)):
            location = (links or {}).get(col)
            if location is not None and value is not None and self.links < MAX_LINKS:
                self.links += 1
                self.sheet.write_url(row, col, location, self.formats.cell("link", style), string=str(value))
            else:
                self.write(row, col, value, column.kind, style)
        return row

    def write(self, row: int, col: int, value: Any, kind: str, style: str = "data") -> None:
        """One cell of this sheet (write_cell)."""
        write_cell(self.sheet, self.formats, row, col, value, kind, style)

    def finish(self) -> None:
        """The autofilter over the header and the data rows (小计 and 合计 rows included)."""
        self.sheet.autofilter(HEADER_ROW, 0, max(self.row, HEADER_ROW + 1), len(self.columns) - 1)


@dataclass(frozen=True)
class ReportBook:
    """What every report of one summary workbook shares: the workbook, its formats, the heading
    each report prints, and whether a project's row names (or links to) its form in 汇编."""

    workbook: Workbook
    formats: ReportFormats
    heading: ReportHeading
    with_compilation: bool

    def sheet(self, name: str, title: str, columns: Sequence[Column], *, frozen_columns: int = 0) -> ReportSheet:
        """A report sheet of this workbook."""
        return ReportSheet(
            self.workbook, self.formats, name, title, columns, self.heading, frozen_columns=frozen_columns
        )


def write_cell(
    sheet: Worksheet, formats: ReportFormats, row: int, col: int, value: Any, kind: str, style: str = "data"
) -> None:
    """One bordered cell of a report by its value's type; text only ever through write_string."""
    fmt = formats.cell("text" if kind == "link" else kind, style)
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        sheet.write_string(row, col, value, fmt)
    elif isinstance(value, bool):
        sheet.write_string(row, col, str(value), formats.cell("text", style))
    elif isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, value, formats.cell("time", style))
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, formats.cell("date", style))
    elif isinstance(value, (int, float)) and not writable_number(value):
        sheet.write_string(row, col, str(value), formats.cell("text", style))  # no cell number holds it
    else:
        numeric = kind in ("int", "money", "number", "percent")
        sheet.write_number(row, col, value, fmt if numeric else formats.cell("number", style))


def _height(text: str, width: float) -> float:
    """Points a row needs to show `text` whole, wrapped in a column `width` characters wide."""
    return lines_needed(text, width, FONT_SIZE) * LINE_POINTS + ROW_PADDING


def writable_number(value: float) -> bool:
    """Whether a number fits an Excel cell (a finite double)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False
