"""A records file (JSON Lines of canonical records, e.g. last year's returns) read for
generating: its records grouped by unit code in file order, each bad line reported with its
number and left out — a line that is not UTF-8 or JSON (G010), not a record of the template's
form (G011), a record of the wrong shape or with a value its cell cannot hold as the reader
would read it back (G014, template.record_values) — while the lines after it are read."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from xlsxkit.form.cell_values import shown_value
from xlsxkit.form.errors import Code, InputError, Problem
from xlsxkit.form.record import FIELD_TYPES, FOLLOW_ON_FORMS, TABLE_COLUMNS, misshapen_parts
from xlsxkit.form.stamp import is_budget_year
from xlsxkit.form.units import codes_by_name
from xlsxkit.template.model import Template
from xlsxkit.template.record_values import record_value_troubles
from xlsxkit.write.follow_on import default_as_of, follow_on_record
from xlsxkit.write.generate import UnitRecords


def read_record_groups(
    path: Path,
    template: Template,
    *,
    only_template: str | None = None,
    roster_units: Sequence[dict[str, Any]] | None = None,
    as_of: str | None = None,
) -> tuple[list[UnitRecords], list[Problem]]:
    """Records of a JSONL file grouped by unit code, in file order; bad lines are reported
    with their line number and left out of the batch. `only_template` keeps just the records
    made with that template id (the others are passed over without a word). With `roster_units`,
    a record whose unit has a name but no code takes the code of the roster unit of that name
    (white space trimmed); with none of that name it lacks unit.code (G011), with several it is G016.
    For a form that follows the targets (monitor, self-evaluation), target (project) records are
    turned into its records (write/follow_on), a monitoring form's for the month `as_of`."""
    groups: dict[str, UnitRecords] = {}
    problems: list[Problem] = []
    names = codes_by_name(roster_units) if roster_units is not None else None
    for number, record in _json_lines(Path(path), problems):
        where = f"{path}:{number}"
        if only_template and isinstance(record, dict) and _template_id(record) != only_template:
            continue
        if names is not None:
            record, problem = _code_from_roster(record, names, number, where)
            if problem is not None:
                problems.append(problem)
                continue
        problem = _record_shape_problem(record, template, number, where)
        if problem is not None:
            problems.append(problem)
            continue
        if template.form in FOLLOW_ON_FORMS and record["form"] == "project":
            keys = [*FIELD_TYPES["project"], "template.id"]
            part_problems = _part_problems(record, keys, TABLE_COLUMNS["project"], number, where)
            if part_problems:  # a target whose parts are of the wrong shape makes no follow-on record
                problems += part_problems
                continue
            month = as_of or default_as_of(template, record.get("year"))
            record = follow_on_record(record, template, as_of=month)
        value_problems = _record_value_problems(record, template, number, where)
        if value_problems:
            problems += value_problems
            continue
        unit = record["unit"]
        code = str(unit["code"])
        group = groups.setdefault(code, UnitRecords(unit={"code": code, "name": unit.get("name") or ""}, records=[]))
        group.records.append(record)
        group.lines.append(number)
    return list(groups.values()), problems


def _json_lines(path: Path, problems: list[Problem]) -> Iterator[tuple[int, Any]]:
    """(line number, value) of every non-blank line of a JSON Lines file that is UTF-8 JSON; a line
    that is not is a G010 problem in `problems`, and the lines after it are read on. A file that is
    no text at all (UTF-16, a workbook given by mistake: NUL bytes) raises InputError naming it."""
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputError([Problem(Code.G_RECORDS_NOT_TEXT, str(path), {})])
    data = data.removeprefix(b"\xef\xbb\xbf")
    for number, raw in enumerate(data.splitlines(), start=1):  # \n, \r\n or \r, as a text file is read
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            detail = f"第 {error.start + 1} 个字节起不是 UTF-8 编码的文字（请把文件另存为 UTF-8）"
            problems.append(Problem(Code.G_RECORD_JSON, f"{path}:{number}", {"line": number, "detail": detail}))
            continue
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(Code.G_RECORD_JSON, f"{path}:{number}", {"line": number, "detail": error.msg}))
        except ValueError as error:  # a number of more digits than Python converts (4,300)
            problems.append(Problem(Code.G_RECORD_JSON, f"{path}:{number}", {"line": number, "detail": str(error)}))
        except RecursionError:
            detail = "JSON 嵌套层数过多"
            problems.append(Problem(Code.G_RECORD_JSON, f"{path}:{number}", {"line": number, "detail": detail}))


def _template_id(record: dict[str, Any]) -> Any:
    made_with = record.get("template")
    return made_with.get("id") if isinstance(made_with, dict) else None


def _code_from_roster(record: Any, names: dict[str, list[str]], number: int, where: str) -> tuple[Any, Problem | None]:
    """The record with the code of the roster unit its unit is named after, where it has a name and no code."""
    unit = record.get("unit") if isinstance(record, dict) else None
    if not isinstance(unit, dict) or unit.get("code") or not isinstance(unit.get("name"), str):
        return record, None
    name = unit["name"].strip()
    codes = names.get(name, []) if name else []
    if len(codes) > 1:
        return record, Problem(
            Code.G_RECORD_NAME_AMBIGUOUS,
            where,
            {
                "line": number,
                "name": name,
                "count": len(codes),
                "codes": "、".join(codes),
            },
        )
    if not codes:
        return record, None  # still without a code: the shape check reports G011
    return {**record, "unit": {**unit, "code": codes[0]}}, None


def _record_shape_problem(record: Any, template: Template, number: int, where: str) -> Problem | None:
    if not isinstance(record, dict):
        return Problem(Code.G_RECORD_SHAPE, where, {"line": number, "key": "JSON 对象"})
    for key in ("form", "unit"):
        if key not in record:
            return Problem(Code.G_RECORD_SHAPE, where, {"line": number, "key": key})
    if not isinstance(record["unit"], dict) or not record["unit"].get("code"):
        return Problem(Code.G_RECORD_SHAPE, where, {"line": number, "key": "unit.code"})
    if record.get("year") is not None and not is_budget_year(record["year"]):  # the reader's rule for a stamp
        detail = "预算年度须为 1900 至 2099 之间的整数年份，如 2026"
        return Problem(
            Code.G_RECORD_VALUE, where, {"line": number, "key": "year", "value": record["year"], "detail": detail}
        )
    if record["form"] != template.form and not (template.form in FOLLOW_ON_FORMS and record["form"] == "project"):
        return Problem(
            Code.G_RECORD_FORM,
            where,
            {
                "line": number,
                "form": record["form"],
                "template": template.id,
                "expected": template.form,
            },
        )
    return None


def _record_value_problems(record: dict[str, Any], template: Template, number: int, where: str) -> list[Problem]:
    """A G014 for each part of the wrong shape and each value its cell cannot hold as the reader
    would read it back (template.record_values)."""
    return [
        Problem(
            Code.G_RECORD_VALUE,
            where,
            {"line": number, "key": t.key, "value": shown_value(t.value), "detail": t.detail},
        )
        for t in record_value_troubles(record, template)
    ]


def _part_problems(
    record: dict[str, Any], keys: Iterable[str], tables: dict[str, tuple[str, ...]], number: int, where: str
) -> list[Problem]:
    """A G014 for each part of a record that is not of the shape the record spec gives it (docs/record.md):
    an object on the way to a field (goals, funds.annual…), a list of objects for a table."""
    return [
        Problem(
            Code.G_RECORD_VALUE,
            where,
            {"line": number, "key": key, "value": shown_value(value), "detail": f"应为{expected}"},
        )
        for key, value, expected in misshapen_parts(record, keys, tables)
    ]
