"""The demo's year after the targets: the office approves every accepted target return; the
运行监控表 (1-7月) is generated from the approved targets, filled as units fill it (a little behind
schedule; one indicator unlikely to be met, its cause not given), collected and consolidated into
监控汇总; after the year the 自评表 likewise (most targets reached, one short), into 自评汇总."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from xlsxkit.cycle.collect import CollectReport, collect
from xlsxkit.cycle.consolidate import Summary
from xlsxkit.cycle.decisions import APPROVED, review
from xlsxkit.cycle.follow_on_targets import approved_targets
from xlsxkit.cycle.ledger import ACCEPTED, Ledger
from xlsxkit.cycle.office_steps import write_summary
from xlsxkit.form.cell_values import record_number
from xlsxkit.form.scoring import decimal_of, execution_rate, funds_score, indicator_score
from xlsxkit.template.load import find_template
from xlsxkit.write.generate import UnitRecords, follow_on_groups, generate_prefilled

OFFICE = "demo"  # who approves in the demo


@dataclass
class YearReport:
    """What the rest of the year made: approvals, and per later form its collection and summary."""

    approved: list[str] = field(default_factory=list)
    collected: dict[str, CollectReport] = field(default_factory=dict)
    summaries: dict[str, Summary] = field(default_factory=dict)


def run_year(targets_db: Path, units: list[dict[str, Any]], out_dir: Path, at: dt.datetime | None) -> YearReport:
    """Approve the accepted targets of the ledger `targets_db` — in a copy, out_dir/targets.sqlite —
    then monitor and self-evaluate them (see the module's text)."""
    report = YearReport()
    moment = at or dt.datetime.now()
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(targets_db, out_dir / "targets.sqlite")
    with Ledger(out_dir / "targets.sqlite") as targets:
        for latest in targets.latest_returns().values():
            if latest.outcome in ACCEPTED:
                review(targets, latest.unit_code, APPROVED, by=OFFICE, at=moment)
                report.approved.append(latest.unit_code)
        approved = list(approved_targets(targets))
    if not approved:
        return report
    year = approved[0].get("year")
    for form, fill, summary in (
        ("monitor", filled_monitor, "监控汇总.xlsx"),
        ("self-evaluation", filled_self_evaluation, "自评汇总.xlsx"),
    ):
        template = find_template(form)
        groups = follow_on_groups(approved, template, as_of=f"{year}-07")
        inbox = out_dir / f"{form}-inbox"
        for number, group in enumerate(groups):
            returned = [fill(record, careless=number == 0) for record in group.records]
            generate_prefilled(template, [UnitRecords(group.unit, returned)], None, inbox, generated_at=at)
        with Ledger(out_dir / f"{form}.sqlite") as ledger:
            ledger.set_units(units)
            report.collected[form] = collect(inbox, ledger)
            report.summaries[form] = write_summary(ledger, out_dir / summary)
    return report


def _quantity(item: dict[str, Any], share: str) -> str | None:
    """A quantitative 指标值's number times `share`, as a unit writes a result ("3次"); None otherwise."""
    parsed = item.get("parsed") or {}
    number = decimal_of(parsed.get("number"))
    if parsed.get("kind") != "quantitative" or number is None:
        return None
    if parsed.get("unit") == "%" or parsed.get("op") in ("<=", "<"):
        value = number  # a share or a ceiling: met as it stands
    elif number == number.to_integral_value():
        value = (number * Decimal(share)).quantize(Decimal(1), ROUND_CEILING)  # counts are whole
    else:
        value = (number * Decimal(share)).normalize()
    return f"{value}{parsed.get('unit') or ''}"


def filled_monitor(record: dict[str, Any], *, careless: bool = False) -> dict[str, Any]:
    """A monitoring record as a unit fills it at mid-year: 60 % of the budget spent, each quantity
    at 60 % of its target, the last indicator unlikely to be met — with its cause, unless `careless`."""
    budget = decimal_of(record["funds"]["budget"]) or Decimal(0)
    executed = (budget * Decimal("0.6")).quantize(Decimal("0.01"))
    rate = execution_rate(executed, budget)
    record["funds"].update(
        executed=f"{executed}", rate=str(rate) if rate is not None else None, forecast=f"{budget:.2f}"
    )
    record["goals"]["progress"] = "按计划推进，上半年完成主要工作。"
    for item in record["indicators"]:
        item.update(actual=_quantity(item, "0.6") or "正在推进", forecast=item["value"], likelihood="确定能")
    if record["indicators"]:
        last = record["indicators"][-1]
        last["likelihood"] = "有可能"
        if not careless:
            last.update(causes=["人员保障"], reason="服务人员调整，下半年补充到位。")
    return record


def filled_self_evaluation(record: dict[str, Any], *, careless: bool = False) -> dict[str, Any]:
    """A self-evaluation as a unit fills it after the year: 96 % of the budget spent, every target
    reached but the first quantity (half of it) — explained, unless `careless` — scored by the rules."""
    total = record["funds"]["rows"]["total"]
    initial = decimal_of(total["initial"]) or Decimal(0)
    executed = (initial * Decimal("0.96")).quantize(Decimal("0.01"))
    total.update(adjusted=f"{initial:.2f}", executed=f"{executed}")
    rate = execution_rate(executed, initial)
    points = funds_score(record["funds"]["weight"], executed, initial)
    record["funds"].update(rate=str(rate) if rate is not None else None, score=_number(points))
    record["goals"]["achieved"] = "全年目标基本完成。"
    short = next((i for i, item in enumerate(record["indicators"]) if _quantity(item, "1")), None)
    scores = [points or Decimal(0)]
    for i, item in enumerate(record["indicators"]):
        item["actual"] = _quantity(item, "0.5" if i == short else "1") or "已完成"
        if i == short and not careless:
            item["reason"] = "部分工作受客观因素影响推迟，已纳入下年度计划。"
        score = indicator_score(item["weight"], item["parsed"], item["actual"], record["year"])
        item["score"] = _number(score) if score is not None else item["weight"]
        scores.append(decimal_of(item["score"]) or Decimal(0))
    record["total_score"] = _number(sum(scores, Decimal(0)))
    return record


def _number(value: Decimal | None) -> int | float | None:
    return None if value is None else record_number(value)
