"""The canonical record (docs/record.md): its keys, their value types, blank records.

A template binds form cells to these keys; nothing else may be bound. The value type of a
key decides how the writer formats the cell and how the reader turns it back into a record
value (money is always yuan as a two-decimal string in the record).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any


class ValueType(str, Enum):
    """The type of a field's value in a record and in its cell."""

    text = "text"
    integer = "integer"
    money = "money"
    percent = "percent"
    date = "date"
    choice = "choice"
    coded_name = "coded_name"  # "[079]六安市住房公积金中心" ↔ {"code": "079", "name": "…"}
    number = "number"  # a 分值 or 得分: 8.5 in the cell and in the record (a JSON number)
    choices = "choices"  # several picks of a list in one cell, "经费保障、人员保障" ↔ ["经费保障", "人员保障"]


FUND_KEYS = ("total", "fiscal", "other", "carryover", "superior_subsidy", "own")
SPENDING_MONTHS = ("03", "06", "10", "12")

# Every scalar key a project form may bind, with the type its value has.
PROJECT_FIELD_TYPES: dict[str, ValueType] = {
    "department": ValueType.coded_name,
    "implementing_unit": ValueType.text,
    "project.name": ValueType.text,
    "project.code": ValueType.text,
    "project.attribute": ValueType.choice,
    "project.category": ValueType.choice,
    "project.period_years": ValueType.integer,
    "project.start_date": ValueType.date,
    "project.end_date": ValueType.date,
    "project.purpose": ValueType.text,
    **{f"funds.{period}.{key}": ValueType.money for period in ("annual", "overall") for key in FUND_KEYS},
    **{f"spending_plan.{month}": ValueType.percent for month in SPENDING_MONTHS},
    "goals.annual": ValueType.text,
    "goals.overall": ValueType.text,
}

DEPARTMENT_FIELD_TYPES: dict[str, ValueType] = {
    "goals.overall": ValueType.text,
}

# The forms generated from approved targets later in the year (docs/record.md, "The rest of the year").
FOLLOW_ON_FORMS = ("monitor", "self_evaluation")
# The target keys a follow-on form repeats: copied from the target record, locked, checked on reading.
_TARGET_COPY = {
    "department": ValueType.coded_name,
    "implementing_unit": ValueType.text,
    "project.name": ValueType.text,
    "project.code": ValueType.text,
}

MONITOR_FIELD_TYPES: dict[str, ValueType] = {
    **_TARGET_COPY,
    "funds.budget": ValueType.money,
    "funds.executed": ValueType.money,
    "funds.rate": ValueType.percent,
    "funds.forecast": ValueType.money,
    "goals.annual": ValueType.text,
    "goals.progress": ValueType.text,
}

SELF_EVALUATION_FUND_ROWS = ("total", "fiscal", "carryover", "other")
SELF_EVALUATION_FUND_COLUMNS = ("initial", "adjusted", "executed")
SELF_EVALUATION_FIELD_TYPES: dict[str, ValueType] = {
    **_TARGET_COPY,
    **{
        f"funds.rows.{row}.{column}": ValueType.money
        for row in SELF_EVALUATION_FUND_ROWS
        for column in SELF_EVALUATION_FUND_COLUMNS
    },
    "funds.weight": ValueType.number,
    "funds.rate": ValueType.percent,
    "funds.score": ValueType.number,
    "goals.annual": ValueType.text,
    "goals.achieved": ValueType.text,
    "total_score": ValueType.number,
}

FIELD_TYPES = {
    "project": PROJECT_FIELD_TYPES,
    "department": DEPARTMENT_FIELD_TYPES,
    "monitor": MONITOR_FIELD_TYPES,
    "self_evaluation": SELF_EVALUATION_FIELD_TYPES,
}

# The list-valued parts of a record that a template lays out as tables, and their columns.
TABLE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "project": {
        "indicators": (
            "level1",
            "level2",
            "level3",
            "description",
            "value",
            "overall_value",
            "basis",
            "note",
        ),
    },
    "department": {
        "items": ("title", "goal", "indicator"),
        "measures": ("text",),
    },
    "monitor": {
        "indicators": (
            "level1",
            "level2",
            "level3",
            "value",
            "actual",
            "forecast",
            "likelihood",
            "causes",
            "reason",
            "note",
        ),
    },
    "self_evaluation": {
        "indicators": ("level1", "level2", "level3", "value", "actual", "weight", "score", "reason"),
    },
}
# Table columns whose values are not text (the others are).
TABLE_COLUMN_TYPES: dict[str, dict[str, dict[str, ValueType]]] = {
    "monitor": {"indicators": {"causes": ValueType.choices}},
    "self_evaluation": {"indicators": {"weight": ValueType.number, "score": ValueType.number}},
}
# The keys of an indicator in the order the spec gives them, per form: its table's columns with
# "parsed" right after "value".
INDICATOR_ORDER: dict[str, tuple[str, ...]] = {
    form: tuple(
        key for column in tables["indicators"] for key in ((column, "parsed") if column == "value" else (column,))
    )
    for form, tables in TABLE_COLUMNS.items()
    if "indicators" in tables
}


def table_column_type(form: str, table: str, key: str) -> ValueType:
    """The value type of a spec column of a form's table (text unless the spec says otherwise)."""
    return TABLE_COLUMN_TYPES.get(form, {}).get(table, {}).get(key, ValueType.text)


# Types which make sense for a key whose natural type is `natural`.
COMPATIBLE_TYPES: dict[ValueType, frozenset[ValueType]] = {
    ValueType.text: frozenset({ValueType.text, ValueType.choice}),
    ValueType.choice: frozenset({ValueType.choice, ValueType.text}),
    ValueType.integer: frozenset({ValueType.integer}),
    ValueType.money: frozenset({ValueType.money}),
    ValueType.percent: frozenset({ValueType.percent}),
    ValueType.date: frozenset({ValueType.date, ValueType.text}),
    ValueType.coded_name: frozenset({ValueType.coded_name}),
    ValueType.number: frozenset({ValueType.number, ValueType.integer}),
    ValueType.choices: frozenset({ValueType.choices}),
}


def blank_funds() -> dict[str, Any]:
    """Every fund key, none filled."""
    return dict.fromkeys(FUND_KEYS)


def blank_project_record() -> dict[str, Any]:
    """A project record (项目支出绩效目标表) with every key and nothing filled."""
    return {
        "form": "project",
        "template": {"id": None, "version": None},
        "year": None,
        "unit": {"code": None, "name": None},
        "department": None,
        "implementing_unit": None,
        "project": {
            "name": None,
            "code": None,
            "attribute": None,
            "category": None,
            "period_years": None,
            "start_date": None,
            "end_date": None,
            "purpose": None,
        },
        "funds": {"source_unit": None, "annual": blank_funds(), "overall": None},
        "spending_plan": None,
        "goals": {"annual": None, "overall": None},
        "indicators": [],
        "source": {"file": None, "sheet": None, "sha256": None},
    }


def blank_department_record() -> dict[str, Any]:
    """A department record (部门整体绩效目标表) with every key and nothing filled."""
    return {
        "form": "department",
        "template": {"id": None, "version": None},
        "year": None,
        "unit": {"code": None, "name": None},
        "goals": {"annual": None, "overall": None},
        "items": [],
        "measures": [],
        "source": {"file": None, "sheet": None, "sha256": None},
    }


def _blank_follow_on(form: str) -> dict[str, Any]:
    """What a monitor and a self-evaluation record share: the target's identity, copied."""
    project = blank_project_record()
    return {
        "form": form,
        "template": {"id": None, "version": None},
        "year": None,
        "unit": {"code": None, "name": None},
        "department": None,
        "implementing_unit": None,
        "project": project["project"],
        "target": None,
    }


def blank_monitor_record() -> dict[str, Any]:
    """A monitor record (项目支出绩效目标执行监控表) with every key and nothing filled."""
    return {
        **_blank_follow_on("monitor"),
        "as_of": None,
        "funds": {"source_unit": None, "budget": None, "executed": None, "rate": None, "forecast": None},
        "goals": {"annual": None, "progress": None},
        "indicators": [],
        "source": {"file": None, "sheet": None, "sha256": None},
    }


def blank_self_evaluation_record() -> dict[str, Any]:
    """A self-evaluation record (项目支出绩效自评表) with every key and nothing filled."""
    rows = {row: dict.fromkeys(SELF_EVALUATION_FUND_COLUMNS) for row in SELF_EVALUATION_FUND_ROWS}
    return {
        **_blank_follow_on("self_evaluation"),
        "funds": {"source_unit": None, "rows": rows, "weight": None, "rate": None, "score": None},
        "goals": {"annual": None, "achieved": None},
        "indicators": [],
        "total_score": None,
        "source": {"file": None, "sheet": None, "sha256": None},
    }


_BLANK = {
    "project": blank_project_record,
    "department": blank_department_record,
    "monitor": blank_monitor_record,
    "self_evaluation": blank_self_evaluation_record,
}


def blank_record(form: str) -> dict[str, Any]:
    """A blank record of the given form (project, department, monitor, self_evaluation)."""
    return _BLANK[form]()


def row_values(item: Any) -> dict[str, Any]:
    """A table item as the row it fills: an object as it is, a text (a measure) in the `text` column."""
    if isinstance(item, dict):
        return item
    return {"text": item}


def get_path(record: dict[str, Any], key: str) -> Any:
    """The value at a dotted key; None where any step is missing or null.

    `department` as a whole is a coded name; its parts are reached as department.code/.name.
    """
    if "." not in key:  # most keys of a table row
        return record.get(key) if isinstance(record, dict) else None
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def misshapen_parts(
    record: dict[str, Any], keys: Iterable[str], tables: Mapping[str, tuple[str, ...]]
) -> list[tuple[str, Any, str]]:
    """(key, value, what it should be) for each part of a record that is not of the shape the
    spec gives it: a part on the way to a dotted field key that is not an object (goals as a text,
    funds.annual as a list: their fields would be silently blank), a table's part that is not a
    list, an item of it that is not an object (a table with a `text` column, like measures, takes
    texts too). A missing or null part is no problem."""
    found: list[tuple[str, Any, str]] = []
    seen: set[str] = set()
    for key in keys:
        parts = key.split(".")
        value: Any = record
        for depth in range(len(parts) - 1):
            value = value.get(parts[depth])
            if value is None:
                break
            if not isinstance(value, dict):
                path = ".".join(parts[: depth + 1])
                if path not in seen:
                    seen.add(path)
                    found.append((path, value, " JSON 对象"))
                break
    for bind, columns in tables.items():
        items = record.get(bind)
        if items is None or bind in seen:
            continue
        if not isinstance(items, list):
            found.append((bind, items, "列表，每项一个 JSON 对象（表中的一行）"))
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict) and not (isinstance(item, str) and "text" in columns):
                found.append((f"{bind}[{index}]", item, " JSON 对象（表中的一行）"))
    return found


def canonical_json(record: dict[str, Any]) -> bytes:
    """A record's canonical JSON: keys sorted, no spaces, UTF-8 (what `target.sha256` hashes)."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def record_sha256(record: dict[str, Any]) -> str:
    """The sha256 of a record's canonical JSON."""
    return hashlib.sha256(canonical_json(record)).hexdigest()
