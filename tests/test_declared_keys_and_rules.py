"""Forms of an office's own: keys the template declares (`extra`, form level and per table row)
travel through generation and reading like the spec's; the template's 审核公式 (`rules`) fire at
the cells of their fields, over the form and over each row, with money exact and blanks left
undecided; a rule that does not parse or names an unknown key is a template error at its line."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from typer.testing import CliRunner

from tests.helpers import FIXED_TIME
from xlsxkit.cli import app
from xlsxkit.cycle.consolidate import consolidate
from xlsxkit.cycle.status import Standing, UnitStatus
from xlsxkit.form.errors import Code, TemplateError
from xlsxkit.read.reader import read_return
from xlsxkit.template.expressions import compile_check, decide, view
from xlsxkit.template.load import load_template, parse_template
from xlsxkit.write.generate import UnitRecords, generate_prefilled

EXAMPLE = Path(__file__).parents[1] / "examples" / "self-evaluation.yaml"
runner = CliRunner()
UNIT = {"code": "603001", "name": "唐山市住房公积金管理中心"}


def evaluation_record() -> dict:
    indicators = [
        ("产出指标", "数量指标", "发放贷款笔数", "≥1000笔", "1200笔", 40, 40),
        ("效益指标", "社会效益指标", "缴存职工受益面", "≥90%", "93%", 30, 28),
        ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 20, 20),
    ]
    return {
        "form": "project",
        "template": {"id": "office-self-evaluation", "version": "1"},
        "year": 2025,
        "unit": UNIT,
        "project": {"name": "公积金贷款业务", "code": "P001"},
        "funds": {"annual": {"total": "1000000.00"}},
        "goals": {"annual": "完成全年贷款发放任务。"},
        "extra": {"executed": "980000.00", "funds_weight": 10, "funds_score": 10},
        "indicators": [
            {
                "level1": l1,
                "level2": l2,
                "level3": l3,
                "value": value,
                "extra": {"actual": actual, "weight": weight, "score": score, "reason": None},
            }
            for l1, l2, l3, value, actual, weight, score in indicators
        ],
    }


def read(path: Path):
    """Read as the office does with a template of its own: `--template examples/self-evaluation.yaml`."""
    return read_return(path, template=load_template(EXAMPLE))


def made(tmp_path: Path, record: dict) -> Path:
    template = load_template(EXAMPLE)
    report = generate_prefilled(template, [UnitRecords(UNIT, [record])], 2025, tmp_path, generated_at=FIXED_TIME)
    assert not report.problems, report.problems
    return report.files[0].path


def test_declared_keys_are_written_and_read_back(tmp_path):
    record = evaluation_record()
    result = read(made(tmp_path, record))
    assert result.readable and not [f for f in result.all_findings() if f.severity.value != "info"], (
        result.all_findings()
    )
    back = result.records[0].record
    assert back["extra"] == {"executed": "980000.00", "funds_weight": 10, "funds_score": 10, "rate": "98"}
    assert [i["extra"] for i in back["indicators"]] == [i["extra"] for i in record["indicators"]]


def test_a_score_above_its_weight_is_found_at_its_row(tmp_path):
    path = made(tmp_path, evaluation_record())
    book = openpyxl.load_workbook(path)
    sheet = book["项目1"]
    result = read(path)
    cell = result.records[0].cells["indicators[1].extra.score"]
    sheet[cell] = 31  # above its 分值 30
    book.save(path)
    findings = read(path).all_findings()
    found = [f for f in findings if f.code is Code.C_FORM_RULE]
    assert [(f.cell, f.message) for f in found] == [(cell, "三级指标「缴存职工受益面」得分 31 超过其分值 30")]


def test_form_rules_sum_over_rows_and_compare_money_exactly(tmp_path):
    record = evaluation_record()
    record["extra"]["funds_weight"] = 5  # 40 + 30 + 20 + 5 = 95
    record["extra"]["executed"] = "1000000.01"  # one cent over the budget: a warning
    record["extra"]["funds_score"] = 5
    result = read(made(tmp_path, record))
    cells = result.records[0].cells
    errors = [(f.cell, f.message) for f in result.all_findings() if f.code is Code.C_FORM_RULE]
    assert errors == [(cells["extra.funds_weight"], "资金执行分值与各指标分值合计为 95 分，应为 100 分")]
    (over,) = [f for f in result.all_findings() if f.code is Code.C_FORM_RULE_WARNING]
    assert over.severity.value == "warning" and over.cell == result.records[0].cells["extra.executed"]


def test_a_blank_value_leaves_a_comparison_undecided_and_a_blank_rule_decides(tmp_path):
    record = evaluation_record()
    record["indicators"][0]["extra"]["score"] = None  # score <= weight: not decided
    record["indicators"][2]["extra"]["actual"] = None  # not blank(actual): fires
    result = read(made(tmp_path, record))
    fired = [(f.cell, f.message) for f in result.all_findings() if f.code is Code.C_FORM_RULE]
    assert fired == [
        (result.records[0].cells["indicators[2].extra.actual"], "三级指标「服务对象满意度」没有填写实际完成值")
    ]


def test_a_declared_value_of_the_wrong_type_is_a_finding_at_its_cell(tmp_path):
    path = made(tmp_path, evaluation_record())
    cell = read(path).records[0].cells["indicators[0].extra.weight"]
    book = openpyxl.load_workbook(path)
    book["项目1"][cell] = "四十"
    book.save(path)
    result = read(path)
    wrong = [f for f in result.all_findings() if f.code is Code.R_WRONG_TYPE]
    assert [(f.cell, f.details["label"]) for f in wrong] == [(cell, "分值")]
    assert result.records[0].record["indicators"][0]["extra"]["weight"] is None


def template_with(text: str, replace: str, by: str) -> str:
    assert replace in text
    return text.replace(replace, by, 1)


def problems_of_edited_example(replace: str, by: str) -> tuple[str, list]:
    """The example template with `replace` replaced by `by`, and the problems loading it reports."""
    text = template_with(EXAMPLE.read_text(encoding="utf-8"), replace, by)
    with pytest.raises(TemplateError) as raised:
        parse_template(text, "self-evaluation.yaml")
    return text, raised.value.problems


@pytest.mark.parametrize(
    ("replace", "by", "code", "key"),
    [
        (
            "check: extra.funds_score <= extra.funds_weight",
            "check: extra.funds_score <= (extra.funds_weight",
            Code.T_RULE_SYNTAX,
            "rules[1].check",
        ),
        (
            "check: extra.funds_score <= extra.funds_weight",
            "check: extra.funds_scor <= extra.funds_weight",
            Code.T_RULE_UNKNOWN_KEY,
            "rules[1].check",
        ),
        (
            "check: row.extra.score <= row.extra.weight",
            "check: row.extra.scores <= row.extra.weight",
            Code.T_RULE_UNKNOWN_KEY,
            "rules[3].check",
        ),
        (
            "  - each: indicators\n    check: row.extra.score",
            "  - each: indicator\n    check: row.extra.score",
            Code.T_RULE_UNKNOWN_TABLE,
            "rules[3].each",
        ),
        (
            "    field: extra.funds_score\n",
            "    field: extra.funds_scores\n",
            Code.T_RULE_UNKNOWN_FIELD,
            "rules[1].field",
        ),
        (
            "      - {key: score, type: integer, label: 得分}",
            "      - {key: weight, type: integer, label: 得分}",
            Code.T_DECLARED_TWICE,
            "body[1].extra[2].key",
        ),
        (
            "{label: 年度目标}",
            "{label: 年度目标, style: input}",
            Code.T_INPUT_WITHOUT_FIELD,
            "body[0].rows[5].cells[0].style",
        ),
        (
            "{field: extra.executed, required: true}",
            "{field: extra.execute, required: true}",
            Code.T_UNKNOWN_FIELD,
            "body[0].rows[3].cells[3].field",
        ),
    ],
)
def test_a_mistake_in_a_rule_or_a_declared_key_is_a_template_error_at_its_line(replace, by, code, key):
    text, found = problems_of_edited_example(replace, by)
    problems = [p for p in found if p.code is code]
    assert problems, found
    line = next(n for n, content in enumerate(text.splitlines(), start=1) if by.splitlines()[0].strip() in content)
    assert problems[0].where.startswith(f"self-evaluation.yaml:{line} ") or problems[0].line == line
    assert key in problems[0].where


def test_the_built_in_templates_are_unchanged_by_declared_keys():
    """No declared key, no extra in the record: a built-in template's records keep their shape."""
    from xlsxkit.template.load import builtin_templates

    for template in builtin_templates():
        assert template.extra == [] and all(block.extra == [] for block in template.tables())


def test_rules_never_reach_python():
    """An attribute the record does not have is an unknown key when the template loads, and
    never reached when a rule runs: the record is seen only through its keys, in jinja2's sandbox."""
    text = template_with(
        EXAMPLE.read_text(encoding="utf-8"),
        "check: extra.funds_score <= extra.funds_weight",
        "check: extra.__class__ is none",
    )
    with pytest.raises(TemplateError) as raised:
        parse_template(text, "x.yaml")
    assert [p.code for p in raised.value.problems] == [Code.T_RULE_UNKNOWN_KEY]
    context = {"extra": view({"score": 1}), "funds": view({"annual": {"total": Decimal("0.10")}})}
    assert decide(compile_check("extra.__class__.__mro__"), context) is None
    assert decide(compile_check("extra.items"), context) is None  # no dict method either
    assert decide(compile_check("funds.annual.total + funds.annual.total == 0.2"), context) is True  # exact
    assert decide(compile_check("0.1 + 0.2 == 0.3"), context) is True  # decimal literals are Decimal
    assert decide(compile_check("funds.annual.total * 1.1 == 0.11"), context) is True


def test_the_json_schema_of_the_forms_records_validates_them_and_refuses_a_wrong_one(tmp_path):
    result = runner.invoke(app, ["schema", "--record", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    validator = jsonschema.Draft202012Validator(json.loads(result.stdout))
    record = read(made(tmp_path, evaluation_record())).records[0].record
    validator.validate(record)
    wrong = copy.deepcopy(record)
    wrong["indicators"][0]["extra"]["weight"] = "forty"
    assert not validator.is_valid(wrong)
    wrong = copy.deepcopy(record)
    wrong["extra"]["undeclared"] = 1
    assert not validator.is_valid(wrong)


@pytest.mark.libreoffice
def test_a_form_of_our_own_round_trips_through_libreoffice_and_its_rules_fire_there(office, tmp_path):
    """A clerk opens the workbook in LibreOffice, types an 实际完成值 and a 得分 above its 分值,
    saves: the values come back typed, the rule marks the cell typed into."""
    path = made(tmp_path, evaluation_record())
    cells = read(path).records[0].cells
    score, actual = cells["indicators[2].extra.score"], cells["indicators[0].extra.actual"]
    with office.open(path) as book:
        book.type_text("项目1", score, "25")  # its 分值 is 20
        book.type_text("项目1", actual, "1300笔")
        saved = book.save_as_xlsx(tmp_path / "saved.xlsx")
    result = read(saved)
    back = result.records[0].record
    assert back["indicators"][2]["extra"]["score"] == 25 and back["indicators"][0]["extra"]["actual"] == "1300笔"
    fired = [(f.cell, f.message) for f in result.all_findings() if f.code is Code.C_FORM_RULE]
    assert fired == [(score, "三级指标「服务对象满意度」得分 25 超过其分值 20")]


def test_the_summary_carries_the_declared_keys(tmp_path):
    record = read(made(tmp_path, evaluation_record())).records[0].record
    statuses = [UnitStatus(UNIT["code"], UNIT["name"], Standing.accepted)]
    summary = consolidate(
        iter([record]), statuses, tmp_path / "s.xlsx", csv_dir=tmp_path / "csv", template=load_template(EXAMPLE)
    )
    book = openpyxl.load_workbook(summary.workbook)
    projects = [c.value for c in book["项目汇总"][3]]
    row = [c.value for c in book["项目汇总"][4]]
    assert row[projects.index("全年执行数")] == 98 and row[projects.index("资金执行分值")] == 10  # 万元, as the summary
    indicators = [c.value for c in book["指标明细"][3]]
    rows = [[c.value for c in r] for r in book["指标明细"].iter_rows(min_row=4)]
    assert [r[indicators.index("得分")] for r in rows] == [40, 28, 20]
    assert [r[indicators.index("实际完成值")] for r in rows] == ["1200笔", "93%", "95%"]
    header = (tmp_path / "csv" / "indicators.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert {"实际完成值", "分值", "得分", "偏差原因分析及改进措施"} <= set(header)
    projects_csv = (tmp_path / "csv" / "projects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert "全年执行数" in projects_csv[0] and "980000.00" in projects_csv[1]  # yuan, as the record


def test_a_computed_cell_is_a_locked_formula_computed_again_on_reading(tmp_path):
    path = made(tmp_path, evaluation_record())
    result = read(path)
    cell = result.records[0].cells["extra.rate"]
    sheet = openpyxl.load_workbook(path)["项目1"]
    formula = sheet[cell].value
    assert formula.startswith("=IFERROR(") and "/100" in formula and sheet[cell].protection.locked
    assert "10000" in formula  # 万元 cells back to yuan, as the record computes
    book = openpyxl.load_workbook(path)
    book["项目1"][cell] = 0.5  # someone typed over the formula: 50 %
    book.save(path)
    result = read(path)
    (overwritten,) = [f for f in result.all_findings() if f.code is Code.R_FORMULA_OVERWRITTEN]
    assert overwritten.cell == cell and overwritten.severity.value == "warning"
    assert overwritten.details["computed"] == "98" and result.records[0].record["extra"]["rate"] == "98"


def test_highlighted_rules_are_conditional_formats_on_their_cells(tmp_path):
    path = made(tmp_path, evaluation_record())
    cells = read(path).records[0].cells
    sheet = openpyxl.load_workbook(path)["项目1"]
    formats = {
        str(rng.sqref): [rule.formula[0] for rule in rules]
        for rng, rules in sheet.conditional_formatting._cf_rules.items()
    }
    weight = cells["extra.funds_weight"]
    assert any(weight in ref and formula.startswith("NOT(") for ref, fs in formats.items() for formula in fs)
    score_first = cells["indicators[0].extra.score"]
    (score_range,) = [ref for ref in formats if ref.startswith(score_first + ":")]
    assert "SUM(" not in formats[score_range][0] and "<=" in formats[score_range][0]


@pytest.mark.libreoffice
def test_libreoffice_computes_the_formula_as_the_reader_does_and_sees_the_highlights(office, tmp_path):
    path = made(tmp_path, evaluation_record())
    cells = read(path).records[0].cells
    with office.open(path) as book:
        book.type_text("项目1", cells["extra.executed"], "75.5")  # 万元: 755,000 元 of 1,000,000
        score = book.sheet("项目1").getCellRangeByName(cells["indicators[0].extra.score"])
        assert score.getPropertyValue("ConditionalFormat").getCount() >= 1
        saved = book.save_as_xlsx(tmp_path / "saved.xlsx")
    result = read(saved)
    assert result.records[0].record["extra"]["rate"] == "75.5"
    assert not [f for f in result.all_findings() if f.code is Code.R_FORMULA_OVERWRITTEN]  # LibreOffice's value agrees
    sheet = openpyxl.load_workbook(saved)["项目1"]
    assert str(sheet[cells["extra.rate"]].value).startswith("=")  # the formula survives the round trip


@pytest.mark.parametrize(
    ("replace", "by", "code", "key"),
    [
        (
            "formula: extra.executed / funds.annual.total * 100",
            "formula: extra.executed / funds.annual.totl * 100",
            Code.T_FORMULA,
            "body[0].rows[4].cells[1].formula",
        ),
        (
            "formula: extra.executed / funds.annual.total * 100",
            "formula: extra.executed / funds.annual.fiscal * 100",  # a key the form does not show
            Code.T_FORMULA,
            "body[0].rows[4].cells[1].formula",
        ),
        (
            "  - check: extra.executed <= funds.annual.total\n",
            "  - check: extra.executed <= funds.annual.fiscal\n    highlight: true\n",
            Code.T_HIGHLIGHT,
            "rules[2].highlight",
        ),
    ],
)
def test_a_formula_or_highlight_the_workbook_cannot_compute_is_a_template_error(replace, by, code, key):
    _, found = problems_of_edited_example(replace, by)
    assert [(p.code, key in p.where) for p in found] == [(code, True)], found
