"""The table sheets of the summary workbook, each a printable report (report_sheet):

  填报情况  every roster unit: its standing, versions received, findings;
  项目汇总  one row per project, by unit code, money in 万元 or 元, indicator counts per 一级 of
            the forms collected, a 小计 row per unit and a 合计 row;
  指标明细  one row per indicator, with its parsed parts.

A row of 项目汇总 and 指标明细 names the unit's file and links to the project's form in 汇编.
Records arrive in unit-code order (write_summary sorts them; a unit's 小计 follows its run).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from xlsxkit.cycle.levels import UnitTree, count_levels
from xlsxkit.cycle.report_sheet import Column, ReportBook, ReportSheet, in_money_unit
from xlsxkit.cycle.status import UnitStatus
from xlsxkit.form.excel import INDICATORS_SHEET, PROJECTS_SHEET, STATUS_SHEET
from xlsxkit.form.record import ValueType
from xlsxkit.template.model import DeclaredKey, Template

FUND_COLUMNS = (
    ("annual", "total", "年度资金总额"),
    ("annual", "fiscal", "其中财政资金"),
    ("annual", "other", "其他资金"),
    ("overall", "total", "中期/项目资金总额"),
)
TOTAL_KEYS = tuple(f"{period}.{key}" for period, key, _ in FUND_COLUMNS)
DEFAULT_LEVEL1 = ("产出指标", "效益指标", "满意度指标", "成本指标")
OTHER_LEVEL1 = "其他"
COMPILATION_COLUMN = "汇编位置"

STATUS_COLUMNS = (
    Column("单位代码", 11),
    Column("单位名称", 30, "wrap"),
    Column("状态", 14, "wrap"),
    Column("报送次数", 7, "int"),
    Column("最后报送时间", 17, "time"),
    Column("项目数", 7, "int"),
    Column("错误数", 7, "int"),
    Column("提示数", 7, "int"),
    Column("文件", 30, "wrap"),
    Column("审核", 24, "wrap"),
)
LEVELS_SHEET = "分级填报情况"
LEVEL_COLUMNS = (  # a row per sub-office: how the units below it stand
    Column("单位代码", 11),
    Column("单位名称", 30, "wrap"),
    Column("层级", 6, "int"),
    Column("下属单位数", 9, "int"),
    Column("已报送", 8, "int"),
    Column("审核通过", 8, "int"),
    Column("有错误", 8, "int"),
    Column("未报送", 8, "int"),
    Column("逾期", 8, "int"),
)
PROJECT_HEAD = (
    Column("单位代码", 10),
    Column("单位名称", 16, "wrap"),
    Column("项目编码", 14, "wrap"),
    Column("项目名称", 24, "wrap"),
    Column("项目属性", 8, "wrap"),
)
PROJECT_TAIL = (Column("来源文件", 18, "wrap"), Column("工作表", 9, "wrap"))
INDICATOR_COLUMNS = (
    Column("单位代码", 9),
    Column("单位名称", 14, "wrap"),
    Column("项目编码", 12, "wrap"),
    Column("项目名称", 18, "wrap"),
    Column("序号", 5, "int"),
    Column("一级指标", 9, "wrap"),
    Column("二级指标", 10, "wrap"),
    Column("三级指标", 18, "wrap"),
    Column("绩效指标描述", 18, "wrap"),
    Column("指标值", 12, "wrap"),
    Column("中期指标值", 12, "wrap"),
    Column("指标值确定依据", 12, "wrap"),
    Column("说明", 12, "wrap"),
    Column("指标类型", 6, "wrap"),
    Column("比较符", 6),
    Column("数值", 9, "number"),
    Column("计量单位", 7, "wrap"),
    Column("日期", 11, "date"),
    Column("来源文件", 16, "wrap"),
    Column("工作表", 8, "wrap"),
)
KIND_LABELS = {"quantitative": "定量", "deadline": "时限", "qualitative": "定性"}


@dataclass(frozen=True)
class SummaryColumns:
    """The columns that depend on the collection's form: a count per 一级 of its taxonomy, and its
    declared keys (form level in 项目汇总, per indicator in 指标明细)."""

    level1: tuple[str, ...] = DEFAULT_LEVEL1
    project_extra: tuple[DeclaredKey, ...] = ()
    indicator_extra: tuple[DeclaredKey, ...] = ()

    @classmethod
    def of(cls, template: Template | None) -> SummaryColumns:
        """The columns of a collection of `template`'s forms (the national form's without one)."""
        if template is None:
            return cls()
        level1 = tuple(template.taxonomy.level1) if template.taxonomy is not None else DEFAULT_LEVEL1
        indicator_extra = tuple(d for block in template.tables() if block.table == "indicators" for d in block.extra)
        return cls(level1, tuple(template.extra), indicator_extra)


def declared_column(key: DeclaredKey) -> Column:
    """A report column for a declared key: its label, and a kind by its type."""
    kind = {ValueType.money: "money", ValueType.integer: "int", ValueType.date: "date"}.get(key.type, "wrap")
    return Column(key.label, 12, kind)


def project_columns(money_unit: str, columns: SummaryColumns, *, with_compilation: bool) -> tuple[Column, ...]:
    """The columns of 项目汇总: money in the given unit, a count per 一级 of the forms collected,
    the form's declared keys."""
    money = tuple(Column(f"{label}（{money_unit}）", 14, "money") for _, _, label in FUND_COLUMNS)
    counts = tuple(Column(name, 6, "int") for name in (*columns.level1, OTHER_LEVEL1))
    declared = tuple(declared_column(key) for key in columns.project_extra)
    link = (Column(COMPILATION_COLUMN, 14, "link"),) if with_compilation else ()
    return (*PROJECT_HEAD, *money, *counts, *declared, *PROJECT_TAIL, *link)


def indicator_values(
    unit: dict[str, Any], project: dict[str, Any], number: int, item: dict[str, Any]
) -> tuple[Any, ...]:
    """One indicator as 指标明细 and indicators.csv show it, up to its date (declared keys and the
    source come after): unit, project, its number, levels, texts, 指标值 and its parsed parts."""
    parsed = item.get("parsed") or {}
    kind = str(parsed.get("kind") or "")
    return (
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
        KIND_LABELS.get(kind, kind) or None,
        parsed.get("op"),
        parsed.get("number"),
        parsed.get("unit"),
        parsed.get("date"),
    )


def declared_value(part: dict[str, Any], key: str) -> Any:
    """A declared key's value in a record or a table row, as the record holds it (None where it has none)."""
    extra = part.get("extra")
    return extra.get(key) if isinstance(extra, dict) else None


def report_title(year: int | None, what: str) -> str:
    """ "2026年度项目支出绩效目标汇总表", or without the year where the collection has none."""
    return f"{year}年度{what}" if year else what


@dataclass
class _UnitRun:
    """The projects of one unit so far, for its 小计 row."""

    code: str
    name: Any
    projects: int = 0
    amounts: list[Decimal | None] = field(default_factory=lambda: [None] * len(FUND_COLUMNS))
    counts: Counter[str] = field(default_factory=Counter)


class SummaryTables:
    """填报情况, 项目汇总 and 指标明细 of one consolidation, a record at a time."""

    def __init__(
        self,
        book: ReportBook,
        *,
        year: int | None,
        columns: SummaryColumns,
        projects: bool = True,
        status_title: str = "项目支出绩效目标填报情况表",
        tree: UnitTree | None = None,
        link_indicators: bool = True,
    ) -> None:
        """`projects` False: 填报情况 alone (a collection of the forms that follow the targets has
        its own reports: follow_on_summary). With a `tree` of units (records arriving depth first),
        each sub-office's subtree closes with its own 小计. `link_indicators` False: 指标明细 names
        each indicator's place in 汇编 as text, and only 项目汇总's rows link there (xlsxwriter holds
        every link, about 1 KiB each, until the workbook is written: a large collection's would
        be most of its memory)."""
        self.heading = book.heading
        self.columns = columns
        self.level1 = columns.level1
        self.factor = book.heading.money_unit.factor
        self.status = book.sheet(STATUS_SHEET, report_title(year, status_title), STATUS_COLUMNS, frozen_columns=2)
        self.levels = (
            book.sheet(LEVELS_SHEET, report_title(year, "分级填报情况表"), LEVEL_COLUMNS, frozen_columns=2)
            if tree is not None and tree.has_levels
            else None
        )
        self.with_compilation = with_compilation = book.with_compilation
        self.link_indicators = link_indicators
        self.project_count = self.indicator_count = 0
        self.totals: list[Decimal] = [Decimal(0)] * len(FUND_COLUMNS)
        self.level1_totals: Counter[str] = Counter()
        self.run: _UnitRun | None = None
        self.tree = tree
        self.offices: list[_UnitRun] = []  # the sub-offices whose subtree is being listed, outermost first
        self.projects: ReportSheet | None = None
        self.indicators: ReportSheet | None = None
        if not projects:
            return
        self.projects = book.sheet(
            PROJECTS_SHEET,
            report_title(year, "项目支出绩效目标汇总表"),
            project_columns(str(book.heading.money_unit), columns, with_compilation=with_compilation),
            frozen_columns=2,
        )
        indicator_columns = (
            *INDICATOR_COLUMNS[:-2],
            *(declared_column(key) for key in columns.indicator_extra),
            *INDICATOR_COLUMNS[-2:],
            *((Column(COMPILATION_COLUMN, 12, "link"),) if with_compilation else ()),
        )
        self.indicators = book.sheet(
            INDICATORS_SHEET, report_title(year, "项目支出绩效指标明细表"), indicator_columns, frozen_columns=2
        )

    # --- 填报情况 -------------------------------------------------------------------------------

    def write_statuses(self, statuses: Sequence[UnitStatus]) -> None:
        """A row per roster unit, in roster order."""
        for status in statuses:
            received = status.last_received
            if received is not None and received.tzinfo is not None:
                received = received.replace(tzinfo=None)  # the ledger's wall-clock time (xlsx has no zones)
            self.status.add_row(
                (
                    status.code,
                    status.name,
                    status.standing.label,
                    status.versions,
                    received,
                    status.projects,
                    status.errors,
                    status.warnings,
                    status.file,
                    status.review_note or None,
                )
            )
        self.status.finish()
        if self.levels is not None and self.tree is not None:
            for count in count_levels(self.tree, statuses):
                self.levels.add_row(
                    (
                        count.code,
                        count.name,
                        count.level,
                        count.units,
                        count.returned,
                        count.approved,
                        count.errors,
                        count.missing,
                        count.late,
                    )
                )
            self.levels.finish()

    # --- a project ----------------------------------------------------------------------------

    def add_project(
        self, record: dict[str, Any], amounts: Sequence[Decimal | None], form: tuple[str, str] | None
    ) -> None:
        """One project's row (after the 小计 of the unit before it) and its indicators' rows;
        `form` is where 汇编 drew it, if it did: the link's target ("internal:'汇编-tangshan'!A35",
        report_sheet) and the text shown ("汇编-tangshan 第35行")."""
        unit = record.get("unit") or {}
        project = record.get("project") or {}
        source = record.get("source") or {}
        code = str(unit.get("code") or "")
        if self.run is not None and self.run.code != code:
            self._subtotal(self.run)
            self.run = None
        if self.run is None:
            self._enter_subtrees(code)
            self.run = _UnitRun(code, unit.get("name"))
        indicators = [item for item in record.get("indicators") or [] if isinstance(item, dict)]
        counts = Counter(self._level1_column(item.get("level1")) for item in indicators)
        location, link_text = form if form else (None, None)
        values = (
            unit.get("code"),
            unit.get("name"),
            project.get("code"),
            project.get("name"),
            project.get("attribute"),
            *(in_money_unit(a, self.factor) for a in amounts),
            *(counts[level] for level in (*self.level1, OTHER_LEVEL1)),
            *(self._declared(record, key) for key in self.columns.project_extra),
            source.get("file"),
            source.get("sheet"),
            *((link_text,) if self.with_compilation else ()),
        )
        last = len(values) - 1
        self._sheet(self.projects).add_row(
            values, links={last: location} if location and self.with_compilation else None
        )
        self.project_count += 1
        self.level1_totals.update(counts)
        for i, amount in enumerate(amounts):
            if amount is not None:
                self.totals[i] += amount
        for run in (self.run, *self.offices):
            run.projects += 1
            run.counts.update(counts)
            for i, amount in enumerate(amounts):
                if amount is not None:
                    run.amounts[i] = (run.amounts[i] or Decimal(0)) + amount
        for number, item in enumerate(indicators, start=1):
            self._indicator(unit, project, source, number, item, location, link_text)

    def _indicator(
        self,
        unit: dict[str, Any],
        project: dict[str, Any],
        source: dict[str, Any],
        number: int,
        item: dict[str, Any],
        location: str | None,
        link_text: str | None,
    ) -> None:
        base = indicator_values(unit, project, number, item)
        values = (
            *base[:-1],
            _date(base[-1]),
            *(self._declared(item, key) for key in self.columns.indicator_extra),
            source.get("file"),
            source.get("sheet"),
            *((link_text,) if self.with_compilation else ()),
        )
        last = len(values) - 1
        self._sheet(self.indicators).add_row(
            values, links={last: location} if location and self.with_compilation and self.link_indicators else None
        )
        self.indicator_count += 1

    def _declared(self, part: dict[str, Any], key: DeclaredKey) -> Any:
        """A declared key's value as its column shows it: money in the summary's unit."""
        value = declared_value(part, key.key)
        if value is not None and key.type is ValueType.money:
            return in_money_unit(Decimal(str(value)), self.factor)
        return _date(value) if key.type is ValueType.date else value

    def _level1_column(self, level1: Any) -> str:
        return level1 if isinstance(level1, str) and level1 in self.level1 else OTHER_LEVEL1

    @staticmethod
    def _sheet(sheet: ReportSheet | None) -> ReportSheet:
        if sheet is None:
            raise ValueError("项目汇总 and 指标明细 were not made for this summary")
        return sheet

    def _enter_subtrees(self, code: str) -> None:
        """Before a unit's rows: the 小计 of each sub-office subtree it is not in, and the subtrees
        it opens (a subtree that is the whole roster has none: that is the 合计)."""
        if self.tree is None:
            return
        everyone = len(self.tree.names)
        path = [*self.tree.ancestors(code), *([code] if self.tree.children(code) else [])]
        path = [office for office in path if len(self.tree.subtree(office)) < everyone]
        while self.offices and self.offices[-1].code not in path:
            self._subtotal(self.offices.pop(), subtree=True)
        opened = {run.code for run in self.offices}
        self.offices += [_UnitRun(office, self.tree.names.get(office)) for office in path if office not in opened]

    def _subtotal(self, run: _UnitRun, *, subtree: bool = False) -> None:
        label = f"小计：{run.name}及下属单位（{run.projects} 个项目）" if subtree else f"小计（{run.projects} 个项目）"
        self._sum_row((run.code, run.name), label, run.amounts, run.counts, "subtotal")

    def _sum_row(
        self, unit: tuple[Any, Any], label: str, amounts: Sequence[Decimal | None], counts: Counter[str], style: str
    ) -> None:
        """A 小计 or 合计 row of 项目汇总: the amounts in the summary's unit and the count per 一级."""
        self._sheet(self.projects).add_row(
            (
                *unit,
                None,
                label,
                None,
                *(in_money_unit(a, self.factor) for a in amounts),
                *(counts[level] for level in (*self.level1, OTHER_LEVEL1)),
                *(None for _ in self.columns.project_extra),
                None,
                None,
                *((None,) if self.with_compilation else ()),
            ),
            style=style,
        )

    # --- the end ------------------------------------------------------------------------------

    def finish(self) -> None:
        """The last unit's 小计, the 合计 row, and the autofilters."""
        if self.projects is None or self.indicators is None:
            return
        if self.run is not None:
            self._subtotal(self.run)
        while self.offices:
            self._subtotal(self.offices.pop(), subtree=True)
        self.projects.finish()  # the 合计 row stays outside the filter
        self._sum_row(("合计", None), f"{self.project_count} 个项目", self.totals, self.level1_totals, "total")
        self.indicators.finish()

    def papers(self) -> dict[str, int]:
        """The paper each table sheet prints on (xlsxwriter's paper numbers)."""
        sheets = (self.status, self.levels, self.projects, self.indicators)
        return {sheet.sheet.get_name(): sheet.paper for sheet in sheets if sheet is not None}


def _date(value: object) -> object:
    """An ISO date of the record as a date (written as one); anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return value
