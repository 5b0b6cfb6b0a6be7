"""The records of the forms that follow the targets in the year — 运行监控表 and 自评表 — made from
approved target records (docs/record.md, "The rest of the year"): the project, the budget, the
annual goal and every indicator's levels and 指标值 copied, a link back to the target
(`target.sha256`), the execution columns blank for the unit. A self-evaluation also gets each
indicator's proposed 分值 (the template's `scoring`, split evenly within each 一级). And what a
generated sheet keeps of its target (`target_link`), so the reader finds a copied cell changed."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from xlsxkit.form.cell_values import record_number
from xlsxkit.form.record import SELF_EVALUATION_FUND_ROWS, blank_record, get_path, record_sha256
from xlsxkit.form.scoring import split_weights
from xlsxkit.form.stamp import TargetLink
from xlsxkit.template.layout import SheetLayout
from xlsxkit.template.model import Template


def default_as_of(template: Template, year: int | None) -> str:
    """The month a monitoring form is for unless told: July (the usual 1-7月 of 双监控); "" for other forms."""
    return f"{year}-07" if template.form == "monitor" and year else ""


def follow_on_record(target: dict[str, Any], template: Template, *, as_of: str | None = None) -> dict[str, Any]:
    """The monitor or self-evaluation record generated from one target (project) record."""
    record = blank_record(template.form)
    record["template"] = {"id": template.id, "version": template.version}
    record["year"] = target.get("year")
    record["unit"] = dict(target.get("unit") or {})
    record["department"] = copy.deepcopy(target.get("department"))
    record["implementing_unit"] = target.get("implementing_unit")
    record["project"] = {**record["project"], **copy.deepcopy(target.get("project") or {})}
    record["target"] = {"sha256": record_sha256(target), "template": dict(target.get("template") or {})}
    if template.form == "monitor":
        record["as_of"] = as_of
    annual = (target.get("funds") or {}).get("annual") or {}
    record["funds"]["source_unit"] = template.money_unit.value if template.money_unit else None
    record["goals"]["annual"] = (target.get("goals") or {}).get("annual")
    indicators = [item for item in target.get("indicators") or [] if isinstance(item, dict)]
    if template.form == "monitor":
        record["funds"]["budget"] = annual.get("total")
        record["indicators"] = [_monitored(item) for item in indicators]
    else:
        for row in SELF_EVALUATION_FUND_ROWS:  # 年初预算数: the target's annual funds of the same name
            record["funds"]["rows"][row]["initial"] = annual.get(row)
        record["funds"]["weight"] = record_number(Decimal(str(template.weights.funds)))
        record["indicators"] = _evaluated(indicators, template)
    return record


def _copied(item: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(item.get(key)) for key in ("level1", "level2", "level3", "value", "parsed")}


def _monitored(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("actual", "forecast", "likelihood", "causes", "reason", "note")
    return {**_copied(item), **dict.fromkeys(keys)}


def _evaluated(indicators: list[dict[str, Any]], template: Template) -> list[dict[str, Any]]:
    """Each indicator with its proposed 分值: its 一级's share split evenly (blank under a 一级 the
    scoring does not weigh, for the unit to set)."""
    weights = template.weights.level1
    counts: dict[str, int] = {}
    for item in indicators:
        counts[item.get("level1") or ""] = counts.get(item.get("level1") or "", 0) + 1
    shares = {
        level1: split_weights(Decimal(str(weights[level1])), count)
        for level1, count in counts.items()
        if level1 in weights
    }
    rows = []
    for item in indicators:
        parts = shares.get(item.get("level1") or "")
        weight = record_number(parts.pop(0)) if parts else None
        rows.append({**_copied(item), "actual": None, "weight": weight, "score": None, "reason": None})
    return rows


def target_link(record: dict[str, Any], sheet_layout: SheetLayout) -> TargetLink:
    """What a sheet generated from a target record keeps of it: the record's link (`target`) and the
    value of every copied cell, by record path, so the reader finds any that was changed."""
    copied = {place.key: get_path(record, place.key) for place in sheet_layout.fields if place.copied}
    for table in sheet_layout.tables:
        for i, item in enumerate(record.get(table.bind) or []):
            for column in table.columns:
                if column.copied and isinstance(item, dict):
                    copied[f"{table.bind}[{i}].{column.key}"] = item.get(column.key)
    target = record["target"]
    return TargetLink(str(target.get("sha256") or ""), dict(target.get("template") or {}), copied)
