"""Implausible amounts (C026): "1,200,000" typed into a 万元 cell by a clerk who meant yuan.

The rules on one record run in `read_return`, on returns filled from the corpus as
tests/test_findings.py fills them (Tangshan: 万元, 预算数 in C4; 黔南: 元, 资金总额 in E6). The rule
across a return's projects, `implausible_amounts_across`, is called here on the records read.
Amounts below are written in the form's unit and turned into the record's yuan by `yuan`.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import FIXED_TIME, YUAN_PER, example_records
from tests.returns import TEMPLATES, corpus_records
from xlsxkit.form.errors import Code, Finding, Severity
from xlsxkit.read.reader import ReadResult, read_return
from xlsxkit.read.rules import implausible_amounts_across
from xlsxkit.template.layout import compile_layout
from xlsxkit.template.load import builtin_template_dir, parse_template
from xlsxkit.template.model import Template
from xlsxkit.write.generate import UnitRecords, generate_prefilled

TOTAL_CELLS = {  # the 预算数 / 资金总额 field as each template's YAML writes it
    "tangshan": "{field: funds.annual.total, required: true}",
    "qiannan": "{field: funds.annual.total, span: 2, required: true}",
}


def yuan(amount: str, template_id: str) -> str:
    """The record value of an amount typed in the form's unit."""
    unit = TEMPLATES[template_id].money_unit or "元"
    return f"{Decimal(amount) * YUAN_PER[unit]:.2f}"


def with_bound(template_id: str, bound: str) -> Template:
    """The built-in template with `warn_above: bound` on its annual total."""
    text = (builtin_template_dir() / f"{template_id}.yaml").read_text(encoding="utf-8")
    cell = TOTAL_CELLS[template_id]
    assert text.count(cell) == 1
    return parse_template(text.replace(cell, f"{cell[:-1]}, warn_above: {bound}}}"), f"{template_id}.yaml")


def read_totals(
    tmp_path: Path,
    totals: list[str | None],
    template_id: str = "tangshan",
    *,
    key: str = "total",
    written_with: Template | None = None,
    read_with: Template | None = None,
) -> ReadResult:
    """A return of one unit with one project per amount (in the form's unit) of funds.annual.<key>,
    read back."""
    if template_id == "tangshan":
        seeds = [r for r in corpus_records() if r["template"]["id"] == "tangshan"]
    else:
        seeds = example_records(template_id)
    records = []
    for seed, total in zip(seeds, totals, strict=False):  # the first len(totals) seeds
        record = copy.deepcopy(seed)
        record["unit"] = seeds[0]["unit"]
        record["funds"]["annual"][key] = None if total is None else yuan(total, template_id)
        records.append(record)
    template = written_with or TEMPLATES[template_id]
    report = generate_prefilled(
        template, [UnitRecords(records[0]["unit"], records)], None, tmp_path, generated_at=FIXED_TIME
    )
    assert not report.problems, report.problems
    return read_return(report.files[0].path, template=read_with)


def implausible(result: ReadResult) -> list[Finding]:
    """The C026 findings the reading made (the rules on one record, and across the return's records)."""
    return [f for f in result.all_findings() if f.code is Code.C_IMPLAUSIBLE_AMOUNT]


def across(result: ReadResult) -> list[str]:
    """`implausible_amounts_across` on the return's records, as "sheet!cell: message"."""
    template = result.template
    assert template is not None
    found = implausible_amounts_across(result.records, template, compile_layout(template).sheet())
    assert all(f.code is Code.C_IMPLAUSIBLE_AMOUNT and f.severity is Severity.warning for f in found)
    return [f"{f.where}: {f.message}" for f in found]


# --- one record: 100,000 万元 or more on a 万元 form ------------------------------------------------


@pytest.mark.parametrize(("total", "warned"), [("1200000", True), ("100000", True), ("99999.99", False)])
def test_an_amount_of_100000_wan_or_more_is_a_warning_at_its_cell(tmp_path: Path, total: str, warned: bool) -> None:
    found = implausible(read_totals(tmp_path, [total]))
    assert [(f.sheet, f.cell, f.severity, f.message) for f in found] == (
        [("项目1", "C4", Severity.warning, f"「预算数」{total} 万元，金额异常大（不少于 100000 万元）")]
        if warned
        else []
    )


def test_the_fix_says_to_convert_yuan_into_the_form_unit(tmp_path: Path) -> None:
    [finding] = implausible(read_totals(tmp_path, ["1200000"]))
    assert finding.fix == "核对金额及其单位（本表金额单位为万元）：以元计的金额填进以万元计的栏目时，请除以 10000。"


def test_a_yuan_form_has_no_such_bound(tmp_path: Path) -> None:
    """On a 元 form, 2,000,000,000 is what the unit typed, and yuan is what it means."""
    assert implausible(read_totals(tmp_path, ["2000000000"], "qiannan")) == []


# --- one record: the template's own bound (warn_above) ------------------------------------------------


@pytest.mark.parametrize(
    ("bound", "total", "reason"),
    [
        ("50000", "50000.01", "超过本表规定的上限 50000 万元"),
        ("50000", "50000", None),  # above the bound, not at it
        ("0.5", "0.51", "超过本表规定的上限 0.5 万元"),
        ("200000", "150000", None),  # the template's bound replaces the 100,000 万元 one
        ("200000", "200001", "超过本表规定的上限 200000 万元"),
    ],
)
def test_a_template_bound_warns_above_it(tmp_path: Path, bound: str, total: str, reason: str | None) -> None:
    template = with_bound("tangshan", bound)
    found = implausible(read_totals(tmp_path, [total], written_with=template, read_with=template))
    expected = [f"「预算数」{total} 万元，金额异常大（{reason}）"] if reason else []
    assert [f.message for f in found] == expected
    assert all(f.cell == "C4" for f in found)


def test_a_template_bound_applies_on_a_yuan_form_too(tmp_path: Path) -> None:
    template = with_bound("qiannan", "5000000")
    result = read_totals(tmp_path, ["6000000", "5000000"], "qiannan", written_with=template, read_with=template)
    found = implausible(result)
    assert [(f.sheet, f.cell, f.message) for f in found] == [
        ("项目1", "E6", "「资金总额(元)」6000000 元，金额异常大（超过本表规定的上限 5000000 元）"),
    ]


def test_a_bound_is_no_part_of_the_stamp_so_returns_already_out_read_with_it(tmp_path: Path) -> None:
    """warn_above checks returns; it does not shape the workbook. Adding one to a template keeps
    its hash, so a return from a workbook sent out before is not "another version" (R005), and is
    checked against the new bound."""
    template = with_bound("tangshan", "50000")
    assert template.digest == TEMPLATES["tangshan"].digest
    result = read_totals(tmp_path, ["60000"], read_with=template)
    assert Code.R_TEMPLATE_CHANGED not in [f.code for f in result.all_findings()]
    assert [f.details["reason"] for f in implausible(result)] == ["超过本表规定的上限 50000 万元"]


# --- across the projects of one return ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        pytest.param(
            ["58.5", "4.8", "50000"],
            ["项目3!C4: 「预算数」50000 万元，金额异常大（是本工作簿其他项目中位数的 1579 倍）"],
            id="1579 times the median of the others (31.65)",
        ),
        pytest.param(["58.5", "4.8", "1.4", "2000"], [], id="85 times: a large project, not a mistake"),
        pytest.param(
            ["60000", "58.5"],
            ["项目1!C4: 「预算数」60000 万元，金额异常大（是本工作簿另一个项目的 1025 倍）"],
            id="two projects: compared with the other one",
        ),
        pytest.param(["58.5", "58000"], [], id="two projects, 991 times"),
        pytest.param(["50000"], [], id="one project: nothing to compare with"),
        pytest.param(
            ["58.5", None, "0", "60000"],
            ["项目4!C4: 「预算数」60000 万元，金额异常大（是本工作簿另一个项目的 1025 倍）"],
            id="blank and 0 are not compared",
        ),
        pytest.param(["0", "0", "50000"], [], id="only zeros to compare with"),
        pytest.param(["58.5", "4.8", "120000"], [], id="already reported on its own, not twice"),
    ],
)
def test_an_amount_far_above_the_other_projects_is_a_warning(
    tmp_path: Path,
    totals: list[str | None],
    expected: list[str],
) -> None:
    assert across(read_totals(tmp_path, totals)) == expected


def test_an_amount_reported_on_its_own_is_reported_by_the_single_record_rule(tmp_path: Path) -> None:
    result = read_totals(tmp_path, ["58.5", "4.8", "120000"])
    assert [(f.sheet, f.details["reason"]) for f in implausible(result)] == [("项目3", "不少于 100000 万元")]
    assert across(result) == []


def test_within_a_template_bound_an_amount_is_still_compared_with_the_others(tmp_path: Path) -> None:
    template = with_bound("tangshan", "200000")
    result = read_totals(tmp_path, ["58.5", "4.8", "150000"], written_with=template, read_with=template)
    assert across(result) == ["项目3!C4: 「预算数」150000 万元，金额异常大（是本工作簿其他项目中位数的 4739 倍）"]
    assert [f"{f.where}: {f.message}" for f in implausible(result)] == across(result)  # reading reports it


def test_every_money_field_is_compared_with_its_own_kind(tmp_path: Path) -> None:
    """财政资金 with the other projects' 财政资金, not with their 预算数 (58.5, 4.8 and 1.4 万元)."""
    result = read_totals(tmp_path, ["5.85", "0.48", "6000"], key="fiscal")
    assert across(result) == ["项目3!E4: 「其中：财政资金」6000 万元，金额异常大（是本工作簿其他项目中位数的 1895 倍）"]


def test_a_yuan_form_is_not_compared(tmp_path: Path) -> None:
    assert across(read_totals(tmp_path, ["1600", "800", "160000000"], "qiannan")) == []
