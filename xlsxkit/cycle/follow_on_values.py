"""A later form's record (monitor, self_evaluation) as its report reads it: its parts and indicators
whatever their shape, and the small conversions every row makes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from xlsxkit.form.record import FOLLOW_ON_FORMS


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
