"""统计: the summary's figures, each table with its chart on the same printed page.

The sheet is laid out on the page grid: every section (a table and, beside it, its chart) starts
a new page with a manual page break, and a chart is never taller than a page, so no chart is cut
by a page break. The sheet prints at a fixed scale (Excel ignores manual breaks on a sheet fitted
to pages) at which its columns fill a landscape A4 page. Charts carry Chinese titles, axis names
and data labels, and print in black and white (dark grey fills, labels on the bars).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.cycle.report_sheet import (
    FONT_SIZE,
    FOOTER,
    MARGIN_INCHES,
    PRINTABLE_PIXELS,
    TITLE_SIZE,
    Column,
    ReportFormats,
    ReportHeading,
    column_pixels,
    write_cell,
)
from xlsxkit.cycle.status import Standing, UnitStatus
from xlsxkit.form.excel import PAPER_A4, STATS_SHEET
from xlsxkit.form.money import MoneyUnit
from xlsxkit.form.text_fit import default_row_height

KIND_LABELS = {"quantitative": "定量", "deadline": "时限", "qualitative": "定性"}
UNKNOWN_KIND = "未识别"
CHART_UNITS = 20  # units shown in the funds chart (the largest)
CHART_ROW_POINTS = default_row_height(FONT_SIZE) + 1.5  # every row of a chart page
TABLE_WIDTHS = (12, 26, 10, 14)  # columns A–D: the tables
GAP_WIDTH = 2  # column E
CHART_WIDTHS = (11,) * 6  # columns F–K: the charts
CHART_PIXELS = 480  # a chart's width: columns F–K
PAGE_ROWS_POINTS = (8.27 - 1.2) * 72 - 40  # a landscape A4 page's printable height, header and footer kept
CHART_FILL = {"color": "#595959"}  # dark grey: as legible printed in black and white as on screen


@dataclass
class SummaryFigures:
    """What 统计 shows, gathered as records pass."""

    levels: Counter[tuple[str, str]] = field(default_factory=Counter)  # (一级, 二级) → indicators
    kinds: Counter[str] = field(default_factory=Counter)  # 定量 / 时限 / 定性 / 未识别 → indicators
    units: dict[str, list[object]] = field(default_factory=dict)  # code → [name, projects, annual total (yuan)]

    def add_unit_project(self, code: str, name: object, annual_total: Decimal | None) -> None:
        """One project of a unit, and its annual funds."""
        entry = self.units.setdefault(code, [name, 0, Decimal(0)])
        entry[1] = int(str(entry[1])) + 1
        entry[2] = Decimal(str(entry[2])) + (annual_total or 0)

    def add_indicator(self, level1: str | None, level2: str | None, kind: str | None) -> None:
        """One indicator: its levels, and the kind of its 指标值 (None: blank, counted in no kind)."""
        self.levels[(level1 or "（未填）", level2 or "（未填）")] += 1
        if kind is not None:
            self.kinds[KIND_LABELS.get(kind, UNKNOWN_KIND)] += 1


def set_chart_page(sheet: Worksheet) -> int:
    """The page of a sheet of tables and charts (统计, 自评统计): the table and chart columns, rows as
    tall in every program (the charts' anchors), landscape A4 at the print scale that fits the
    columns to the page's width (fixed, so manual page breaks hold), its own page numbers; the scale."""
    widths = (*TABLE_WIDTHS, GAP_WIDTH, *CHART_WIDTHS)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    scale = min(100, int(PRINTABLE_PIXELS[PAPER_A4] / sum(column_pixels(w) for w in widths) * 100))
    sheet.set_default_row(CHART_ROW_POINTS)
    sheet.set_landscape()
    sheet.set_paper(PAPER_A4)
    sheet.set_margins(left=MARGIN_INCHES, right=MARGIN_INCHES, top=0.6, bottom=0.6)
    sheet.set_print_scale(scale)
    sheet.center_horizontally()
    sheet.set_footer(FOOTER)
    sheet.set_start_page(1)  # each report numbers its own pages
    return scale


def write_chart_page_heading(sheet: Worksheet, formats: ReportFormats, title: str, heading: ReportHeading) -> None:
    """The first two rows of a sheet of tables and charts (统计, 自评统计): the title over the table
    and chart columns, then 编制单位 on the left and the date on the right."""
    last = len(TABLE_WIDTHS) + len(CHART_WIDTHS)
    sheet.set_row(0, TITLE_SIZE * 2)
    sheet.merge_range(0, 0, 0, last, "", formats.title)
    sheet.write_string(0, 0, title, formats.title)
    left, right = heading.line(with_money=False)
    sheet.merge_range(1, 0, 1, 3, "", formats.info_left)
    sheet.write_string(1, 0, left, formats.info_left)
    sheet.merge_range(1, 4, 1, last, "", formats.info_right)
    sheet.write_string(1, 4, right, formats.info_right)


class StatsSheet:
    """Writes 统计 at the end of a consolidation, section by section on the page grid."""

    def __init__(
        self,
        workbook: Workbook,
        formats: ReportFormats,
        heading: ReportHeading,
        title: str,
        level1_order: Sequence[str],
    ) -> None:
        self.workbook = workbook
        self.formats = formats
        self.heading = heading
        self.title = title
        self.level1_order = tuple(level1_order)
        self.sheet = workbook.add_worksheet(STATS_SHEET)
        self.row = 0
        self.breaks: list[int] = []
        self.row_points = CHART_ROW_POINTS

    def write(self, figures: SummaryFigures, statuses: Sequence[UnitStatus]) -> None:
        """Every section, then the page setup."""
        self._page_setup()
        self._heading()
        self._level1_section(figures)
        self._level2_section(figures)
        self._kinds_section(figures)
        self._standing_section(statuses)
        self._funds_section(figures)
        self.sheet.set_h_pagebreaks(self.breaks)

    # --- layout -----------------------------------------------------------------------------

    def _page_setup(self) -> None:
        self.page_points = PAGE_ROWS_POINTS * 100 / set_chart_page(self.sheet)

    def _heading(self) -> None:
        write_chart_page_heading(self.sheet, self.formats, self.title, self.heading)
        self.row = 2

    def _new_section(self, caption: str) -> int:
        """A section starts a page (but the first, under the heading); returns its first row."""
        if self.breaks or self.row > 2:
            self.row += 1
            self.breaks.append(self.row)
        else:
            self.row += 1
        self.sheet.write_string(self.row, 0, caption, self.formats.section)
        return self.row

    def _table(
        self, columns: Sequence[Column], rows: Sequence[Sequence[object]], total: Sequence[object] | None
    ) -> tuple[int, int]:
        """A bordered table under the caption; (first, last) data row."""
        self.row += 1
        for col, column in enumerate(columns):
            self.sheet.write_string(self.row, col, column.header, self.formats.header)
        first = self.row + 1
        for values in rows:
            self.row += 1
            for col, (value, column) in enumerate(zip(values, columns, strict=True)):
                write_cell(self.sheet, self.formats, self.row, col, value, column.kind)
        last = self.row
        if total is not None:
            self.row += 1
            for col, (value, column) in enumerate(zip(total, columns, strict=True)):
                write_cell(self.sheet, self.formats, self.row, col, value, column.kind, "total")
        return first, last

    def _chart_beside(
        self,
        section_row: int,
        chart_type: str,
        name: str,
        rows: tuple[int, int],
        title: str,
        columns: tuple[int, int] = (0, 1),
    ) -> None:
        """A chart to the right of its table, from the section's first row, no taller than a page:
        categories from the table's column columns[0], values from columns[1], over rows (first, last)."""
        first, last = rows
        series = {
            "name": name,
            "categories": [STATS_SHEET, first, columns[0], last, columns[0]],
            "values": [STATS_SHEET, first, columns[1], last, columns[1]],
        }
        rows_shown = last - first + 1
        chart = self.workbook.add_chart({"type": chart_type})
        chart.add_series({**series, "fill": CHART_FILL, "border": {"color": "#000000"}, "data_labels": {"value": True}})
        chart.set_title({"name": title, "name_font": {"size": 12, "bold": True}})
        chart.set_legend({"none": True})
        height_points = min(self.page_points - 2 * self.row_points, max(220.0, 60 + 16.5 * rows_shown))
        chart.set_size({"width": CHART_PIXELS, "height": int(height_points * 96 / 72)})
        if chart_type == "bar":
            chart.set_y_axis({"reverse": True, "num_font": {"size": 9}})
            chart.set_x_axis({"name": series.get("name"), "num_font": {"size": 9}})
        else:
            chart.set_y_axis({"name": "指标数", "num_font": {"size": 9}})
            chart.set_x_axis({"num_font": {"size": 9}})
        chart.set_chartarea({"border": {"none": True}})
        self.sheet.insert_chart(section_row, len(TABLE_WIDTHS) + 1, chart, {"object_position": 1})
        rows_needed = int(height_points / self.row_points) + 1
        self.row = max(self.row, section_row + rows_needed)

    # --- sections ---------------------------------------------------------------------------

    def _level1_section(self, figures: SummaryFigures) -> None:
        by_level1: Counter[str] = Counter()
        for (level1, _), count in figures.levels.items():
            by_level1[level1] += count
        order = [*self.level1_order, *sorted(set(by_level1) - set(self.level1_order))]
        total = sum(by_level1.values())
        rows = [
            (level1, by_level1[level1], by_level1[level1] / total if total else 0)
            for level1 in order
            if by_level1[level1]
        ]
        start = self._new_section("一、指标数（按一级指标）")
        first, last = self._table(
            (Column("一级指标", 14), Column("指标数", 30, "int"), Column("占比", 12, "percent")),
            rows,
            ("合计", total, 1 if total else 0),
        )
        if rows:
            self._chart_beside(start, "column", "指标数", (first, last), "指标数（按一级指标）")

    def _level2_section(self, figures: SummaryFigures) -> None:
        rank = {level1: index for index, level1 in enumerate(self.level1_order)}
        rows = [
            (level1, level2, count)
            for (level1, level2), count in sorted(
                figures.levels.items(), key=lambda kv: (rank.get(kv[0][0], len(rank)), kv[0])
            )
        ]
        self._new_section("二、指标数（按二级指标）")
        self._table(
            (Column("一级指标", 14), Column("二级指标", 30), Column("指标数", 12, "int")),
            rows,
            ("合计", None, sum(figures.levels.values())),
        )

    def _kinds_section(self, figures: SummaryFigures) -> None:
        total = sum(figures.kinds.values())
        kinds = [k for k in (*KIND_LABELS.values(), UNKNOWN_KIND) if figures.kinds[k] or k != UNKNOWN_KIND]
        rows = [(kind, figures.kinds[kind], figures.kinds[kind] / total if total else 0) for kind in kinds]
        start = self._new_section("三、指标值类型")
        first, last = self._table(
            (Column("类型", 14), Column("指标数", 30, "int"), Column("占比", 12, "percent")),
            rows,
            ("合计", total, 1 if total else 0),
        )
        title = f"指标值类型（定量指标占 {figures.kinds['定量'] / total:.1%}）" if total else "指标值类型"
        self._chart_beside(start, "column", "指标数", (first, last), title)

    def _standing_section(self, statuses: Sequence[UnitStatus]) -> None:
        standings = Counter(status.standing for status in statuses)
        rows = [(standing.label, standings[standing]) for standing in Standing]
        start = self._new_section("四、报送情况")
        first, last = self._table((Column("状态", 14), Column("单位数", 30, "int")), rows, ("合计", len(statuses)))
        self._chart_beside(start, "bar", "单位数", (first, last), "报送情况（单位数）")

    def _funds_section(self, figures: SummaryFigures) -> None:
        money_unit: MoneyUnit = self.heading.money_unit
        ranked = sorted(figures.units.items(), key=lambda kv: (-Decimal(str(kv[1][2])), kv[0]))
        rows = [
            (code, str(name or ""), projects, float(Decimal(str(amount)) / money_unit.factor))
            for code, (name, projects, amount) in ranked
        ]
        start = self._new_section(f"五、各单位年度资金总额（{money_unit}）")
        total = sum((Decimal(str(amount)) for _, (_, _, amount) in ranked), Decimal(0))
        first, _ = self._table(
            (
                Column("单位代码", 14),
                Column("单位名称", 30, "wrap"),
                Column("项目数", 12, "int"),
                Column(f"年度资金总额（{money_unit}）", 16, "money"),
            ),
            rows,
            ("合计", None, sum(int(str(p)) for _, (_, p, _) in ranked), float(total / money_unit.factor)),
        )
        shown = min(len(rows), CHART_UNITS)
        if shown:
            label = f"前 {shown} 个单位" if shown < len(rows) else "全部单位"
            name = f"年度资金总额（{money_unit}）"
            title = f"各单位年度资金总额（{money_unit}，{label}）"
            self._chart_beside(start, "bar", name, (first, first + shown - 1), title, columns=(1, 3))
