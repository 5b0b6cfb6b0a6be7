"""The summary workbook and exports: totals equal the records' sums, one row per project and
per indicator, every roster unit listed, charts, the compilation, no formula from user text,
records streamed once, outputs whole or absent."""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime as dt
import json
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import python_calamine

from tests.helpers import example_records
from xlsxkit.cycle.consolidate import consolidate
from xlsxkit.cycle.status import Standing, UnitStatus

FORMULA_LIKE = ["=1+1", "+86", "-5", "@SUM(A1)", "\tx", "\rx"]


def records() -> list[dict]:
    chosen = [r for r in example_records() if r["form"] == "project"]
    for number, record in enumerate(chosen):
        record["source"] = {"file": f"{record['unit']['code']}.xlsx", "sheet": f"项目{number + 1}", "sha256": "0" * 64}
    return chosen


STATUSES = [
    UnitStatus(
        "603001",
        "唐山市住房公积金管理中心（参公）本级",
        Standing.accepted,
        2,
        dt.datetime(2026, 3, 1, 9, 0),
        0,
        1,
        19,
        "a.xlsx",
    ),
    UnitStatus("603004", "唐山市住房公积金管理中心迁安分中心", Standing.missing),
]


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    out = tmp_path_factory.mktemp("summary")
    streamed = (record for record in records())  # a one-shot generator, as the ledger gives
    made = consolidate(streamed, STATUSES, out / "汇总表.xlsx", jsonl=out / "records.jsonl", csv_dir=out / "exports")
    return made, openpyxl.load_workbook(made.workbook)


def _rows(sheet) -> list[tuple]:
    """The rows under a report's header (its title, 编制单位 line and header come first)."""
    return list(sheet.iter_rows(min_row=4, values_only=True))


def _header(sheet) -> list:
    return [c.value for c in sheet[3]]


def _projects(rows: list[tuple]) -> list[tuple]:
    """The project rows of 项目汇总, without the 小计 and 合计 rows."""
    return [r for r in rows if r[0] != "合计" and not str(r[3] or "").startswith("小计")]


def test_project_totals_equal_the_sums_of_the_records(summary):
    made, book = summary
    expected = sum(Decimal(r["funds"]["annual"]["total"]) for r in records() if r["funds"]["annual"]["total"])
    assert made.totals["annual.total"] == expected
    rows = _rows(book["项目汇总"])
    total_row = rows[-1]
    assert total_row[0] == "合计" and len(_projects(rows)) == len(records()) == made.projects
    column = _header(book["项目汇总"]).index("年度资金总额（万元）")
    assert Decimal(str(total_row[column])).quantize(Decimal("0.000001")) == expected / 10000
    per_row = sum(Decimal(str(r[column])) for r in _projects(rows) if r[column] is not None)
    assert per_row.quantize(Decimal("0.01")) == (expected / 10000).quantize(Decimal("0.01"))


def test_totals_in_yuan(tmp_path):
    made = consolidate(iter(records()), STATUSES, tmp_path / "s.xlsx", money_unit="元", compilation=False)
    rows = _rows(openpyxl.load_workbook(made.workbook)["项目汇总"])
    column = 5
    assert Decimal(str(rows[-1][column])).quantize(Decimal("0.01")) == made.totals["annual.total"]


def test_one_indicator_row_per_indicator_with_its_parsed_parts(summary):
    made, book = summary
    rows = _rows(book["指标明细"])
    indicators = [i for r in records() for i in r["indicators"]]
    assert len(rows) == len(indicators) == made.indicators
    header = _header(book["指标明细"])
    first = dict(zip(header, rows[0], strict=True))
    assert first["三级指标"] == indicators[0]["level3"] and first["指标值"] == indicators[0]["value"]
    assert book["指标明细"].freeze_panes == "C4" and book["指标明细"].auto_filter.ref


def test_every_roster_unit_is_listed_with_its_standing(summary):
    _, book = summary
    rows = _rows(book["填报情况"])
    assert [(r[0], r[2]) for r in rows] == [("603001", "已报送"), ("603004", "未报送")]


def test_statistics_count_by_level_with_native_charts(summary):
    made, book = summary
    with zipfile.ZipFile(made.workbook) as archive:
        assert any(name.startswith("xl/charts/chart") for name in archive.namelist())
    rows = list(book["统计"].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[:2] == ("一级指标", "指标数")) + 1
    end = next(i for i, row in enumerate(rows) if i > start and row[0] == "合计")
    counts = {row[0]: row[1] for row in rows[start:end]}
    expected: dict[str, int] = {}
    for indicator in (i for r in records() for i in r["indicators"]):
        expected[indicator["level1"]] = expected.get(indicator["level1"], 0) + 1
    assert counts == expected


def test_the_compilation_draws_every_project_with_page_breaks(summary):
    _, book = summary
    compiled = [s for s in book.sheetnames if s.startswith("汇编")]
    assert compiled
    texts = {str(c) for name in compiled for row in book[name].iter_rows(values_only=True) for c in row if c}
    for record in records():
        assert any(record["project"]["name"] in text for text in texts), record["project"]["name"]
    assert any(book[name].row_breaks.brk for name in compiled)


def test_exports_round_trip_and_open_in_excel(summary):
    made, _ = summary
    lines = [json.loads(line) for line in made.jsonl.read_text(encoding="utf-8").splitlines()]
    assert lines == records()
    projects, indicators = made.csv
    assert projects.read_bytes().startswith(b"\xef\xbb\xbf") and indicators.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(list(csv.reader(projects.read_text(encoding="utf-8-sig").splitlines()))) == len(records()) + 1


def test_no_user_text_becomes_a_formula(tmp_path):
    base = copy.deepcopy(records()[0])
    tricky = []
    for text in FORMULA_LIKE:
        record = copy.deepcopy(base)
        record["project"]["name"] = text
        record["indicators"][0]["value"] = text
        tricky.append(record)
    made = consolidate(iter(tricky), STATUSES, tmp_path / "s.xlsx", csv_dir=tmp_path / "csv")
    with zipfile.ZipFile(made.workbook) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = archive.read(name).decode("utf-8")
                assert "<f>1+1</f>" not in xml and "<f>SUM(A1)</f>" not in xml
    sheet = python_calamine.CalamineWorkbook.from_path(str(made.workbook)).get_sheet_by_name("项目汇总")
    assert [row[3] for row in _projects(sheet.to_python()[3:])] == FORMULA_LIKE  # as Excel shows them: text
    for path in made.csv:
        cells = [c for row in csv.reader(path.read_text(encoding="utf-8-sig").splitlines()) for c in row]
        assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
        assert "'=1+1" in cells


def test_a_failure_half_way_leaves_no_output(tmp_path):
    def failing():
        yield records()[0]
        raise RuntimeError("the ledger went away")

    with pytest.raises(RuntimeError):
        consolidate(failing(), STATUSES, tmp_path / "s.xlsx", jsonl=tmp_path / "r.jsonl", csv_dir=tmp_path / "csv")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []


def test_a_number_no_cell_can_hold_is_written_whole_as_text_not_a_crash(tmp_path):
    """An accepted return of an earlier release whose 指标值 parsed to a 401-digit number."""
    odd = copy.deepcopy(records()[0])
    odd["indicators"][0]["value"] = "1" * 401
    odd["indicators"][0]["parsed"] = {
        "kind": "quantitative",
        "op": "=",
        "number": int("1" * 401),
        "unit": None,
        "date": None,
    }
    consolidate(iter([odd]), STATUSES, tmp_path / "s.xlsx", compilation=False)
    rows = list(openpyxl.load_workbook(tmp_path / "s.xlsx")["指标明细"].iter_rows(values_only=True))
    assert "1" * 401 in {cell for row in rows for cell in row if isinstance(cell, str) and cell.startswith("111")}


def test_a_unit_renamed_on_the_roster_is_named_so_in_every_table_while_its_records_keep_what_it_wrote(tmp_path):
    renamed = [dataclasses.replace(STATUSES[0], name="唐山市住房公积金管理中心本级（更名）"), STATUSES[1]]
    mine = [r for r in records() if r["unit"]["code"] == "603001"]
    wrote = mine[0]["unit"]["name"]
    made = consolidate(
        iter(mine), renamed, tmp_path / "汇总表.xlsx", jsonl=tmp_path / "r.jsonl", csv_dir=tmp_path / "csv"
    )
    book = openpyxl.load_workbook(made.workbook)
    column = _header(book["项目汇总"]).index("单位名称")
    assert {row[column] for row in _projects(_rows(book["项目汇总"]))} == {"唐山市住房公积金管理中心本级（更名）"}
    shown = {row["单位名称"] for row in csv.DictReader(made.csv[0].read_text(encoding="utf-8-sig").splitlines())}
    assert shown == {"唐山市住房公积金管理中心本级（更名）"}
    assert {json.loads(line)["unit"]["name"] for line in made.jsonl.read_text(encoding="utf-8").splitlines()} == {wrote}
