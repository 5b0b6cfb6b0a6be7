"""Whether a record can stand in the cells a template gives it: each part of the spec's shape
(goals an object, indicators a list of objects …), each value of its cell's type as the reader
reads it back (a money a finite number of whole cents, a text a JSON string within a cell's
limit …). Generating refuses such a record (G014); reading refuses a relayed summary carrying one
(R020), so that no value a summary cannot write is ever accepted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xlsxkit.form.cell_values import CellValueError, record_cell
from xlsxkit.form.record import FIELD_TYPES, TABLE_COLUMNS, get_path, misshapen_parts, row_values
from xlsxkit.template.layout import compile_layout
from xlsxkit.template.model import Template

__all__ = ["ValueTrouble", "record_value_troubles"]


@dataclass(frozen=True)
class ValueTrouble:
    """A part or value of a record that its cell cannot hold: where, what, and why (in Chinese)."""

    key: str  # "funds.annual.total", "indicators[2].level3", "goals"
    value: Any
    detail: str


def record_value_troubles(record: dict[str, Any], template: Template) -> list[ValueTrouble]:
    """Every part of the wrong shape, then every value its typed cell cannot hold."""
    sheet = compile_layout(template).sheet()
    keys = [*FIELD_TYPES[template.form], *(place.key for place in sheet.fields), "template.id"]
    troubles = [
        ValueTrouble(key, value, f"应为{expected}")
        for key, value, expected in misshapen_parts(record, keys, TABLE_COLUMNS[template.form])
    ]
    misshapen = {trouble.key for trouble in troubles}
    for place in sheet.fields:
        if place.key.split(".")[0] not in misshapen:
            troubles += _trouble(place.type, get_path(record, place.key), place.key, template)
    for table in sheet.tables:
        items = record.get(table.bind)
        if table.bind in misshapen or not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            row = row_values(item)
            for column in table.columns:
                troubles += _trouble(
                    column.type, get_path(row, column.key), f"{table.bind}[{index}].{column.key}", template
                )
    return troubles


def _trouble(kind: Any, value: Any, key: str, template: Template) -> list[ValueTrouble]:
    try:
        record_cell(kind, value, template.money_unit)
    except CellValueError as error:
        return [ValueTrouble(key, value, str(error))]
    return []
