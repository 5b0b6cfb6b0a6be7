"""The checks a record read from a return must pass. Each rule is a small function that yields
Findings (code from the catalogue, the cell it is about); `check_record` runs them all.
`implausible_amounts_across` is the one check that needs all the projects of a return.

Rules see the record, where each value came from (`SheetRecord.cells`), the template and its
Layout — never the workbook, so they are tested on plain records. Findings quote money in the
form's own unit (−5 万元 on a 万元 form), as the unit typed it.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Callable, Iterator
from decimal import ROUND_DOWN, Decimal
from typing import Any

from xlsxkit.form.errors import Code, Finding, did_you_mean
from xlsxkit.form.money import MoneyUnit, money_unit_of
from xlsxkit.form.record import FOLLOW_ON_FORMS, SPENDING_MONTHS, ValueType, get_path
from xlsxkit.read.follow_on_rules import follow_on_rules
from xlsxkit.read.form_rules import form_rules
from xlsxkit.read.locate import compact
from xlsxkit.read.sheet_record import SheetRecord
from xlsxkit.template.layout import SheetLayout, TablePlace
from xlsxkit.template.model import RowsBlock, Template

TOLERANCE = Decimal("0.005")  # yuan
PLACEHOLDERS = frozenset(
    {"XX", "XXX", "xx", "xxx", "**", "*", "***", "/", "／", "待定", "-", "—", "无", "略", "?", "？"}
)
QUANTITY_LEVEL2 = frozenset({"数量指标", "质量指标"})
COST = "成本指标"
# The 一级 every indicator table must have (those the form's taxonomy has: 成本指标 is a 一级
# on the MOF form only; 上海's 双星指标 is optional).
REQUIRED_LEVEL1 = ("产出指标", "效益指标", "满意度指标", COST)
INDICATOR_COLUMNS = {"value": "指标值", "overall_value": "中期指标值"}

# What a form's funds must add up to: a total, the parts it is made of (those the form has).
FUND_SUMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("total", ("fiscal", "carryover", "other")),
    ("fiscal", ("superior_subsidy", "own")),
)
PERIOD_NAMES = {"annual": "年度", "overall": "中期"}
FUND_NAMES = {
    "total": "资金总额",
    "fiscal": "财政资金",
    "other": "其他资金",
    "carryover": "上年结转资金",
    "superior_subsidy": "上级补助",
    "own": "本级安排",
}
# Implausible amounts on a 万元 form, most often yuan typed into it (1,200,000 元 read as 120 亿元):
# 100,000 万元 (1 billion yuan) or more, unless the template sets its own `warn_above` for the
# field; or more than 1,000 times the median of the same field in the return's other projects.
IMPLAUSIBLE_WAN = Decimal(100000)
IMPLAUSIBLE_RATIO = Decimal(1000)

Rule = Callable[[SheetRecord, Template, SheetLayout], Iterator[Finding]]


def check_record(read: SheetRecord, template: Template, layout: SheetLayout) -> list[Finding]:
    """Every finding of every rule on one sheet's record (the reader's own findings are not repeated)."""
    return [finding for rule in RULES for finding in rule(read, template, layout)]


def field_label(layout: SheetLayout, key: str) -> str:
    """What the form calls a field: its title (unless the title is a template text), else its key."""
    place = layout.field(key)
    label = place.title if place and place.title and "{" not in place.title else key
    return label.rstrip("：: ")


def _money_unit(template: Template) -> MoneyUnit:
    return money_unit_of(template.money_unit)


def _in_form_unit(yuan: Decimal | str, template: Template) -> str:
    """An amount in yuan as the form shows it, with the decimals it needs and no more:
    "-50000.00" → "-5" on a 万元 form, "585000.00" → "58.5", "1.00" → "0.0001"."""
    amount = Decimal(yuan) / _money_unit(template).factor
    return format(amount.normalize(), "f")


# --- fields -----------------------------------------------------------------------------------


def required_fields(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """Each field the template requires is filled (a wrongly typed value is reported as such instead)."""
    wrong = {f.cell for f in read.findings}  # a wrongly typed value is reported as such, not as missing
    for place in layout.fields:
        if place.required and get_path(read.record, place.key) is None and read.cells.get(place.key) not in wrong:
            yield read.finding(Code.C_REQUIRED, place.key, label=field_label(layout, place.key))


def listed_choices(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """A choice field holds one of its list's values."""
    for place in layout.fields:
        value = get_path(read.record, place.key) if place.list else None
        if place.list and isinstance(value, str) and value not in template.lists.get(place.list, ()):
            allowed = "、".join(template.lists[place.list])
            yield read.finding(
                Code.C_NOT_IN_LIST, place.key, value=value, label=field_label(layout, place.key), allowed=allowed
            )
    for table in layout.tables:
        for column in table.columns:
            if not column.list or not column.strict:
                continue
            allowed_values = template.lists.get(column.list, ())
            for i, item in enumerate(read.record.get(table.bind) or []):
                value = item.get(column.key) if isinstance(item, dict) else None
                if value is not None and value not in allowed_values:
                    yield read.finding(
                        Code.C_NOT_IN_LIST,
                        f"{table.bind}[{i}].{column.key}",
                        value=value,
                        label=column.header,
                        allowed="、".join(allowed_values),
                    )


def negative_money(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """No amount is below zero."""
    for place in layout.fields:
        value = get_path(read.record, place.key) if place.type is ValueType.money else None
        if value is not None and Decimal(value) < 0:
            yield read.finding(
                Code.C_NEGATIVE_MONEY,
                place.key,
                label=field_label(layout, place.key),
                value=_in_form_unit(value, template),
                unit=_money_unit(template),
            )


def funds_add_up(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """The sources of funds add up to their total, per period."""
    on_form = layout.field_keys
    for period in ("annual", "overall"):
        funds = read.record.get("funds", {}).get(period)
        if not funds:
            continue
        for total_key, part_keys in FUND_SUMS:
            parts = [k for k in part_keys if f"funds.{period}.{k}" in on_form]
            if funds.get(total_key) is None or not parts or all(funds.get(k) is None for k in parts):
                continue
            total = Decimal(funds[total_key])
            summed = sum((Decimal(funds[k]) for k in parts if funds.get(k) is not None), Decimal(0))
            if abs(total - summed) > TOLERANCE:
                yield read.finding(
                    Code.C_FUNDS_SUM,
                    f"funds.{period}.{total_key}",
                    total_label=PERIOD_NAMES[period] + FUND_NAMES[total_key],
                    total=_in_form_unit(total, template),
                    parts="、".join(FUND_NAMES[k] for k in parts),
                    sum=_in_form_unit(summed, template),
                    difference=_in_form_unit(total - summed, template),
                    unit=_money_unit(template),
                )


def implausible_amounts(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """A warning on an amount above its field's `warn_above`, or, on a 万元 form without one,
    of 100,000 万元 or more."""
    bounds = _warn_above(template)
    for place in layout.fields:
        value = get_path(read.record, place.key) if place.type is ValueType.money else None
        if value is None:
            continue
        reason = _beyond_bound(Decimal(value), place.key, template, bounds)
        if reason is not None:
            yield _implausible(read, template, layout, place.key, value, reason)


def implausible_amounts_across(
    sheet_records: list[SheetRecord],
    template: Template,
    layout: SheetLayout,
) -> list[Finding]:
    """Warnings, on a 万元 form, on an amount more than 1,000 times the median of the same field in
    the return's other projects (those with an amount above 0 there; with one other project, more
    than 1,000 times that one's). `sheet_records` are all the projects of one return; each finding
    names the sheet and cell of its amount. An amount already beyond its bound (`implausible_amounts`)
    is not reported twice."""
    if template.money_unit is not MoneyUnit.wan:
        return []
    bounds = _warn_above(template)
    keys = [place.key for place in layout.fields if place.type is ValueType.money]
    amounts = {key: [_positive(get_path(read.record, key)) for read in sheet_records] for key in keys}
    findings = []
    for i, read in enumerate(sheet_records):
        for key in keys:
            amount = amounts[key][i]
            others = [a for j, a in enumerate(amounts[key]) if j != i and a is not None]
            if amount is None or not others or _beyond_bound(amount, key, template, bounds) is not None:
                continue
            median = statistics.median(others)
            if amount > IMPLAUSIBLE_RATIO * median:
                times = (amount / median).to_integral_value(ROUND_DOWN)
                whose = "另一个项目" if len(others) == 1 else "其他项目中位数"
                findings.append(_implausible(read, template, layout, key, amount, f"是本工作簿{whose}的 {times} 倍"))
    return findings


def _warn_above(template: Template) -> dict[str, Decimal]:
    """Each money field's own bound (`warn_above`), in the form's unit. (Not cached by the
    template's digest: a bound is no part of it, so that returns already out read with a new one.)"""
    return {
        cell.field: Decimal(repr(cell.warn_above))  # the number as written: 0.1 stays 0.1
        for block in template.body
        if isinstance(block, RowsBlock)
        for row in block.rows
        for cell in row.cells
        if cell.field is not None and cell.warn_above is not None
    }


def _beyond_bound(yuan: Decimal, key: str, template: Template, bounds: dict[str, Decimal]) -> str | None:
    """Why the amount is implausible on its own (a C026 reason), or None."""
    amount = yuan / _money_unit(template).factor
    bound = bounds.get(key)
    if bound is not None:
        return (
            f"超过本表规定的上限 {format(bound.normalize(), 'f')} {_money_unit(template)}" if amount > bound else None
        )
    if template.money_unit is MoneyUnit.wan and amount >= IMPLAUSIBLE_WAN:
        return f"不少于 {IMPLAUSIBLE_WAN} 万元"
    return None


def _positive(value: str | None) -> Decimal | None:
    """An amount projects are compared by: one above 0 (0 says nothing of its unit; a negative
    amount is an error of its own)."""
    if value is None or Decimal(value) <= 0:
        return None
    return Decimal(value)


def _implausible(
    read: SheetRecord,
    template: Template,
    layout: SheetLayout,
    key: str,
    yuan: Decimal | str,
    reason: str,
) -> Finding:
    return read.finding(
        Code.C_IMPLAUSIBLE_AMOUNT,
        key,
        label=field_label(layout, key),
        value=_in_form_unit(yuan, template),
        unit=_money_unit(template),
        reason=reason,
    )


def spending_plan(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """The spending plan (cumulative % by month) never passes 100 %, never falls, and ends at 100 %."""
    plan = read.record.get("spending_plan")
    if not plan:
        return
    previous: tuple[str, Decimal] | None = None
    for month in SPENDING_MONTHS:
        if plan.get(month) is None:
            continue
        value = Decimal(plan[month])
        path = f"spending_plan.{month}"
        if value > 100:
            yield read.finding(Code.C_PLAN_ABOVE_100, path, month=int(month), value=plan[month])
        if previous is not None and value < previous[1]:
            yield read.finding(
                Code.C_PLAN_DECREASING,
                path,
                month=int(month),
                value=plan[month],
                previous_month=int(previous[0]),
                previous=format(previous[1], "f"),
            )
        previous = (month, value)
    if plan.get("12") is not None and Decimal(plan["12"]) != 100:
        yield read.finding(Code.C_PLAN_NOT_100, "spending_plan.12", value=plan["12"])


# --- the indicator table ------------------------------------------------------------------------


def _indicators(read: SheetRecord) -> list[tuple[str, dict[str, Any]]]:
    return [(f"indicators[{i}]", item) for i, item in enumerate(read.record.get("indicators") or [])]


def levels_known(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """Each 一级 and 二级 is one of the template's levels, and each 二级 belongs to its row's 一级."""
    taxonomy = template.taxonomy
    if taxonomy is None:
        return
    for path, item in _indicators(read):
        level1, level2 = item.get("level1"), item.get("level2")
        if level1 is None and level2 is None:
            if item.get("level3"):
                yield read.finding(Code.C_NO_LEVELS, f"{path}.level1", level3=item["level3"])
            continue
        if level1 not in taxonomy.level1:
            yield read.finding(
                Code.C_UNKNOWN_LEVEL1,
                f"{path}.level1",
                value=level1 or "",
                suggestion=did_you_mean(level1 or "", taxonomy.level1),
                allowed="、".join(taxonomy.level1),
            )
            continue
        allowed = taxonomy.level2_of(level1)
        if level2 not in allowed:
            yield read.finding(
                Code.C_LEVEL2_MISMATCH,
                f"{path}.level2",
                level1=level1,
                level2=level2 or "",
                suggestion=did_you_mean(level2 or "", allowed),
                allowed="、".join(allowed),
            )


def every_level1_present(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """产出、效益、满意度 (and 成本 where the form has it as a 一级) each need at least one 三级;
    the finding points at the table's 一级指标 header."""
    table = layout.table("indicators")
    if template.taxonomy is None or table is None or template.form in FOLLOW_ON_FORMS:
        return  # a form that follows the targets has the target's indicators, checked with the target
    present = {item.get("level1") for _, item in _indicators(read) if item.get("level3")}
    for level1 in template.taxonomy.level1:
        if level1 in REQUIRED_LEVEL1 and level1 not in present:
            yield Finding(Code.C_LEVEL1_MISSING, read.sheet, _header_cell(read, table), {"level1": level1})


def _header_cell(read: SheetRecord, table: TablePlace) -> str | None:
    return read.cells.get(f"{table.bind}.header")


def rows_complete(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """Each indicator row has its 三级 and its 指标值, no placeholder text, and no 三级 twice."""
    table = layout.table("indicators")
    if table is None:
        return
    columns = [key for key in INDICATOR_COLUMNS if table.column(key) is not None]
    seen: dict[str, str] = {}
    for path, item in _indicators(read):
        level3 = item.get("level3")
        if not level3:
            yield read.finding(Code.C_NO_LEVEL3, f"{path}.level3")
        for key in columns:
            value = item.get(key)
            if value is None and level3:
                yield read.finding(Code.C_NO_VALUE, f"{path}.{key}", level3=level3, column=INDICATOR_COLUMNS[key])
            elif value is not None and compact(value) in PLACEHOLDERS:
                yield read.finding(Code.C_PLACEHOLDER, f"{path}.{key}", value=value, column=INDICATOR_COLUMNS[key])
        if level3 and compact(level3) in PLACEHOLDERS:
            yield read.finding(Code.C_PLACEHOLDER, f"{path}.level3", value=level3, column="三级指标名称")
        elif level3:
            name = compact(level3)
            if name in seen:
                yield read.finding(Code.C_DUPLICATE_LEVEL3, f"{path}.level3", level3=level3, first=seen[name])
            else:
                seen[name] = read.cells.get(f"{path}.level3", "")


def values_sensible(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:
    """Warnings on what a value says: a 数量/质量 indicator without a number, a share above
    100 %, a lower bound on a cost, a deadline after the project ends or outside the year."""
    if template.form in FOLLOW_ON_FORMS:
        return  # the target's own values, checked when the target was
    year = read.record.get("year")
    end = get_path(read.record, "project.end_date")
    for path, item in _indicators(read):
        parsed, value = item.get("parsed"), item.get("value")
        if not parsed or value is None or compact(value) in PLACEHOLDERS:
            continue
        where = f"{path}.value"
        if item.get("level2") in QUANTITY_LEVEL2 and parsed["kind"] == "qualitative":
            yield read.finding(
                Code.C_QUALITATIVE_QUANTITY,
                where,
                level2=item["level2"],
                level3=item.get("level3") or "",
                value=value,
            )
        if parsed["kind"] == "quantitative" and parsed["unit"] == "%" and parsed["number"] > 100:
            yield read.finding(Code.C_PERCENT_ABOVE_100, where, value=value)
        if COST in (item.get("level1"), item.get("level2")) and parsed["op"] in (">=", ">"):
            yield read.finding(
                Code.C_COST_AT_LEAST, where, level3=item.get("level3") or "", value=value, op=parsed["op"]
            )
        if parsed["kind"] == "deadline" and parsed["date"]:
            yield from _deadline(read, where, parsed["date"], year, end)


def _deadline(read: SheetRecord, where: str, date: str, year: int | None, end: str | None) -> Iterator[Finding]:
    if end and _iso(end) and date > end:
        yield read.finding(Code.C_DEADLINE_AFTER_END, where, date=date, end=end)
    elif year and not date.startswith(f"{year}-"):
        yield read.finding(Code.C_DEADLINE_OUTSIDE_YEAR, where, date=date, year=year)


def _iso(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.match(r"^\d{4}-\d{2}-\d{2}$", text))


RULES: tuple[Rule, ...] = (
    required_fields,
    listed_choices,
    negative_money,
    funds_add_up,
    implausible_amounts,
    spending_plan,
    levels_known,
    every_level1_present,
    rows_complete,
    values_sensible,
    form_rules,  # the template's own 审核公式
    follow_on_rules,  # monitoring and self-evaluation forms
)
