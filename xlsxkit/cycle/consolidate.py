"""Consolidate the latest accepted returns into one summary workbook, and JSONL/CSV exports.

The summary workbook is a set of printable reports (report_sheet): 填报情况, 项目汇总 and
指标明细 (summary_tables), 统计 (summary_stats), and 汇编-<template id>, every form drawn again as
its official form, one printed page per form (compendium). Records of the forms generated from the
targets (monitor, self_evaluation) go to 监控汇总, 自评汇总 and 自评统计 (follow_on_summary) instead of
项目汇总, 指标明细, 统计 and the CSVs; like every record, they are in the JSONL and the 汇编.

Records are streamed (from the ledger, in unit-code order) and iterated once: every sheet is
written row by row as they pass (xlsxwriter's constant_memory mode; sheets interleave, each
in row order), the exports are written line by line, and only small aggregates (counts by
level, funds by unit) are kept for 统计, which is written at the end. Every output is written
to a temporary file and renamed into place only when all are complete: a failure half way
leaves no partial file and keeps the previous outputs. User text is written with
write_string only, so "=1+1" stays text; in the CSV it gets the OWASP ' prefix.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from xlsxwriter.workbook import Workbook

from xlsxkit.cycle.compendium import Compilation, FormPlace
from xlsxkit.cycle.compendium_apart import CompilationApart
from xlsxkit.cycle.export import csv_safe
from xlsxkit.cycle.follow_on_summary import FollowOnSummary, is_follow_on
from xlsxkit.cycle.levels import UnitTree
from xlsxkit.cycle.outputs import PARTIAL_FILE, SUMMARY_PROPERTIES, clear_leftovers
from xlsxkit.cycle.parquet_export import ParquetExport
from xlsxkit.cycle.report_sheet import ReportBook, ReportFormats, ReportHeading, paper_name
from xlsxkit.cycle.status import UnitStatus
from xlsxkit.cycle.summary_stats import StatsSheet, SummaryFigures
from xlsxkit.cycle.summary_tables import (
    FUND_COLUMNS,
    INDICATOR_COLUMNS,
    OTHER_LEVEL1,
    PROJECT_HEAD,
    PROJECT_TAIL,
    TOTAL_KEYS,
    SummaryColumns,
    SummaryTables,
    declared_value,
    indicator_values,
    report_title,
)
from xlsxkit.form.atomic import atomic_path, atomic_text
from xlsxkit.form.errors import Problem
from xlsxkit.form.excel import RELAY_SHEET
from xlsxkit.form.money import MoneyUnit
from xlsxkit.form.record import FOLLOW_ON_FORMS
from xlsxkit.form.relay import RelayHeading, RelayRecords
from xlsxkit.template.model import Template
from xlsxkit.write.formats import TEXT_STAYS_TEXT

CSV_FILES = ("projects.csv", "indicators.csv")  # what --csv writes in its folder
STATUS_TITLES = {
    "": "项目支出绩效目标填报情况表",
    "monitor": "项目支出绩效运行监控填报情况表",
    "self_evaluation": "项目支出绩效自评填报情况表",
}


@dataclass
class Summary:
    """What was written, for the CLI to print and for tests."""

    workbook: Path
    projects: int
    indicators: int
    units: int  # distinct units among the project and follow-on records
    jsonl: Path | None
    csv: list[Path]
    totals: dict[str, Decimal]  # yuan: annual.total, annual.fiscal, annual.other, overall.total
    departments: int = 0  # department records (in JSONL and 汇编, not in the project sheets)
    follow_on: int = 0  # monitor and self_evaluation records (in JSONL, 汇编 and their own reports)
    sheets: list[str] = field(default_factory=list)
    papers: dict[str, str] = field(default_factory=dict)  # table sheet → "A4" or "A3" (landscape)
    parquet: list[Path] = field(default_factory=list)  # the Parquet files written
    compilation: Path | None = None  # 汇编 in its own workbook, where it was drawn apart
    problems: list[Problem] = field(default_factory=list)  # exports asked for and not written (O024)


def consolidate(
    records: Iterable[dict[str, Any]],
    statuses: Sequence[UnitStatus],
    target: Path,
    *,
    money_unit: MoneyUnit = MoneyUnit.wan,
    jsonl: Path | None = None,
    csv_dir: Path | None = None,
    compilation: bool = True,
    compilation_file: Path | None = None,
    office: str = "",
    year: int | None = None,
    template: Template | None = None,
    date: dt.date | None = None,
    tree: UnitTree | None = None,
    relay: RelayHeading | None = None,
    parquet: Path | None = None,
    parquet_name: str | None = None,
    finding_counts: dict[str, tuple[int, int]] | None = None,
) -> Summary:
    """Write the summary workbook `target` (and the exports asked for) from `records`, which
    are iterated once and never held together; all outputs appear whole, or none does.
    `office` (编制单位), `year` and `date` head every report; the collection's `template` gives
    项目汇总 a count column per 一级 of its form (others are counted under 其他; without it, the
    four of the national form) and a column per key it declares, in 项目汇总 and 指标明细; for a
    template of a later form of the year (monitor, self_evaluation), its report (follow_on_summary)
    is made even when no record of it comes. With `compilation_file`, 汇编 is drawn there, in its
    own workbook, by a second process while the summary is written (compendium_apart); the
    summary's rows link into it."""
    money_unit = MoneyUnit(money_unit)  # ValueError for another unit, before anything is written
    target = Path(target)
    csv_paths = [Path(csv_dir) / name for name in CSV_FILES] if csv_dir is not None else []
    for path in {Path(p).parent for p in (target, jsonl, compilation_file, *csv_paths) if p is not None}:
        clear_leftovers(path, PARTIAL_FILE)  # the temporary files of a consolidate killed half way
    with ExitStack() as stack:
        temporary = stack.enter_context(atomic_path(target))
        jsonl_stream = stack.enter_context(atomic_text(Path(jsonl))) if jsonl is not None else None
        csv_streams = [stack.enter_context(atomic_text(path, encoding="utf-8-sig")) for path in csv_paths]
        # constant_memory keeps each sheet's rows in a temporary file until close: in a folder of
        # our own, removed whatever happens
        row_files = stack.enter_context(tempfile.TemporaryDirectory(prefix="xlsxkit-rows-", ignore_cleanup_errors=True))
        # one file per office and year: named by the office's code, relayed or not
        name = parquet_name or (relay.office_code if relay is not None and relay.office_code else "summary")
        export = ParquetExport(parquet, name=name, counts=finding_counts, year=year) if parquet is not None else None
        workbook = Workbook(
            str(temporary),
            {**TEXT_STAYS_TEXT, "constant_memory": True, "tmpdir": row_files},
        )
        apart = None
        if compilation and compilation_file is not None:
            apart_path = stack.enter_context(atomic_path(Path(compilation_file)))
            apart = CompilationApart(apart_path, link_file=Path(compilation_file).name, template=template)
        try:
            heading = ReportHeading(office, money_unit, date or dt.date.today())
            writer = _SummaryWriter(
                workbook,
                heading,
                year,
                SummaryColumns.of(template),
                template=template,
                tree=tree,
                compilation=apart if apart is not None else compilation,
                jsonl=jsonl_stream,
                csv_streams=csv_streams,
                relay=relay,
            )
            writer.write_statuses(statuses)
            for record in records:
                writer.add(record)
                if export is not None:
                    export.add(writer.as_on_roster(record))
            writer.finish(statuses)
            if apart is not None:  # its workbook is closed while this one is
                apart.end()
        except BaseException:
            _discard(workbook)
            if export is not None:
                export.discard()
            if apart is not None:
                apart.discard()
            raise
        try:
            workbook.close()
            if apart is not None:  # drawn meanwhile; its file is kept only when it is whole
                apart.finish()
        except BaseException:
            if export is not None:
                export.discard()
            if apart is not None:
                apart.discard()
            raise
        summary = writer.summary(target)
        summary.compilation = Path(compilation_file) if apart is not None and compilation_file else None
        if export is not None:
            summary.parquet = export.finish()
    summary.jsonl = Path(jsonl) if jsonl is not None else None
    summary.csv = csv_paths
    return summary


def _discard(workbook: Workbook) -> None:
    """Close a workbook that will not be kept: xlsxwriter's only public way to close its row
    files is to write it out (into the temporary file, which atomic_path then deletes). A failure
    on the way is not the one to report; the row files go with their folder in any case."""
    with suppress(Exception):
        workbook.close()


class _SummaryWriter:
    """The sheets and exports of one consolidation, fed one record at a time."""

    def __init__(
        self,
        workbook: Workbook,
        heading: ReportHeading,
        year: int | None,
        columns: SummaryColumns,
        *,
        template: Template | None,
        tree: UnitTree | None = None,
        compilation: bool | CompilationApart,
        jsonl: IO[str] | None,
        csv_streams: list[IO[str]],
        relay: RelayHeading | None = None,
    ) -> None:
        self.workbook = workbook
        # what outputs.is_ours knows a summary by (so that the next consolidation may replace it)
        workbook.set_properties({"title": SUMMARY_PROPERTIES["title"], "author": SUMMARY_PROPERTIES["creator"]})
        formats = ReportFormats(workbook, heading.money_unit)
        # Sheets in reading order; 统计 is filled at the end, 汇编 sheets are added as templates appear.
        level1 = columns.level1
        later = template.form if template is not None and template.form in FOLLOW_ON_FORMS else None
        book = ReportBook(workbook, formats, heading, with_compilation=bool(compilation))
        self.tables = SummaryTables(
            book,
            year=year,
            columns=columns,
            projects=later is None,  # a collection of a later form has its own reports
            status_title=STATUS_TITLES.get(later or "", STATUS_TITLES[""]),
            tree=tree,
            link_indicators=not isinstance(compilation, CompilationApart),  # a large collection's
        )
        title = report_title(year, "项目支出绩效目标统计表")
        self.stats = StatsSheet(workbook, formats, heading, title, level1) if later is None else None
        self.follow_on = FollowOnSummary(book, year=year, form=template.form if template is not None else None)
        self.figures = SummaryFigures()
        self.compilation: Compilation | CompilationApart | None
        if isinstance(compilation, CompilationApart):
            self.compilation = compilation
        else:
            self.compilation = Compilation(workbook, template=template) if compilation else None
        self.jsonl = jsonl
        csv_project_headers = (
            *(c.header for c in PROJECT_HEAD),
            *(f"{label}（元）" for _, _, label in FUND_COLUMNS),
            *level1,
            OTHER_LEVEL1,
            *(d.label for d in columns.project_extra),
            *(c.header for c in PROJECT_TAIL),
        )
        self.csv_projects = _csv_writer(csv_streams[0], csv_project_headers) if csv_streams else None
        indicator_headers = [c.header for c in INDICATOR_COLUMNS]
        indicator_headers[-2:-2] = [d.label for d in columns.indicator_extra]  # before 来源文件, 工作表
        self.csv_indicators = _csv_writer(csv_streams[1], indicator_headers) if csv_streams else None
        self.columns = columns
        self.departments = 0
        self.relay = _RelaySheet(workbook, relay) if relay is not None else None
        self.roster_names: dict[str, str] = {}

    def write_statuses(self, statuses: Sequence[UnitStatus]) -> None:
        """填报情况."""
        self.tables.write_statuses(statuses)
        self.roster_names = {status.code: status.name for status in statuses}

    def as_on_roster(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record as the summary's tables show it: its unit named as the roster names it now
        (as 填报情况 does, after a unit is renamed); the record itself — JSONL, the relay, 汇编 —
        keeps the name the unit wrote."""
        unit = record.get("unit")
        if not isinstance(unit, dict):
            return record
        name = self.roster_names.get(str(unit.get("code") or ""))
        return record if name is None or name == unit.get("name") else {**record, "unit": {**unit, "name": name}}

    def add(self, record: dict[str, Any]) -> None:
        """One record into every sheet and export."""
        apart = self.compilation if isinstance(self.compilation, CompilationApart) else None
        text = json.dumps(record, ensure_ascii=False) if self.jsonl is not None or apart is not None else None
        if self.jsonl is not None:
            self.jsonl.write(f"{text}\n")
        if self.relay is not None:
            self.relay.add(record)
        follow_on = is_follow_on(record)
        if follow_on:
            self.follow_on.open(record)  # its report comes before the 汇编 sheet its form is drawn on
        form = None
        if apart is not None:
            form = _form_link(apart.add(record, text), apart.link_file)
        elif self.compilation is not None:
            form = _form_link(self.compilation.add(record), None)
        if record.get("form") == "department":
            self.departments += 1
            return
        record = self.as_on_roster(record)
        if follow_on:
            self.follow_on.add(record, form)
            return
        amounts = [_yuan(record, period, key) for period, key, _ in FUND_COLUMNS]
        self.tables.add_project(record, amounts, form)
        unit = record.get("unit") or {}
        self.figures.add_unit_project(str(unit.get("code") or ""), unit.get("name"), amounts[0])
        indicators = [item for item in record.get("indicators") or [] if isinstance(item, dict)]
        for item in indicators:
            parsed = item.get("parsed")
            self.figures.add_indicator(
                item.get("level1"), item.get("level2"), str(parsed.get("kind") or "") if parsed else None
            )
        self._export(record, amounts, indicators)

    def _export(self, record: dict[str, Any], amounts: list[Decimal | None], indicators: list[dict[str, Any]]) -> None:
        unit = record.get("unit") or {}
        project = record.get("project") or {}
        source = record.get("source") or {}
        head = (unit.get("code"), unit.get("name"), project.get("code"), project.get("name"), project.get("attribute"))
        tail = (source.get("file"), source.get("sheet"))
        if self.csv_projects is not None:
            order = self.columns.level1
            counts = [0] * (len(order) + 1)
            for item in indicators:
                level1 = item.get("level1")
                counts[order.index(level1) if level1 in order else len(order)] += 1
            declared = [declared_value(record, d.key) for d in self.columns.project_extra]
            values = (*head, *(_plain_yuan(a) for a in amounts), *counts, *declared, *tail)
            self.csv_projects.writerow([_csv_cell(v) for v in values])
        if self.csv_indicators is not None:
            for number, item in enumerate(indicators, start=1):
                values = (
                    *indicator_values(unit, project, number, item),
                    *(declared_value(item, d.key) for d in self.columns.indicator_extra),
                    *tail,
                )
                self.csv_indicators.writerow([_csv_cell(v) for v in values])

    def finish(self, statuses: Sequence[UnitStatus]) -> None:
        """小计 and 合计, 统计, the 汇编's last rows."""
        self.tables.finish()
        if self.stats is not None:
            self.stats.write(self.figures, statuses)
        self.follow_on.finish()
        if isinstance(self.compilation, Compilation):  # one drawn apart is finished once the summary is written
            self.compilation.finish()
        if self.relay is not None:
            self.relay.finish()
        self.tables.status.sheet.activate()

    def summary(self, target: Path) -> Summary:
        """What was written."""
        totals = self.tables.totals
        return Summary(
            workbook=target,
            projects=self.tables.project_count,
            indicators=self.tables.indicator_count,
            units=len(set(self.figures.units) | self.follow_on.units),
            jsonl=None,
            csv=[],
            totals={key: totals[i] for i, key in enumerate(TOTAL_KEYS)},
            departments=self.departments,
            follow_on=self.follow_on.count,
            sheets=[sheet.get_name() for sheet in self.workbook.worksheets() if sheet.get_name() != RELAY_SHEET],
            papers={
                name: paper_name(paper) for name, paper in {**self.tables.papers(), **self.follow_on.papers()}.items()
            },
        )


class _RelaySheet:
    """The very hidden sheet that makes the summary a return (form/relay): heading, one row per
    record as they pass, the end row."""

    def __init__(self, workbook: Workbook, heading: RelayHeading) -> None:
        self.sheet = workbook.add_worksheet(RELAY_SHEET)
        self.sheet.very_hidden()
        self.rows = 0
        self.records = RelayRecords()
        for row in heading.rows():
            self._write(row)

    def _write(self, cells: list[str]) -> None:
        for col, text in enumerate(cells):
            self.sheet.write_string(self.rows, col, text)  # text, never a formula
        self.rows += 1

    def add(self, record: dict[str, Any]) -> None:
        """One record's row."""
        self._write(self.records.row(record))

    def finish(self) -> None:
        """The end row that seals the records."""
        self._write(self.records.end())


def _form_link(place: FormPlace, link_file: str | None) -> tuple[str, str]:
    """A row's link to its form in 汇编 (in this workbook, or in `link_file` beside it) and its text."""
    location = f"'{place.sheet}'!A{place.row + 1}"
    target = f"external:{link_file}#{location}" if link_file is not None else f"internal:{location}"
    return target, f"{place.sheet} 第{place.row + 1}行"


def _yuan(record: dict[str, Any], period: str, key: str) -> Decimal | None:
    part = (record.get("funds") or {}).get(period)
    value = part.get(key) if isinstance(part, dict) else None
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        source = record.get("source") or {}
        raise ValueError(
            f"{source.get('file')} {source.get('sheet')}: funds.{period}.{key} 不是金额：{value!r}"
        ) from None


def _plain_yuan(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _csv_writer(stream: IO[str], headers: Sequence[str]) -> Any:
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([csv_safe(h) for h in headers])
    return writer


def _csv_cell(value: Any) -> Any:
    return "" if value is None else csv_safe(value)
