"""What a form generated from targets computes and signals by itself while a unit types:
序时进度 lights on a monitoring form (执行率, and the 当前完成值 of each cumulative indicator,
against X/12 of the year: form/schedule) and each quantitative indicator's proposed 得分 on a
self-evaluation (form/scoring's rule as an Excel formula in the open 得分 cell, which the unit may
overwrite). Formulas are built from the template's layout and the target's own numbers, never
from a unit's text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.form.excel import column_letter
from xlsxkit.form.schedule import YELLOW_FROM, is_cumulative, time_share
from xlsxkit.form.scoring import CEILINGS, decimal_of, indicator_score
from xlsxkit.template.layout import ColumnPlace, SheetLayout
from xlsxkit.template.model import Template
from xlsxkit.write.formats import FormatCache

LIGHT_FILLS = (  # 绿, 黄, 红: Excel's "good", "neutral" and "bad" cell styles
    {"bg_color": "#C6EFCE", "font_color": "#006100"},
    {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
)


def write_follow_on_cells(
    workbook: Workbook,
    sheet: Worksheet,
    formats: FormatCache,
    template: Template,
    sheet_layout: SheetLayout,
    record: dict[str, Any],
) -> None:
    """The lights of a monitoring form, the 得分 proposals of a self-evaluation (forms generated from
    targets only: a blank form has no target to measure against)."""
    if not record.get("target"):
        return
    if template.form == "monitor":
        _schedule_lights(workbook, sheet, sheet_layout, record)
    elif template.form == "self_evaluation":
        _score_proposals(sheet, formats, sheet_layout, record)


def _cell(row: int, col: int) -> str:
    return f"{column_letter(col + 1)}{row + 1}"


def number_in(reference: str, unit: str | None) -> str:
    """An Excel expression for the number a unit typed as text in `reference` ("20 次", "96%", "1,200")."""
    text = f"TRIM({reference})"
    for part in dict.fromkeys(p for p in (unit, "%", ",") if p):
        text = f'SUBSTITUTE({text},"{_quoted(part)}","")'
    return f"VALUE({text})"


def _quoted(text: str) -> str:
    return text.replace('"', '""')


def _decimal(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _lights(workbook: Workbook, sheet: Worksheet, row: int, col: int, value: str, expected: str) -> None:
    """Three conditional formats on one cell: `value` against `expected` (Excel expressions)."""
    yellow = f"{expected}*{_decimal(YELLOW_FROM)}"
    conditions = (
        f"{value}>={expected}",
        f"AND({value}>={yellow},{value}<{expected})",
        f"{value}<{yellow}",
    )
    for condition, fill in zip(conditions, LIGHT_FILLS, strict=True):
        criteria = f"=IFERROR({condition},FALSE)"
        sheet.conditional_format(
            row, col, row, col, {"type": "formula", "criteria": criteria, "format": workbook.add_format(fill)}
        )


def _schedule_lights(workbook: Workbook, sheet: Worksheet, sheet_layout: SheetLayout, record: dict[str, Any]) -> None:
    share = time_share(record.get("as_of"))
    if share is None:
        return
    month = str(record["as_of"])[5:7].lstrip("0")
    rate = sheet_layout.field("funds.rate")
    if rate is not None:
        reference = _cell(rate.box.row, rate.box.col)
        value = f"IF(ISNUMBER({reference}),{reference},NA())"
        _lights(workbook, sheet, rate.box.row, rate.box.col, value, f"{month}/12")
    table = sheet_layout.table("indicators")
    actual = table.column("actual") if table is not None else None
    if table is None or actual is None:
        return
    for i, item in enumerate(record.get("indicators") or []):
        if not isinstance(item, dict) or not is_cumulative(item):
            continue
        target = decimal_of(item["parsed"]["number"])
        if target is None:
            continue
        row = table.first_row + i
        reference = _cell(row, actual.col)
        value = f'IF({reference}="",NA(),{number_in(reference, item["parsed"].get("unit"))})'
        _lights(workbook, sheet, row, actual.col, value, f"{_decimal(target)}*{month}/12")


def _score_proposals(sheet: Worksheet, formats: FormatCache, sheet_layout: SheetLayout, record: dict[str, Any]) -> None:
    table = sheet_layout.table("indicators")
    if table is None:
        return
    actual, weight, score = (table.column(key) for key in ("actual", "weight", "score"))
    if actual is None or weight is None or score is None:
        return
    fmt = formats.get("input", score.type, locked=False)
    for i, item in enumerate(record.get("indicators") or []):
        formula = _proposal(table.first_row + i, item, actual, weight)
        if formula is None:
            continue
        proposed = indicator_score(item.get("weight"), item.get("parsed"), item.get("actual"), record.get("year"))
        cached: Any = float(proposed) if proposed is not None else ""
        sheet.write_formula(table.first_row + i, score.col, formula, fmt, cached)


def _proposal(row: int, item: Any, actual: ColumnPlace, weight: ColumnPlace) -> str | None:
    """The proposed 得分 of a quantitative indicator: 分值 × min(1, 实际/目标) (目标/实际 for a
    ceiling), blank until 实际完成值 and 分值 are filled; None for other indicators."""
    parsed = item.get("parsed") if isinstance(item, dict) else None
    if not isinstance(parsed, dict) or parsed.get("kind") != "quantitative":
        return None
    target = decimal_of(parsed.get("number"))
    if target is None or target <= 0:
        return None
    done, points = _cell(row, actual.col), _cell(row, weight.col)
    value, goal = number_in(done, parsed.get("unit")), _decimal(target)
    share = f"IF({value}<={goal},1,{goal}/{value})" if parsed.get("op") in CEILINGS else f"MAX(0,{value}/{goal})"
    return f'=IF(OR(TRIM({done})="",{points}=""),"",IFERROR(ROUND({points}*MIN(1,{share}),2),""))'
