"""Every finding code: a return with that mistake gets that finding, at its cell, in Chinese.

Most returns are the first Tangshan corpus record (项目1: 项目名称 E3, 预算数 C4, 财政资金 E4,
其他资金 G4, 资金支出计划 B7/C7/E7/F7, 指标 rows from 10: A 一级, B 二级, C 三级, F 指标值,
G 依据) with one thing changed in the record or typed into the workbook.
"""

from __future__ import annotations

import ast
import copy
import re
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import example_records
from tests.returns import corpus_record, filled_return, read_one
from xlsxkit.form.errors import Code, Severity
from xlsxkit.read.reader import read_return


@dataclass
class Case:
    name: str
    code: Code
    cell: str | None
    message: str
    change: Callable[[dict[str, Any]], None] | None = None
    edit: Callable[[Any], None] | None = None
    template: str = "tangshan"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        target = record
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value

    return change


def _type(cell: str, value: Any) -> Callable[[Any], None]:
    def edit(book: Any) -> None:
        book["项目1"][cell] = value

    return edit


def _drop_level1(level1: str) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        record["indicators"] = [i for i in record["indicators"] if i["level1"] != level1]

    return change


def _both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        for one in changes:
            one(record)

    return change


CASES = [
    Case("required field empty", Code.C_REQUIRED, "E3", "「项目名称」未填写", _set("project.name", None)),
    Case(
        "text in a money cell",
        Code.R_WRONG_TYPE,
        "C4",
        "「预算数」应填写金额，现为「五十八万」",
        edit=_type("C4", "五十八万"),
    ),
    Case(
        "funds do not add up",
        Code.C_FUNDS_SUM,
        "C4",
        "年度资金总额 58.5 万元不等于 财政资金、其他资金 之和 58 万元（相差 0.5 万元）",
        _set("funds.annual.fiscal", "580000.00"),
    ),
    Case("negative money", Code.C_NEGATIVE_MONEY, "G4", "「其他资金」为负数 -0.01 万元", edit=_type("G4", -0.01)),
    Case(
        "negative money on a 元 form",
        Code.C_NEGATIVE_MONEY,
        "E7",
        "「财政拨款」为负数 -100 元",
        _set("funds.annual.fiscal", "-100.00"),
        template="qiannan",
    ),
    Case(
        "yuan typed into a 万元 cell",
        Code.C_IMPLAUSIBLE_AMOUNT,
        "C4",
        "「预算数」1200000 万元，金额异常大（不少于 100000 万元）",
        edit=_type("C4", "1,200,000"),
    ),
    Case(
        "spending plan decreasing",
        Code.C_PLAN_DECREASING,
        "E7",
        "资金支出计划 10月底 40% 小于 6月底 50%",
        _set("spending_plan.10", "40"),
    ),
    Case(
        "spending plan above 100",
        Code.C_PLAN_ABOVE_100,
        "E7",
        "资金支出计划 10月底 120% 超过 100%",
        _set("spending_plan.10", "120"),
    ),
    Case(
        "spending plan not 100 in December",
        Code.C_PLAN_NOT_100,
        "F7",
        "资金支出计划 12月底应为 100%，现为 90%",
        _both(_set("spending_plan.10", "75"), _set("spending_plan.12", "90")),
    ),
    Case(
        "no 满意度指标",
        Code.C_LEVEL1_MISSING,
        "A9",
        "指标表没有满意度指标：至少应有一个三级指标",
        _drop_level1("满意度指标"),
    ),
    Case(
        "no 成本指标 on the MOF form",
        Code.C_LEVEL1_MISSING,
        "B13",
        "指标表没有成本指标：至少应有一个三级指标",
        _drop_level1("成本指标"),
        template="mof",
    ),
    Case(
        "unknown 一级",
        Code.C_UNKNOWN_LEVEL1,
        "A10",
        "一级指标「产出类指标」不在本表的指标体系中（是否应为 产出指标？）",
        edit=_type("A10", "产出类指标"),
    ),
    Case(
        "二级 of another 一级",
        Code.C_LEVEL2_MISMATCH,
        "B14",
        "二级指标「数量指标」不属于一级指标「效益指标」",
        _set("indicators.4.level2", "数量指标"),
    ),
    Case(
        "三级 without 指标值",
        Code.C_NO_VALUE,
        "F10",
        "三级指标「服务次数」没有填写指标值",
        _set("indicators.0.value", None),
    ),
    Case(
        "a row without 三级",
        Code.C_NO_LEVEL3,
        "C10",
        "该行填写了内容，但没有三级指标名称",
        _set("indicators.0.level3", None),
    ),
    Case(
        "duplicate 三级",
        Code.C_DUPLICATE_LEVEL3,
        "C11",
        "三级指标「服务次数」重复（首次在 C10）",
        _set("indicators.1.level3", "服务次数"),
    ),
    Case(
        "placeholder value", Code.C_PLACEHOLDER, "F10", "「XX」是占位符，不是实际内容", _set("indicators.0.value", "XX")
    ),
    Case(
        "placeholder 待定",
        Code.C_PLACEHOLDER,
        "F11",
        "「待定」是占位符，不是实际内容",
        _set("indicators.1.value", "待定"),
    ),
    Case(
        "no levels",
        Code.C_NO_LEVELS,
        "A10",
        "三级指标「服务次数」没有一级、二级指标",
        _both(_set("indicators.0.level1", None), _set("indicators.0.level2", None)),
    ),
    Case(
        "qualitative 数量指标",
        Code.C_QUALITATIVE_QUANTITY,
        "F10",
        "数量指标「服务次数」的指标值「经常」不是定量的",
        _set("indicators.0.value", "经常"),
    ),
    Case(
        "percent above 100",
        Code.C_PERCENT_ABOVE_100,
        "F11",
        "指标值「120%」超过 100%",
        _set("indicators.1.value", "120%"),
    ),
    Case(
        "≥ on a cost",
        Code.C_COST_AT_LEAST,
        "F13",
        "成本指标「维修维护单价」的指标值「≥500元」是下限（>=）",
        _set("indicators.3.value", "≥500元"),
    ),
    Case(
        "deadline outside the year",
        Code.C_DEADLINE_OUTSIDE_YEAR,
        "F12",
        "指标值中的时限 2026-03-31 不在预算年度 2025 年内",
        _set("indicators.2.value", "2026年3月31日前"),
    ),
    Case(
        "a value that bypassed the dropdown",
        Code.C_NOT_IN_LIST,
        "C6",
        "「长期项目」不在「项目属性」的下拉列表中",
        _set("project.attribute", "长期项目"),
        template="luan",
    ),
    Case(
        "deadline after the project ends",
        Code.C_DEADLINE_AFTER_END,
        "G15",
        "指标值中的时限 2024-06-30 晚于项目计划完成日期 2023-12-31",
        _both(_set("project.end_date", "2023-12-31"), _set("indicators.2.value", "2024年6月30日前")),
        template="shanghai",
    ),
    Case(
        "a label renamed",
        Code.R_LABEL_NOT_FOUND,
        "E3",
        "找不到栏目「项目名称」，已按模板中的位置读取本单元格",
        edit=_type("D3", "名称"),
    ),
    Case(
        "a cell over 32,767 characters",
        Code.R_CELL_TOO_LONG,
        "B8",
        "单元格有 40000 个字符，超过 Excel 单元格的上限 32767 个",
        _set("goals.annual", "LONG-GOAL"),
    ),
]
LONG_TEXT = "长" * 40000


def _with_long_text(path: Path) -> Path:
    """Office suites and openpyxl cut text at 32,767 characters, so a longer cell (written by some
    other tool) is made by patching the shared strings: LONG-GOAL becomes 40,000 characters."""
    target = path.with_name("long.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace(b"LONG-GOAL", LONG_TEXT.encode("utf-8"))
            out.writestr(item, data)
    return target


def _record_for(case: Case) -> dict[str, Any]:
    if case.template in ("shanghai", "mof", "qiannan"):  # no corpus record: the examples' (the seed's or invented)
        return copy.deepcopy(example_records(case.template)[0])
    return corpus_record(case.template)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_mistake_is_found_at_its_cell(case: Case, tmp_path) -> None:
    record = _record_for(case)
    if case.change is not None:
        case.change(record)
    result = read_one(case.template, record, tmp_path, case.edit)
    if case.code is Code.R_CELL_TOO_LONG:
        result = read_return(_with_long_text(filled_return(case.template, [record], tmp_path)))
        assert result.records[0].record["goals"]["annual"] == LONG_TEXT  # read whole, never cut
    found = [f for r in result.records for f in r.findings if f.code is case.code]
    assert found, [str(f) for f in result.all_findings()]
    finding = found[0]
    assert (finding.sheet, finding.cell) == ("项目1", case.cell)
    assert finding.message.startswith(case.message)
    assert finding.fix  # every finding says how to fix it
    assert f"项目1!{case.cell}: [{case.code.code}] {finding.message} —— {finding.fix}" == str(finding)


@pytest.mark.parametrize(("typed", "shown"), [(-5, "-5"), (-58.5, "-58.5"), (-0.0001, "-0.0001"), ("-1,200", "-1200")])
def test_money_is_quoted_in_the_form_unit_with_the_decimals_it_needs(typed: Any, shown: str, tmp_path) -> None:
    """As the unit typed it: -5 万元, not -50000.00 元; 1 元 is 0.0001 万元."""
    result = read_one("tangshan", corpus_record("tangshan"), tmp_path, _type("G4", typed))
    found = [f for f in result.records[0].findings if f.code is Code.C_NEGATIVE_MONEY]
    assert [f.message for f in found] == [f"「其他资金」为负数 {shown} 万元"]


def test_the_catalogue_gives_every_code_a_severity_message_and_fix() -> None:
    codes = [c.code for c in Code]
    assert len(codes) == len(set(codes))
    for code in Code:
        assert code.message and code.fix and code.severity in Severity


def test_a_wrongly_typed_value_stays_out_of_the_record_and_is_not_also_reported_missing(tmp_path) -> None:
    result = read_one("tangshan", corpus_record("tangshan"), tmp_path, _type("C4", "五十八万"))
    read = result.records[0]
    assert read.record["funds"]["annual"]["total"] is None
    assert [f.code for f in read.findings if f.cell == "C4"] == [Code.R_WRONG_TYPE]


def test_a_real_form_that_is_right_has_no_findings(tmp_path) -> None:
    """The first Tangshan form of the corpus is complete and consistent: nothing to report."""
    record = corpus_record("tangshan")
    result = read_one("tangshan", record, tmp_path)
    assert result.records[0].findings == []


# --- every code of the catalogue is checked by some test -----------------------------------------------

_NEGATIVE = (ast.NotIn, ast.IsNot, ast.NotEq)


def _positive(node: ast.AST) -> Iterator[ast.AST]:
    """`node` and what is under it, less what is said to be absent: `x not in`, `is not`, `!=`, `not x`."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Compare) and all(isinstance(op, _NEGATIVE) for op in n.ops):
            continue
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            continue
        yield n
        stack.extend(ast.iter_child_nodes(n))


def _codes_named(node: ast.AST, by_code: dict[str, str], positive: bool = True) -> set[str]:
    """The Code members named under `node`: as Code.X (Code.X.code too), or by their code in a string ("R009")."""
    names = set()
    for n in _positive(node) if positive else ast.walk(node):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "Code":
            names.add(n.attr)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            names.update(by_code[m] for m in re.findall(r"\b[A-Z]\d{3}\b", n.value) if m in by_code)
    return names


def _called(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)


def _checks(tree: ast.Module, by_code: dict[str, str], asserting: set[str]) -> set[str]:
    """The codes a test module checks: named in an assert (not as what must be absent); in a
    module-level table of expected values or a parametrize decorator; in the arguments of
    pytest.raises or of a helper that asserts; or in a value bound to a name (found = [... Code.X];
    for args, expected in ...) that an assert or such a call of the same function then uses.
    Comments are not in the syntax tree, and docstrings are in none of these places."""
    checked: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None:
            checked |= _codes_named(statement.value, by_code, positive=False)
        if isinstance(statement, ast.FunctionDef | ast.ClassDef):
            for decorator in statement.decorator_list:
                checked |= _codes_named(decorator, by_code, positive=False)
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        bound: dict[str, set[str]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.For | ast.comprehension):
                targets, value = [node.target], node.iter
            else:
                continue
            for target in targets:
                for name in (n for n in ast.walk(target) if isinstance(n, ast.Name)):
                    bound.setdefault(name.id, set()).update(_codes_named(value, by_code))
        for node in ast.walk(function):
            if isinstance(node, ast.Assert):
                used: ast.AST = node.test
            elif isinstance(node, ast.Call) and _called(node) in asserting:
                used = node
            else:
                continue
            checked |= _codes_named(used, by_code)
            for name in (n for n in _positive(used) if isinstance(n, ast.Name)):
                checked |= bound.get(name.id, set())
    return checked


def test_every_code_of_the_catalogue_is_checked_by_a_test() -> None:
    """Each code is asserted by some test: in real test code (an assert, a table of expected values,
    pytest.raises or an asserting helper), never merely mentioned in a comment or a docstring."""
    by_code = {code.code: code.name for code in Code}
    folder = Path(__file__).parent
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in sorted(folder.glob("*.py"))}
    asserting = {"raises"} | {
        node.name
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("test_")
        and any(isinstance(inner, ast.Assert) for inner in ast.walk(node))
    }
    checked = set().union(
        *(_checks(tree, by_code, asserting) for path, tree in trees.items() if path.name.startswith("test_"))
    )
    assert [code.name for code in Code if code.name not in checked] == []


def test_the_catalogue_check_sees_through_comments_docstrings_and_negatives() -> None:
    """The check above would fail a code only commented on, only in a docstring, or only asserted absent."""
    by_code = {code.code: code.name for code in Code}
    source = textwrap.dedent(
        '''
        """Code.C_REQUIRED in a docstring, C002 too."""
        # assert f.code is Code.C_NEGATIVE_MONEY
        def helper(found):
            assert found
        def test_a():
            """R009 here."""
            assert Code.R_NO_STAMP not in codes and not Code.R_INTERNAL
            found = [f for f in findings if f.code is Code.C_PLAN_NOT_100]
            assert found == [1]
            helper("[O011]")
        TABLE = [Code.F_BROKEN]
        '''
    )
    checked = _checks(ast.parse(source), by_code, {"helper"})
    assert checked == {"C_PLAN_NOT_100", "O_LEDGER_NOT_LEDGER", "F_BROKEN"}


def test_rich_text_runs_read_as_their_text(tmp_path) -> None:
    """Excel and WPS keep a cell with mixed formatting as runs (<r><t>办公楼</t></r><r><t>运转经费</t></r>)."""
    record = corpus_record("tangshan")
    path = filled_return("tangshan", [record], tmp_path)
    target = path.with_name("rich.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                runs = '<si><r><rPr><b/></rPr><t>办公楼</t></r><r><t xml:space="preserve">运转经费</t></r></si>'
                data = data.replace("<si><t>办公楼运转经费</t></si>".encode(), runs.encode())
                assert runs.encode() in data
            out.writestr(item, data)
    read = read_return(target).records[0].record
    assert read["project"]["name"] == "办公楼运转经费"
