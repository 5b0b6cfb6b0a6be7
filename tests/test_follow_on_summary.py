"""The summary of the forms generated from the approved targets later in the year: monitor records
make 监控汇总 (funds executed against the months passed, with their light; the cumulative indicators
behind schedule; those the unit is not sure to meet; a 合计), self-evaluation records make 自评汇总
(scores and 等级 per project, a 合计) and 自评统计 (projects per 等级, with a chart). Both print as
the other reports do. They take no row of 项目汇总, 指标明细 or the CSVs; the JSONL and the 汇编
take them as every record.

Expected values are worked out here by hand from the records below, not by the code under test.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from xlsxkit.cli import app
from xlsxkit.cycle.consolidate import Summary, consolidate
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.status import Standing, UnitStatus
from xlsxkit.form.record import blank_record
from xlsxkit.template.load import builtin_template

YEAR = 2026
AS_OF = "2026-07"  # 1-7月: 7/12 of the year has passed
MONTHS_PASSED = 7 / 12
PALE_FILLS = {"绿": "C6EFCE", "黄": "FFEB9C", "红": "FFC7CE"}  # the monitoring form's light colours
FIRST = {"code": "101001", "name": "第一中学"}
SECOND = {"code": "102001", "name": "第二中学"}
TITLE_ROW, HEADING_ROW, HEADER_ROW = 1, 2, 3


# --- records, as the reader makes them -------------------------------------------------------


def identity(form: str, template: str, unit: dict[str, str], project: str, number: int) -> dict[str, Any]:
    return {
        "form": form,
        "template": {"id": template, "version": "1"},
        "year": YEAR,
        "unit": dict(unit),
        "department": None,
        "implementing_unit": None,
        "project": {**blank_record(form)["project"], "name": project, "code": f"P{unit['code']}{number:02d}"},
        "target": {"sha256": "0" * 64, "template": {"id": "tangshan", "version": "1"}},
    }


def parsed(op: str | None, number: float | None, unit: str | None, kind: str = "quantitative") -> dict[str, Any]:
    return {"kind": kind, "op": op, "number": number, "unit": unit, "date": None}


def watched(
    level2: str, level3: str, value: str, target: dict[str, Any], actual: str, likelihood: str = "确定能"
) -> dict[str, Any]:
    """A monitored indicator: its target (copied) and what the unit wrote by the month monitored."""
    level1 = "满意度指标" if level2 == "服务对象满意度指标" else "产出指标"
    return {
        "level1": level1,
        "level2": level2,
        "level3": level3,
        "value": value,
        "parsed": target,
        "actual": actual,
        "forecast": value,
        "likelihood": likelihood,
        "causes": None if likelihood == "确定能" else ["人员保障"],
        "reason": None if likelihood == "确定能" else "下半年补足。",
        "note": None,
    }


def monitor(
    unit: dict[str, str],
    project: str,
    number: int,
    *,
    budget: str,
    executed: str,
    forecast: str | None,
    indicators: list[dict[str, Any]],
) -> dict[str, Any]:
    rate = f"{float(executed) / float(budget) * 100:.2f}"
    return {
        **identity("monitor", "monitor", unit, project, number),
        "as_of": AS_OF,
        "funds": {"source_unit": "万元", "budget": budget, "executed": executed, "rate": rate, "forecast": forecast},
        "goals": {"annual": "完成年度任务。", "progress": "按计划推进。"},
        "indicators": indicators,
        "source": {"file": f"{unit['code']}-绩效监控.xlsx", "sheet": f"项目{number}", "sha256": "1" * 64},
    }


def monitor_records() -> list[dict[str, Any]]:
    """Three projects of two units, in unit-code order, as the ledger streams them."""
    return [
        monitor(
            FIRST,
            "校舍维修",
            1,
            budget="1000000.00",
            executed="400000.00",  # 40 % against 58.3 %: below 90 % of it, red
            forecast="950000.00",
            indicators=[
                # 30 次 of ≥120 次 by July: 120 × 7/12 = 70 expected, 30 < 0.9 × 70 = 63: red
                watched("数量指标", "维修次数", "≥120 次", parsed(">=", 120, "次"), "30 次", likelihood="有可能"),
                # 8 场 of ≥12 场: 7 expected, green
                watched("数量指标", "培训场次", "≥12 场", parsed(">=", 12, "场"), "8 场"),
                # a rate is no running count: 50% is not measured against the months passed
                watched("质量指标", "验收合格率", "100%", parsed("=", 100, "%"), "50%"),
            ],
        ),
        monitor(
            FIRST,
            "信息化运维",
            2,
            budget="200000.00",
            executed="110000.00",  # 55 %: at least 0.9 × 58.3 % = 52.5 %, yellow
            forecast="200000.00",
            indicators=[
                # 55 次 of ≥100 次: 58.3 expected, 52.5 its 90 %: yellow, not red
                watched("数量指标", "巡检次数", "≥100 次", parsed(">=", 100, "次"), "55 次"),
                watched(
                    "服务对象满意度指标",
                    "师生满意度",
                    "≥90%",
                    parsed(">=", 90, "%"),
                    "85%",
                    likelihood="完全不可能",
                ),
            ],
        ),
        monitor(
            SECOND,
            "食堂改造",
            1,
            budget="300000.00",
            executed="200000.00",  # 66.7 %: green
            forecast=None,
            indicators=[
                watched("数量指标", "改造面积", "≥600 平方米", parsed(">=", 600, "平方米"), "500 平方米"),
                watched("时效指标", "完工时间", "2026年10月底前", parsed("<=", None, None, kind="deadline"), "施工中"),
            ],
        ),
    ]


def scored(level1: str, level3: str, weight: float, score: float) -> dict[str, Any]:
    return {
        "level1": level1,
        "level2": "数量指标" if level1 == "产出指标" else "社会效益指标",
        "level3": level3,
        "value": "≥10 次",
        "parsed": parsed(">=", 10, "次"),
        "actual": "10 次",
        "weight": weight,
        "score": score,
        "reason": None,
    }


def evaluation(
    unit: dict[str, str],
    project: str,
    number: int,
    *,
    initial: str,
    adjusted: str,
    executed: str,
    funds_score: float,
    scores: tuple[float, float],
    total: float | None,
    computed: float | None = None,
) -> dict[str, Any]:
    record = {
        **identity("self_evaluation", "self-evaluation", unit, project, number),
        "funds": {
            "source_unit": "万元",
            "rows": {
                "total": {"initial": initial, "adjusted": adjusted, "executed": executed},
                "fiscal": {"initial": initial, "adjusted": adjusted, "executed": executed},
                "carryover": {"initial": None, "adjusted": None, "executed": None},
                "other": {"initial": None, "adjusted": None, "executed": None},
            },
            "weight": 10,
            "rate": f"{float(executed) / float(adjusted) * 100:.2f}",
            "score": funds_score,
        },
        "goals": {"annual": "完成年度任务。", "achieved": "基本完成。"},
        "indicators": [scored("产出指标", "维修次数", 60, scores[0]), scored("效益指标", "受益人数", 30, scores[1])],
        "total_score": total,
        "source": {"file": f"{unit['code']}-绩效自评.xlsx", "sheet": f"项目{number}", "sha256": "2" * 64},
    }
    if computed is not None:
        record["computed"] = {"funds_score": funds_score, "scores": list(scores), "total_score": computed}
    return record


def evaluation_records() -> list[dict[str, Any]]:
    """Five projects, one on each side of every 等级's bound, and one the unit did not score."""
    return [
        # 全年预算数 is the adjusted budget (100 万元), not the initial one
        evaluation(
            FIRST,
            "校舍维修",
            1,
            initial="900000.00",
            adjusted="1000000.00",
            executed="950000.00",
            funds_score=9.5,
            scores=(50, 30.5),
            total=90,
            computed=90,
        ),
        evaluation(
            FIRST,
            "信息化运维",
            2,
            initial="200000.00",
            adjusted="200000.00",
            executed="180000.00",
            funds_score=9,
            scores=(50.99, 30),
            total=89.99,
        ),
        evaluation(
            SECOND,
            "食堂改造",
            1,
            initial="300000.00",
            adjusted="300000.00",
            executed="150000.00",
            funds_score=5,
            scores=(35, 20),
            total=60,
            computed=72.5,
        ),
        evaluation(
            SECOND,
            "操场翻新",
            2,
            initial="100000.00",
            adjusted="100000.00",
            executed="50000.00",
            funds_score=5,
            scores=(34.5, 20),
            total=59.5,
        ),
        evaluation(
            SECOND,
            "图书购置",
            3,
            initial="50000.00",
            adjusted="50000.00",
            executed="50000.00",
            funds_score=10,
            scores=(60, 30),
            total=None,
        ),
    ]


def statuses(records: list[dict[str, Any]]) -> list[UnitStatus]:
    units = dict.fromkeys((r["unit"]["code"], r["unit"]["name"]) for r in records)
    return [UnitStatus(code, name, Standing.accepted, versions=1) for code, name in units]


# --- the summaries ---------------------------------------------------------------------------


def summarise(records: list[dict[str, Any]], out: Path, template: str | None, **options: Any) -> Summary:
    return consolidate(
        (copy.deepcopy(r) for r in records),  # streamed once, as from the ledger
        statuses(records),
        out / "summary.xlsx",
        office="某市财政局",
        year=YEAR,
        date=dt.date(2026, 8, 10),
        template=builtin_template(template) if template else None,
        **options,
    )


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Summary, Path, openpyxl.Workbook]:
    out = tmp_path_factory.mktemp("monitor")
    summary = summarise(monitor_records(), out, "monitor", jsonl=out / "records.jsonl", csv_dir=out / "csv")
    return summary, out, openpyxl.load_workbook(summary.workbook)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Summary, Path, openpyxl.Workbook]:
    out = tmp_path_factory.mktemp("self-evaluation")
    summary = summarise(evaluation_records(), out, "self-evaluation")
    return summary, out, openpyxl.load_workbook(summary.workbook)


def header(sheet: Any) -> list[Any]:
    return [cell.value for cell in sheet[HEADER_ROW]]


def data_rows(sheet: Any) -> list[dict[str, Any]]:
    """The rows under the header, each by its column's header."""
    names = header(sheet)
    return [dict(zip(names, row, strict=True)) for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


def cell_of(sheet: Any, row_number: int, column: str) -> Any:
    """The cell of a data row (0-based among the rows under the header) in the named column."""
    return sheet.cell(HEADER_ROW + 1 + row_number, header(sheet).index(column) + 1)


# --- 监控汇总 ----------------------------------------------------------------------------------


def test_monitor_summary_has_a_row_per_project_in_the_order_received_then_the_total(monitored):
    _, _, workbook = monitored
    rows = data_rows(workbook["监控汇总"])
    assert [(r["单位代码"], r["单位名称"], r["项目名称"]) for r in rows] == [
        ("101001", "第一中学", "校舍维修"),
        ("101001", "第一中学", "信息化运维"),
        ("102001", "第二中学", "食堂改造"),
        ("合计", None, "3 个项目"),
    ]
    assert [r["指标数"] for r in rows] == [3, 2, 2, 7]


def test_monitor_money_is_in_the_summary_unit_and_named_for_the_months_monitored(monitored):
    _, _, workbook = monitored
    sheet = workbook["监控汇总"]
    assert {"年初预算数（万元）", "1-7月执行数（万元）", "全年预计执行数（万元）"} <= set(header(sheet))
    rows = data_rows(sheet)
    assert [r["年初预算数（万元）"] for r in rows] == [100, 20, 30, 150]
    assert [r["1-7月执行数（万元）"] for r in rows] == [40, 11, 20, 71]
    assert [r["全年预计执行数（万元）"] for r in rows] == [95, 20, None, 115]  # a blank is no 0 in a project's row


def test_execution_rate_is_measured_against_the_months_passed_with_its_light(monitored):
    _, _, workbook = monitored
    sheet = workbook["监控汇总"]
    rows = data_rows(sheet)
    # 40/100, 11/20, 20/30 and, for the total, 71/150 of the budget executed
    assert [r["执行率"] for r in rows] == pytest.approx([0.40, 0.55, 2 / 3, 71 / 150], abs=1e-4)
    assert [r["序时进度"] for r in rows] == pytest.approx([MONTHS_PASSED] * 4)
    # 绿 from 7/12, 黄 from 90 % of it (52.5 %), 红 below
    assert [r["执行进度"] for r in rows] == ["红", "黄", "绿", "红"]
    for number, row in enumerate(rows):
        cell = cell_of(sheet, number, "执行进度")
        assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith(PALE_FILLS[row["执行进度"]])
        assert cell.border.left.style == "thin"  # bordered as every cell of the report


def test_red_light_lists_the_cumulative_indicators_behind_schedule_only(monitored):
    _, _, workbook = monitored
    rows = data_rows(workbook["监控汇总"])
    # 维修次数 30 < 63; 巡检次数 55 is yellow; 验收合格率 50% is no running count; 改造面积 500 ≥ 350
    assert [r["红灯指标"] for r in rows] == ["维修次数", None, None, "共 1 个"]


def test_indicators_the_unit_is_not_sure_to_meet_are_listed(monitored):
    _, _, workbook = monitored
    rows = data_rows(workbook["监控汇总"])
    assert [r["可能无法完成的指标"] for r in rows] == ["维修次数", "师生满意度", None, "共 2 个"]


def test_several_names_are_joined_with_the_enumeration_comma(tmp_path):
    records = monitor_records()[:1]
    for item in records[0]["indicators"]:
        item["likelihood"] = "有可能"
    summary = summarise(records, tmp_path, "monitor")
    rows = data_rows(openpyxl.load_workbook(summary.workbook)["监控汇总"])
    assert rows[0]["可能无法完成的指标"] == "维修次数、培训场次、验收合格率"


def test_each_project_links_to_its_form_in_the_compendium(monitored):
    summary, _, workbook = monitored
    assert "汇编-monitor" in summary.sheets
    sheet = workbook["监控汇总"]
    first, third = cell_of(sheet, 0, "汇编位置"), cell_of(sheet, 2, "汇编位置")
    assert first.value == "汇编-monitor 第1行" and first.hyperlink.location == "'汇编-monitor'!A1"
    assert third.hyperlink.location.startswith("'汇编-monitor'!A")


def test_a_monitoring_summary_has_its_own_reports_and_every_record_in_the_jsonl(monitored):
    summary, out, workbook = monitored
    assert (summary.projects, summary.indicators, summary.follow_on, summary.units) == (0, 0, 3, 2)
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["project"]["name"] for line in lines] == ["校舍维修", "信息化运维", "食堂改造"]
    assert summary.sheets == ["填报情况", "监控汇总", "汇编-monitor"]  # no empty 项目汇总, 指标明细, 统计
    assert workbook["填报情况"].cell(TITLE_ROW, 1).value == "2026年度项目支出绩效运行监控填报情况表"
    for name in ("projects.csv", "indicators.csv"):
        assert len((out / "csv" / name).read_text(encoding="utf-8-sig").splitlines()) == 1  # the header only


def test_monitor_report_prints_as_the_other_reports(monitored):
    summary, _, workbook = monitored
    sheet = workbook["监控汇总"]
    assert sheet.cell(TITLE_ROW, 1).value == "2026年度项目支出绩效目标执行监控汇总表（1-7月）"
    line = [c.value for c in sheet[HEADING_ROW] if c.value]
    assert line[0] == "编制单位：某市财政局" and line[-1] == "单位：万元    编制日期：2026年8月10日"
    assert_printed_as_a_report(sheet)
    assert summary.papers["监控汇总"] == "A4"


def assert_printed_as_a_report(sheet: Any) -> None:
    """Landscape, one page wide, the header on every page, numbered pages, borders, wrapped text."""
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    name = sheet.cell(HEADER_ROW + 1, header(sheet).index("项目名称") + 1)
    assert name.alignment.wrap_text and name.border.bottom.style == "thin"


def test_user_text_stays_text(tmp_path):
    records = monitor_records()[:1]
    records[0]["project"]["name"] = '=HYPERLINK("http://x","y")'
    summary = summarise(records, tmp_path, "monitor", compilation=False)
    cell = cell_of(openpyxl.load_workbook(summary.workbook)["监控汇总"], 0, "项目名称")
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x","y")'


def test_money_in_yuan_when_the_office_asks(tmp_path):
    summary = summarise(monitor_records(), tmp_path, "monitor", money_unit="元", compilation=False)
    rows = data_rows(openpyxl.load_workbook(summary.workbook)["监控汇总"])
    assert [r["年初预算数（元）"] for r in rows] == [1_000_000, 200_000, 300_000, 1_500_000]


# --- 自评汇总 and 自评统计 ----------------------------------------------------------------------


def test_self_evaluation_summary_has_a_row_per_project_with_its_scores_and_grade(evaluated):
    _, _, workbook = evaluated
    rows = data_rows(workbook["自评汇总"])
    assert [(r["单位代码"], r["项目名称"]) for r in rows] == [
        ("101001", "校舍维修"),
        ("101001", "信息化运维"),
        ("102001", "食堂改造"),
        ("102001", "操场翻新"),
        ("102001", "图书购置"),
        ("合计", "5 个项目"),
    ]
    projects = rows[:-1]
    assert [r["预算执行得分"] for r in projects] == [9.5, 9, 5, 5, 10]
    assert [r["指标得分"] for r in projects] == pytest.approx([80.5, 80.99, 55, 54.5, 90])  # the two scores summed
    assert [r["总分"] for r in projects] == [90, 89.99, 60, 59.5, None]
    assert [r["按规则计算的总分"] for r in projects] == [90, None, 72.5, None, None]
    # 优 from 90, 良 from 80, 中 from 60, 差 below; no 总分, no 等级
    assert [r["等级"] for r in projects] == ["优", "良", "中", "差", None]


def test_self_evaluation_funds_are_the_adjusted_budget_and_what_was_spent(evaluated):
    _, _, workbook = evaluated
    rows = data_rows(workbook["自评汇总"])
    assert [r["全年预算数（万元）"] for r in rows] == [100, 20, 30, 10, 5, 165]
    assert [r["全年执行数（万元）"] for r in rows] == [95, 18, 15, 5, 5, 138]
    assert [r["执行率"] for r in rows] == pytest.approx([0.95, 0.9, 0.5, 0.5, 1, 138 / 165], abs=1e-4)


def test_grade_distribution_counts_the_projects_of_each_grade(evaluated):
    _, _, workbook = evaluated
    sheet = workbook["自评统计"]
    table = list(sheet.iter_rows(min_row=5, max_col=4, values_only=True))
    assert table[0] == ("等级", "分数段", "项目数", "占比")
    counts = {grade: count for grade, _, count, _ in table[1:]}
    assert counts == {"优": 1, "良": 1, "中": 1, "差": 1, "未评分": 1, "合计": 5}
    assert [share for *_, share in table[1:]] == pytest.approx([0.2] * 5 + [1])


def test_grade_distribution_has_its_chart_on_its_printed_page(evaluated):
    _, _, workbook = evaluated
    sheet = workbook["自评统计"]
    (chart,) = sheet._charts
    title = "".join(run.t for paragraph in chart.title.tx.rich.p for run in paragraph.r or [])
    assert title == "自评等级分布（项目数）"
    assert chart.anchor._from.row == 3 and chart.anchor._from.col == 5  # beside the table, under the heading
    # landscape A4 at a fixed scale, as 统计 (its columns, chart included, fit the page at 100 %)
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.scale in (None, 100) and not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.cell(1, 1).value == "2026年度项目支出绩效自评等级统计表"


def test_self_evaluation_report_prints_as_the_other_reports(evaluated):
    summary, _, workbook = evaluated
    sheet = workbook["自评汇总"]
    assert sheet.cell(TITLE_ROW, 1).value == "2026年度项目支出绩效自评汇总表"
    assert_printed_as_a_report(sheet)
    assert summary.follow_on == 5 and summary.projects == 0


def test_follow_on_reports_stand_before_the_compendium(evaluated, monitored):
    assert evaluated[0].sheets[-3:] == ["自评汇总", "自评统计", "汇编-self-evaluation"]
    assert monitored[0].sheets[-2:] == ["监控汇总", "汇编-monitor"]


# --- when the reports are made -----------------------------------------------------------------


def test_a_target_collection_gets_no_follow_on_report(tmp_path):
    project = {**identity("project", "tangshan", FIRST, "校舍维修", 1), "indicators": []}
    del project["target"]
    summary = summarise([project], tmp_path, None, compilation=False)
    assert not {"监控汇总", "自评汇总", "自评统计"} & set(summary.sheets)


def test_a_follow_on_collection_gets_its_report_before_any_return(tmp_path):
    summary = summarise([], tmp_path, "monitor", compilation=False)
    assert "监控汇总" in summary.sheets
    rows = data_rows(openpyxl.load_workbook(summary.workbook)["监控汇总"])
    assert [(r["单位代码"], r["项目名称"], r["年初预算数（万元）"]) for r in rows] == [("合计", "0 个项目", 0)]


def test_records_make_their_report_without_the_collection_template(tmp_path):
    summary = summarise([*monitor_records(), *evaluation_records()], tmp_path, None, compilation=False)
    assert {"监控汇总", "自评汇总", "自评统计"} <= set(summary.sheets)
    assert summary.follow_on == 8


@pytest.mark.parametrize(("template", "report"), [("monitor", "监控汇总"), ("self-evaluation", "自评汇总")])
def test_csv_and_parquet_of_a_later_form_are_not_written_empty_and_the_office_is_told(tmp_path, template, report):
    db = tmp_path / "returns.sqlite"
    with Ledger(db) as ledger:
        ledger.set_collection(template_id=template, year=2025)
        ledger.set_units([{"code": "603001", "name": "测试单位"}])
    exports = ["--csv", str(tmp_path / "csv"), "--parquet", str(tmp_path / "parquet")]
    result = CliRunner().invoke(app, ["consolidate", "--db", str(db), "--out", str(tmp_path / "汇总表.xlsx"), *exports])
    assert result.exit_code == 1
    assert (tmp_path / "汇总表.xlsx").exists()  # the summary is written
    assert not (tmp_path / "csv").exists() and not (tmp_path / "parquet").exists()
    assert result.output.count("O024") == 2 and report in result.output
