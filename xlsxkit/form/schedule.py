"""序时进度: how far along a project should be at the month monitored (X/12 of the year), and the
traffic light of a value against it. One definition for the workbook's conditional formats, the
reader's checks and the 监控汇总."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

YELLOW_FROM = Decimal("0.9")  # at least 90 % of where it should be: yellow; below: red
LIGHTS = ("绿", "黄", "红")
QUANTITY_LEVEL2 = "数量指标"


def time_share(as_of: str | None) -> Decimal | None:
    """The share of the year passed at the end of the month monitored ("2026-07" → 7/12)."""
    if not as_of or len(as_of) < 7 or not as_of[5:7].isdigit():
        return None
    month = int(as_of[5:7])
    return Decimal(month) / 12 if 1 <= month <= 12 else None


def is_cumulative(indicator: dict[str, Any]) -> bool:
    """An indicator whose value accumulates over the year (a 数量指标 with a floor and a unit that
    is not a share: "≥32 次"), so that by month X it should stand at X/12 of its target."""
    parsed = indicator.get("parsed") or {}
    return (
        indicator.get("level2") == QUANTITY_LEVEL2
        and parsed.get("kind") == "quantitative"
        and parsed.get("op") in (">=", ">", "=")
        and parsed.get("unit") not in ("%", "‰")
        and parsed.get("number") is not None
    )


def light(reached: Decimal, expected: Decimal) -> str:
    """绿 where `reached` is at least `expected`, 黄 at 90 % of it, 红 below."""
    if reached >= expected:
        return LIGHTS[0]
    return LIGHTS[1] if reached >= expected * YELLOW_FROM else LIGHTS[2]
