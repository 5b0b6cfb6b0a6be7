"""The JSON Schema of one template's records (`xlsxkit schema --record TEMPLATE`): the spec's
keys (docs/record.md) with their types, and the keys the template declares under `extra`."""

from __future__ import annotations

from typing import Any

from xlsxkit.form.record import FIELD_TYPES, TABLE_COLUMNS, ValueType, blank_record
from xlsxkit.template.model import DeclaredKey, Template

NULL = {"type": "null"}
TEXT = {"type": ["string", "null"]}
VALUE_SCHEMAS: dict[ValueType, dict[str, Any]] = {
    ValueType.text: TEXT,
    ValueType.choice: TEXT,
    ValueType.integer: {"type": ["integer", "null"]},
    ValueType.money: {"type": ["string", "null"], "pattern": r"^-?[0-9]+\.[0-9]{2}$", "description": "yuan"},
    ValueType.percent: {"type": ["string", "null"], "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "percent"},
    ValueType.date: {"type": ["string", "null"], "format": "date"},
    ValueType.coded_name: {
        "type": ["object", "null"],
        "properties": {"code": TEXT, "name": TEXT},
        "additionalProperties": False,
    },
}
PARSED = {
    "type": ["object", "null"],
    "properties": {
        "kind": {"enum": ["quantitative", "deadline", "qualitative"]},
        "op": TEXT,
        "number": {"type": ["number", "string", "null"]},
        "unit": TEXT,
        "date": TEXT,
    },
    "required": ["kind"],
}


def record_schema(template: Template) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a record read with `template` satisfies."""
    types = {**FIELD_TYPES[template.form], **{f"extra.{d.key}": d.type for d in template.extra}}
    schema = _object(blank_record(template.form), types, "")
    properties = schema["properties"]
    properties["form"] = {"const": template.form}
    properties["year"] = {"type": ["integer", "null"]}
    properties["template"] = {
        "type": "object",
        "properties": {"id": TEXT, "version": TEXT},
        "required": ["id", "version"],
    }
    properties["source"] = {"type": ["object", "null"]}
    if template.form == "project":
        funds = _object(blank_record("project")["funds"], types, "funds.")
        funds["properties"]["source_unit"] = {"enum": ["元", "万元", None]}
        funds["properties"]["overall"] = {
            "anyOf": [NULL, _object(blank_record("project")["funds"]["annual"], types, "funds.overall.")]
        }
        properties["funds"] = funds
        properties["spending_plan"] = {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]}}
    for table, columns in TABLE_COLUMNS[template.form].items():
        declared = [d for block in template.tables() if block.table == table for d in block.extra]
        properties[table] = {"type": "array", "items": _row(table, columns, declared)}
    if template.extra:
        properties["extra"] = _declared(template.extra)
        schema["required"] = [*schema["required"], "extra"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{template.name} ({template.id} {template.version}) record",
        **schema,
    }


def _object(shape: dict[str, Any], types: dict[str, ValueType], prefix: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for key, value in shape.items():
        path = f"{prefix}{key}"
        if path in types:
            properties[key] = VALUE_SCHEMAS[types[path]]
        elif isinstance(value, dict):
            properties[key] = _object(value, types, f"{path}.")
        elif isinstance(value, list):
            properties[key] = {"type": "array"}
        else:
            properties[key] = {}
    return {"type": "object", "properties": properties, "required": list(shape), "additionalProperties": False}


def _row(table: str, columns: tuple[str, ...], declared: list[DeclaredKey]) -> dict[str, Any]:
    if table == "measures":
        return TEXT
    properties: dict[str, Any] = dict.fromkeys(columns, TEXT)
    if table == "indicators":
        properties["parsed"] = PARSED
    if declared:
        properties["extra"] = _declared(declared)
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _declared(declared: list[DeclaredKey]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {d.key: {**VALUE_SCHEMAS[d.type], "title": d.label} for d in declared},
        "required": [d.key for d in declared],
        "additionalProperties": False,
    }
