"""汇编: every form drawn again as its official form, stacked on printable sheets, each form
starting a new printed page — the way the seed documents were published. Part of the summary
workbook (consolidate.py), written as the records stream by.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.form.excel import COMPILATION_SHEET, MAX_PAGE_BREAKS, MAX_ROWS, MAX_SHEET_NAME
from xlsxkit.template.layout import Layout, SheetLayout, compile_layout
from xlsxkit.template.load import find_template
from xlsxkit.template.model import Page, Template
from xlsxkit.write.canvas import FormStack
from xlsxkit.write.form_drawing import PrintFormats, draw_form
from xlsxkit.write.form_text import form_context, unit_context
from xlsxkit.write.form_writer import set_page
from xlsxkit.write.page_metrics import column_points, printable_points


@dataclass(frozen=True)
class FormPlace:
    """Where 汇编 drew a form: its sheet, and the form's first row there (0-based)."""

    sheet: str
    row: int


@dataclass(frozen=True)
class PlannedForm:
    """Where the next form goes and what it is: its place, its template's layout (and the sheet
    layout for its table lengths), the rows it takes, its number within its unit, and the number of
    the 汇编 sheet it opens (None: it goes on the sheet already open for its template)."""

    place: FormPlace
    layout: Layout
    sheet_layout: SheetLayout
    height: int
    number: int
    opens: int | None


class CompilationPlan:
    """Where each form of a stream of records goes in 汇编, worked out without drawing anything:
    what the summary's links need when 汇编 is drawn elsewhere (in its own workbook, by another
    process fed the same records in the same order), and what Compilation draws by.

    One 汇编 sheet per template id ("汇编-tangshan"): a sheet has one set of column widths and
    one page setup, and templates differ in both (6 to 8 columns of other widths, their own
    margins), so forms of different templates never share a sheet and each looks exactly as
    its template draws it. A collection normally uses one template (and its department form),
    so this is one sheet per kind of form. A sheet takes at most 1,024 forms (Excel allows 1,023
    manual page breaks) and never passes Excel's last row; then "汇编-tangshan-2" continues it.
    """

    def __init__(self, *, template: Template | None = None) -> None:
        """`template`: the collection's, where it is no built-in one (a template file's)."""
        self.known = {template.id: template} if template is not None else {}
        self.layouts: dict[str, Layout] = {}
        self.sheets: dict[str, _SheetPlan] = {}  # template id → its open sheet
        self.names: set[str] = set()
        self.unit: Any = object()
        self.numbers: Counter[str] = Counter()  # forms of each template placed for the current unit

    def place(self, record: dict[str, Any]) -> PlannedForm:
        """Where one record's form goes (on its template's open sheet, or a new one once that one is
        full), numbered within its unit."""
        template_id = str((record.get("template") or {}).get("id"))
        layout = self.layouts.get(template_id)
        if layout is None:
            layout = self.layouts[template_id] = compile_layout(
                self.known.get(template_id) or find_template(template_id)
            )
        template = layout.template
        unit = record.get("unit") or {}
        if unit.get("code") != self.unit:  # projects are numbered within their unit, as published
            self.unit = unit.get("code")
            self.numbers.clear()
        self.numbers[template_id] += 1
        rows = {t.table: len(record[t.table]) for t in template.tables() if record.get(t.table)}
        sheet_layout = layout.sheet(rows)
        height = sheet_layout.last_row + 2  # the form and one blank row after it
        sheet = self.sheets.get(template_id)
        opens = None
        if sheet is None or not sheet.fits(height):
            sheet = self.sheets[template_id] = self._new_sheet(template, sheet)
            opens = sheet.number
        planned = PlannedForm(
            FormPlace(sheet.name, sheet.top), layout, sheet_layout, height, self.numbers[template_id], opens
        )
        sheet.forms += 1
        sheet.top += height
        return planned

    def _new_sheet(self, template: Template, previous: _SheetPlan | None) -> _SheetPlan:
        number = previous.number + 1 if previous is not None else 1
        base = f"{COMPILATION_SHEET}-{template.id}"
        suffix = f"-{number}" if number > 1 else ""
        name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        while name.lower() in self.names:  # ids cut to the same 31 characters
            number += 1
            suffix = f"-{number}"
            name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        self.names.add(name.lower())
        return _SheetPlan(name, number)


@dataclass
class _SheetPlan:
    """A 汇编 sheet being filled: its name and number, the next form's first row, its forms."""

    name: str
    number: int
    top: int = 0
    forms: int = 0

    def fits(self, height: int) -> bool:
        """Whether one more form goes on this sheet (a page break above it, its rows below)."""
        return self.forms == 0 or (self.forms <= MAX_PAGE_BREAKS and self.top + height <= MAX_ROWS)


class Compilation:
    """Every form drawn again where the plan (CompilationPlan) places it, each starting a new
    printed page."""

    def __init__(self, workbook: Workbook, *, template: Template | None = None) -> None:
        """`template`: the collection's, where it is no built-in one (a template file's)."""
        self.workbook = workbook
        self.plan = CompilationPlan(template=template)
        self.formats: dict[str, PrintFormats] = {}
        self.sheets: dict[str, _FormSheet] = {}  # template id → its open sheet

    def add(self, record: dict[str, Any]) -> FormPlace:
        """Draw one record's form where the plan places it; where it was drawn."""
        planned = self.plan.place(record)
        layout = planned.layout
        template = layout.template
        if template.id not in self.formats:
            self.formats[template.id] = PrintFormats(self.workbook, template)
        if planned.opens is not None:
            previous = self.sheets.get(template.id)
            if previous is not None:
                previous.finish()
            sheet = self.workbook.add_worksheet(planned.place.sheet)
            _print_setup(sheet, layout)
            self.sheets[template.id] = _FormSheet(sheet)
        unit = record.get("unit") or {}
        base = unit_context(template, year=record.get("year"), unit=unit, as_of=str(record.get("as_of") or ""))
        context = form_context(base, template, index=planned.number, record=record)
        self.sheets[template.id].draw(
            self.formats[template.id], layout, planned.sheet_layout, record, context, planned.place.row
        )
        return planned.place

    def finish(self) -> None:
        """Write out what the 汇编 sheets still hold."""
        for place in self.sheets.values():
            place.finish()


def _print_setup(sheet: Worksheet, layout: Layout) -> None:
    template = layout.template
    for col, width in enumerate(template.columns):
        sheet.set_column(col, col, width)
    # Not fitted to pages: Excel ignores manual page breaks then, so the scale that fits the
    # form's width is computed and set instead.
    set_page(sheet, template.page, scale=_width_scale(template.columns, template.page))


def _width_scale(widths: Sequence[float], page: Page) -> int:
    """The largest print scale (percent, at most 100) at which columns of these widths fit
    across the page's A4 within its margins, as Excel and LibreOffice print them: their widths
    are those of the fonts the workbook names (column_points), so none is kept to spare."""
    printable = printable_points(page.orientation, page.margins.left, page.margins.right)
    return max(10, min(100, math.floor(100 * printable / max(sum(column_points(w) for w in widths), 1))))


class _FormSheet:
    """A 汇编 sheet: forms drawn one below the other, a page break above each but the first."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.breaks: list[int] = []
        self.stack = FormStack(sheet)  # row order, compact merges: memory stays flat in the number of forms

    def draw(
        self,
        formats: PrintFormats,
        layout: Layout,
        sheet_layout: SheetLayout,
        record: dict[str, Any],
        context: dict[str, Any],
        top: int,
    ) -> None:
        if top:
            self.breaks.append(top)
        canvas = self.stack.canvas(top)
        draw_form(canvas, formats, layout, sheet_layout, record, context, printable=True)
        canvas.flush()

    def finish(self) -> None:
        if self.breaks:
            self.sheet.set_h_pagebreaks(self.breaks)
