"""The scoring of a 项目支出绩效自评表, as the national rules state it (财预〔2020〕10号; docs/record.md,
"The rest of the year"): a quantitative indicator scores its 分值 × min(1, 实际/目标) (目标/实际 for
a ceiling), a deadline in full when met and 0 when missed, a qualitative one as the unit scores it;
the funds score 分值 × min(1, 执行率). Scores are rounded to the hundredth (half up), as Excel's
ROUND does, so a score proposed in the workbook and one computed here agree."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from xlsxkit.form.indicator_values import parse_value

HUNDREDTH = Decimal("0.01")
CEILINGS = ("<=", "<")  # a smaller result is better
SCORE_TOLERANCE = Decimal("0.5")  # a unit's 得分 further from the computed one is a warning


def decimal_of(value: Any) -> Decimal | None:
    """A record number (int, float, numeric string) as Decimal; None for a blank or a non-number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def rounded(number: Decimal) -> Decimal:
    """To the hundredth, half up."""
    return number.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def achievement(target: dict[str, Any] | None, actual: str | None, year: int | None) -> Decimal | None:
    """How much of a target the actual value reaches, capped at 1: min(1, 实际/目标) (目标/实际 for
    a ceiling), 1 or 0 for a deadline met or missed; None where the rules leave it to the unit
    (a qualitative target, an actual that is not a number or a date, units that differ)."""
    if not target or actual is None:
        return None
    done = parse_value(actual, year)
    if done is None:
        return None
    if target.get("kind") == "deadline":
        if done.get("kind") == "deadline" and done.get("date") and target.get("date"):
            return Decimal(1) if done["date"] <= target["date"] else Decimal(0)
        return None
    if target.get("kind") != "quantitative" or done.get("kind") != "quantitative":
        return None
    if target.get("unit") and done.get("unit") and target["unit"] != done["unit"]:
        return None
    goal, reached = decimal_of(target.get("number")), decimal_of(done.get("number"))
    if goal is None or reached is None:
        return None
    if target.get("op") in CEILINGS:
        ratio = Decimal(1) if reached <= goal else (goal / reached if reached else Decimal(1))
    else:
        ratio = Decimal(1) if reached >= goal else (reached / goal if goal else Decimal(1))
    return min(Decimal(1), max(Decimal(0), ratio))


def indicator_score(weight: Any, target: dict[str, Any] | None, actual: str | None, year: int | None) -> Decimal | None:
    """An indicator's score by the rules; None where the unit scores it."""
    points = decimal_of(weight)
    share = achievement(target, actual, year)
    if points is None or share is None:
        return None
    return rounded(points * share)


def execution_rate(executed: Any, budget: Any) -> Decimal | None:
    """执行率 in percent (executed / budget × 100), to the hundredth; None without both or a zero budget."""
    done, planned = decimal_of(executed), decimal_of(budget)
    if done is None or planned is None or planned == 0:
        return None
    return rounded(done / planned * 100)


def funds_score(weight: Any, executed: Any, budget: Any) -> Decimal | None:
    """The funds' score: 分值 × min(1, 执行率)."""
    points, done, planned = decimal_of(weight), decimal_of(executed), decimal_of(budget)
    if points is None or done is None or planned is None or planned == 0:
        return None
    return rounded(points * min(Decimal(1), done / planned))


def split_weights(total: Decimal, count: int) -> list[Decimal]:
    """`total` 分 split evenly over `count` indicators, to the hundredth, the last taking what rounding
    left over, so the parts add up exactly (50 over 3: 16.67, 16.67, 16.66)."""
    if count <= 0:
        return []
    part = rounded(total / count)
    return [part] * (count - 1) + [total - part * (count - 1)]
