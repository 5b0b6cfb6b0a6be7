"""A later form's record (monitor, self_evaluation) as its report reads it: its parts and indicators
whatever their shape, and the small conversions every row makes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from xlsxkit.cycle.report_sheet import Column, ReportSheet
from xlsxkit.cycle.summary_tables import COMPILATION_COLUMN
from xlsxkit.form.record import FOLLOW_ON_FORMS

# The columns every later form's report begins with, and its last where 汇编 is drawn.
IDENTITY_COLUMNS = (Column("单位代码", 10), Column("单位名称", 16, "wrap"), Column("项目名称", 24, "wrap"))
PLACE_COLUMN = Column(COMPILATION_COLUMN, 14, "link")


def is_follow_on(record: dict[str, Any]) -> bool:
    """Whether a record is of a form generated from the targets (monitor, self_evaluation)."""
    return record.get("form") in FOLLOW_ON_FORMS


def indicator_name(item: dict[str, Any], number: int) -> str:
    """An indicator as a report names it: its 三级指标, else "第N项指标"."""
    name = item.get("level3")
    return name.strip() if isinstance(name, str) and name.strip() else f"第{number}项指标"


def year_of(value: Any) -> int | None:
    """A record's year where it is one (an int, not a bool)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def record_part(record: dict[str, Any], key: str) -> dict[str, Any]:
    """A part of the record (funds, unit, project …), {} where it is missing or not an object."""
    part = record.get(key)
    return part if isinstance(part, dict) else {}


def record_indicators(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's indicators that are objects."""
    return [item for item in record.get("indicators") or [] if isinstance(item, dict)]


def record_as_of(record: dict[str, Any] | None) -> str | None:
    """The month a monitoring record is for ("2026-07"), where it says one."""
    as_of = record.get("as_of") if record else None
    return as_of if isinstance(as_of, str) else None


def as_fraction(percent: Decimal | None) -> float | None:
    """A percent (52.00) as the fraction a percent-formatted cell holds (0.52)."""
    return None if percent is None else float(percent / 100)


def as_float(value: Decimal | None) -> float | None:
    """A Decimal as the number a cell holds."""
    return None if value is None else float(value)


def total_or_none(values: Sequence[Decimal | None]) -> Decimal | None:
    """The sum of the values given; None where none is."""
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def project_identity(record: dict[str, Any]) -> tuple[Any, Any, Any]:
    """What IDENTITY_COLUMNS show of a record: its unit's code and name, its project's name."""
    unit, project = record_part(record, "unit"), record_part(record, "project")
    return unit.get("code"), unit.get("name"), project.get("name")


def add_project_row(
    report: ReportSheet, values: tuple[Any, ...], form: tuple[str, str] | None, *, with_compilation: bool
) -> int:
    """A project's row of a report; with 汇编, its last cell names where `form` (the link's target
    and its text) was drawn and links there. Returns the row."""
    if not with_compilation:
        return report.add_row(values)
    target, text = form if form else (None, None)
    return report.add_row((*values, text), links={len(values): target} if target else None)
