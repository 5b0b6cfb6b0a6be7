"""The checks of the forms that follow the targets (docs/record.md, "The rest of the year"):
each indicator's own columns filled, 偏差原因 where a monitored indicator will or does fall
short, the 序时进度 of budget execution, and a self-evaluation's scoring — 分值 adding up to 100,
每项得分 within its 分值, a unit's 得分 more than 0.5 from the rules' a warning (the office
decides), a reason for every target not reached. Rules have the signature of rules.py's."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from xlsxkit.form.errors import Code, Finding
from xlsxkit.form.schedule import is_cumulative, time_share
from xlsxkit.form.scoring import SCORE_TOLERANCE, achievement, decimal_of, rounded
from xlsxkit.read.sheet_record import SheetRecord
from xlsxkit.template.layout import SheetLayout
from xlsxkit.template.model import Template

UNLIKELY = ("有可能", "完全不可能")
SELF_EVALUATION_RATE = Decimal(90)  # 执行率 below this calls for an explanation


def follow_on_rules(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """Every check of a monitoring or self-evaluation record (nothing for the other forms)."""
    if template.form == "monitor":
        yield from _monitor_rows(read, template, layout)
        yield from _monitor_funds(read)
    elif template.form == "self_evaluation":
        yield from _evaluation_rows(read, layout)
        yield from _evaluation_weights(read)
        yield from _evaluation_funds(read)


def _rows(read: SheetRecord) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, item in enumerate(read.record.get("indicators") or []):
        if isinstance(item, dict) and item.get("level3"):
            yield f"indicators[{i}]", item


def _headers(layout: SheetLayout) -> dict[str, str]:
    table = layout.table("indicators")
    return {column.key: column.header for column in table.columns} if table is not None else {}


def _missing(
    read: SheetRecord, path: str, item: dict[str, Any], keys: tuple[str, ...], headers: dict[str, str]
) -> Iterator[Finding]:
    """Each of the row's `keys` the form has a column for, filled."""
    for key in keys:
        if key in headers and item.get(key) in (None, [], ""):
            yield read.finding(Code.C_ROW_VALUE_MISSING, f"{path}.{key}", level3=item["level3"], column=headers[key])


# --- 运行监控 -----------------------------------------------------------------------------------


def _monitor_rows(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    headers = _headers(layout)
    year = read.record.get("year")
    share = time_share(read.record.get("as_of"))
    allowed = next(
        (template.lists.get(c.list or "", []) for t in layout.tables for c in t.columns if c.key == "causes"), []
    )
    for path, item in _rows(read):
        yield from _missing(read, path, item, ("actual", "likelihood"), headers)
        why = _short_of_target(item, year, share)
        causes = item.get("causes") or []
        if why and not causes and "causes" in headers:
            yield read.finding(Code.C_CAUSES_REQUIRED, f"{path}.causes", level3=item["level3"], why=why)
        if causes and not item.get("reason") and "reason" in headers:
            yield read.finding(
                Code.C_ROW_VALUE_MISSING, f"{path}.reason", level3=item["level3"], column=headers["reason"]
            )
        for cause in causes:
            if allowed and cause not in allowed:
                yield read.finding(
                    Code.C_NOT_IN_LIST,
                    f"{path}.causes",
                    value=cause,
                    label=headers.get("causes", "偏差原因"),
                    allowed="、".join(allowed),
                )


def _short_of_target(item: dict[str, Any], year: int | None, share: Decimal | None) -> str:
    """Why an indicator needs its 偏差原因 ("" where it does not)."""
    likelihood = item.get("likelihood")
    if likelihood in UNLIKELY:
        return f"完成目标可能性为「{likelihood}」"
    forecast = item.get("forecast")
    reached = achievement(item.get("parsed"), forecast, year)
    if reached is not None and reached < 1:
        return f"全年预计完成「{forecast}」未达到年度指标值「{item.get('value')}」"
    if share is not None and is_cumulative(item):
        done = achievement(item.get("parsed"), item.get("actual"), year)
        if done is not None and done < share:
            expected = rounded(Decimal(str(item["parsed"]["number"])) * share)
            return f"当前完成值「{item.get('actual')}」低于序时进度（应达到 {format(expected.normalize(), 'f')}）"
    return ""


def _monitor_funds(read: SheetRecord) -> Iterator[Finding]:
    funds = read.record.get("funds") or {}
    share = time_share(read.record.get("as_of"))
    rate = decimal_of(funds.get("rate"))
    if share is None or rate is None:
        return
    expected = rounded(share * 100)
    if rate < expected:
        yield read.finding(
            Code.C_RATE_BELOW_SCHEDULE,
            "funds.executed",
            rate=_plain(rate),
            expected=f"序时进度 {_plain(expected)}%",
            place="目标完成情况",
        )


# --- 绩效自评 -----------------------------------------------------------------------------------


def _evaluation_rows(read: SheetRecord, layout: SheetLayout) -> Iterator[Finding]:
    headers = _headers(layout)
    year = read.record.get("year")
    computed = (read.record.get("computed") or {}).get("scores") or []
    for index, (path, item) in enumerate(_rows(read)):
        yield from _missing(read, path, item, ("actual", "weight", "score"), headers)
        weight, score = decimal_of(item.get("weight")), decimal_of(item.get("score"))
        if score is not None and (score < 0 or (weight is not None and score > weight)):
            yield read.finding(
                Code.C_SCORE_OUT_OF_RANGE,
                f"{path}.score",
                level3=item["level3"],
                score=_plain(score),
                weight=_plain(weight) if weight is not None else "—",
            )
        rule = decimal_of(computed[index]) if index < len(computed) else None
        if score is not None and rule is not None and abs(score - rule) > SCORE_TOLERANCE:
            yield read.finding(
                Code.C_SCORE_DIFFERS,
                f"{path}.score",
                level3=item["level3"],
                score=_plain(score),
                computed=_plain(rule),
                difference=_plain(abs(score - rule)),
            )
        reached = achievement(item.get("parsed"), item.get("actual"), year)
        if reached is not None and reached < 1 and not item.get("reason") and "reason" in headers:
            why = f"实际完成值「{item.get('actual')}」未达到年度指标值「{item.get('value')}」"
            yield read.finding(Code.C_REASON_REQUIRED, f"{path}.reason", level3=item["level3"], why=why)


def _evaluation_weights(read: SheetRecord) -> Iterator[Finding]:
    funds = decimal_of((read.record.get("funds") or {}).get("weight"))
    weights = [decimal_of(item.get("weight")) for _, item in _rows(read)]
    if funds is None or any(weight is None for weight in weights):
        return  # a blank 分值 is reported as such
    indicators = sum((w for w in weights if w is not None), Decimal(0))
    if funds + indicators != 100:
        yield read.finding(
            Code.C_WEIGHTS_NOT_100,
            "funds.weight",
            total=_plain(funds + indicators),
            funds=_plain(funds),
            indicators=_plain(indicators),
        )


def _evaluation_funds(read: SheetRecord) -> Iterator[Finding]:
    rate = decimal_of((read.record.get("funds") or {}).get("rate"))
    if rate is not None and rate < SELF_EVALUATION_RATE:
        yield read.finding(
            Code.C_RATE_BELOW_SCHEDULE,
            "funds.rows.total.executed",
            rate=_plain(rate),
            expected=f" {_plain(SELF_EVALUATION_RATE)}%",
            place="实际完成情况和偏差原因分析",
        )


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")
