"""A self-evaluation's scores computed by the national rules (form/scoring) from what the unit
wrote: `computed` = {"funds_score", "scores" (one per indicator, null where the unit scores it:
a qualitative indicator, an actual value that is neither a number nor a date), "total_score"
(the funds' and every indicator's computed score, the unit's own where none is computed)}."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from xlsxkit.form.cell_values import record_number
from xlsxkit.form.scoring import decimal_of, funds_score, indicator_score


def computed_scores(record: dict[str, Any]) -> dict[str, Any]:
    """The `computed` part of a self-evaluation record."""
    funds = record.get("funds") or {}
    total_row = (funds.get("rows") or {}).get("total") or {}
    funds_points = funds_score(funds.get("weight"), total_row.get("executed"), total_row.get("adjusted"))
    year = record.get("year")
    scores: list[Decimal | None] = []
    total = funds_points
    for item in record.get("indicators") or []:
        score = indicator_score(item.get("weight"), item.get("parsed"), item.get("actual"), year)
        scores.append(score)
        counted = score if score is not None else decimal_of(item.get("score"))
        total = None if total is None or counted is None else total + counted
    return {
        "funds_score": _number(funds_points),
        "scores": [_number(score) for score in scores],
        "total_score": _number(total),
    }


def _number(value: Decimal | None) -> int | float | None:
    return None if value is None else record_number(value)
