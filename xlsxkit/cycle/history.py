"""A unit's history: every version it sent, with its outcome and the office's decisions on it, and
what changed from the version before — field by field and indicator by indicator, project by
project ("项目1 预算数 58.50 → 60.00 万元; 指标 +2 −1")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from xlsxkit.cycle.ledger import Ledger, Outcome
from xlsxkit.cycle.office_records import Decision
from xlsxkit.form.money import money_unit_of
from xlsxkit.form.record import FIELD_TYPES, ValueType, get_path
from xlsxkit.template.layout import compile_layout
from xlsxkit.template.load import builtin_template
from xlsxkit.template.model import Template


@dataclass(frozen=True)
class Version:
    """One version a unit sent: when, what became of it, the decisions on it, what it changed."""

    number: int
    received_at: dt.datetime
    path: str
    outcome: Outcome
    errors: int
    warnings: int
    projects: int
    decisions: list[Decision] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def history(ledger: Ledger, unit_code: str) -> list[Version]:
    """Every counting version of the unit, oldest first, each with its changes from the one before."""
    collection = ledger.collection()
    template = builtin_template(collection.template_id) if collection.template_id else None
    decided: dict[int | None, list[Decision]] = {}
    for decision in ledger.decisions():
        if decision.unit_code == unit_code:
            decided.setdefault(decision.receipt_id, []).append(decision)
    versions: list[Version] = []
    before: list[dict[str, Any]] | None = None
    for receipt in ledger.receipts():
        if receipt.unit_code != unit_code or receipt.version is None:
            continue
        counted = ledger.return_of(receipt.id)
        if counted is None:
            continue
        records = list(ledger.records_of([counted.evaluation_id]))
        versions.append(
            Version(
                receipt.version,
                receipt.received_at,
                receipt.path,
                counted.outcome,
                counted.errors,
                counted.warnings,
                counted.projects,
                decided.get(receipt.id, []),
                changes_between(before, records, template) if before is not None else [],
            )
        )
        before = records
    return versions


def changes_between(before: list[dict[str, Any]], after: list[dict[str, Any]], template: Template | None) -> list[str]:
    """What changed from one version's records to the next, a line per project (by sheet)."""
    labels = _labels(template)
    unit = money_unit_of(template.money_unit if template is not None else None)
    old = {_sheet(record): record for record in before}
    new = {_sheet(record): record for record in after}
    lines = []
    for sheet in dict.fromkeys([*old, *new]):
        if sheet not in old:
            lines.append(f"{sheet} 新增：{get_path(new[sheet], 'project.name') or ''}")
            continue
        if sheet not in new:
            lines.append(f"{sheet} 删去：{get_path(old[sheet], 'project.name') or ''}")
            continue
        parts = []
        form = str(new[sheet].get("form") or "project")
        for key, kind in FIELD_TYPES.get(form, {}).items():
            was, now = get_path(old[sheet], key), get_path(new[sheet], key)
            if was != now:
                parts.append(f"{labels.get(key, key)} {_shown(was, kind, unit)} → {_shown(now, kind, unit)}")
        was_items = _indicators(old[sheet])
        now_items = _indicators(new[sheet])
        added = [name for name in now_items if name not in was_items]
        removed = [name for name in was_items if name not in now_items]
        if added or removed:
            named = "".join(f"（+{a}）" for a in added) + "".join(f"（−{r}）" for r in removed)
            parts.append(f"指标 +{len(added)} −{len(removed)}{named}")
        for name in (name for name in now_items if name in was_items):
            for key, label in INDICATOR_LABELS.items():
                was, now = was_items[name].get(key), now_items[name].get(key)
                if was != now:
                    shown = [value if value is not None else "（空）" for value in (was, now)]
                    parts.append(f"指标「{name}」{label} {shown[0]} → {shown[1]}")
        if parts:
            lines.append(f"{sheet} " + "；".join(parts))
    return lines


INDICATOR_LABELS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "description": "指标描述",
    "value": "指标值",
    "basis": "确定依据",
}


def _indicators(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A record's indicators by their 三级 name, in order."""
    return {str(item.get("level3")): item for item in record.get("indicators") or [] if isinstance(item, dict)}


def _sheet(record: dict[str, Any]) -> str:
    source = record.get("source") or {}
    return str(source.get("sheet") or get_path(record, "project.name") or "")


def _labels(template: Template | None) -> dict[str, str]:
    """Each field's label as the form prints it (its key where the label is jinja or absent)."""
    if template is None:
        return {}
    sheet = compile_layout(template).sheet({})
    return {place.key: place.label.rstrip("：: ") for place in sheet.fields if place.label and "{" not in place.label}


def _shown(value: Any, kind: ValueType, unit: Any) -> str:
    if value is None:
        return "（空）"
    if kind is ValueType.money:
        try:
            return f"{Decimal(str(value)) / unit.factor:.2f} {unit}"
        except InvalidOperation:
            return str(value)
    return str(value)
