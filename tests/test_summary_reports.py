"""The table sheets of the summary as reports: a title, who compiled them in which money unit
and when, the header row repeated when printed; 项目汇总 by unit code with a 小计 per unit and a
合计; a count column only for the 一级 the forms collected have."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.helpers import example_records
from xlsxkit.cli import app
from xlsxkit.cycle.consolidate import consolidate
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.status import Standing, UnitStatus
from xlsxkit.template.load import builtin_templates

runner = CliRunner()
TEMPLATES = {t.id: t for t in builtin_templates()}


def projects() -> list[dict]:
    return [r for r in example_records() if r["form"] == "project"]


def by_unit_code(records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda r: r["unit"]["code"])


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    records = by_unit_code(projects())
    statuses = [UnitStatus(r["unit"]["code"], r["unit"]["name"], Standing.accepted) for r in records]
    summary = consolidate(
        iter(records),
        list({s.code: s for s in statuses}.values()),
        out / "s.xlsx",
        compilation=False,
        office="某市财政局",
        year=2026,
        template=TEMPLATES["tangshan"],  # 产出, 效益, 满意度: no 成本
        date=dt.date(2026, 12, 4),
    )
    return summary, records, openpyxl.load_workbook(summary.workbook)


def test_every_table_sheet_has_its_title_heading_and_repeated_header(book):
    _, _, workbook = book
    for name, title in (
        ("填报情况", "2026年度项目支出绩效目标填报情况表"),
        ("项目汇总", "2026年度项目支出绩效目标汇总表"),
        ("指标明细", "2026年度项目支出绩效指标明细表"),
    ):
        sheet = workbook[name]
        assert sheet["A1"].value == title
        assert sheet["A2"].value == "编制单位：某市财政局"
        line = [c.value for c in sheet[2] if c.value]
        assert line[-1].endswith("编制日期：2026年12月4日")
        assert sheet.print_title_rows == "$3:$3"  # the header row on every printed page
        assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0  # one page wide
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert "单位：万元" in " ".join(str(c.value) for c in workbook["项目汇总"][2] if c.value)


def test_a_count_column_for_each_level1_of_the_forms_only(book):
    _, _, workbook = book
    header = [c.value for c in workbook["项目汇总"][3]]
    assert "成本指标" not in header and {"产出指标", "效益指标", "满意度指标", "其他"} <= set(header)


def test_projects_run_by_unit_code_each_unit_closed_by_its_subtotal(book):
    summary, records, workbook = book
    rows = list(workbook["项目汇总"].iter_rows(min_row=4, values_only=True))
    header = [c.value for c in workbook["项目汇总"][3]]
    money = header.index("年度资金总额（万元）")
    codes = [r["unit"]["code"] for r in records]
    seen = []
    for code in dict.fromkeys(codes):
        unit_rows = [row for row in rows if row[0] == code]
        *project_rows, subtotal = unit_rows
        assert len(project_rows) == codes.count(code)
        assert subtotal[3] == f"小计（{len(project_rows)} 个项目）"
        expected = sum(
            (
                Decimal(r["funds"]["annual"]["total"])
                for r in records
                if r["unit"]["code"] == code and r["funds"]["annual"]["total"]
            ),
            Decimal(0),
        )
        assert Decimal(str(subtotal[money] or 0)).quantize(Decimal("0.01")) == (expected / 10000).quantize(
            Decimal("0.01")
        )
        seen.append(code)
    assert seen == sorted(seen)
    assert rows[-1][0] == "合计" and rows[-1][3] == f"{summary.projects} 个项目"


def test_the_office_is_given_or_the_rosters_first_unit(tmp_path):
    demo = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "--out", str(demo)]).exit_code == 0
    db = demo / "returns.sqlite"
    given = runner.invoke(
        app, ["consolidate", "--db", str(db), "--out", str(tmp_path / "a.xlsx"), "--office", "某市住房公积金管理委员会"]
    )
    assert given.exit_code == 0, given.output
    assert openpyxl.load_workbook(tmp_path / "a.xlsx")["项目汇总"]["A2"].value == "编制单位：某市住房公积金管理委员会"
    assert "项目汇总 A4" in given.output  # which paper each table prints on is said
    default = runner.invoke(app, ["consolidate", "--db", str(db), "--out", str(tmp_path / "b.xlsx")])
    assert default.exit_code == 0, default.output
    with Ledger(db, read_only=True) as ledger:
        first = ledger.units()[0]["name"]
    assert openpyxl.load_workbook(tmp_path / "b.xlsx")["项目汇总"]["A2"].value == f"编制单位：{first}"


def test_each_project_and_indicator_row_links_to_its_form_in_the_compilation(tmp_path):
    records = by_unit_code(projects())[:12]
    statuses = list(
        {
            r["unit"]["code"]: UnitStatus(r["unit"]["code"], r["unit"]["name"], Standing.accepted) for r in records
        }.values()
    )
    summary = consolidate(iter(records), statuses, tmp_path / "s.xlsx")
    workbook = openpyxl.load_workbook(summary.workbook)
    sheet = workbook["项目汇总"]
    header = [c.value for c in sheet[3]]
    where, source = header.index("汇编位置"), header.index("来源文件")
    rows = [
        row
        for row in sheet.iter_rows(min_row=4)
        if row[0].value != "合计" and not str(row[3].value or "").startswith("小计")
    ]
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        assert row[source].value == record["source"]["file"]  # the unit's file is named
        link = row[where].hyperlink
        assert link is not None and link.target is None  # internal, never a formula
        target_sheet, cell = link.location.rsplit("!", 1)
        form = workbook[target_sheet.strip("'")]
        top = int(cell.lstrip("A"))
        texts = {str(c.value) for r in form.iter_rows(min_row=top, max_row=top + 12) for c in r if c.value}
        assert any(record["project"]["name"] in text for text in texts), (record["project"]["name"], link.location)
    indicator_links = [
        row[-1].hyperlink.location for row in workbook["指标明细"].iter_rows(min_row=4) if row[-1].hyperlink is not None
    ]
    assert len(indicator_links) == sum(len(r["indicators"]) for r in records)


def test_a_long_text_gets_a_row_tall_enough_for_libreoffices_line_spacing(tmp_path):
    """60 CJK characters in the 12-character 指标值确定依据 column wrap into at least 10 lines,
    which LibreOffice steps 14.5 points apart at 10 points: the row is at least 145 points."""
    record = by_unit_code(projects())[0]
    record = {**record, "indicators": [{**record["indicators"][0], "basis": "依据" * 30}]}
    statuses = [UnitStatus(record["unit"]["code"], record["unit"]["name"], Standing.accepted)]
    summary = consolidate(iter([record]), statuses, tmp_path / "s.xlsx", compilation=False)
    sheet = openpyxl.load_workbook(summary.workbook)["指标明细"]
    assert sheet.row_dimensions[4].height >= 145
