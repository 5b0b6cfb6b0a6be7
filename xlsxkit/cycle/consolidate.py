"""Consolidate the latest accepted returns into one summary workbook, and JSONL/CSV exports.

Sheets of the summary workbook:
  填报情况  every roster unit: its standing, versions received, findings;
  项目汇总  one row per project, money in 万元 or 元, indicator counts per 一级, a 合计 row;
  指标明细  one row per indicator, with its parsed parts;
  统计      indicator counts by 一级/二级, the share of quantitative values, funds by unit, charts;
  汇编-<template id>  every form drawn again as its official form, one printed page (or more)
            per form, ready to print as one document.

Records are streamed (from the ledger, in unit order) and iterated once: every sheet is
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
import math
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.cycle.compendium import Compilation
from xlsxkit.cycle.export import csv_safe
from xlsxkit.cycle.status import Standing, UnitStatus
from xlsxkit.form.atomic import atomic_path, atomic_text
from xlsxkit.form.excel import INDICATORS_SHEET, PROJECTS_SHEET, STATS_SHEET, STATUS_SHEET
from xlsxkit.form.money import MoneyUnit

# 元 to the cent; 万元 with 2 to 6 decimals, so that every cent shows: 1234.56 元 = 0.123456 万元.
FUND_COLUMNS = (
    ("annual", "total", "年度资金总额"),
    ("annual", "fiscal", "其中财政资金"),
    ("annual", "other", "其他资金"),
    ("overall", "total", "中期/项目资金总额"),
)
TOTAL_KEYS = tuple(f"{period}.{key}" for period, key, _ in FUND_COLUMNS)
LEVEL1_COLUMNS = ("产出指标", "效益指标", "满意度指标", "成本指标")
OTHER_LEVEL1 = "其他"
KIND_LABELS = {"quantitative": "定量", "deadline": "时限", "qualitative": "定性"}

STATUS_HEADERS = ("单位代码", "单位名称", "状态", "报送次数", "最后报送时间", "项目数", "错误数", "提示数", "文件")
STATUS_WIDTHS = (12, 36, 16, 10, 18, 8, 8, 8, 36)
PROJECT_HEAD = ("单位代码", "单位名称", "项目编码", "项目名称", "项目属性")
PROJECT_TAIL = ("来源文件", "工作表")
PROJECT_WIDTHS = (10, 30, 24, 36, 12, 16, 16, 14, 18, 9, 9, 10, 9, 7, 30, 12)
INDICATOR_HEADERS = (
    "单位代码",
    "单位名称",
    "项目编码",
    "项目名称",
    "序号",
    "一级指标",
    "二级指标",
    "三级指标",
    "绩效指标描述",
    "指标值",
    "中期指标值",
    "指标值确定依据",
    "说明",
    "指标类型",
    "比较符",
    "数值",
    "计量单位",
    "日期",
    "来源文件",
    "工作表",
)
INDICATOR_WIDTHS = (10, 24, 20, 28, 5, 12, 16, 28, 28, 16, 16, 14, 16, 8, 6, 10, 9, 11, 24, 10)
DATE_COLUMN = INDICATOR_HEADERS.index("日期")

CHART_UNITS = 20  # units shown in the funds chart (the largest)


def project_headers(money_unit: MoneyUnit) -> tuple[str, ...]:
    """The column headers of 项目汇总, money in the given unit."""
    money = tuple(f"{label}（{money_unit}）" for _, _, label in FUND_COLUMNS)
    return (*PROJECT_HEAD, *money, *LEVEL1_COLUMNS, OTHER_LEVEL1, *PROJECT_TAIL)


CSV_FILES = ("projects.csv", "indicators.csv")  # what --csv writes in its folder


@dataclass
class Summary:
    """What was written, for the CLI to print and for tests."""

    workbook: Path
    projects: int
    indicators: int
    units: int  # distinct units among the records
    jsonl: Path | None
    csv: list[Path]
    totals: dict[str, Decimal]  # yuan: annual.total, annual.fiscal, annual.other, overall.total
    departments: int = 0  # department records (in JSONL and 汇编, not in the project sheets)
    sheets: list[str] = field(default_factory=list)


def consolidate(
    records: Iterable[dict[str, Any]],
    statuses: Sequence[UnitStatus],
    target: Path,
    *,
    money_unit: MoneyUnit = MoneyUnit.wan,
    jsonl: Path | None = None,
    csv_dir: Path | None = None,
    compilation: bool = True,
) -> Summary:
    """Write the summary workbook `target` (and the exports asked for) from `records`, which
    are iterated once and never held together; all outputs appear whole, or none does."""
    money_unit = MoneyUnit(money_unit)  # ValueError for another unit, before anything is written
    target = Path(target)
    csv_paths = [Path(csv_dir) / name for name in CSV_FILES] if csv_dir is not None else []
    with ExitStack() as stack:
        temporary = stack.enter_context(atomic_path(target))
        jsonl_stream = stack.enter_context(atomic_text(Path(jsonl))) if jsonl is not None else None
        csv_streams = [stack.enter_context(atomic_text(path, encoding="utf-8-sig")) for path in csv_paths]
        # constant_memory keeps each sheet's rows in a temporary file until close: in a folder of
        # our own, removed whatever happens
        row_files = stack.enter_context(tempfile.TemporaryDirectory(prefix="xlsxkit-rows-", ignore_cleanup_errors=True))
        workbook = Workbook(
            str(temporary),
            {
                "constant_memory": True,
                "tmpdir": row_files,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        try:
            writer = _SummaryWriter(workbook, money_unit, compilation, jsonl_stream, csv_streams)
            writer.write_statuses(statuses)
            for record in records:
                writer.add(record)
            writer.finish(statuses)
        except BaseException:
            _discard(workbook)
            raise
        workbook.close()
        summary = writer.summary(target)
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
        money_unit: MoneyUnit,
        compilation: bool,
        jsonl: IO[str] | None,
        csv_streams: list[IO[str]],
    ) -> None:
        self.workbook = workbook
        self.money_unit = money_unit
        self.factor = money_unit.factor
        workbook.set_properties({"title": "项目支出绩效目标汇总", "author": "xlsxkit"})
        self.f_header = workbook.add_format(
            {
                "bold": True,
                "border": 1,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#DDEBF7",
                "pattern": 1,
            }
        )
        self.f_text = workbook.add_format({"num_format": "@", "valign": "top"})
        self.f_int = workbook.add_format({"num_format": "0", "valign": "top"})
        self.f_number = workbook.add_format({"num_format": "General", "valign": "top"})
        self.f_money = workbook.add_format({"num_format": money_unit.number_format, "valign": "top"})
        self.f_date = workbook.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
        self.f_time = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"})
        self.f_percent = workbook.add_format({"num_format": "0.0%"})
        self.f_title = workbook.add_format({"bold": True, "font_size": 14})
        self.f_total_label = workbook.add_format({"bold": True, "top": 1, "num_format": "@"})
        self.f_total_money = workbook.add_format({"bold": True, "top": 1, "num_format": money_unit.number_format})
        self.f_total_int = workbook.add_format({"bold": True, "top": 1, "num_format": "0"})
        # Sheets in reading order; 统计 is filled at the end, 汇编 sheets are added as templates appear.
        self.status_sheet = workbook.add_worksheet(STATUS_SHEET)
        self.projects_sheet = workbook.add_worksheet(PROJECTS_SHEET)
        self.indicators_sheet = workbook.add_worksheet(INDICATORS_SHEET)
        self.stats_sheet = workbook.add_worksheet(STATS_SHEET)
        self.project_headers = project_headers(money_unit)
        _header(self.projects_sheet, self.project_headers, PROJECT_WIDTHS, self.f_header)
        _header(self.indicators_sheet, INDICATOR_HEADERS, INDICATOR_WIDTHS, self.f_header)
        self.compilation = Compilation(workbook) if compilation else None
        self.jsonl = jsonl
        self.csv_projects = (
            _csv_writer(
                csv_streams[0],
                (
                    *PROJECT_HEAD,
                    *(f"{label}（元）" for _, _, label in FUND_COLUMNS),
                    *LEVEL1_COLUMNS,
                    OTHER_LEVEL1,
                    *PROJECT_TAIL,
                ),
            )
            if csv_streams
            else None
        )
        self.csv_indicators = _csv_writer(csv_streams[1], INDICATOR_HEADERS) if csv_streams else None
        self.project_row = self.indicator_row = 0
        self.departments = 0
        self.totals = {key: Decimal(0) for key in TOTAL_KEYS}
        self.level1_totals: Counter[str] = Counter()
        self.levels: Counter[tuple[str, str]] = Counter()
        self.kinds: Counter[str] = Counter()
        self.units: dict[str, list[Any]] = {}  # code → [name, projects, annual total (yuan)]

    # --- 填报情况 -------------------------------------------------------------------------------

    def write_statuses(self, statuses: Sequence[UnitStatus]) -> None:
        sheet = self.status_sheet
        _header(sheet, STATUS_HEADERS, STATUS_WIDTHS, self.f_header)
        for row, status in enumerate(statuses, start=1):
            received = status.last_received
            if received is not None and received.tzinfo is not None:
                received = received.replace(tzinfo=None)  # the ledger's wall-clock time (xlsx has no zones)
            values = (
                status.code,
                status.name,
                status.standing.label,
                status.versions,
                received,
                status.projects,
                status.errors,
                status.warnings,
                status.file,
            )
            for col, value in enumerate(values):
                self._put(sheet, row, col, value)
        sheet.autofilter(0, 0, max(len(statuses), 1), len(STATUS_HEADERS) - 1)

    # --- one record ---------------------------------------------------------------------------

    def add(self, record: dict[str, Any]) -> None:
        if self.jsonl is not None:
            self.jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
        if self.compilation is not None:
            self.compilation.add(record)
        if record.get("form") == "department":
            self.departments += 1
            return
        unit = record.get("unit") or {}
        project = record.get("project") or {}
        source = record.get("source") or {}
        indicators = [item for item in record.get("indicators") or [] if isinstance(item, dict)]
        amounts = [_yuan(record, period, key) for period, key, _ in FUND_COLUMNS]
        counts = Counter(
            level1 if isinstance(level1 := item.get("level1"), str) and level1 in LEVEL1_COLUMNS else OTHER_LEVEL1
            for item in indicators
        )
        head = (unit.get("code"), unit.get("name"), project.get("code"), project.get("name"), project.get("attribute"))
        tail = (source.get("file"), source.get("sheet"))
        level_counts = tuple(counts[level] for level in (*LEVEL1_COLUMNS, OTHER_LEVEL1))

        self.project_row += 1
        row, sheet = self.project_row, self.projects_sheet
        for col, value in enumerate((*head, *(self._in_unit(a) for a in amounts), *level_counts, *tail)):
            self._put(sheet, row, col, value, self.f_money if 5 <= col < 5 + len(amounts) else None)
        if self.csv_projects is not None:
            self.csv_projects.writerow(
                [_csv_cell(v) for v in (*head, *(_plain_yuan(a) for a in amounts), *level_counts, *tail)]
            )
        for key, amount in zip(TOTAL_KEYS, amounts, strict=True):
            if amount is not None:
                self.totals[key] += amount
        self.level1_totals.update(counts)
        entry = self.units.setdefault(str(unit.get("code") or ""), [unit.get("name"), 0, Decimal(0)])
        entry[1] += 1
        entry[2] += amounts[0] or 0

        for number, item in enumerate(indicators, start=1):
            parsed = item.get("parsed") or {}
            kind = str(parsed.get("kind") or "")
            values = (
                unit.get("code"),
                unit.get("name"),
                project.get("code"),
                project.get("name"),
                number,
                item.get("level1"),
                item.get("level2"),
                item.get("level3"),
                item.get("description"),
                item.get("value"),
                item.get("overall_value"),
                item.get("basis"),
                item.get("note"),
                KIND_LABELS.get(kind, kind),
                parsed.get("op"),
                parsed.get("number"),
                parsed.get("unit"),
                parsed.get("date"),
                *tail,
            )
            self.indicator_row += 1
            row, sheet = self.indicator_row, self.indicators_sheet
            for col, value in enumerate(values):
                if type(value) is str and col != DATE_COLUMN:  # the common case, first
                    sheet.write_string(row, col, value, self.f_text)
                elif value is not None:
                    self._put(sheet, row, col, _date(value) if col == DATE_COLUMN else value)
            if self.csv_indicators is not None:
                self.csv_indicators.writerow([_csv_cell(v) for v in values])
            self.levels[(item.get("level1") or "（未填）", item.get("level2") or "（未填）")] += 1
            if parsed:  # a blank 指标值 (parsed null) counts in no share of kinds
                self.kinds[KIND_LABELS.get(kind, "未识别")] += 1

    def _in_unit(self, amount: Decimal | None) -> float | None:
        return None if amount is None else float(amount / self.factor)

    def _put(self, sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
        """One cell by its type; text only ever through write_string."""
        if value is None:
            return
        if isinstance(value, str):
            sheet.write_string(row, col, value, fmt or self.f_text)
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(row, col, value, fmt or self.f_time)
        elif isinstance(value, dt.date):
            sheet.write_datetime(row, col, value, fmt or self.f_date)
        elif isinstance(value, bool):
            sheet.write_string(row, col, str(value), fmt or self.f_text)
        elif isinstance(value, (int, float)) and not _writable_number(value):
            sheet.write_string(row, col, str(value), fmt or self.f_text)  # no cell number holds it: kept whole as text
        elif isinstance(value, int):
            sheet.write_number(row, col, value, fmt or self.f_int)
        else:
            sheet.write_number(row, col, float(value), fmt or self.f_number)

    # --- the end ------------------------------------------------------------------------------

    def finish(self, statuses: Sequence[UnitStatus]) -> None:
        self._finish_projects()
        self._finish_indicators()
        self._write_stats(statuses)
        if self.compilation is not None:
            self.compilation.finish()
        self.status_sheet.activate()

    def _finish_projects(self) -> None:
        sheet, last = self.projects_sheet, self.project_row
        row = last + 1
        sheet.write_string(row, 0, "合计", self.f_total_label)
        sheet.write_string(row, 3, f"{last} 个项目", self.f_total_label)
        for col, key in enumerate(TOTAL_KEYS, start=5):
            sheet.write_number(row, col, float(self.totals[key] / self.factor), self.f_total_money)
        for col, level in enumerate((*LEVEL1_COLUMNS, OTHER_LEVEL1), start=5 + len(TOTAL_KEYS)):
            sheet.write_number(row, col, self.level1_totals[level], self.f_total_int)
        sheet.autofilter(0, 0, max(last, 1), len(self.project_headers) - 1)  # the 合计 row stays outside

    def _finish_indicators(self) -> None:
        self.indicators_sheet.autofilter(0, 0, max(self.indicator_row, 1), len(INDICATOR_HEADERS) - 1)

    def _write_stats(self, statuses: Sequence[UnitStatus]) -> None:
        sheet, bold = self.stats_sheet, self.f_header
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 1, 30)
        sheet.set_column(2, 4, 14)
        total = sum(self.kinds.values())
        sheet.write_string(0, 0, "统计", self.f_title)
        row = 2
        # 一级指标: the data of the column chart.
        order = [*LEVEL1_COLUMNS, *sorted({level1 for level1, _ in self.levels} - set(LEVEL1_COLUMNS))]
        by_level1: Counter[str] = Counter()
        for (level1, _), count in self.levels.items():
            by_level1[level1] += count
        level1_rows = [(level1, by_level1[level1]) for level1 in order if by_level1[level1]]
        sheet.write_string(row, 0, "指标数（按一级指标）", self.f_title)
        row += 1
        for col, text in enumerate(("一级指标", "指标数", "占比")):
            sheet.write_string(row, col, text, bold)
        level1_first = row + 1
        for level1, count in level1_rows:
            row += 1
            sheet.write_string(row, 0, level1, self.f_text)
            sheet.write_number(row, 1, count, self.f_int)
            sheet.write_number(row, 2, count / total if total else 0, self.f_percent)
        level1_last = row
        row += 1
        sheet.write_string(row, 0, "合计", self.f_total_label)
        sheet.write_number(row, 1, total, self.f_total_int)
        row += 2
        # 二级指标 within each 一级.
        sheet.write_string(row, 0, "指标数（按二级指标）", self.f_title)
        row += 1
        for col, text in enumerate(("一级指标", "二级指标", "指标数")):
            sheet.write_string(row, col, text, bold)
        rank = {level1: index for index, level1 in enumerate(order)}
        for (level1, level2), count in sorted(
            self.levels.items(), key=lambda kv: (rank.get(kv[0][0], len(rank)), kv[0])
        ):
            row += 1
            sheet.write_string(row, 0, level1, self.f_text)
            sheet.write_string(row, 1, level2, self.f_text)
            sheet.write_number(row, 2, count, self.f_int)
        row += 2
        # Kinds of 指标值.
        sheet.write_string(row, 0, "指标值类型", self.f_title)
        row += 1
        for col, text in enumerate(("类型", "指标数", "占比")):
            sheet.write_string(row, col, text, bold)
        for kind in (*KIND_LABELS.values(), "未识别"):
            if self.kinds[kind] or kind != "未识别":
                row += 1
                sheet.write_string(row, 0, kind, self.f_text)
                sheet.write_number(row, 1, self.kinds[kind], self.f_int)
                sheet.write_number(row, 2, self.kinds[kind] / total if total else 0, self.f_percent)
        row += 1
        sheet.write_string(row, 0, "定量指标占比", self.f_total_label)
        sheet.write_number(row, 2, self.kinds["定量"] / total if total else 0, self.f_percent)
        row += 2
        # Standing of the roster units.
        sheet.write_string(row, 0, "报送情况", self.f_title)
        row += 1
        for col, text in enumerate(("状态", "单位数")):
            sheet.write_string(row, col, text, bold)
        standings = Counter(status.standing for status in statuses)
        for standing in Standing:
            row += 1
            sheet.write_string(row, 0, standing.label, self.f_text)
            sheet.write_number(row, 1, standings[standing], self.f_int)
        row += 2
        # Funds by unit, largest first: the data of the bar chart.
        sheet.write_string(row, 0, f"各单位年度资金总额（{self.money_unit}）", self.f_title)
        row += 1
        for col, text in enumerate(("单位代码", "单位名称", "项目数", f"年度资金总额（{self.money_unit}）")):
            sheet.write_string(row, col, text, bold)
        funds_first = row + 1
        ranked = sorted(self.units.items(), key=lambda kv: (-kv[1][2], kv[0]))
        for code, (name, projects, amount) in ranked:
            row += 1
            sheet.write_string(row, 0, code, self.f_text)
            self._put(sheet, row, 1, name)
            sheet.write_number(row, 2, projects, self.f_int)
            sheet.write_number(row, 3, float(amount / self.factor), self.f_money)
        self._charts(level1_first, level1_last, funds_first, min(len(ranked), CHART_UNITS))

    def _charts(self, level1_first: int, level1_last: int, funds_first: int, units: int) -> None:
        sheet = self.stats_sheet
        if level1_last >= level1_first:
            chart = self.workbook.add_chart({"type": "column"})
            chart.add_series(
                {
                    "name": "指标数",
                    "categories": [STATS_SHEET, level1_first, 0, level1_last, 0],
                    "values": [STATS_SHEET, level1_first, 1, level1_last, 1],
                    "data_labels": {"value": True},
                }
            )
            chart.set_title({"name": "指标数（按一级指标）"})
            chart.set_legend({"none": True})
            sheet.insert_chart(2, 6, chart, {"x_scale": 1.2, "y_scale": 1.1})
        if units:
            chart = self.workbook.add_chart({"type": "bar"})
            chart.add_series(
                {
                    "name": f"年度资金总额（{self.money_unit}）",
                    "categories": [STATS_SHEET, funds_first, 1, funds_first + units - 1, 1],
                    "values": [STATS_SHEET, funds_first, 3, funds_first + units - 1, 3],
                }
            )
            shown = f"前 {units} 个单位" if units < len(self.units) else "全部单位"
            chart.set_title({"name": f"各单位年度资金总额（{self.money_unit}，{shown}）"})
            chart.set_legend({"none": True})
            chart.set_y_axis({"reverse": True})  # the largest at the top
            chart.set_size({"width": 720, "height": max(300, 60 + 22 * units)})
            sheet.insert_chart(20, 6, chart)

    def summary(self, target: Path) -> Summary:
        return Summary(
            workbook=target,
            projects=self.project_row,
            indicators=self.indicator_row,
            units=len(self.units),
            jsonl=None,
            csv=[],
            totals=dict(self.totals),
            departments=self.departments,
            sheets=[sheet.get_name() for sheet in self.workbook.worksheets()],
        )


def _header(sheet: Worksheet, headers: Sequence[str], widths: Sequence[float], fmt: Format) -> None:
    for col, width in enumerate(widths[: len(headers)]):
        sheet.set_column(col, col, width)
    sheet.set_row(0, 30)
    for col, text in enumerate(headers):
        sheet.write_string(0, col, text, fmt)
    sheet.freeze_panes(1, 0)


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


def _date(value: object) -> object:
    """An ISO date of the record as a date (written as one); anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return value


def _csv_writer(stream: IO[str], headers: Sequence[str]) -> Any:
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([csv_safe(h) for h in headers])
    return writer


def _csv_cell(value: Any) -> Any:
    return "" if value is None else csv_safe(value)


def _writable_number(value: float) -> bool:
    """Whether a number fits an Excel cell (a finite double)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False
