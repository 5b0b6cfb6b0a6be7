"""监控汇总: a row per monitored project — 年初预算数, 1-X月执行数, 执行率 against 序时进度 (X/12) with
its light (绿/黄/红: the word, on a pale fill), 全年预计执行数, the cumulative indicators behind
schedule (红灯指标) and those the unit is not sure to meet — and a 合计 row (follow_on_summary)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.cycle.follow_on_values import (
    IDENTITY_COLUMNS,
    PLACE_COLUMN,
    add_project_row,
    as_float,
    as_fraction,
    indicator_name,
    project_identity,
    record_as_of,
    record_indicators,
    record_part,
    year_of,
)
from xlsxkit.cycle.report_sheet import (
    FONT_SIZE,
    Column,
    ReportBook,
    in_money_unit,
)
from xlsxkit.cycle.summary_tables import report_title
from xlsxkit.form.schedule import LIGHTS, is_cumulative, light, time_share
from xlsxkit.form.scoring import achievement, decimal_of, execution_rate
from xlsxkit.write.follow_on_cells import LIGHT_FILLS

MONITOR_SHEET = "监控汇总"
AT_RISK = ("有可能", "完全不可能")  # 完成目标可能性 short of 确定能
NAMES_SEPARATOR = "、"


def behind_schedule(indicators: Sequence[dict[str, Any]], share: Decimal | None, year: Any) -> list[str]:
    """The 三级指标 of the cumulative indicators whose 当前完成值 is red against their target × the
    share of the year passed (form/schedule), as the monitoring form lights them."""
    if share is None:
        return []
    return [
        indicator_name(item, number)
        for number, item in enumerate(indicators, start=1)
        if is_cumulative(item) and _progress_light(item, share, year) == LIGHTS[2]
    ]


def at_risk(indicators: Sequence[dict[str, Any]]) -> list[str]:
    """The 三级指标 the unit is not sure to meet (完成目标可能性 有可能 or 完全不可能)."""
    return [
        indicator_name(item, number)
        for number, item in enumerate(indicators, start=1)
        if item.get("likelihood") in AT_RISK
    ]


def _progress_light(item: dict[str, Any], share: Decimal, year: Any) -> str | None:
    """A cumulative indicator's light: how much of its target its 当前完成值 reaches (form/scoring)
    against the share of the year passed; None where the value is no number (or one in another unit)."""
    actual = item.get("actual") if isinstance(item.get("actual"), str) else None
    reached = achievement(item.get("parsed"), actual, year_of(year))
    return None if reached is None else light(reached, share)


def _month(as_of: str | None) -> int | None:
    """The month monitored to ("2026-07" → 7); None for no month."""
    return None if as_of is None or time_share(as_of) is None else int(as_of[5:7])


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
        book: ReportBook,
        *,
        year: int | None,
        as_of: str | None,
    ) -> None:
        money = str(book.heading.money_unit)
        month = _month(as_of)
        executed = f"1-{month}月执行数" if month else "执行数"
        columns = (
            *IDENTITY_COLUMNS,
            Column(f"年初预算数（{money}）", 14, "money"),
            Column(f"{executed}（{money}）", 14, "money"),
            Column("执行率", 8, "percent"),
            Column("序时进度", 8, "percent"),
            Column("执行进度", 8, "text"),
            Column(f"全年预计执行数（{money}）", 14, "money"),
            Column("指标数", 6, "int"),
            Column("红灯指标", 20, "wrap"),
            Column("可能无法完成的指标", 20, "wrap"),
            *((PLACE_COLUMN,) if book.with_compilation else ()),
        )
        title = report_title(year, "项目支出绩效目标执行监控汇总表") + (f"（1-{month}月）" if month else "")
        self.report = book.sheet(MONITOR_SHEET, title, columns, frozen_columns=3)
        self.lights = _LightFormats(book.workbook)
        self.factor = book.heading.money_unit.factor
        self.with_compilation = book.with_compilation
        self.sums = [Decimal(0)] * 3  # yuan: budget, executed, forecast
        self.shares: set[Decimal] = set()
        self.projects = self.indicators = self.red = self.at_risk = 0

    def add(self, record: dict[str, Any], form: tuple[str, str] | None) -> None:
        """One project's row; `form` is where 汇编 drew it (the link's target and its text)."""
        funds = record_part(record, "funds")
        amounts = [decimal_of(funds.get(key)) for key in ("budget", "executed", "forecast")]
        rate = execution_rate(amounts[1], amounts[0])
        if rate is None:
            rate = decimal_of(funds.get("rate"))
        share = time_share(record_as_of(record))
        indicators = record_indicators(record)
        red = behind_schedule(indicators, share, record.get("year"))
        unsure = at_risk(indicators)
        values = (
            *project_identity(record),
            in_money_unit(amounts[0], self.factor),
            in_money_unit(amounts[1], self.factor),
            as_fraction(rate),
            as_float(share),
            None,  # the light, written over with its fill
            in_money_unit(amounts[2], self.factor),
            len(indicators),
            NAMES_SEPARATOR.join(red) or None,
            NAMES_SEPARATOR.join(unsure) or None,
        )
        row = add_project_row(self.report, values, form, with_compilation=self.with_compilation)
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
            as_fraction(rate),
            as_float(share),
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
