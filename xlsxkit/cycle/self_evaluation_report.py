"""自评汇总 and 自评统计: a row per self-evaluated project — 全年预算数, 全年执行数, 执行率, the funds'
score, the indicators' scores summed, 总分 as written and as the rules compute it, its 等级 — with a
合计 row; and how many projects have each 等级, a table and its chart on one printed page, like
统计 (follow_on_summary)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.cycle.follow_on_values import (
    IDENTITY_COLUMNS,
    PLACE_COLUMN,
    add_project_row,
    as_float,
    as_fraction,
    project_identity,
    record_indicators,
    record_part,
    total_or_none,
)
from xlsxkit.cycle.report_sheet import (
    Column,
    ReportBook,
    ReportFormats,
    ReportHeading,
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
from xlsxkit.cycle.summary_tables import report_title
from xlsxkit.form.scoring import decimal_of, execution_rate

SELF_EVALUATION_SHEET = "自评汇总"
GRADES_SHEET = "自评统计"
GRADES = (
    ("优", Decimal(90), "90分（含）以上"),
    ("良", Decimal(80), "80分（含）至90分"),
    ("中", Decimal(60), "60分（含）至80分"),
    ("差", Decimal("-Infinity"), "60分以下"),
)
UNGRADED = "未评分"  # no 总分 written
GRADES_CHART_TITLE = "自评等级分布（项目数）"


def grade_of(total_score: Decimal | None) -> str | None:
    """优 from 90, 良 from 80, 中 from 60, else 差; None without a score."""
    if total_score is None:
        return None
    return next(name for name, lowest, _ in GRADES if total_score >= lowest)


def _axis_step(largest: int, ticks: int = 6) -> int:
    """A whole step of 1, 2 or 5 × 10ⁿ for a count axis up to `largest`, with at most `ticks` steps."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if largest <= step * ticks:
                return step
        magnitude *= 10


class SelfEvaluationSheet:
    """自评汇总: a row per self-evaluated project, a 合计 row; and 自评统计, its grades' distribution."""

    def __init__(
        self,
        book: ReportBook,
        *,
        year: int | None,
    ) -> None:
        money = str(book.heading.money_unit)
        columns = (
            *IDENTITY_COLUMNS,
            Column(f"全年预算数（{money}）", 14, "money"),
            Column(f"全年执行数（{money}）", 14, "money"),
            Column("执行率", 8, "percent"),
            Column("预算执行得分", 8, "number"),
            Column("指标得分", 8, "number"),
            Column("总分", 8, "number"),
            Column("按规则计算的总分", 10, "number"),
            Column("等级", 6, "text"),
            *((PLACE_COLUMN,) if book.with_compilation else ()),
        )
        title = report_title(year, "项目支出绩效自评汇总表")
        self.report = book.sheet(SELF_EVALUATION_SHEET, title, columns, frozen_columns=3)
        # made now, written at the end: so it stands beside 自评汇总, before the 汇编 sheets
        grades_title = report_title(year, "项目支出绩效自评等级统计表")
        self.grades_sheet = GradeSheet(book.workbook, book.formats, book.heading, grades_title)
        self.factor = book.heading.money_unit.factor
        self.with_compilation = book.with_compilation
        self.sums = [Decimal(0)] * 2  # yuan: 全年预算数, 全年执行数
        self.grades: Counter[str] = Counter()
        self.projects = 0

    def add(self, record: dict[str, Any], form: tuple[str, str] | None) -> None:
        """One project's row; `form` is where 汇编 drew it (the link's target and its text)."""
        funds = record_part(record, "funds")
        rows = funds.get("rows")
        total = rows.get("total") if isinstance(rows, dict) else None
        total = total if isinstance(total, dict) else {}
        budget, executed = decimal_of(total.get("adjusted")), decimal_of(total.get("executed"))
        rate = execution_rate(executed, budget)
        if rate is None:
            rate = decimal_of(funds.get("rate"))
        score = decimal_of(record.get("total_score"))
        computed = decimal_of(record_part(record, "computed").get("total_score"))
        grade = grade_of(score)
        values = (
            *project_identity(record),
            in_money_unit(budget, self.factor),
            in_money_unit(executed, self.factor),
            as_fraction(rate),
            as_float(decimal_of(funds.get("score"))),
            as_float(total_or_none([decimal_of(item.get("score")) for item in record_indicators(record)])),
            as_float(score),
            as_float(computed),
            grade,
        )
        add_project_row(self.report, values, form, with_compilation=self.with_compilation)
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
            as_fraction(execution_rate(executed, budget)),
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
