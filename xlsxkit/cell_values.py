"""Record values ↔ cell values, per value type.

Money is yuan in the record (a two-decimal string) and the form's unit in the cell;
percent is "50" in the record and 0.5 in a percent-formatted cell; dates are ISO strings
in the record and Excel dates in the cell. Conversions go through Decimal, never through
float arithmetic.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from .record import ValueType

MONEY_FACTOR = {"元": Decimal(1), "万元": Decimal(10000)}


class CellValueError(ValueError):
    """A record value that cannot be shown in a cell of its type."""


def to_cell(kind: ValueType, value: Any, money_unit: str | None) -> str | float | int | dt.datetime | None:
    """The value to write for a record value (None for a blank cell)."""
    if value is None:
        return None
    try:
        if kind is ValueType.money:
            return float(Decimal(str(value)) / MONEY_FACTOR[money_unit or "元"])
        if kind is ValueType.percent:
            return float(Decimal(str(value)) / 100)
        if kind is ValueType.integer:
            number = Decimal(str(value))
            if number != number.to_integral_value():
                raise CellValueError(f"不是整数：{value}")
            return int(number)
        if kind is ValueType.date:
            return dt.datetime.fromisoformat(str(value))
        if kind is ValueType.coded_name:
            return format_coded_name(value)
    except (InvalidOperation, ValueError) as error:
        raise CellValueError(str(error)) from None
    return str(value)


def format_coded_name(value: Any) -> str:
    if isinstance(value, dict):
        code, name = value.get("code"), value.get("name") or ""
        return f"[{code}]{name}" if code else name
    return str(value)
