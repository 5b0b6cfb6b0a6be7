"""consolidate in detail (the main requirements are in test_consolidate.py): every cent shown in
万元, each 汇编 form the same as the generated form, Excel's page-break and row limits, records
streamed once and not kept, an empty collection."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import weakref
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import xlsxkit.cycle.compendium as compilation_module
from tests.helpers import FIXED_TIME, example_records
from xlsxkit.cycle.consolidate import (
    Summary,
    consolidate,
)
from xlsxkit.cycle.status import Standing, UnitStatus
from xlsxkit.form.money import MoneyUnit
from xlsxkit.template.load import find_template
from xlsxkit.write.generate import UnitRecords, generate_prefilled

FACTOR = {"元": Decimal(1), "万元": Decimal(10000)}
FUNDS = (("annual", "total"), ("annual", "fiscal"), ("annual", "other"), ("overall", "total"))
FORMULA_TEXT = ["=1+1", "+86", "-5", "@SUM(A1)", "\tx", "\rx"]


def sample_records() -> list[dict[str, Any]]:
    """The example target records (project and department forms) with a source each, and one amount
    with odd cents (0.123456 万元). The later forms' summaries: tests/test_follow_on_summary.py."""
    records = [r for r in example_records() if r["form"] in ("project", "department")]
    numbers: Counter[str] = Counter()
    for record in records:
        code = record["unit"]["code"]
        numbers[code] += 1
        name = f"{code}-{record['unit']['name']}.xlsx"
        record["source"] = {
            "file": name,
            "sheet": f"项目{numbers[code]}",
            "sha256": hashlib.sha256(name.encode()).hexdigest(),
        }
    odd = next(r for r in records if r["template"]["id"] == "tianjin")
    odd["funds"]["annual"]["total"] = odd["funds"]["annual"]["fiscal"] = "1234.56"
    return records


def projects_of(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["form"] == "project"]


def statuses_of(records: list[dict[str, Any]]) -> list[UnitStatus]:
    units = {r["unit"]["code"]: r["unit"]["name"] for r in records}
    statuses = []
    for n, (code, name) in enumerate(units.items()):
        standing = Standing.warnings if n % 2 else Standing.accepted
        projects = sum(1 for r in records if r["unit"]["code"] == code)
        statuses.append(
            UnitStatus(
                code,
                name,
                standing,
                versions=n + 1,
                last_received=FIXED_TIME + dt.timedelta(hours=n),
                warnings=n % 2,
                projects=projects,
                file=f"{code}.xlsx",
            )
        )
    statuses.append(
        UnitStatus(
            "999001", "迟报单位", Standing.errors, versions=2, last_received=FIXED_TIME, errors=3, file="999001.xlsx"
        )
    )
    statuses.append(UnitStatus("999002", "未报单位", Standing.missing))
    return statuses


def stream(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """A one-shot generator of deep copies, as the ledger streams them."""
    for record in records:
        yield copy.deepcopy(record)


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return sample_records()


@pytest.fixture(scope="module", params=["万元", "元"])
def made(
    request: pytest.FixtureRequest,
    records: list[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Summary, str, Path]:
    out = tmp_path_factory.mktemp(f"consolidate-{request.param}")
    summary = consolidate(
        stream(records),
        statuses_of(records),
        out / "汇总表.xlsx",
        money_unit=request.param,
        jsonl=out / "records.jsonl",
        csv_dir=out / "csv",
    )
    return summary, request.param, out


def sheet_rows(path: Path, name: str) -> list[tuple[Any, ...]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in workbook[name].iter_rows(values_only=True)]
    finally:
        workbook.close()


def sum_of(records: list[dict[str, Any]], period: str, key: str) -> Decimal:
    return sum(
        (
            Decimal(r["funds"][period][key])
            for r in records
            if r["funds"].get(period) and r["funds"][period].get(key) is not None
        ),
        Decimal(0),
    )


# --- 项目汇总 -------------------------------------------------------------------------------------


def test_summary_counts_and_totals(made, records):
    summary, _, out = made
    projects = projects_of(records)
    assert summary.workbook == out / "汇总表.xlsx" and summary.workbook.is_file()
    assert summary.projects == len(projects)
    assert summary.indicators == sum(len(r["indicators"]) for r in projects)
    assert summary.units == len({r["unit"]["code"] for r in projects})
    assert summary.departments == 1
    assert summary.totals == {f"{p}.{k}": sum_of(projects, p, k) for p, k in FUNDS}
    assert summary.sheets[:4] == ["填报情况", "项目汇总", "指标明细", "统计"]


def test_money_cells_show_every_cent(made):
    summary, unit, _ = made
    workbook = openpyxl.load_workbook(summary.workbook)
    sheet = workbook["项目汇总"]
    assert sheet.freeze_panes == "C4"
    total_row = next(row[0].row for row in sheet.iter_rows(min_row=4) if row[0].value == "合计")
    assert sheet.auto_filter.ref.startswith("A3:") and sheet.auto_filter.ref.endswith(str(total_row - 1))
    odd = next(
        row
        for row in sheet.iter_rows(min_row=4)
        if row[0].value == "685201"
        and row[5].value
        and Decimal(repr(row[5].value)) == Decimal("1234.56") / FACTOR[unit]
    )
    assert odd[5].number_format == MoneyUnit(unit).number_format
    if unit == "万元":
        assert odd[5].value == 0.123456 and odd[5].number_format.count("0") + odd[5].number_format.count("#") >= 6


# --- 指标明细 -------------------------------------------------------------------------------------


def official_forms(records: list[dict[str, Any]], out: Path) -> dict[str, list[openpyxl.worksheet.worksheet.Worksheet]]:
    """Each template's records drawn as the unit workbooks draw them (numbered within the unit)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault((record["template"]["id"], record["unit"]["code"]), []).append(record)
    forms: dict[str, list[Any]] = {}
    for (template_id, _), group in groups.items():
        folder = out / f"{template_id}-{group[0]['unit']['code']}"
        report = generate_prefilled(
            find_template(template_id), [UnitRecords(group[0]["unit"], group)], None, folder, generated_at=FIXED_TIME
        )
        assert not report.problems
        workbook = openpyxl.load_workbook(report.files[0].path)
        forms.setdefault(template_id, []).extend(workbook.worksheets[1 : 1 + len(group)])
    return forms


def cells_of(sheet: Any, top: int, rows: int) -> dict[tuple[int, int], Any]:
    return {
        (cell.row - 1 - top, cell.column): cell.value
        for row in sheet.iter_rows(min_row=top + 1, max_row=top + rows)
        for cell in row
        if cell.value is not None
    }


def test_compilation_draws_every_form_as_the_official_one(made, records, tmp_path):
    summary, _, _ = made
    workbook = openpyxl.load_workbook(summary.workbook)
    forms = official_forms(records, tmp_path)
    assert [n for n in summary.sheets if n.startswith("汇编")] == [f"汇编-{t}" for t in forms]
    for template_id, official in forms.items():
        sheet = workbook[f"汇编-{template_id}"]
        tops = [0, *(brk.id for brk in sheet.row_breaks.brk)]  # a page break above each form but the first
        assert len(tops) == len(official)
        assert not sheet.data_validations.dataValidation and not sheet.protection.sheet
        setup = sheet.sheet_properties.pageSetUpPr
        assert not (setup and setup.fitToPage)  # fitting to pages would make Excel ignore the page breaks
        merges = {(m.min_row - 1, m.min_col, m.max_row - 1, m.max_col) for m in sheet.merged_cells.ranges}
        for top, form in zip(tops, official, strict=True):
            height = form.max_row
            assert cells_of(sheet, top, height) == cells_of(form, 0, height)
            assert {
                (a + top, b, c + top, d)
                for a, b, c, d in (
                    (m.min_row - 1, m.min_col, m.max_row - 1, m.max_col) for m in form.merged_cells.ranges
                )
            } <= merges
            for row in range(1, height + 1):
                assert sheet.row_dimensions[top + row].height == form.row_dimensions[row].height
            for row in sheet.iter_rows(min_row=top + 1, max_row=top + height):
                assert all(cell.fill.fill_type is None for cell in row)  # the input fill is not printed
        assert [c.width for c in sheet.column_dimensions.values()][:3] == [
            c.width for c in official[0].column_dimensions.values()
        ][:3]
    projects = {r["project"]["name"] for r in projects_of(records)}
    text = {c.value for s in workbook.worksheets if s.title.startswith("汇编") for row in s.iter_rows() for c in row}
    assert all(any(isinstance(t, str) and name in t for t in text) for name in projects)


def test_compilation_starts_a_new_sheet_at_excels_page_break_limit(records, tmp_path, monkeypatch):
    tangshan = [r for r in records if r["template"]["id"] == "tangshan"][:7]
    monkeypatch.setattr(compilation_module, "MAX_PAGE_BREAKS", 2)  # three forms a sheet
    summary = consolidate(stream(tangshan), [], tmp_path / "a.xlsx")
    assert summary.sheets[4:] == ["汇编-tangshan", "汇编-tangshan-2", "汇编-tangshan-3"]
    workbook = openpyxl.load_workbook(summary.workbook)
    assert [len(workbook[n].row_breaks.brk) for n in summary.sheets[4:]] == [2, 2, 0]
    titles = [c.value for n in summary.sheets[4:] for c in workbook[n]["A"] if c.value and "绩效目标表" in str(c.value)]
    assert titles == [f"{n}.{r['project']['name']}绩效目标表" for n, r in enumerate(tangshan, start=1)]


def test_compilation_starts_a_new_sheet_before_the_last_row(records, tmp_path, monkeypatch):
    tangshan = [r for r in records if r["template"]["id"] == "tangshan"][:3]
    monkeypatch.setattr(compilation_module, "MAX_ROWS", 40)  # a form is 15 rows and a blank one
    summary = consolidate(stream(tangshan), [], tmp_path / "a.xlsx")
    assert summary.sheets[4:] == ["汇编-tangshan", "汇编-tangshan-2"]
    workbook = openpyxl.load_workbook(summary.workbook)
    assert [b.id for b in workbook["汇编-tangshan"].row_breaks.brk] == [16]
    assert workbook["汇编-tangshan"].max_row <= 40


def test_no_compilation(records, tmp_path):
    summary = consolidate(stream(records[:5]), [], tmp_path / "a.xlsx", compilation=False)
    assert summary.sheets == ["填报情况", "项目汇总", "指标明细", "统计"]


# --- exports --------------------------------------------------------------------------------------


class Record(dict):
    """A record that can be watched (a weak reference tells whether anyone still holds it)."""


def test_records_are_streamed_once_and_not_kept(records, tmp_path):
    alive: list[weakref.ref] = []
    held_most = 0
    consumed = 0

    def watched() -> Iterator[dict[str, Any]]:
        nonlocal held_most, consumed
        for record in records:
            held_most = max(held_most, sum(1 for ref in alive if ref() is not None))
            item = Record(copy.deepcopy(record))
            alive.append(weakref.ref(item))
            consumed += 1
            yield item

    source = watched()
    summary = consolidate(source, [], tmp_path / "a.xlsx", jsonl=tmp_path / "r.jsonl")
    assert consumed == len(records)
    assert next(source, None) is None  # exhausted: a second pass would have found nothing
    assert summary.projects == len(projects_of(records))
    assert summary.totals["annual.total"] == sum_of(projects_of(records), "annual", "total")
    assert held_most <= 1  # no record outlives the next one's arrival


def test_empty_collection(tmp_path):
    statuses = [UnitStatus("001", "甲", Standing.missing)]
    summary = consolidate(iter([]), statuses, tmp_path / "a.xlsx", money_unit="元")
    assert (summary.projects, summary.indicators, summary.units) == (0, 0, 0)
    assert summary.totals == {k: Decimal(0) for k in summary.totals}
    assert sheet_rows(summary.workbook, "项目汇总")[-1][0] == "合计"
    assert sheet_rows(summary.workbook, "填报情况")[3][2] == "未报送"


def test_unknown_money_unit(tmp_path):
    with pytest.raises(ValueError, match="千元"):
        consolidate(iter([]), [], tmp_path / "a.xlsx", money_unit="千元")
    assert not (tmp_path / "a.xlsx").exists()
