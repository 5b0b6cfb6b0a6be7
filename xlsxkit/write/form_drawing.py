"""One form drawn on a canvas: its static texts, fields and tables, cell by cell, by the Layout —
for a unit's workbook (form_writer) and for the 汇编's printed copies (cycle/compendium), which
stack many forms on one sheet (canvas). Values go by their type (text only through
write_string, so "=1+1" stays text); merged boxes keep their value in every row under the merge;
rows grow for wrapped text; input cells get their prompts and dropdowns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell

from xlsxkit.form.cell_values import require_cell_length, text_cell, to_cell
from xlsxkit.form.excel import MAX_ROW_HEIGHT
from xlsxkit.form.record import ValueType, get_path, row_values
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
from xlsxkit.template.styles import style_properties
from xlsxkit.write.canvas import FormCanvas
from xlsxkit.write.form_text import render_text
from xlsxkit.write.formats import FormatCache
from xlsxkit.write.xlsxwriter_internals import wraps_text


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
    cells = CellWriter(canvas, formats, sheet_layout.widths, dict(sheet_layout.row_heights), template.font.size)
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


class CellWriter:
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
        """A value into a box (merged when it spans cells) by its type; a blank box keeps its format."""
        self.put_at(box.row, box.col, box.rows, box.cols, value, fmt)

    def put_at(self, row: int, col: int, rows: int, cols: int, value: Any, fmt: Format) -> None:
        """A value into the box of `rows` × `cols` cells from (row, col), as `put` (without making
        the Box: a table puts hundreds)."""
        canvas = self.canvas
        merged = rows > 1 or cols > 1
        if merged:
            canvas.merge_range(row, col, row + rows - 1, col + cols - 1, fmt)
        if value is None or value == "":
            if not merged:
                canvas.write_blank(row, col, fmt)
        elif isinstance(value, str):
            require_cell_length(value)
            canvas.write_string(row, col, value, fmt)
            if wraps_text(fmt):
                self._fit(row, col, rows, cols, value)
        elif isinstance(value, dt.datetime):
            canvas.write_datetime(row, col, value, fmt)
        else:
            canvas.write_number(row, col, value, fmt)

    def put_string(self, row: int, col: int, value: str, fmt: Format) -> None:
        """Text into one cell, e.g. under a merge."""
        self.canvas.write_string(row, col, value, fmt)

    def _fit(self, row: int, col: int, rows: int, cols: int, text: str) -> None:
        width = sum(self._widths[col : col + cols]) if cols > 1 else self._widths[col]
        needed = min(height_for(text, width, self._font_size, rows=rows), MAX_ROW_HEIGHT)  # Excel's tallest row
        heights, default = self._heights, self._default_height
        for each in range(row, row + rows):
            if needed > heights.get(each, default):
                heights[each] = needed

    def set_row_heights(self) -> None:
        """The heights the form's rows need, once every value is in."""
        for row, height in sorted(self._heights.items()):
            self.canvas.set_row(row, height)


def _write_field(
    cells: CellWriter,
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
    cells: CellWriter,
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
        cells.put_at(table.header_row, column.col, 1, column.cols, column.header, header)
    rows = [row_values(item) for item in items] if rendering else _skeleton_rows(table)
    rows += [{}] * (table.rows - len(rows))
    for column in table.columns:
        locked = copied and column.copied  # the target's column on a form generated from it
        cell = formats.get(COPIED_STYLE, column.type) if locked else formats.get("input", column.type, locked=False)
        spans = _merge_spans(rows, column.key, table.merge) if rendering else [(i, 1) for i in range(table.rows)]
        for start, length in spans:
            value = get_path(rows[start], column.key)
            if column.type is not ValueType.text:  # a declared key: money in the form's unit, a number
                value = to_cell(column.type, value, layout.template.money_unit)
            elif type(value) is not str and value is not None:  # never true (1) nor 1.2e+19: text, or refused
                value = text_cell(value)
            cells.put_at(table.first_row + start, column.col, length, column.cols, value, cell)
            for hidden in range(start + 1, start + length):  # keep each row's value under the merge
                if value:
                    cells.put_string(table.first_row + hidden, column.col, value, cell)
        if validate and not locked:
            _column_validation(cells.canvas, layout, table, column)


def _skeleton_rows(table: TablePlace) -> list[dict[str, Any]]:
    return [{"level1": level1, "level2": level2} for level1, level2 in table.skeleton]


def _merge_spans(rows: list[dict[str, Any]], key: str, merge: tuple[str, ...]) -> list[tuple[int, int]]:
    """(first row, row count) runs of equal values in a merged column; a run of a later
    merge column never crosses a boundary of an earlier one (二级 stays inside its 一级)."""
    if key not in merge:
        return [(i, 1) for i in range(len(rows))]
    outer = merge[: merge.index(key) + 1]
    spans: list[tuple[int, int]] = []
    first: tuple[Any, ...] = ()  # the signature of the current run's first row
    for index, row in enumerate(rows):
        signature = tuple([row.get(k) for k in outer])
        if spans and row.get(key) and signature == first:
            spans[-1] = (spans[-1][0], spans[-1][1] + 1)
        else:
            spans.append((index, 1))
            first = signature
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
