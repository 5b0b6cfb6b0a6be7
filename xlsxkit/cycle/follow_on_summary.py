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
written as records pass (constant_memory); only sums and the grade counts are kept. Each report
is its own module (monitor_report; self_evaluation_report, with 自评统计), reading records through
follow_on_values; this one opens them as their forms arrive.
"""

from __future__ import annotations

from typing import Any

from xlsxkit.cycle.follow_on_values import is_follow_on, record_as_of, record_part, year_of
from xlsxkit.cycle.monitor_report import MonitorSheet
from xlsxkit.cycle.report_sheet import ReportBook
from xlsxkit.cycle.self_evaluation_report import SelfEvaluationSheet
from xlsxkit.form.record import FOLLOW_ON_FORMS

__all__ = ["FollowOnSummary", "is_follow_on"]


class FollowOnSummary:
    """The reports of the follow-on forms in one consolidation, fed a record at a time."""

    def __init__(
        self,
        book: ReportBook,
        *,
        year: int | None,
        form: str | None,
    ) -> None:
        """`form`: the collection's (its template's), whose report is made even if no record comes."""
        self.book = book
        self.year = year
        self.expected = form if form in FOLLOW_ON_FORMS else None
        self.monitor: MonitorSheet | None = None
        self.self_evaluation: SelfEvaluationSheet | None = None
        self.count = 0
        self.units: set[str] = set()

    def open(self, record: dict[str, Any]) -> None:
        """Make the report of `record`'s form unless made: the month and, without the collection's,
        the year of its titles are the first record's."""
        self._open(str(record.get("form")), record)

    def _open(self, form: str, record: dict[str, Any] | None) -> None:
        year = self.year or (year_of(record.get("year")) if record else None)
        if form == "monitor" and self.monitor is None:
            self.monitor = MonitorSheet(self.book, year=year, as_of=record_as_of(record))
        elif form == "self_evaluation" and self.self_evaluation is None:
            self.self_evaluation = SelfEvaluationSheet(self.book, year=year)

    def add(self, record: dict[str, Any], form: tuple[str, str] | None) -> None:
        """One follow-on record's row; `form` is where 汇编 drew it, if it did."""
        self.open(record)
        if record.get("form") == "monitor" and self.monitor is not None:
            self.monitor.add(record, form)
        elif record.get("form") == "self_evaluation" and self.self_evaluation is not None:
            self.self_evaluation.add(record, form)
        self.count += 1
        self.units.add(str(record_part(record, "unit").get("code") or ""))

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
