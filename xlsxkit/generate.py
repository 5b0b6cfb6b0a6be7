"""Generate one workbook per unit: blank from a roster, or prefilled from records.

Each workbook is written to a temporary file and renamed into place, so an interrupted
run never leaves half a workbook. Problems with one unit are reported and the batch goes on.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .atomic import atomic_path
from .cell_values import CellValueError, to_cell
from .errors import Code, Problem
from .layout import Layout, compile_layout
from .record import FIELD_TYPES, TABLE_COLUMNS, get_path
from .stamp import generation_time, make_stamp
from .template import Template
from .write import SheetContent, render_text, write_workbook

FORBIDDEN_IN_FILE_NAMES = set('<>:"/\\|?*') | {chr(c) for c in range(32)}


@dataclass
class Generated:
    path: Path
    unit: dict[str, Any]
    sheets: int


@dataclass
class GenerateReport:
    files: list[Generated] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class UnitRecords:
    unit: dict[str, Any]
    records: list[dict[str, Any]]


def generate_blank(
    template: Template, units: Iterable[dict[str, Any]], year: int, out_dir: Path,
    projects: int | None = None, password: str | None = None, generated_at: dt.datetime | None = None,
) -> GenerateReport:
    layout = compile_layout(template)
    count = projects or template.projects
    sheets = [SheetContent(index, None) for index in range(1, count + 1)]
    report = GenerateReport()
    moment = generation_time(generated_at)
    for unit in units:
        stamp = make_stamp(template, unit, year, {"blank": count}, moment)
        _write_one(layout, unit, year, sheets, stamp, out_dir, password or template.password, report)
    return report


def generate_prefilled(
    template: Template, groups: Iterable[UnitRecords], year: int | None, out_dir: Path,
    password: str | None = None, generated_at: dt.datetime | None = None,
) -> GenerateReport:
    layout = compile_layout(template)
    report = GenerateReport()
    moment = generation_time(generated_at)
    for group in groups:
        form_year = year or group.records[0].get("year") or moment.year
        report.problems += unplaced_values(layout, group)
        sheets = [SheetContent(index, record) for index, record in enumerate(group.records, start=1)]
        stamp = make_stamp(template, group.unit, form_year, group.records, moment)
        _write_one(layout, group.unit, form_year, sheets, stamp, out_dir, password or template.password, report)
    return report


def _write_one(
    layout: Layout, unit: dict[str, Any], year: int, sheets: list[SheetContent], stamp: Any,
    out_dir: Path, password: str | None, report: GenerateReport,
) -> None:
    template = layout.template
    try:
        name = render_text(template.file_name, {"unit": unit, "year": year, "template": {"id": template.id}})
    except jinja2.TemplateError as error:
        report.problems.append(Problem(Code.G_RENDER, f"{unit.get('code')}", {"unit": unit.get("code"), "detail": error}))
        return
    if not name.strip() or set(name) & FORBIDDEN_IN_FILE_NAMES or name.strip(". ") != name.strip():
        report.problems.append(Problem(Code.G_OUTPUT_NAME, f"{unit.get('code')}", {"name": name}))
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / name
    other = next((g.unit.get("code") for g in report.files if g.path == target), None)
    if other is not None:
        report.problems.append(Problem(Code.G_OUTPUT_TAKEN, f"{unit.get('code')}", {
            "unit": unit.get("code"), "name": name, "other": other,
        }))
        return
    try:
        with atomic_path(target) as temporary:
            write_workbook(str(temporary), layout, stamp, unit, sheets, password)
    except (jinja2.TemplateError, CellValueError) as error:
        report.problems.append(Problem(Code.G_RENDER, f"{unit.get('code')}", {"unit": unit.get("code"), "detail": error}))
        return
    report.files.append(Generated(path=target, unit=unit, sheets=len(sheets)))


def read_record_groups(
    path: Path, template: Template, only_template: str | None = None,
) -> tuple[list[UnitRecords], list[Problem]]:
    """Records of a JSONL file grouped by unit code, in file order; bad lines are reported
    with their line number and left out of the batch. `only_template` keeps just the records
    made with that template id (the others are passed over without a word)."""
    groups: dict[str, UnitRecords] = {}
    problems: list[Problem] = []
    with Path(path).open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(Problem(Code.G_RECORD_JSON, where, {"line": number, "detail": error.msg}))
                continue
            if only_template and isinstance(record, dict) and (record.get("template") or {}).get("id") != only_template:
                continue
            problem = _record_shape_problem(record, template, number, where)
            if problem is not None:
                problems.append(problem)
                continue
            value_problems = _record_value_problems(record, template, number, where)
            if value_problems:
                problems += value_problems
                continue
            unit = record["unit"]
            code = str(unit["code"])
            group = groups.setdefault(code, UnitRecords(unit={"code": code, "name": unit.get("name") or ""}, records=[]))
            group.records.append(record)
    return list(groups.values()), problems


def _record_shape_problem(record: Any, template: Template, number: int, where: str) -> Problem | None:
    if not isinstance(record, dict):
        return Problem(Code.G_RECORD_SHAPE, where, {"line": number, "key": "JSON 对象"})
    for key in ("form", "unit"):
        if key not in record:
            return Problem(Code.G_RECORD_SHAPE, where, {"line": number, "key": key})
    if not isinstance(record["unit"], dict) or not record["unit"].get("code"):
        return Problem(Code.G_RECORD_SHAPE, where, {"line": number, "key": "unit.code"})
    if record["form"] != template.form:
        return Problem(Code.G_RECORD_FORM, where, {
            "line": number, "form": record["form"], "template": template.id, "expected": template.form,
        })
    return None


def _record_value_problems(record: dict[str, Any], template: Template, number: int, where: str) -> list[Problem]:
    """Values that cannot be written into their typed cells (a money that is not a number…)."""
    layout = compile_layout(template)
    problems = []
    for place in layout.sheet().fields:
        value = get_path(record, place.key)
        try:
            to_cell(place.type, value, template.money_unit)
        except CellValueError as error:
            problems.append(Problem(Code.G_RECORD_VALUE, where, {"line": number, "key": place.key, "value": value, "detail": str(error)}))
    return problems


def unplaced_values(layout: Layout, group: UnitRecords) -> list[Problem]:
    """A warning for every non-null record value the template has no cell for."""
    sheet = layout.sheet()
    placed = {f.key for f in sheet.fields}
    columns = {t.bind: {c.key for c in t.columns} for t in sheet.tables}
    problems = []
    for record in group.records:
        keys = [k for k in FIELD_TYPES[layout.template.form] if k not in placed and get_path(record, k) is not None]
        for bind, allowed in TABLE_COLUMNS[layout.template.form].items():
            items = record.get(bind) or []
            if items and bind not in columns:
                keys.append(bind)  # the whole list has no table
                continue
            for item in items:
                if isinstance(item, dict):
                    keys += [f"{bind}[].{k}" for k in allowed if item.get(k) is not None and k not in columns[bind]]
        for key in dict.fromkeys(keys):
            problems.append(Problem(Code.G_RECORD_UNPLACED, str(group.unit.get("code")), {
                "unit": group.unit.get("code"), "project": (record.get("project") or {}).get("name") or "", "key": key,
                "template": layout.template.id,
            }))
    return problems
