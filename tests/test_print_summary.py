"""The summary workbook prints as an office's reports, checked as LibreOffice prints it to PDF:
every table sheet exactly one page wide on landscape paper, its header row on every page, no
header label or cell text cut, page numbers "第 N 页，共 M 页"; 统计's charts each whole on the
page of its table. For a round of 9 projects and one of 1,000."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import example_records
from tests.libreoffice import Office, pdf_page_sizes
from xlsxkit.cycle.consolidate import Summary, consolidate
from xlsxkit.cycle.status import Standing, UnitStatus

pytestmark = pytest.mark.libreoffice

A4_LANDSCAPE = (841.9, 595.3)
A3_LANDSCAPE = (1190.6, 841.9)
TABLE_SHEETS = ("填报情况", "项目汇总", "指标明细")
LONG_NAME = "某某市住房公积金管理中心信息化系统运维保障及数据治理与共享交换平台升级改造项目（二期）"


def squeeze(text: str) -> str:
    return "".join(text.split())


def page_texts(pdf: Path) -> list[str]:
    """Each page's text in the order LibreOffice drew it (a cell's wrapped lines together)."""
    out = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    pages = out.stdout.split("\f")
    return list(pages[:-1]) if pages and not pages[-1].strip() else pages


def projects(count: int) -> list[dict[str, Any]]:
    """`count` project records over count // 20 + 1 units, in unit-code order; some names long."""
    base = [r for r in example_records() if r["form"] == "project"]
    made = []
    for n in range(count):
        record = copy.deepcopy(base[n % len(base)])
        unit = n // 20
        record["unit"] = {"code": f"6{unit:05d}", "name": f"第{unit}号单位（测试）"}
        record["project"]["name"] = LONG_NAME if n % 7 == 3 else f"{record['project']['name']}（{n}）"
        record["source"] = {"file": f"6{unit:05d}-回执.xlsx", "sheet": f"项目{n % 20 + 1}", "sha256": "0" * 64}
        made.append(record)
    return made


def statuses_of(records: list[dict[str, Any]]) -> list[UnitStatus]:
    units = dict.fromkeys((r["unit"]["code"], r["unit"]["name"]) for r in records)
    return [UnitStatus(code, name, Standing.accepted, versions=1, projects=0) for code, name in units]


@pytest.fixture(scope="module", params=[9, 1000], ids=["9-projects", "1000-projects"])
def printed(
    request: pytest.FixtureRequest, office: Office, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Summary, dict[str, Path], list[dict[str, Any]]]]:
    out = tmp_path_factory.mktemp(f"print-{request.param}")
    records = projects(request.param)
    summary = consolidate(
        iter(records),
        statuses_of(records),
        out / "汇总表.xlsx",
        compilation=False,
        office="某某市住房公积金管理委员会办公室",
        year=2026,
    )
    pdfs = {}
    with office.open(summary.workbook) as book:
        for sheet in (*TABLE_SHEETS, "统计"):
            pdfs[sheet] = book.export_pdf(out / f"{sheet}.pdf", sheets=[sheet])
    yield summary, pdfs, records


def close(size: tuple[float, float], expected: tuple[float, float]) -> bool:
    return abs(size[0] - expected[0]) < 2 and abs(size[1] - expected[1]) < 2


@pytest.mark.parametrize("sheet", TABLE_SHEETS)
def test_a_table_sheet_is_one_landscape_page_wide_with_its_header_on_every_page(printed, sheet):
    summary, pdfs, _ = printed
    paper = A3_LANDSCAPE if summary.papers[sheet] == "A3" else A4_LANDSCAPE
    sizes = pdf_page_sizes(pdfs[sheet])
    assert sizes and all(close(size, paper) for size in sizes), (summary.papers[sheet], sizes)
    pages = [squeeze(text) for text in page_texts(pdfs[sheet])]
    assert len(pages) == len(sizes)
    headers = {
        "填报情况": ("单位代码", "单位名称", "报送次数", "最后报送时间", "文件"),
        "项目汇总": ("单位代码", "项目名称", "年度资金总额（万元）", "中期/项目资金总额（万元）", "来源文件", "工作表"),
        "指标明细": ("单位代码", "一级指标", "三级指标", "指标值确定依据", "计量单位", "来源文件", "工作表"),
    }[sheet]
    for number, page in enumerate(pages, start=1):
        missing = [label for label in headers if squeeze(label) not in page]
        assert not missing, (
            f"{sheet} page {number} of {len(pages)} lacks header labels {missing}"
        )  # cut off, or not repeated
        assert f"第{number}页，共{len(pages)}页" in page


def test_every_sheet_says_who_compiled_it_in_which_unit_and_when(printed):
    _, pdfs, _ = printed
    first = squeeze(page_texts(pdfs["项目汇总"])[0])
    assert "2026年度项目支出绩效目标汇总表" in first
    assert "编制单位：某某市住房公积金管理委员会办公室" in first and "单位：万元" in first and "编制日期：" in first


def test_no_project_name_or_unit_name_is_cut(printed):
    _, pdfs, records = printed
    text = "".join(squeeze(page) for page in page_texts(pdfs["项目汇总"]))
    for record in records:
        assert squeeze(record["project"]["name"]) in text, record["project"]["name"]
        assert squeeze(record["unit"]["name"]) in text


def test_subtotals_per_unit_and_a_grand_total_are_printed(printed):
    _, pdfs, records = printed
    text = "".join(squeeze(page) for page in page_texts(pdfs["项目汇总"]))
    units = {r["unit"]["code"] for r in records}
    assert text.count("小计（") == len(units)
    assert f"{len(records)}个项目" in text and "合计" in text


def test_no_indicator_text_is_cut(printed):
    _, pdfs, records = printed
    text = "".join(squeeze(page) for page in page_texts(pdfs["指标明细"]))
    for record in records[:60]:
        for item in record["indicators"]:
            for key in ("level3", "value"):
                if item.get(key):
                    assert squeeze(str(item[key])) in text, (key, item[key])


def test_each_chart_lies_on_the_page_of_its_table(printed):
    """A chart's title and its axis labels on one page: its category labels show twice there,
    in the table and on the chart's axis."""
    _, pdfs, records = printed
    sizes = pdf_page_sizes(pdfs["统计"])
    assert all(close(size, A4_LANDSCAPE) for size in sizes)
    pages = [squeeze(text) for text in page_texts(pdfs["统计"])]
    top_unit = max(
        {r["unit"]["code"]: r["unit"]["name"] for r in records}.items(),
        key=lambda kv: sum(float(r["funds"]["annual"]["total"] or 0) for r in records if r["unit"]["code"] == kv[0]),
    )[1]
    for title, category in (
        ("指标数（按一级指标）", "产出指标"),
        ("指标值类型（定量指标占", "定性"),
        ("报送情况（单位数）", "已报送"),
        ("各单位年度资金总额（万元，", squeeze(top_unit)),
    ):
        holding = [n for n, page in enumerate(pages) if squeeze(title) in page]
        assert len(holding) >= 1, title
        page = pages[holding[-1]]
        assert page.count(category) >= 2, (title, category, holding)
