"""Generate one workbook per unit: blank from a roster, prefilled from records, or both.

Each workbook is written to a temporary file and renamed into place, so an interrupted
run never leaves half a workbook. Problems with one unit are reported and the batch goes on.
"""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from xlsxwriter.exceptions import FileCreateError

from xlsxkit.form.atomic import atomic_path
from xlsxkit.form.cell_values import CellValueError
from xlsxkit.form.errors import Code, Problem
from xlsxkit.form.file_names import (
    FORBIDDEN_IN_FILE_NAMES,
    file_name_part,
    file_name_too_long,
    is_acceptable_file_name,
)
from xlsxkit.form.record import FIELD_TYPES, TABLE_COLUMNS, get_path
from xlsxkit.form.stamp import generation_time, make_stamp
from xlsxkit.template.layout import Layout, compile_layout
from xlsxkit.template.model import Template
from xlsxkit.write.follow_on import default_as_of, follow_on_record
from xlsxkit.write.form_text import render_text, unit_context
from xlsxkit.write.form_writer import SheetContent, write_workbook


@dataclass
class Generated:
    """One workbook written: where, for which unit, with how many project sheets."""

    path: Path
    unit: dict[str, Any]
    sheets: int


@dataclass
class GenerateReport:
    """The workbooks written, and the problems of the units or lines left out."""

    files: list[Generated] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _units_by_path: dict[Path, Any] = field(default_factory=dict, repr=False, compare=False)

    def unit_written_to(self, path: Path) -> tuple[bool, Any]:
        """Whether a workbook of this run was written to `path`, and for which unit code: looked
        up, not searched (a run of 10,000 units would compare every name with every earlier one)."""
        if len(self._units_by_path) != len(self.files):  # files added or joined from elsewhere
            self._units_by_path = {g.path: g.unit.get("code") for g in self.files}
        return path in self._units_by_path, self._units_by_path.get(path)

    def add(self, generated: Generated) -> None:
        """A workbook written."""
        self.unit_written_to(generated.path)  # the index is whole before it grows by one
        self.files.append(generated)
        self._units_by_path[generated.path] = generated.unit.get("code")


@dataclass
class UnitRecords:
    """One unit's records, in file order; `lines` are their line numbers in the records file (when read from one)."""

    unit: dict[str, Any]
    records: list[dict[str, Any]]
    lines: list[int] = field(default_factory=list)


def generate_blank(
    template: Template,
    units: Iterable[dict[str, Any]],
    year: int,
    out_dir: Path,
    *,
    projects: int | None = None,
    password: str | None = None,
    generated_at: dt.datetime | None = None,
    as_of: str | None = None,
) -> GenerateReport:
    """A blank workbook for each unit, with `projects` (else the template's number of) project sheets;
    a monitoring form is for the month `as_of` ("2026-07"; July of `year` by default)."""
    layout = compile_layout(template)
    report = GenerateReport()
    moment = generation_time(generated_at)
    month = as_of or default_as_of(template, year)
    for unit in units:
        _write_blank(layout, unit, year, projects, moment, out_dir, password, report, month)
    return report


def generate_prefilled(
    template: Template,
    groups: Iterable[UnitRecords],
    year: int | None,
    out_dir: Path,
    *,
    password: str | None = None,
    generated_at: dt.datetime | None = None,
) -> GenerateReport:
    """A workbook for each unit of `groups`, one sheet per record. The year on the forms is `year`,
    else the unit's first record's, else the year of the generation time."""
    layout = compile_layout(template)
    report = GenerateReport()
    moment = generation_time(generated_at)
    for group in groups:
        form_year = year or group.records[0].get("year") or moment.year
        _write_prefilled(layout, group.unit, group.records, form_year, moment, out_dir, password, report)
    return report


def generate_for_roster(
    template: Template,
    units: Iterable[dict[str, Any]],
    groups: Iterable[UnitRecords],
    year: int,
    out_dir: Path,
    *,
    projects: int | None = None,
    password: str | None = None,
    generated_at: dt.datetime | None = None,
    records_file: Path | str = "",
) -> GenerateReport:
    """A workbook for every roster unit, in roster order: prefilled with its records where `groups` has
    them, else blank; all for `year`. The roster says who receives a form: records of a unit not on it
    are reported (G015, at `records_file`:line) and get no workbook. The roster's unit (its name and
    other columns) is the one written into the workbook."""
    layout = compile_layout(template)
    report = GenerateReport()
    moment = generation_time(generated_at)
    by_code = {str(group.unit.get("code")): group for group in groups}
    on_roster: set[str] = set()
    for unit in units:
        code = str(unit.get("code"))
        on_roster.add(code)
        group = by_code.get(code)
        if group is None:
            _write_blank(layout, unit, year, projects, moment, out_dir, password, report, default_as_of(template, year))
        else:
            _write_prefilled(layout, unit, group.records, year, moment, out_dir, password, report)
    for code, group in by_code.items():
        if code not in on_roster:
            where = f"{records_file}:{group.lines[0]}" if records_file and group.lines else code
            report.problems.append(
                Problem(
                    Code.G_RECORD_NOT_ON_ROSTER,
                    where,
                    {
                        "unit": code,
                        "name": group.unit.get("name") or "",
                        "count": len(group.records),
                        "lines": "、".join(str(line) for line in group.lines) or "-",
                    },
                )
            )
    return report


def follow_on_groups(
    targets: Iterable[dict[str, Any]], template: Template, *, as_of: str | None = None
) -> list[UnitRecords]:
    """The monitor or self-evaluation records made from target records, grouped by unit in order."""
    groups: dict[str, UnitRecords] = {}
    for target in targets:
        unit = target.get("unit") or {}
        code = str(unit.get("code"))
        month = as_of or default_as_of(template, target.get("year"))
        group = groups.setdefault(code, UnitRecords(unit={"code": code, "name": unit.get("name") or ""}, records=[]))
        group.records.append(follow_on_record(target, template, as_of=month))
    return list(groups.values())


def _write_blank(
    layout: Layout,
    unit: dict[str, Any],
    year: int,
    projects: int | None,
    moment: dt.datetime,
    out_dir: Path,
    password: str | None,
    report: GenerateReport,
    as_of: str = "",
) -> None:
    template = layout.template
    count = projects or template.projects
    sheets = [SheetContent(index, None) for index in range(1, count + 1)]
    stamp = make_stamp(template, unit, year, {"blank": count}, moment, as_of=as_of)
    _write_one(layout, unit, year, sheets, stamp, out_dir, password or template.password, report)


def _write_prefilled(
    layout: Layout,
    unit: dict[str, Any],
    records: list[dict[str, Any]],
    year: int,
    moment: dt.datetime,
    out_dir: Path,
    password: str | None,
    report: GenerateReport,
) -> None:
    template = layout.template
    report.problems += unplaced_values(layout, UnitRecords(unit, records))
    sheets = [SheetContent(index, record) for index, record in enumerate(records, start=1)]
    as_of = next((str(r["as_of"]) for r in records if r.get("as_of")), "")  # a monitoring form's month
    stamp = make_stamp(template, unit, year, records, moment, as_of=as_of)
    _write_one(layout, unit, year, sheets, stamp, out_dir, password or template.password, report)


def _write_one(
    layout: Layout,
    unit: dict[str, Any],
    year: int,
    sheets: list[SheetContent],
    stamp: Any,
    out_dir: Path,
    password: str | None,
    report: GenerateReport,
) -> None:
    template = layout.template
    code = unit.get("code")
    try:
        name = render_text(
            template.file_name, unit_context(template, year=year, unit=_in_file_name(unit), as_of=stamp.as_of)
        )
    except RENDER_ERRORS as error:
        report.problems.append(Problem(Code.G_RENDER, f"{code}", {"unit": code, "detail": error}))
        return
    if file_name_too_long(name):
        details = {"unit": code, "name": unit.get("name") or "", "file": name, "length": len(name.encode("utf-8"))}
        report.problems.append(Problem(Code.G_OUTPUT_NAME_LONG, f"{code}", details))
        return
    if not is_acceptable_file_name(name):
        report.problems.append(Problem(Code.G_OUTPUT_NAME, f"{code}", {"name": name}))
        return
    target = out_dir / name  # (atomic_path makes the folder)
    taken, other = report.unit_written_to(target)
    if taken:
        report.problems.append(Problem(Code.G_OUTPUT_TAKEN, f"{code}", {"unit": code, "name": name, "other": other}))
        return
    try:
        with atomic_path(target) as temporary:
            write_workbook(str(temporary), layout, stamp, unit, sheets, password=password)
    except RENDER_ERRORS as error:
        report.problems.append(Problem(Code.G_RENDER, f"{code}", {"unit": code, "detail": error}))
        return
    except (OSError, FileCreateError) as error:  # a folder in the workbook's place, not writable, a disk full…
        cause = error.args[0] if isinstance(error, FileCreateError) and error.args else error  # xlsxwriter's wrap
        errno_, strerror = getattr(cause, "errno", None), getattr(cause, "strerror", None)
        detail = _OS_ERRORS.get(errno_ or 0, strerror or str(cause))
        report.problems.append(
            Problem(Code.G_OUTPUT_WRITE, f"{code}", {"unit": code, "path": target, "detail": detail})
        )
        return
    report.add(Generated(path=target, unit=unit, sheets=len(sheets)))


# What a template's texts may fail with on a unit's or a record's values: jinja2's own errors, and
# Python's where a text does something the value does not allow ({{ project.start_date[:4] }} of a number).
RENDER_ERRORS = (
    jinja2.TemplateError,
    CellValueError,
    TypeError,
    ValueError,
    LookupError,
    ArithmeticError,
    AttributeError,
)
_OS_ERRORS = {
    errno.EISDIR: "该位置已有一个同名的文件夹",
    errno.ENOTDIR: "路径中有一段是文件而不是文件夹",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.ENOSPC: "磁盘已满",
    errno.EROFS: "文件夹是只读的",
    errno.ENAMETOOLONG: "文件名或路径过长",
}


def _in_file_name(unit: dict[str, Any]) -> dict[str, Any]:
    """The unit as its workbook's file name names it: each character Windows forbids in a file name
    ("财务/审计科") made _ (the workbook itself and its stamp keep the unit's exact name; returns are
    told apart by the stamp, and a copy without it by the unit code in its name)."""
    if not any(isinstance(value, str) and not FORBIDDEN_IN_FILE_NAMES.isdisjoint(value) for value in unit.values()):
        return unit
    return {key: file_name_part(value) if isinstance(value, str) else value for key, value in unit.items()}


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
            if not isinstance(items, list):
                continue  # a part of the wrong shape: reported where the records are read
            if items and bind not in columns:
                keys.append(bind)  # the whole list has no table
                continue
            for item in items:
                if isinstance(item, dict):
                    keys += [f"{bind}[].{k}" for k in allowed if item.get(k) is not None and k not in columns[bind]]
        for key in dict.fromkeys(keys):
            problems.append(
                Problem(
                    Code.G_RECORD_UNPLACED,
                    str(group.unit.get("code")),
                    {
                        "unit": group.unit.get("code"),
                        "project": (record.get("project") or {}).get("name") or "",
                        "key": key,
                        "template": layout.template.id,
                    },
                )
            )
    return problems
