"""Compile a Template into the frozen Layout: where every cell, field and table sits.

The writer places cells through the Layout and the reader finds them through it;
neither computes a position on its own. A sheet's layout depends on how many rows each
table gets, so `Layout.sheet(rows)` compiles (and caches) one per row count.
Rows and columns are 0-based here, as xlsxwriter counts them; `Box.a1` gives Excel's name.
Cell names come from form/excel: the reading side (template, read) loads neither xlsxwriter nor openpyxl.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from xlsxkit.form.excel import LISTS_SHEET, column_letter
from xlsxkit.form.record import ValueType
from xlsxkit.template.model import Cell, RowsBlock, TableBlock, Template

LEVEL1_LIST = "xk_level1"
LEVEL2_LIST_PREFIX = "xk_level2_"
LIST_PREFIX = "xk_list_"


@functools.lru_cache(maxsize=65536)
def cell_name(row: int, col: int) -> str:
    """ "D14" for 0-based (13, 3)."""
    return f"{column_letter(col + 1)}{row + 1}"


@dataclass(frozen=True)
class Box:
    """A rectangle of cells, 0-based: its top-left cell and how many rows and columns it spans."""

    row: int
    col: int
    rows: int = 1
    cols: int = 1

    @property
    def last_row(self) -> int:
        """The bottom row it covers."""
        return self.row + self.rows - 1

    @property
    def last_col(self) -> int:
        """The rightmost column it covers."""
        return self.col + self.cols - 1

    @property
    def merged(self) -> bool:
        """Whether it spans more than one cell (drawn as a merged range)."""
        return self.rows > 1 or self.cols > 1

    @property
    def a1(self) -> str:
        """Its name in Excel: "B3", or "B3:D4" for a merged range."""
        first = cell_name(self.row, self.col)
        return f"{first}:{cell_name(self.last_row, self.last_col)}" if self.merged else first

    def covers(self, row: int, col: int) -> bool:
        """Whether the cell (row, col) lies within it."""
        return self.row <= row <= self.last_row and self.col <= col <= self.last_col


@dataclass(frozen=True)
class StaticPlace:
    """Text the form prints: a title, a note, or a label (the reader finds fields by their labels)."""

    box: Box
    text: str  # jinja2 source
    style: str
    is_label: bool = False  # a label the reader finds fields by (not a title or a note)
    formula: str | None = None  # a computed cell shown on the form only (分值合计): its expression
    type: ValueType = ValueType.text  # the value type of a shown computed cell


@dataclass(frozen=True)
class FieldPlace:
    """Where one record key sits on the form: its input cell, value type, label and list."""

    key: str
    box: Box
    type: ValueType
    required: bool
    list: str | None
    input_message: str
    style: str
    number_format: str | None  # the template's own, else the type's (styles.NUMBER_FORMATS)
    label: str | None  # the label text beside or above it (jinja2 source), which the reader looks for
    label_box: Box | None
    formula: str | None = None  # a computed cell's expression (template/expressions); written as a formula
    copied: bool = False  # the target's value on a form generated from targets: locked, checked on reading
    header: str | None = None  # in a grid (a row label, a column header above): the column's header

    @property
    def title(self) -> str | None:
        """What messages call the field: its label, with its column's header in a grid
        ("全年预算数（年度资金总额）"), or the header alone for a field spanning the grid's rows."""
        if self.header is None:
            return self.label
        return self.header if self.box.rows > 1 or not self.label else f"{self.header}（{self.label}）"

    @property
    def label_pattern(self) -> re.Pattern[str] | None:
        """The label as a regular expression: its literal text, anything where jinja2 renders
        something (六安's "中期目标({{ year }}年—…年)" matches "中期目标(2022年—2024年)"); white space
        is free, since people and office suites add and drop it."""
        return label_pattern(self.label) if self.label else None


@dataclass(frozen=True)
class ColumnPlace:
    """One column of a table on the form: the record key it holds, its header, where it is, its list."""

    key: str
    header: str
    col: int
    cols: int
    list: str | None
    strict: bool
    type: ValueType = ValueType.text  # the key's type: text for most spec columns, a declared key's own
    copied: bool = False  # the target's column on a form generated from targets (levels, 指标值)


@dataclass(frozen=True)
class TablePlace:
    """Where a record list (indicators, items, measures) sits: header row, data rows, columns, side
    label, merges and skeleton."""

    bind: str
    header_row: int
    first_row: int
    rows: int
    columns: tuple[ColumnPlace, ...]
    side_label: StaticPlace | None
    merge: tuple[str, ...]
    skeleton: tuple[tuple[str, str], ...]

    @property
    def last_row(self) -> int:
        """The table's last data row."""
        return self.first_row + self.rows - 1

    def column(self, key: str) -> ColumnPlace | None:
        """The first column bound to `key` (a form may show a key twice, e.g. 六安's 二级)."""
        return next((c for c in self.columns if c.key == key), None)


@dataclass(frozen=True)
class SheetLayout:
    """One project sheet laid out for a given number of table rows: every static text, field and table
    with its place, row heights and column widths."""

    statics: tuple[StaticPlace, ...]
    fields: tuple[FieldPlace, ...]
    tables: tuple[TablePlace, ...]
    row_heights: tuple[tuple[int, float], ...]
    widths: tuple[float, ...]
    last_row: int

    @property
    def last_col(self) -> int:
        """The rightmost column of the form."""
        return len(self.widths) - 1

    @property
    def print_area(self) -> Box:
        """The cells that print: the whole form."""
        return Box(0, 0, self.last_row + 1, len(self.widths))

    def field(self, key: str) -> FieldPlace | None:
        """The place of the field bound to `key`, if the form has one."""
        return self._field_by_key.get(key)

    def table(self, bind: str) -> TablePlace | None:
        """The place of the table bound to `bind`, if the form has one."""
        return self._table_by_bind.get(bind)

    @functools.cached_property
    def field_keys(self) -> frozenset[str]:
        """The keys the form has a field for."""
        return frozenset(self._field_by_key)

    @functools.cached_property
    def _field_by_key(self) -> dict[str, FieldPlace]:
        """Each field by its key (the first, where a key were bound twice)."""
        return {place.key: place for place in reversed(self.fields)}

    @functools.cached_property
    def _table_by_bind(self) -> dict[str, TablePlace]:
        return {table.bind: table for table in reversed(self.tables)}


@dataclass(frozen=True)
class ListPlace:
    """A dropdown list on the hidden lists sheet, reachable by a workbook-level name."""

    name: str  # the defined name
    col: int
    values: tuple[str, ...]

    @property
    def reference(self) -> str:
        """The range the defined name refers to: "_lists!$A$1:$A$4"."""
        column = column_letter(self.col + 1)
        # the sheet name unquoted, as it always was ("_lists" needs no quotes): the workbooks stay byte-identical
        return f"={LISTS_SHEET}!${column}$1:${column}${max(len(self.values), 1)}"


@dataclass(frozen=True)
class Layout:
    """Everything about a template that the writer and the reader need, compiled once."""

    template: Template
    lists: tuple[ListPlace, ...] = field(default=())
    _sheets: dict[tuple[tuple[str, int], ...], SheetLayout] = field(default_factory=dict, compare=False, repr=False)

    def sheet(self, rows: Mapping[str, int] | None = None) -> SheetLayout:
        """The sheet with `rows[bind]` rows in each table (the template's count by default)."""
        counts = tuple(
            (t.table, max(1, (rows or {}).get(t.table, max(t.rows, len(t.skeleton))))) for t in self.template.tables()
        )
        sheet = self._sheets.get(counts)
        if sheet is None:
            sheet = self._sheets[counts] = _compile_sheet(self.template, dict(counts))
        return sheet


_JINJA_PART = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


@functools.lru_cache(maxsize=1024)
def label_pattern(label: str) -> re.Pattern[str]:
    """A regular expression that finds a label on a returned sheet, whatever white space a clerk added
    or removed; a jinja2 part ({{ year }}) matches any text."""
    literals = [re.sub(r"\s+", "", part) for part in _JINJA_PART.split(label)]
    body = ".*?".join(r"\s*".join(map(re.escape, literal)) for literal in literals)
    return re.compile(rf"^\s*{body}\s*$", re.DOTALL)


_LAYOUTS: dict[str, Layout] = {}


def compile_layout(template: Template) -> Layout:
    """The Layout of a template, compiled once per distinct template content."""
    layout = _LAYOUTS.get(template.digest)
    if layout is None:
        layout = _LAYOUTS[template.digest] = Layout(template=template, lists=tuple(_place_lists(template)))
    return layout


def _place_lists(template: Template) -> list[ListPlace]:
    places: list[ListPlace] = []
    if template.taxonomy is not None:
        places.append(ListPlace(LEVEL1_LIST, 0, tuple(template.taxonomy.level1)))
        for index, level1 in enumerate(template.taxonomy.level1, start=1):
            places.append(ListPlace(f"{LEVEL2_LIST_PREFIX}{index}", index, tuple(template.taxonomy.level2_of(level1))))
    for name, values in template.lists.items():
        places.append(ListPlace(list_name(name), len(places), tuple(values)))
    return places


def list_name(name: str) -> str:
    """The defined name of a template list (template list names may be Chinese; defined
    names stay ASCII so that every office suite resolves them)."""
    plain = name.isascii() and name.isidentifier()
    return f"{LIST_PREFIX}{name}" if plain else f"{LIST_PREFIX}{name.encode('utf-8').hex()}"


def _compile_sheet(template: Template, rows_of: dict[str, int]) -> SheetLayout:
    statics: list[StaticPlace] = []
    fields: list[FieldPlace] = []
    tables: list[TablePlace] = []
    heights: list[tuple[int, float]] = []
    top = 0
    for block in template.body:
        if isinstance(block, RowsBlock):
            top = _place_rows(template, block, top, statics, fields, heights)
        else:
            tables.append(_place_table(template, block, top, rows_of[block.table], heights))
            top = tables[-1].last_row + 1
    return SheetLayout(
        statics=tuple(statics),
        fields=tuple(fields),
        tables=tuple(tables),
        row_heights=tuple(heights),
        widths=tuple(template.columns),
        last_row=top - 1,
    )


def _place_rows(
    template: Template,
    block: RowsBlock,
    top: int,
    statics: list[StaticPlace],
    fields: list[FieldPlace],
    heights: list[tuple[int, float]],
) -> int:
    occupied: set[tuple[int, int]] = set()
    block_statics: list[StaticPlace] = []
    for offset, row in enumerate(block.rows):
        r = top + offset
        if row.height is not None:
            heights.append((r, row.height))
        col = 0
        for cell in row.cells:
            while (r, col) in occupied:
                col += 1
            box = Box(r, col, cell.rows, cell.span)
            occupied.update((r + dr, col + dc) for dr in range(cell.rows) for dc in range(cell.span))
            if cell.field is None:
                is_label = cell.label is not None
                text = cell.label if cell.label is not None else cell.text or ""
                shown = cell.type or ValueType.number if cell.formula is not None else ValueType.text
                place = StaticPlace(box, text, _static_style(cell), is_label, cell.formula, shown)
                block_statics.append(place)
                statics.append(place)
            else:
                fields.append(_field_place(template, cell, box, block_statics))
            col += cell.span
    return top + len(block.rows)


def _static_style(cell: Cell) -> str:
    if cell.style:
        return cell.style
    return "label" if cell.label is not None else "text"


def _field_place(template: Template, cell: Cell, box: Box, statics: list[StaticPlace]) -> FieldPlace:
    key = cell.field or ""
    kind = cell.type or template.field_types()[key]
    label = _label_for(box, statics)
    label_text = label.text.strip() if label else None
    header = _header_above(box, statics) if label is not None and label.box.row == box.row else None
    place = FieldPlace(
        key=key,
        box=box,
        type=kind,
        required=cell.required,
        list=cell.list,
        input_message=cell.input_message or "",
        style=cell.style or "input",
        number_format=cell.number_format,
        label=label_text,
        label_box=label.box if label else None,
        formula=cell.formula,
        copied=cell.copied,
        header=header.text.strip() if header is not None and header is not label else None,
    )
    return place if place.input_message else replace(place, input_message=_default_message(place.title, kind, template))


def _header_above(box: Box, statics: list[StaticPlace]) -> StaticPlace | None:
    """The column header of a field in a grid: the nearest label above it over the same columns,
    with nothing printed between them (a title or note in between ends the grid)."""
    above = [
        s for s in statics if s.is_label and s.box.last_row < box.row and (s.box.col, s.box.cols) == (box.col, box.cols)
    ]
    if not above:
        return None
    header = max(above, key=lambda s: s.box.last_row)
    between = range(header.box.last_row + 1, box.row)
    if any(s.box.covers(row, box.col) for s in statics for row in between):
        return None
    return header


def _label_for(box: Box, statics: list[StaticPlace]) -> StaticPlace | None:
    """The label a person reads for this field: the nearest label to its left that starts on
    its row; else a column header right above it of the same width (a grid such as
    资金支出计划's 3月底/6月底); else a label to its left spanning down from a row above."""
    labels = [s for s in statics if s.is_label]
    left = [s for s in labels if s.box.covers(box.row, s.box.col) and s.box.last_col < box.col]
    same_row = [s for s in left if s.box.row == box.row]
    if same_row:
        return max(same_row, key=lambda s: s.box.last_col)
    above = [s for s in labels if s.box.last_row == box.row - 1 and s.box.col == box.col and s.box.cols == box.cols]
    if above:
        return above[0]
    return max(left, key=lambda s: s.box.last_col) if left else None


_TYPE_HINTS = {
    ValueType.money: "请填写金额（单位：{unit}），不小于 0。",
    ValueType.percent: "请填写百分比，0% 至 100%。",
    ValueType.integer: "请填写整数。",
    ValueType.date: "请填写日期，如 2025-12-31。",
    ValueType.choice: "请从下拉列表中选择。",
    ValueType.coded_name: "格式：[代码]名称，如 [079]六安市住房公积金中心。",
    ValueType.number: "请填写分数，如 10 或 8.5。",
    ValueType.choices: "请从下拉列表中选择，可选多项，用顿号分隔。",
    ValueType.text: "请填写{label}。",
}


def _default_message(label: str | None, kind: ValueType, template: Template) -> str:
    label = label.rstrip("：: ") if label else label  # 六安's "中期资金总额：" → no doubled colon
    hint = _TYPE_HINTS[kind].format(unit=template.money_unit or "元", label=label or "")
    if kind is ValueType.text:
        return hint
    return f"{label}：{hint}" if label else hint


def _place_table(
    template: Template, block: TableBlock, top: int, rows: int, heights: list[tuple[int, float]]
) -> TablePlace:
    col = 0
    side = None
    if block.side_label is not None:
        side = StaticPlace(
            Box(top, 0, rows + 1, block.side_label.span), block.side_label.text, block.side_label.style or "label", True
        )
        col = block.side_label.span
    columns = []
    types = template.column_types(block.table)
    for column in block.columns:
        kind = types.get(column.key, ValueType.text)
        columns.append(
            ColumnPlace(column.key, column.header, col, column.span, column.list, column.strict, kind, column.copied)
        )
        col += column.span
    if block.header_height is not None:
        heights.append((top, block.header_height))
    if block.row_height is not None:
        heights.extend((top + 1 + i, block.row_height) for i in range(rows))
    return TablePlace(
        bind=block.table,
        header_row=top,
        first_row=top + 1,
        rows=rows,
        columns=tuple(columns),
        side_label=side,
        merge=tuple(block.merge),
        skeleton=tuple(block.skeleton),
    )
