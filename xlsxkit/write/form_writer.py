"""Render a Layout, and optionally records, into one unit's workbook with xlsxwriter.

Sheets: 填报说明 (instructions), one sheet per project (drawn by form_drawing), a hidden `_lists`
sheet with the dropdown lists, and the very hidden `_xlsxkit` identity stamp. Every position
comes from the Layout. User text is only ever written with write_string, so "=1+1" stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import IO, Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.form.excel import (
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    MAX_SHEET_NAME,
    OUR_SHEETS,
    PAPER_A4,
    SHEET_NAME_FORBIDDEN,
    STAMP_SHEET,
)
from xlsxkit.form.record import blank_record
from xlsxkit.form.stamp import Stamp, TargetLink
from xlsxkit.template.layout import Box, Layout, SheetLayout
from xlsxkit.template.model import Template
from xlsxkit.write.canvas import WorksheetCanvas
from xlsxkit.write.follow_on import target_link
from xlsxkit.write.follow_on_cells import write_follow_on_cells
from xlsxkit.write.form_drawing import CellWriter, draw_form
from xlsxkit.write.form_text import form_context, render_text, unit_context
from xlsxkit.write.formats import TEXT_STAYS_TEXT, FormatCache
from xlsxkit.write.live_cells import write_computed_cells, write_highlights
from xlsxkit.write.page_metrics import column_points, printable_points

# 填报说明 is one column of wrapped text, as wide as a portrait A4 page within its margins holds
# at 100 %: fitting to the page width does not shrink a single column wider than the page in
# LibreOffice (it counts pages by columns), which then prints the text past the page's edge.
INSTRUCTIONS_MARGIN = 0.6  # inches, left and right
INSTRUCTIONS_WIDTH = max(
    w
    for w in range(1, 256)
    if column_points(w) <= printable_points("portrait", INSTRUCTIONS_MARGIN, INSTRUCTIONS_MARGIN)
)


@dataclass(frozen=True)
class SheetContent:
    """One project sheet: its record (None for a blank sheet) and its 1-based number."""

    index: int
    record: dict[str, Any] | None


def write_workbook(
    target: str | IO[bytes],
    layout: Layout,
    stamp: Stamp,
    unit: dict[str, Any],
    sheets: Sequence[SheetContent],
    *,
    password: str | None = None,
) -> None:
    """One workbook for one unit: its 填报说明, a project sheet per content (a record or blank),
    the dropdown lists and the stamp; written to `target` (a path or a binary stream)."""
    template = layout.template
    workbook = Workbook(target, {**TEXT_STAYS_TEXT, "in_memory": True})
    workbook.set_properties({"title": template.name, "created": stamp.generated_at, "author": "xlsxkit"})
    for name, value in stamp.properties():
        workbook.set_custom_property(name, value)
    formats = FormatCache(workbook, template)
    base = unit_context(template, year=stamp.year, unit=unit, as_of=stamp.as_of)
    _write_instructions(workbook.add_worksheet(INSTRUCTIONS_SHEET), formats, template, base, password)
    names = {name.lower() for name in OUR_SHEETS}  # a project sheet named 填报说明 becomes 填报说明(2)
    project_sheets = []
    links: list[tuple[str, TargetLink]] = []
    for content in sheets:
        record = content.record or blank_record(template.form)
        context = form_context(base, template, index=content.index, record=record)
        name = _unique_sheet_name(render_text(template.sheet_name, context), names)
        rows = {t.table: len(record[t.table]) for t in template.tables() if record.get(t.table)}  # else blank rows
        project_sheets.append(workbook.add_worksheet(name))
        sheet_layout = layout.sheet(rows)
        _write_project_sheet(workbook, project_sheets[-1], formats, layout, sheet_layout, record, context, password)
        if record.get("target"):
            links.append((name, target_link(record, sheet_layout)))
    _write_lists(workbook, layout, password)
    _write_stamp(workbook, replace(stamp, targets=tuple(links)), password)
    if project_sheets:
        project_sheets[0].activate()
    workbook.close()


def _unique_sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: its forbidden characters []:*?/\\ become _, at most 31
    characters (Excel's limit), made unique with (2), (3) … The record keeps the full text."""
    clean = "".join("_" if ch in SHEET_NAME_FORBIDDEN else ch for ch in name).strip("'")[:MAX_SHEET_NAME] or "项目"
    candidate, n = clean, 2
    while candidate.lower() in taken:
        suffix = f"({n})"
        candidate, n = clean[: MAX_SHEET_NAME - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _protect(sheet: Worksheet, password: str | None) -> None:
    sheet.protect(
        password or "",
        {
            "insert_rows": True,
            "delete_rows": True,
            "format_rows": True,
            "format_columns": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


def _write_instructions(
    sheet: Worksheet,
    formats: FormatCache,
    template: Template,
    context: dict[str, Any],
    password: str | None,
) -> None:
    sheet.set_column(0, 0, INSTRUCTIONS_WIDTH)
    cells = CellWriter(WorksheetCanvas(sheet), formats, (INSTRUCTIONS_WIDTH,), {}, template.font.size)
    title, body = formats.get("title"), formats.get("instructions")
    for row, line in enumerate(render_text(template.instructions, context).splitlines()):
        cells.put(Box(row, 0), line, title if row == 0 else body)
    cells.set_row_heights()
    sheet.set_paper(PAPER_A4)
    sheet.set_portrait()
    sheet.set_margins(left=INSTRUCTIONS_MARGIN, right=INSTRUCTIONS_MARGIN)
    sheet.fit_to_pages(1, 0)
    sheet.hide_gridlines(2)
    _protect(sheet, password)


def _write_project_sheet(
    workbook: Workbook,
    sheet: Worksheet,
    formats: FormatCache,
    layout: Layout,
    sheet_layout: SheetLayout,
    record: dict[str, Any],
    context: dict[str, Any],
    password: str | None,
) -> None:
    template = layout.template
    for col, width in enumerate(sheet_layout.widths):
        sheet.set_column(col, col, width)
    draw_form(WorksheetCanvas(sheet), formats, layout, sheet_layout, record, context)
    write_computed_cells(sheet, formats, template, sheet_layout, record)
    write_highlights(workbook, sheet, template, sheet_layout)
    write_follow_on_cells(workbook, sheet, formats, template, sheet_layout, record)
    set_page(sheet, template.page)
    if template.page.repeat_table_header and sheet_layout.tables:
        header = sheet_layout.tables[0].header_row
        sheet.repeat_rows(header, header)
    area = sheet_layout.print_area
    sheet.print_area(area.row, area.col, area.last_row, area.last_col)
    _protect(sheet, password)


def set_page(sheet: Worksheet, page: Any, *, scale: int | None = None) -> None:
    """The template's page: A4, orientation, margins, centring, gridlines, footer, black and
    white; fitted to one page width, or printed at `scale` percent where manual page breaks must
    hold (Excel ignores them on a sheet fitted to pages)."""
    sheet.set_paper(PAPER_A4)
    sheet.set_portrait() if page.orientation == "portrait" else sheet.set_landscape()
    sheet.set_margins(page.margins.left, page.margins.right, page.margins.top, page.margins.bottom)
    if page.fit_to_width:
        sheet.set_print_scale(scale) if scale else sheet.fit_to_pages(1, 0)
    if page.center_horizontally:
        sheet.center_horizontally()
    if not page.gridlines:
        sheet.hide_gridlines(2)
    if page.footer:
        sheet.set_footer(page.footer)
    sheet.print_black_and_white()


def _write_lists(workbook: Workbook, layout: Layout, password: str | None) -> None:
    if not layout.lists:
        return
    sheet = workbook.add_worksheet(LISTS_SHEET)
    for place in layout.lists:
        for row, value in enumerate(place.values):
            sheet.write_string(row, place.col, value)
        workbook.define_name(place.name, place.reference)
    sheet.hide()
    _protect(sheet, password)


def _write_stamp(workbook: Workbook, stamp: Stamp, password: str | None) -> None:
    sheet = workbook.add_worksheet(STAMP_SHEET)
    for row, (key, value) in enumerate(stamp.sheet_rows()):
        sheet.write_string(row, 0, key)
        sheet.write_string(row, 1, value)
    sheet.very_hidden()
    _protect(sheet, password)
