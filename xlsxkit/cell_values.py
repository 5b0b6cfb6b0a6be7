"""Record values ↔ cell values, per value type.

Money is yuan in the record (a two-decimal string) and the form's unit in the cell;
percent is "50" in the record and 0.5 in a percent-formatted cell; dates are ISO strings
in the record and Excel dates in the cell. Conversions go through Decimal, never through
float arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re
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


CODED_NAME = re.compile(r"^\s*[\[［【]\s*([^\]］】]*?)\s*[\]］】]\s*(.*?)\s*$", re.DOTALL)
CENT = Decimal("0.01")


def from_cell(kind: ValueType, value: Any, money_unit: str | None) -> Any:
    """The record value of a cell value as our writer wrote it (the reader of #3 adds the
    ways people type values). Blank → None; text trimmed; money → yuan, two decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind is ValueType.money:
        yuan = _decimal(value) * MONEY_FACTOR[money_unit or "元"]
        if yuan != yuan.quantize(CENT):
            raise CellValueError(f"金额精确到分以下：{yuan} 元")
        return str(yuan.quantize(CENT))
    if kind is ValueType.percent:
        return _plain(_decimal(value) * 100)
    if kind is ValueType.integer:
        number = _decimal(value)
        if number != number.to_integral_value():
            raise CellValueError(f"不是整数：{value}")
        return int(number)
    if kind is ValueType.date:
        if isinstance(value, (dt.datetime, dt.date)):
            return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
        return str(value).strip()
    if kind is ValueType.coded_name:
        match = CODED_NAME.match(str(value))
        if match:
            return {"code": match.group(1) or None, "name": match.group(2) or None}
        return {"code": None, "name": str(value).strip()}
    return str(value).strip()


def _decimal(value: Any) -> Decimal:
    """A cell number as Decimal through its shortest repr, so 58.5 is 58.5, not 58.4999…"""
    try:
        return Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise CellValueError(f"不是数字：{value!r}") from None


def _plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 50, 33.3."""
    return format(number.normalize(), "f")
