"""Money units: 元 and 万元, each with its factor in 元 and the number format amounts take in it.

A record always holds yuan, as a two-decimal string; a form shows its template's unit, a summary
the unit the office asks for (`--money`)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum


class MoneyUnit(str, Enum):
    """A money unit of forms and summaries. A member equals, hashes and prints as its text
    ("万元"), so templates, jinja texts and messages use it as they used the text."""

    yuan = "元"
    wan = "万元"

    @property
    def factor(self) -> Decimal:
        """How many 元 one of this unit is."""
        return _FACTORS[self]

    @property
    def number_format(self) -> str:
        """The Excel number format of amounts in this unit: every cent kept (6 decimals in 万元)."""
        return _NUMBER_FORMATS[self]

    def __str__(self) -> str:
        return self.value


_FACTORS = {MoneyUnit.yuan: Decimal(1), MoneyUnit.wan: Decimal(10000)}
_NUMBER_FORMATS = {MoneyUnit.yuan: "#,##0.00", MoneyUnit.wan: "#,##0.00####"}


def money_unit_of(text: str | None) -> MoneyUnit:
    """The unit a form's amounts are in: its template's, else 元."""
    return MoneyUnit(text) if text else MoneyUnit.yuan
