"""监控汇总 and 自评汇总: the summary's reports of the forms generated from the approved targets later
in the year (docs/record.md, "The rest of the year"), printable reports (report_sheet) like 项目汇总.

  监控汇总  a row per monitored project, in the order received (unit-code order): 年初预算数,
            1-X月执行数, 执行率 against 序时进度 (X/12) with its light (绿/黄/红: the word, on a
            pale fill), 全年预计执行数, the cumulative indicators behind schedule (红灯指标) and
            those the unit is not sure to meet; a 合计 row.
  自评汇总  a row per self-evaluated project: 全年预算数, 全年执行数, 执行率, the funds' score, the
            indicators' scores summed, 总分 as written and as the rules compute it, its 等级; a 合计 row.
  自评统计  how many projects have each 等级: a table and its chart on one printed page, like 统计.

A sheet is made when the first record of its form arrives (before the 汇编 sheet that form is drawn
on, so the report comes first), or at the end for the collection's form when none came. Rows are
written as records pass (constant_memory); only sums and the grade counts are kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.cycle.report_sheet import (
    FONT_SIZE,
    Column,
    ReportFormats,
    ReportHeading,
    ReportSheet,
    in_money_unit,
    write_cell,
)
from xlsxkit.cycle.summary_stats import (
    CHART_FILL,
    CHART_PIXELS,
    TABLE_WIDTHS,
    set_chart_page,
    write_chart_page_heading,
)
from xlsxkit.cycle.summary_tables import COMPILATION_COLUMN, report_title
from xlsxkit.form.record import FOLLOW_ON_FORMS
from xlsxkit.form.schedule import LIGHTS, is_cumulative, light, time_share
from xlsxkit.form.scoring import achievement, decimal_of, execution_rate
from xlsxkit.write.follow_on_cells import LIGHT_FILLS

MONITOR_SHEET = "监控汇总"
SELF_EVALUATION_SHEET = "自评汇总"
GRADES_SHEET = "自评统计"
AT_RISK = ("有可能", "完全不可能")  # 完成目标可能性 short of 确定能
NAMES_SEPARATOR = "、"
# 等级 by 总分: the lowest score of each, and the range as a report states it.
GRADES = (
    ("优", Decimal(90), "90分（含）以上"),
    ("良", Decimal(80), "80分（含）至90分"),
    ("中", Decimal(60), "60分（含）至80分"),
    ("差", Decimal("-Infinity"), "60分以下"),
)
UNGRADED = "未评分"  # no 总分 written
GRADES_CHART_TITLE = "自评等级分布（项目数）"


def is_follow_on(record: dict[str, Any]) -> bool:
    """Whether a record is of a form generated from the targets (monitor, self_evaluation)."""
    return record.get("form") in FOLLOW_ON_FORMS


def grade_of(total_score: Decimal | None) -> str | None:
    """优 from 90, 良 from 80, 中 from 60, else 差; None without a score."""
    if total_score is None:
        return None
    return next(name for name, lowest, _ in GRADES if total_score >= lowest)


def behind_schedule(indicators: Sequence[dict[str, Any]], share: Decimal | None, year: Any) -> list[str]:
    """The 三级指标 of the cumulative indicators whose 当前完成值 is red against their target × the
    share of the year passed (form/schedule), as the monitoring form lights them."""
    if share is None:
        return []
    return [
        _name(item, number)
        for number, item in enumerate(indicators, start=1)
        if is_cumulative(item) and _progress_light(item, share, year) == LIGHTS[2]
    ]


def at_risk(indicators: Sequence[dict[str, Any]]) -> list[str]:
    """The 三级指标 the unit is not sure to meet (完成目标可能性 有可能 or 完全不可能)."""
    return [_name(item, number) for number, item in enumerate(indicators, start=1) if item.get("likelihood") in AT_RISK]


def _progress_light(item: dict[str, Any], share: Decimal, year: Any) -> str | None:
    """A cumulative indicator's light: how much of its target its 当前完成值 reaches (form/scoring)
    against the share of the year passed; None where the value is no number (or one in another unit)."""
    actual = item.get("actual") if isinstance(item.get("actual"), str) else None
    reached = achievement(item.get("parsed"), actual, _year(year))
    return None if reached is None else light(reached, share)


def _name(item: dict[str, Any], number: int) -> str:
    name = item.get("level3")
    return name.strip() if isinstance(name, str) and name.strip() else f"第{number}项指标"


def _year(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _part(record: dict[str, Any], key: str) -> dict[str, Any]:
    part = record.get(key)
    return part if isinstance(part, dict) else {}


def _indicators(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in record.get("indicators") or [] if isinstance(item, dict)]


def _axis_step(largest: int, ticks: int = 6) -> int:
    """A whole step of 1, 2 or 5 × 10ⁿ for a count axis up to `largest`, with at most `ticks` steps."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if largest <= step * ticks:
                return step
        magnitude *= 10


def _as_of(record: dict[str, Any] | None) -> str | None:
    as_of = record.get("as_of") if record else None
    return as_of if isinstance(as_of, str) else None


def _month(as_of: str | None) -> int | None:
    """The month monitored to ("2026-07" → 7); None for no month."""
    return None if as_of is None or time_share(as_of) is None else int(as_of[5:7])


def _fraction(percent: Decimal | None) -> float | None:
    """A percent (52.00) as the fraction a percent-formatted cell holds (0.52)."""
    return None if percent is None else float(percent / 100)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _sum(values: Sequence[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


class _LightFormats:
    """A bordered, centred cell for each light, on its pale fill (the word printed too, for black
    and white), in a data and in a 合计 row."""

    def __init__(self, workbook: Workbook) -> None:
        self.formats: dict[tuple[str, str], Format] = {}
        for word, fill in zip(LIGHTS, LIGHT_FILLS, strict=True):
            for style, bold in (("data", False), ("total", True)):
                self.formats[(word, style)] = workbook.add_format(
                    {
                        **fill,
                        "pattern": 1,
                        "font_size": FONT_SIZE,
                        "border": 1,
                        "bold": bold,
                        "align": "center",
                        "valign": "top",
                        "num_format": "@",
                    }
                )

    def write(self, sheet: Worksheet, row: int, col: int, word: str | None, style: str = "data") -> None:
        """The light `word` over the plain cell its row wrote (the same row: constant_memory allows it)."""
        if word is not None:
            sheet.write_string(row, col, word, self.formats[(word, style)])


class MonitorSheet:
    """监控汇总: a row per monitored project, a 合计 row at the end."""

    LIGHT_COLUMN = 7  # 执行进度

    def __init__(
        self,
        workbook: Workbook,
        formats: ReportFormats,
        heading: ReportHeading,
        *,
        year: int | None,
        as_of: str | None,
        with_compilation: bool,
    ) -> None:
        money = str(heading.money_unit)
        month = _month(as_of)
        executed = f"1-{month}月执行数" if month else "执行数"
        columns = (
            Column("单位代码", 10),
            Column("单位名称", 16, "wrap"),
            Column("项目名称", 24, "wrap"),
            Column(f"年初预算数（{money}）", 14, "money"),
            Column(f"{executed}（{money}）", 14, "money"),
            Column("执行率", 8, "percent"),
            Column("序时进度", 8, "percent"),
            Column("执行进度", 8, "text"),
            Column(f"全年预计执行数（{money}）", 14, "money"),
            Column("指标数", 6, "int"),
            Column("红灯指标", 20, "wrap"),
            Column("可能无法完成的指标", 20, "wrap"),
            *((Column(COMPILATION_COLUMN, 14, "link"),) if with_compilation else ()),
        )
        title = report_title(year, "项目支出绩效目标执行监控汇总表") + (f"（1-{month}月）" if month else "")
        self.report = ReportSheet(workbook, formats, MONITOR_SHEET, title, columns, heading, frozen_columns=3)
        self.lights = _LightFormats(workbook)
        self.factor = heading.money_unit.factor
        self.with_compilation = with_compilation
        self.sums = [Decimal(0)] * 3  # yuan: budget, executed, forecast
        self.shares: set[Decimal] = set()
        self.projects = self.indicators = self.red = self.at_risk = 0

    def add(self, record: dict[str, Any], form: tuple[str, str] | None) -> None:
        """One project's row; `form` is where 汇编 drew it (the link's target and its text)."""
        funds = _part(record, "funds")
        amounts = [decimal_of(funds.get(key)) for key in ("budget", "executed", "forecast")]
        rate = execution_rate(amounts[1], amounts[0])
        if rate is None:
            rate = decimal_of(funds.get("rate"))
        share = time_share(_as_of(record))
        indicators = _indicators(record)
        red = behind_schedule(indicators, share, record.get("year"))
        unsure = at_risk(indicators)
        location, link_text = form if form else (None, None)
        values = (
            *self._identity(record),
            in_money_unit(amounts[0], self.factor),
            in_money_unit(amounts[1], self.factor),
            _fraction(rate),
            _number(share),
            None,  # the light, written over with its fill
            in_money_unit(amounts[2], self.factor),
            len(indicators),
            NAMES_SEPARATOR.join(red) or None,
            NAMES_SEPARATOR.join(unsure) or None,
            *((link_text,) if self.with_compilation else ()),
        )
        links = {len(values) - 1: location} if location and self.with_compilation else None
        row = self.report.add_row(values, links=links)
        self.lights.write(self.report.sheet, row, self.LIGHT_COLUMN, _rate_light(rate, share))
        for i, amount in enumerate(amounts):
            if amount is not None:
                self.sums[i] += amount
        if share is not None:
            self.shares.add(share)
        self.projects += 1
        self.indicators += len(indicators)
        self.red += len(red)
        self.at_risk += len(unsure)

    def _identity(self, record: dict[str, Any]) -> tuple[Any, Any, Any]:
        unit, project = _part(record, "unit"), _part(record, "project")
        return unit.get("code"), unit.get("name"), project.get("name")

    def finish(self) -> None:
        """The autofilter over the projects, then the 合计 row: sums, 执行率 of the sums, and the
        序时进度 and its light where every project was monitored to the same month."""
        self.report.finish()
        budget, executed, forecast = self.sums
        rate = execution_rate(executed, budget)
        share = next(iter(self.shares)) if len(self.shares) == 1 else None
        values = (
            "合计",
            None,
            f"{self.projects} 个项目",
            in_money_unit(budget, self.factor),
            in_money_unit(executed, self.factor),
            _fraction(rate),
            _number(share),
            None,
            in_money_unit(forecast, self.factor),
            self.indicators,
            f"共 {self.red} 个",
            f"共 {self.at_risk} 个",
            *((None,) if self.with_compilation else ()),
        )
        row = self.report.add_row(values, style="total")
        self.lights.write(self.report.sheet, row, self.LIGHT_COLUMN, _rate_light(rate, share), "total")


def _rate_light(rate: Decimal | None, share: Decimal | None) -> str | None:
    """执行率 (percent) against 序时进度."""
    return None if rate is None or share is None else light(rate, share * 100)


class SelfEvaluationSheet:
    """自评汇总: a row per self-evaluated project, a 合计 row; and 自评统计, its grades' distribution."""

    def __init__(
        self,
        workbook: Workbook,
        formats: ReportFormats,
        heading: ReportHeading,
        *,
        year: int | None,
        with_compilation: bool,
    ) -> None:
        money = str(heading.money_unit)
        columns = (
            Column("单位代码", 10),
            Column("单位名称", 16, "wrap"),
            Column("项目名称", 24, "wrap"),
            Column(f"全年预算数（{money}）", 14, "money"),
            Column(f"全年执行数（{money}）", 14, "money"),
            Column("执行率", 8, "percent"),
            Column("预算执行得分", 8, "number"),
            Column("指标得分", 8, "number"),
            Column("总分", 8, "number"),
            Column("按规则计算的总分", 10, "number"),
            Column("等级", 6, "text"),
            *((Column(COMPILATION_COLUMN, 14, "link"),) if with_compilation else ()),
        )
        title = report_title(year, "项目支出绩效自评汇总表")
        self.report = ReportSheet(workbook, formats, SELF_EVALUATION_SHEET, title, columns, heading, frozen_columns=3)
        # made now, written at the end: so it stands beside 自评汇总, before the 汇编 sheets
        self.grades_sheet = GradeSheet(workbook, formats, heading, report_title(year, "项目支出绩效自评等级统计表"))
        self.factor = heading.money_unit.factor
        self.with_compilation = with_compilation
        self.sums = [Decimal(0)] * 2  # yuan: 全年预算数, 全年执行数
        self.grades: Counter[str] = Counter()
        self.projects = 0

    def add(self, record: dict[str, Any], form: tuple[str, str] | None) -> None:
        """One project's row; `form` is where 汇编 drew it (the link's target and its text)."""
        funds = _part(record, "funds")
        rows = funds.get("rows")
        total = rows.get("total") if isinstance(rows, dict) else None
        total = total if isinstance(total, dict) else {}
        budget, executed = decimal_of(total.get("adjusted")), decimal_of(total.get("executed"))
        rate = execution_rate(executed, budget)
        if rate is None:
            rate = decimal_of(funds.get("rate"))
        score = decimal_of(record.get("total_score"))
        computed = decimal_of(_part(record, "computed").get("total_score"))
        grade = grade_of(score)
        unit, project = _part(record, "unit"), _part(record, "project")
        location, link_text = form if form else (None, None)
        values = (
            unit.get("code"),
            unit.get("name"),
            project.get("name"),
            in_money_unit(budget, self.factor),
            in_money_unit(executed, self.factor),
            _fraction(rate),
            _number(decimal_of(funds.get("score"))),
            _number(_sum([decimal_of(item.get("score")) for item in _indicators(record)])),
            _number(score),
            _number(computed),
            grade,
            *((link_text,) if self.with_compilation else ()),
        )
        links = {len(values) - 1: location} if location and self.with_compilation else None
        self.report.add_row(values, links=links)
        for i, amount in enumerate((budget, executed)):
            if amount is not None:
                self.sums[i] += amount
        self.grades[grade or UNGRADED] += 1
        self.projects += 1

    def finish(self) -> None:
        """The autofilter, the 合计 row (sums and the 执行率 of the sums), then 自评统计."""
        self.report.finish()
        budget, executed = self.sums
        values = (
            "合计",
            None,
            f"{self.projects} 个项目",
            in_money_unit(budget, self.factor),
            in_money_unit(executed, self.factor),
            _fraction(execution_rate(executed, budget)),
            None,
            None,
            None,
            None,
            None,
            *((None,) if self.with_compilation else ()),
        )
        self.report.add_row(values, style="total")
        self.grades_sheet.write(self.grades)


class GradeSheet:
    """自评统计: the projects of each 等级, a table and beside it its column chart, on one landscape
    A4 page laid out as 统计 is (its column widths, a fixed print scale, the chart within the page)."""

    def __init__(self, workbook: Workbook, formats: ReportFormats, heading: ReportHeading, title: str) -> None:
        self.workbook = workbook
        self.formats = formats
        self.heading = heading
        self.title = title
        self.sheet: Worksheet = workbook.add_worksheet(GRADES_SHEET)

    def write(self, grades: Counter[str]) -> None:
        """The page setup, the heading, the table and its chart."""
        set_chart_page(self.sheet)
        write_chart_page_heading(self.sheet, self.formats, self.title, self.heading)
        shown = [*(name for name, _, _ in GRADES), *((UNGRADED,) if grades[UNGRADED] else ())]
        ranges = {name: text for name, _, text in GRADES} | {UNGRADED: "未填写总分"}
        total = sum(grades[name] for name in shown)
        self.sheet.write_string(3, 0, "自评等级分布", self.formats.section)
        columns = (Column("等级", 12), Column("分数段", 26), Column("项目数", 10, "int"), Column("占比", 14, "percent"))
        for col, column in enumerate(columns):
            self.sheet.write_string(4, col, column.header, self.formats.header)
        rows = [(name, ranges[name], grades[name], grades[name] / total if total else 0) for name in shown]
        for offset, values in enumerate([*rows, ("合计", None, total, 1 if total else 0)]):
            style = "total" if offset == len(rows) else "data"
            for col, (value, column) in enumerate(zip(values, columns, strict=True)):
                write_cell(self.sheet, self.formats, 5 + offset, col, value, column.kind, style)
        self._chart(first=5, last=4 + len(rows), largest=max(grades[name] for name in shown))

    def _chart(self, *, first: int, last: int, largest: int) -> None:
        """A column chart of the 项目数 by 等级, to the right of the table, 220 points high: with the
        heading it stays well within the page. Its axis counts in whole projects."""
        chart = self.workbook.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": "项目数",
                "categories": [GRADES_SHEET, first, 0, last, 0],
                "values": [GRADES_SHEET, first, 2, last, 2],
                "fill": CHART_FILL,
                "border": {"color": "#000000"},
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": GRADES_CHART_TITLE, "name_font": {"size": 12, "bold": True}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"name": "项目数", "num_font": {"size": 9}, "min": 0, "major_unit": _axis_step(largest)})
        chart.set_x_axis({"name": "等级", "num_font": {"size": 9}})
        chart.set_chartarea({"border": {"none": True}})
        chart.set_size({"width": CHART_PIXELS, "height": int(220 * 96 / 72)})
        self.sheet.insert_chart(3, len(TABLE_WIDTHS) + 1, chart, {"object_position": 1})


class FollowOnSummary:
    """The reports of the follow-on forms in one consolidation, fed a record at a time."""

    def __init__(
        self,
        workbook: Workbook,
        formats: ReportFormats,
        heading: ReportHeading,
        *,
        year: int | None,
        form: str | None,
        with_compilation: bool,
    ) -> None:
        """`form`: the collection's (its template's), whose report is made even if no record comes."""
        self.workbook = workbook
        self.formats = formats
        self.heading = heading
        self.year = year
        self.expected = form if form in FOLLOW_ON_FORMS else None
        self.with_compilation = with_compilation
        self.monitor: MonitorSheet | None = None
        self.self_evaluation: SelfEvaluationSheet | None = None
        self.count = 0
        self.units: set[str] = set()

    def open(self, record: dict[str, Any]) -> None:
        """Make the report of `record`'s form unless made: the month and, without the collection's,
        the year of its titles are the first record's."""
        self._open(str(record.get("form")), record)

    def _open(self, form: str, record: dict[str, Any] | None) -> None:
        year = self.year or (_year(record.get("year")) if record else None)
        if form == "monitor" and self.monitor is None:
            self.monitor = MonitorSheet(
                self.workbook,
                self.formats,
                self.heading,
                year=year,
                as_of=_as_of(record),
                with_compilation=self.with_compilation,
            )
        elif form == "self_evaluation" and self.self_evaluation is None:
            self.self_evaluation = SelfEvaluationSheet(
                self.workbook, self.formats, self.heading, year=year, with_compilation=self.with_compilation
            )

    def add(self, record: dict[str, Any], form: tuple[str, str] | None) -> None:
        """One follow-on record's row; `form` is where 汇编 drew it, if it did."""
        self.open(record)
        if record.get("form") == "monitor" and self.monitor is not None:
            self.monitor.add(record, form)
        elif record.get("form") == "self_evaluation" and self.self_evaluation is not None:
            self.self_evaluation.add(record, form)
        self.count += 1
        self.units.add(str(_part(record, "unit").get("code") or ""))

    def finish(self) -> None:
        """The collection's report if no record made it, then every report's 合计 (and 自评统计)."""
        if self.expected is not None:
            self._open(self.expected, None)
        for report in (self.monitor, self.self_evaluation):
            if report is not None:
                report.finish()

    def papers(self) -> dict[str, int]:
        """The paper each report prints on (xlsxwriter's paper numbers)."""
        reports = [r.report for r in (self.monitor, self.self_evaluation) if r is not None]
        return {report.sheet.get_name(): report.paper for report in reports}
