"""The canonical record (docs/record.md): its keys, their value types, blank records.

A template binds form cells to these keys; nothing else may be bound. The value type of a
key decides how the writer formats the cell and how the reader turns it back into a record
value (money is always yuan as a two-decimal string in the record).
"""

from __future__ import annotations

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

FIELD_TYPES = {"project": PROJECT_FIELD_TYPES, "department": DEPARTMENT_FIELD_TYPES}

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
}

# Types which make sense for a key whose natural type is `natural`.
COMPATIBLE_TYPES: dict[ValueType, frozenset[ValueType]] = {
    ValueType.text: frozenset({ValueType.text, ValueType.choice}),
    ValueType.choice: frozenset({ValueType.choice, ValueType.text}),
    ValueType.integer: frozenset({ValueType.integer}),
    ValueType.money: frozenset({ValueType.money}),
    ValueType.percent: frozenset({ValueType.percent}),
    ValueType.date: frozenset({ValueType.date, ValueType.text}),
    ValueType.coded_name: frozenset({ValueType.coded_name}),
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


def blank_record(form: str) -> dict[str, Any]:
    """A blank record of the given form ("project" or "department")."""
    return blank_project_record() if form == "project" else blank_department_record()


def get_path(record: dict[str, Any], key: str) -> Any:
    """The value at a dotted key; None where any step is missing or null.

    `department` as a whole is a coded name; its parts are reached as department.code/.name.
    """
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
