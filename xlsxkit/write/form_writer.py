"""Render a Layout, and optionally records, into one unit's workbook with xlsxwriter.

Sheets: 填报说明 (instructions), one sheet per project, a hidden `_lists` sheet with the
dropdown lists, and the very hidden `_xlsxkit` identity stamp. Every position comes from
the Layout. User text is only ever written with write_string, so "=1+1" stays text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import IO, Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.form.cell_values import to_cell
from xlsxkit.form.excel import (
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    MAX_SHEET_NAME,
    PAPER_A4,
    SHEET_NAME_FORBIDDEN,
    STAMP_SHEET,
)
from xlsxkit.form.record import ValueType, blank_record, get_path
from xlsxkit.form.stamp import Stamp, TargetLink
from xlsxkit.form.text_fit import default_row_height, height_for
from xlsxkit.template.expressions import computed_value, typed_record
from xlsxkit.template.layout import (
    LEVEL1_LIST,
    LEVEL2_LIST_PREFIX,
    Box,
    FieldPlace,
    Layout,
    SheetLayout,
    TablePlace,
    list_name,
)
from xlsxkit.template.model import Template
from xlsxkit.template.styles import style_properties
from xlsxkit.write.canvas import FormCanvas, WorksheetCanvas
from xlsxkit.write.follow_on import target_link
from xlsxkit.write.follow_on_cells import write_follow_on_cells
from xlsxkit.write.formats import TEXT_STAYS_TEXT, FormatCache
from xlsxkit.write.live_cells import write_computed_cells, write_highlights
from xlsxkit.write.page_metrics import column_points, printable_points
from xlsxkit.write.xlsxwriter_internals import wraps_text

# 填报说明 is one column of wrapped text, as wide as a portrait A4 page within its margins holds
# at 100 %: fitting to the page width does not shrink a single column wider than the page in
# LibreOffice (it counts pages by columns), which then prints the text past the page's edge.
INSTRUCTIONS_MARGIN = 0.6  # inches, left and right
INSTRUCTIONS_WIDTH = max(
    w
    for w in range(1, 256)
    if column_points(w) <= printable_points("portrait", INSTRUCTIONS_MARGIN, INSTRUCTIONS_MARGIN)
)

_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, finalize=lambda v: "" if v is None else v, autoescape=False
)
_COMPILED: dict[str, jinja2.Template] = {}


def render_text(source: str, context: dict[str, Any]) -> str:
    """Render a template text (title, labels, file names) with jinja2, compiled once."""
    if "{" not in source:
        return source
    compiled = _COMPILED.get(source)
    if compiled is None:
        compiled = _COMPILED[source] = _ENV.from_string(source)
    return compiled.render(context)


@dataclass(frozen=True)
class SheetContent:
    """One project sheet: its record (None for a blank sheet) and its 1-based number."""

    index: int
    record: dict[str, Any] | None


def unit_context(template: Template, *, year: Any, unit: Mapping[str, Any], as_of: str = "") -> dict[str, Any]:
    """What a template's texts (title, sheet name, instructions, file name) may name, for one unit:
    year, unit, money_unit, template; and for a monitoring form, as_of ("2026-07") and month (7)."""
    return {
        "year": year,
        "unit": unit,
        "as_of": as_of or None,
        "month": int(as_of[5:7]) if as_of else None,
        "money_unit": str(template.money_unit or ""),
        "template": {"id": template.id, "version": template.version, "name": template.name},
    }


def form_context(base: dict[str, Any], template: Template, *, index: int, record: Mapping[str, Any]) -> dict[str, Any]:
    """The context of one form: its unit's (`unit_context`), with the form's number, project and
    record, and its title rendered."""
    context = {**base, "index": index, "project": record.get("project") or {}, "record": record}
    context["title"] = render_text(template.title, context)
    return context


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
    names: set[str] = set()
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
    cells = _CellWriter(WorksheetCanvas(sheet), formats, (INSTRUCTIONS_WIDTH,), {}, template.font.size)
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


def draw_form(
    canvas: FormCanvas,
    formats: FormatCache,
    layout: Layout,
    sheet_layout: SheetLayout,
    record: dict[str, Any],
    context: dict[str, Any],
    *,
    printable: bool = False,
) -> None:
    """Draw one form's cells on `canvas`, which places the form's first row (a worksheet's row 0,
    or a row further down where one sheet holds many forms: xlsxkit.write.canvas); column widths
    and the page setup are the caller's. `printable` draws a plain copy to print (the consolidated
    汇编): no input prompts or dropdowns (data validations), and the caller passes `PrintFormats`,
    which drop the input fill."""
    template = layout.template
    cells = _CellWriter(canvas, formats, sheet_layout.widths, dict(sheet_layout.row_heights), template.font.size)
    values = None
    for static in sheet_layout.statics:
        if static.formula is None:
            cells.put(static.box, render_text(static.text, context), formats.get(static.style))
            continue
        values = values or typed_record(record, template)  # a total shown on the form: its value (live_cells
        shown = to_cell(static.type, computed_value(static, values), None)  # writes the formula over it)
        cells.put(static.box, shown, formats.get(static.style, static.type))
    copied = bool(record.get("target"))  # generated from a target record: its values are locked
    for place in sheet_layout.fields:
        _write_field(cells, layout, place, record, validate=not printable, copied=copied)
    for table in sheet_layout.tables:
        items = record.get(table.bind) or []
        _write_table(cells, layout, table, items, bool(items), validate=not printable, copied=copied)
    cells.set_row_heights()


class PrintFormats(FormatCache):
    """The formats of a printed copy: input cells look like the rest of the form (the pale
    yellow that marks them on screen is dropped) and nothing is unlocked."""

    def get(
        self,
        name: str,
        value_type: ValueType | None = None,
        locked: bool = True,  # noqa: ARG002 (a printed copy locks every cell)
        number_format: str | None = None,
    ) -> Format:
        """The Format of a named style as printed: locked, input cells without their fill."""
        key = (name, value_type, True, number_format)
        fmt = self._formats.get(key)
        if fmt is None:
            properties = style_properties(self._template, name, value_type, True, number_format=number_format)
            if name.startswith("input"):
                properties.pop("bg_color", None)
                properties.pop("pattern", None)
            fmt = self._formats[key] = self._workbook.add_format(properties)
        return fmt


class _CellWriter:
    """Writes values into (possibly merged) boxes of one form, by their type, and grows the
    rows that wrapped text needs (Excel does not grow them for text written by a program)."""

    def __init__(
        self,
        canvas: FormCanvas,
        formats: FormatCache,
        widths: Sequence[float],
        heights: dict[int, float],
        font_size: float,
    ) -> None:
        self.canvas = canvas
        self.formats = formats
        self._widths = widths
        self._heights = heights
        self._font_size = font_size
        self._default_height = default_row_height(font_size)

    def put(self, box: Box, value: Any, fmt: Format) -> None:
        canvas = self.canvas
        row = box.row
        if box.merged:
            canvas.merge_range(row, box.col, box.last_row, box.last_col, fmt)
        if value is None or value == "":
            if not box.merged:
                canvas.write_blank(row, box.col, fmt)
        elif isinstance(value, str):
            canvas.write_string(row, box.col, value, fmt)
            if wraps_text(fmt):
                self._fit(box, value)
        elif isinstance(value, dt.datetime):
            canvas.write_datetime(row, box.col, value, fmt)
        else:
            canvas.write_number(row, box.col, value, fmt)

    def put_string(self, row: int, col: int, value: str, fmt: Format) -> None:
        """Text into one cell, e.g. under a merge."""
        self.canvas.write_string(row, col, value, fmt)

    def _fit(self, box: Box, text: str) -> None:
        row, rows = box.row, box.rows
        width = sum(self._widths[box.col : box.col + box.cols]) if box.cols > 1 else self._widths[box.col]
        needed = height_for(text, width, self._font_size, rows=rows)
        heights, default = self._heights, self._default_height
        for each in range(row, row + rows):
            if needed > heights.get(each, default):
                heights[each] = needed

    def set_row_heights(self) -> None:
        for row, height in sorted(self._heights.items()):
            self.canvas.set_row(row, height)


def _write_field(
    cells: _CellWriter,
    layout: Layout,
    place: FieldPlace,
    record: dict[str, Any],
    validate: bool = True,
    copied: bool = False,
) -> None:
    """One field's value; a target's value on a form generated from it is locked and shown as copied."""
    template = layout.template
    value = to_cell(place.type, get_path(record, place.key), template.money_unit)
    if copied and place.copied:
        cells.put(place.box, value, cells.formats.get(COPIED_STYLE, place.type, True, place.number_format))
        return
    cells.put(place.box, value, cells.formats.get(place.style, place.type, False, place.number_format))
    if validate and place.formula is None:  # a computed cell takes no input
        row, col = place.box.row, place.box.col
        cells.canvas.data_validation(row, col, row, col, _field_validation(place, layout))


_ERROR_TITLE = "输入有误"
COPIED_STYLE = "copied"  # a target's value on a form generated from it: locked, pale blue


def _field_validation(place: FieldPlace, layout: Layout) -> dict[str, Any]:
    message = place.input_message + ("（必填）" if place.required else "")
    common = {"input_title": "填写提示", "input_message": message, "error_title": _ERROR_TITLE, "ignore_blank": True}
    kind = place.type
    if kind is ValueType.money:
        return {
            **common,
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "error_message": f"请填写不小于 0 的金额（单位：{layout.template.money_unit or '元'}）。",
        }
    if kind is ValueType.percent:
        return {
            **common,
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": 1,
            "error_message": "请填写 0% 至 100% 之间的百分比。",
        }
    if kind is ValueType.integer:
        return {
            **common,
            "validate": "integer",
            "criteria": ">=",
            "value": 0,
            "error_message": "请填写不小于 0 的整数。",
        }
    if kind is ValueType.date:
        return {
            **common,
            "validate": "date",
            "criteria": "between",
            "minimum": dt.date(1900, 1, 1),
            "maximum": dt.date(2100, 12, 31),
            "error_message": "请填写日期，如 2025-12-31。",
        }
    if place.list is not None:
        return {
            **common,
            "validate": "list",
            "source": f"={list_name(place.list)}",
            "error_message": "请从下拉列表中选择。",
        }
    return {**common, "validate": "any"}


def _write_table(
    cells: _CellWriter,
    layout: Layout,
    table: TablePlace,
    items: list[Any],
    rendering: bool,
    validate: bool = True,
    copied: bool = False,
) -> None:
    formats = cells.formats
    if table.side_label is not None:
        cells.put(table.side_label.box, table.side_label.text, formats.get(table.side_label.style))
    header = formats.get("header")
    for column in table.columns:
        cells.put(Box(table.header_row, column.col, 1, column.cols), column.header, header)
    rows = [_row_values(item) for item in items] if rendering else _skeleton_rows(table)
    rows += [{}] * (table.rows - len(rows))
    for column in table.columns:
        locked = copied and column.copied  # the target's column on a form generated from it
        cell = formats.get(COPIED_STYLE, column.type) if locked else formats.get("input", column.type, locked=False)
        spans = _merge_spans(rows, column.key, table.merge) if rendering else [(i, 1) for i in range(table.rows)]
        for start, length in spans:
            value = get_path(rows[start], column.key)
            if column.type is not ValueType.text:  # a declared key: money in the form's unit, a number
                value = to_cell(column.type, value, layout.template.money_unit)
            cells.put(Box(table.first_row + start, column.col, length, column.cols), value, cell)
            for hidden in range(start + 1, start + length):  # keep each row's value under the merge
                if value:
                    cells.put_string(table.first_row + hidden, column.col, value, cell)
        if validate and not locked:
            _column_validation(cells.canvas, layout, table, column)


def _row_values(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    return {"text": item}


def _skeleton_rows(table: TablePlace) -> list[dict[str, Any]]:
    return [{"level1": level1, "level2": level2} for level1, level2 in table.skeleton]


def _merge_spans(rows: list[dict[str, Any]], key: str, merge: tuple[str, ...]) -> list[tuple[int, int]]:
    """(first row, row count) runs of equal values in a merged column; a run of a later
    merge column never crosses a boundary of an earlier one (二级 stays inside its 一级)."""
    if key not in merge:
        return [(i, 1) for i in range(len(rows))]
    outer = merge[: merge.index(key) + 1]
    spans: list[tuple[int, int]] = []
    for index, row in enumerate(rows):
        signature = tuple(row.get(k) for k in outer)
        if spans and row.get(key) and signature == tuple(rows[spans[-1][0]].get(k) for k in outer):
            spans[-1] = (spans[-1][0], spans[-1][1] + 1)
        else:
            spans.append((index, 1))
    return spans


def _column_validation(canvas: FormCanvas, layout: Layout, table: TablePlace, column: Any) -> None:
    first, last = table.first_row, table.last_row
    options: dict[str, Any] | None = None
    if column.key == "level1" and layout.template.taxonomy is not None:
        options = {
            "validate": "list",
            "source": f"={LEVEL1_LIST}",
            "input_message": "请从下拉列表选择一级指标。",
            "error_message": "一级指标须从下拉列表中选择。",
        }
    elif column.key == "level2" and (level1 := table.column("level1")) is not None and layout.template.taxonomy:
        anchor = xl_rowcol_to_cell(first, level1.col, col_abs=True)
        options = {
            "validate": "list",
            "source": f'=INDIRECT("{LEVEL2_LIST_PREFIX}"&MATCH({anchor},{LEVEL1_LIST},0))',
            "input_message": "请先选一级指标，再从下拉列表选择其下的二级指标。",
            "error_message": "二级指标须属于本行的一级指标，请从下拉列表中选择。",
        }
    elif column.list is not None:
        options = {
            "validate": "list",
            "source": f"={list_name(column.list)}",
            "input_message": f"请从下拉列表选择{column.header}。",
            "error_message": f"{column.header}不在清单中。" + ("" if column.strict else "确认要使用该值吗？"),
            "error_type": "stop" if column.strict else "warning",
        }
    if options is not None:
        canvas.data_validation(
            first,
            column.col,
            last,
            column.col,
            {
                "input_title": "填写提示",
                "error_title": _ERROR_TITLE,
                "ignore_blank": True,
                **options,
            },
        )


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
