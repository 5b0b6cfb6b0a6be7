"""One located form sheet → one canonical record, with the cell every value came from.

Field values go through `cell_values.from_cell` (numbers typed as text, full-width digits,
万元 → yuan, dates as serials or text); a value that is not of its cell's type is a finding and
stays out of the record, never coerced. Table rows are read under the header found on the
sheet: blank rows are skipped, 一级/二级 are filled down from merged cells or from the row
above, and normalised to the template's taxonomy names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from xlsxkit.form.cell_values import CellValueError, format_coded_name, from_cell, text_of
from xlsxkit.form.errors import Code, Finding
from xlsxkit.form.indicator_values import parse_value
from xlsxkit.form.record import (
    FUND_KEYS,
    INDICATOR_ORDER,
    SPENDING_MONTHS,
    TABLE_COLUMNS,
    ValueType,
    blank_record,
    get_path,
    table_column_type,
)
from xlsxkit.form.stamp import TargetLink
from xlsxkit.read.grid import Grid
from xlsxkit.read.locate import Located, LocatedTable, compact
from xlsxkit.read.scores import computed_scores
from xlsxkit.template.expressions import computed_value, typed, typed_record
from xlsxkit.template.layout import SheetLayout, cell_name
from xlsxkit.template.model import DeclaredKey, Template

LEVEL_KEYS = ("level1", "level2")
# 分项绩效目标 headings keep their text without the numbering: "（一）做好…" → "做好…"
ITEM_NUMBERING = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[、.．])\s*")

EXPECTED = {
    ValueType.money: ("金额", "58.50"),
    ValueType.percent: ("百分比", "50%"),
    ValueType.integer: ("整数", "3"),
    ValueType.date: ("日期", "2025-12-31"),
    ValueType.number: ("分数", "8.5"),
}


@dataclass
class SheetRecord:
    """A record read from one sheet, and where each of its values stands on that sheet."""

    record: dict[str, Any]
    sheet: str
    cells: dict[str, str] = field(default_factory=dict)  # "funds.annual.total" / "indicators[2].value" → "D14"
    findings: list[Finding] = field(default_factory=list)

    def finding(self, code: Code, path: str | None, **details: Any) -> Finding:
        """A finding about the value at `path` ("funds.annual.total", "indicators[2].value"), at the
        cell that value came from."""
        return Finding(code, self.sheet, self.cells.get(path) if path else None, details)


@dataclass(frozen=True)
class Context:
    """What a sheet's record takes from outside the sheet."""

    template: Template
    year: int | None
    unit: dict[str, Any]
    date1904: bool = False
    as_of: str | None = None  # a monitoring form's month
    link: TargetLink | None = None  # a form generated from a target: what it was made from


def read_sheet(grid: Grid, sheet: SheetLayout, located: Located, context: Context) -> SheetRecord:
    """One located sheet → its record, with the cell of every value and the findings of reading it (a
    wrongly typed value, a label or table not found)."""
    template = context.template
    record = blank_record(template.form)
    record["template"] = {"id": template.id, "version": template.version}
    record["year"] = context.year
    record["unit"] = dict(context.unit)
    if template.extra:
        record["extra"] = dict.fromkeys(d.key for d in template.extra)
    if template.form != "department":
        record["funds"]["source_unit"] = template.money_unit.value if template.money_unit else None
    if context.link is not None:
        record["target"] = {"sha256": context.link.sha256, "template": dict(context.link.template)}
    if template.form == "monitor":
        record["as_of"] = context.as_of
    result = SheetRecord(record, grid.name)
    for place in located.unlabelled:
        row, col = located.fields[place.key]
        result.findings.append(Finding(Code.R_LABEL_NOT_FOUND, grid.name, cell_name(row, col), {"label": place.label}))
    _read_fields(grid, sheet, located, context, result)
    for table_place in sheet.tables:
        if table_place.bind not in located.tables:
            headers = "、".join(dict.fromkeys(c.header for c in table_place.columns))
            result.findings.append(Finding(Code.R_TABLE_NOT_FOUND, grid.name, details={"headers": headers}))
    for table in located.tables.values():
        result.cells[f"{table.place.bind}.header"] = cell_name(table.header_row, table.columns[0][1])
        record[table.place.bind] = _read_table(grid, table, context, result)
    for row, col, length in located.too_long:
        result.findings.append(Finding(Code.R_CELL_TOO_LONG, grid.name, cell_name(row, col), {"length": length}))
    _recompute(sheet, template, result)
    if context.link is not None:
        _check_copied(sheet, context.link, result)
    if template.form == "self_evaluation":
        record["computed"] = computed_scores(record)
    return result


def _check_copied(sheet: SheetLayout, link: TargetLink, result: SheetRecord) -> None:
    """Every value copied from the target is still what was copied; one changed (the sheet's
    protection taken off) is an error naming the original. The record keeps what the sheet shows."""
    labels = {place.key: place.title for place in sheet.fields}
    headers = {column.key: column.header for table in sheet.tables for column in table.columns}
    for path, original in link.copied.items():
        value = _value_at(result.record, path)
        if _same(value, original):
            continue
        key = path.rsplit(".", 1)[-1] if "[" in path else path
        label = (labels.get(path) or headers.get(key) or path).rstrip("：: ")
        details = {"label": label, "original": _shown(original), "value": _shown(value)}
        cell = result.cells.get(path) or result.cells.get(f"{path.split('[')[0]}.header")
        result.findings.append(Finding(Code.C_COPIED_CHANGED, result.sheet, cell, details))


_INDEXED = re.compile(r"^(\w+)\[(\d+)\]\.(.+)$")


def _value_at(record: dict[str, Any], path: str) -> Any:
    """The value at "project.name" or "indicators[2].value" (None where the row is gone)."""
    match = _INDEXED.match(path)
    if match is None:
        return get_path(record, path)
    items = record.get(match.group(1)) or []
    index = int(match.group(2))
    item = items[index] if index < len(items) else None
    return item.get(match.group(3)) if isinstance(item, dict) else None


def _same(value: Any, original: Any) -> bool:
    if isinstance(value, str) and isinstance(original, str):
        return compact(value) == compact(original)  # line breaks and spaces an office suite adds
    return bool(value == original)


def _shown(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, dict):
        return format_coded_name(value)
    return str(value)


def _recompute(sheet: SheetLayout, template: Template, result: SheetRecord) -> None:
    """A computed cell's value is computed again from what the unit typed, never taken from the
    workbook; where the workbook shows another value (its formula overwritten), a warning (R018)."""
    computed = [place for place in sheet.fields if place.formula is not None]
    if not computed:
        return
    values = typed_record(result.record, template)
    for place in computed:
        shown = get_path(result.record, place.key)
        value = computed_value(place, values)
        if shown is not None and value is not None and not _close(shown, value, place.type):
            label = (place.title or place.key).rstrip("：: ")
            details = {"label": label, "computed": value, "cached": shown}
            result.findings.append(
                Finding(Code.R_FORMULA_OVERWRITTEN, result.sheet, result.cells.get(place.key), details)
            )
        _set(result.record, place.key, value)
        _set(values, place.key, typed(value, place.type))  # a later computed cell may read this one


def _close(shown: Any, computed: Any, kind: ValueType) -> bool:
    """The workbook's value is the computed one, to the cent (money) or the hundredth (others)."""
    try:
        difference = abs(Decimal(str(shown)) - Decimal(str(computed)))
    except ArithmeticError:
        return False
    return difference <= (Decimal("0.005") if kind is ValueType.money else Decimal("0.0051"))


def _read_fields(grid: Grid, sheet: SheetLayout, located: Located, context: Context, result: SheetRecord) -> None:
    record = result.record
    for place in sheet.fields:
        _make_room(record, place.key)
    for place in sheet.fields:
        row, col = located.fields[place.key]
        raw = grid.value(row, col)
        percent = grid.percent(row, col) if isinstance(raw, (int, float)) else None  # only a number has a format
        result.cells[place.key] = cell_name(row, col)
        try:
            value = from_cell(place.type, raw, context.template.money_unit, date1904=context.date1904, percent=percent)
        except CellValueError:
            expected, example = EXPECTED.get(place.type, ("文字", ""))
            label = (place.title or place.key).rstrip("：: ")
            details = {"label": label, "expected": expected, "value": text_of(raw, percent=percent), "example": example}
            result.findings.append(Finding(Code.R_WRONG_TYPE, grid.name, cell_name(row, col), details))
            value = None
        _set(record, place.key, value)


def _make_room(record: dict[str, Any], key: str) -> None:
    """A form with any 资金支出计划 or 中期资金 cell has the whole object, every key null at first."""
    if key.startswith("spending_plan.") and record.get("spending_plan") is None:
        record["spending_plan"] = dict.fromkeys(SPENDING_MONTHS)
    elif key.startswith("funds.overall.") and record["funds"].get("overall") is None:
        record["funds"]["overall"] = dict.fromkeys(FUND_KEYS)


def _set(record: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    target = record
    for part in parents:
        target = target[part]
    target[last] = value


def _read_table(grid: Grid, table: LocatedTable, context: Context, result: SheetRecord) -> list[Any]:
    bind = table.place.bind
    form = context.template.form
    keys = TABLE_COLUMNS[form][bind]
    typed_keys = {key: kind for key in keys if (kind := table_column_type(form, bind, key)) is not ValueType.text}
    declared = [d for block in context.template.tables() if block.table == bind for d in block.extra]
    items: list[Any] = []
    previous: dict[str, Any] = {}
    for row in range(table.first_row, table.last_row + 1):
        values, cells = _row_values(grid, table, row)
        content = [key for key in values if key not in LEVEL_KEYS and values[key] is not None]
        if not content:
            if any(values.get(key) for key in LEVEL_KEYS):
                previous = {key: values.get(key) for key in LEVEL_KEYS}  # a skeleton row: its levels fill down
            continue
        path = f"{bind}[{len(items)}]"
        for key, cell in cells.items():
            result.cells[f"{path}.{key}"] = cell
        if bind == "measures":
            items.append(values.get("text"))
            continue
        extra = _declared_values(declared, values, cells, context, result) if declared else None
        if bind == "items":
            title = values.get("title")
            if title:  # a heading that is nothing but a number keeps it
                values["title"] = ITEM_NUMBERING.sub("", title) or title
            items.append({key: values.get(key) for key in keys} | ({"extra": extra} if extra is not None else {}))
            continue
        _fill_levels(values, previous, context.template)
        previous = {key: values.get(key) for key in LEVEL_KEYS}
        item: dict[str, Any] = {}
        for key in INDICATOR_ORDER[form]:  # the spec's order: the columns' keys, "parsed" after "value"
            if key == "parsed":
                item[key] = parse_value(item["value"], context.year)  # null for a blank 指标值 (a finding, C013)
            elif key in typed_keys:
                header = column_header(table, key)
                item[key] = _typed_cell(typed_keys[key], values.get(key), cells.get(key), header, context, result)
            else:
                item[key] = values.get(key)
        if extra is not None:  # the template's declared keys
            item["extra"] = extra
        items.append(item)
    return items


def column_header(table: LocatedTable, key: str) -> str:
    """The header a table column of `key` is printed under."""
    column = table.place.column(key)
    return column.header if column is not None else key


def _typed_cell(
    kind: ValueType, text: str | None, cell: str | None, label: str, context: Context, result: SheetRecord
) -> Any:
    """A table cell's text as its type (a 分值 as a number, 偏差原因 as a list); a value not of its
    type is a finding at its cell and blank in the record."""
    try:
        return from_cell(kind, text, context.template.money_unit)
    except CellValueError:
        expected, example = EXPECTED.get(kind, ("文字", ""))
        details = {"label": label, "expected": expected, "value": text, "example": example}
        result.findings.append(Finding(Code.R_WRONG_TYPE, result.sheet, cell, details))
        return None


def _declared_values(
    declared: list[DeclaredKey],
    values: dict[str, Any],
    cells: dict[str, str],
    context: Context,
    result: SheetRecord,
) -> dict[str, Any]:
    """A row's declared keys, each as its type (money in yuan, as the form's unit says); a value
    not of its type is a finding at its cell and blank in the record."""
    extra: dict[str, Any] = {}
    for key in declared:
        column = f"extra.{key.key}"
        text = values.get(column)
        try:
            extra[key.key] = from_cell(key.type, text, context.template.money_unit)
        except CellValueError:
            expected, example = EXPECTED.get(key.type, ("文字", ""))
            details = {"label": key.label, "expected": expected, "value": text, "example": example}
            cell = cells.get(column)
            result.findings.append(Finding(Code.R_WRONG_TYPE, result.sheet, cell, details))
            extra[key.key] = None
    return extra


def _row_values(grid: Grid, table: LocatedTable, row: int) -> tuple[dict[str, Any], dict[str, str]]:
    """A table row's text per column key (a key shown twice, as 六安's 二级指标, takes the first
    filled), and the cell of each; merged cells give their range's value, a number as shown
    (0.95 in a percent-formatted cell is "95%")."""
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for column, col in table.columns:
        raw = grid.shown(row, col)
        if raw is None:
            text = None
        elif type(raw) is str:  # most cells
            text = text_of(raw) or None
        else:
            text = text_of(raw, percent=grid.percent(row, col)) or None
        key = column.key
        if values.get(key) is None:
            values[key] = text
            cells[key] = cell_name(row, col)
    return values, cells


def _fill_levels(values: dict[str, Any], previous: dict[str, Any], template: Template) -> None:
    """一级/二级 left blank under a broken-up merge take the row above's; names are normalised
    to the taxonomy (进度指标 → 时效指标)."""
    if values.get("level1") is None:
        values["level1"] = previous.get("level1")
        if values.get("level2") is None:
            values["level2"] = previous.get("level2")
    elif values.get("level2") is None and _same_level(values["level1"], previous.get("level1"), template):
        values["level2"] = previous.get("level2")
    for key in LEVEL_KEYS:
        if values.get(key) is not None:
            values[key] = normalise_level(values[key], template)


def _same_level(a: str | None, b: str | None, template: Template) -> bool:
    return a is not None and b is not None and normalise_level(a, template) == normalise_level(b, template)


def normalise_level(name: str, template: Template) -> str:
    """A level name as the taxonomy spells it: white space dropped, aliases resolved."""
    return _level_names(template).get(compact(name), name)


_LEVEL_NAMES: dict[str, dict[str, str]] = {}


def _level_names(template: Template) -> dict[str, str]:
    """Every spelling of a level name the taxonomy knows (names and aliases, without white
    space) → the taxonomy's name; once per template."""
    names = _LEVEL_NAMES.get(template.digest)
    if names is None:
        taxonomy = template.taxonomy
        names = {}
        if taxonomy is not None:
            names.update({compact(alias): target for alias, target in taxonomy.aliases.items()})
            names.update(
                {compact(n): n for n in (*taxonomy.level1, *(n for ns in taxonomy.level2.values() for n in ns))}
            )
        _LEVEL_NAMES[template.digest] = names
    return names


def find_year(grid: Grid, before_row: int) -> int | None:
    """The budget year printed above the form ("2025年度", "（2022 年度）"), for workbooks without a stamp."""
    pattern = re.compile(r"((?:19|20)\d{2})\s*年")
    for row, _, text in grid.texts():
        if row >= before_row:
            break
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


_MONTHS = re.compile(r"1\s*[-—–~至]\s*(\d{1,2})\s*月")


def find_as_of(grid: Grid, before_row: int, year: int | None) -> str | None:
    """The month a monitoring form without a stamp is for, from its title ("（1-7月）")."""
    if year is None:
        return None
    for row, _, text in grid.texts():
        if row >= before_row:
            break
        match = _MONTHS.search(text)
        if match and 1 <= int(match.group(1)) <= 12:
            return f"{year}-{int(match.group(1)):02d}"
    return None
