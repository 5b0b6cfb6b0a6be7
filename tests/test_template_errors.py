"""A template with a mistake is refused with every problem listed as file:line, key path and,
where one fits, a "did you mean".

Each test starts from the real templates/tangshan.yaml, makes one mistake in its text, and
checks the catalogued problem. Expected lines are computed from the edited text, never guessed.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from xlsxkit.cli import app
from xlsxkit.form.errors import Code, Problem, TemplateError
from xlsxkit.template import yaml_source
from xlsxkit.template.load import parse_template
from xlsxkit.template.model import RowsBlock
from xlsxkit.template.yaml_source import load_yaml

ROOT = Path(__file__).resolve().parent.parent
TANGSHAN = ROOT / "templates" / "tangshan.yaml"
NAME = "tangshan.yaml"


@pytest.fixture(scope="module")
def base() -> str:
    return TANGSHAN.read_text(encoding="utf-8")


# --- helpers -------------------------------------------------------------------------------


def edit(text: str, old: str, new: str) -> str:
    """`text` with its one occurrence of `old` replaced (a test that edits nothing proves nothing)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the one line of `text` containing `needle`."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(TemplateError) as caught:
        parse_template(text, NAME)
    for problem in caught.value.problems:
        str(problem)  # every problem formats: message and fix
    return caught.value.problems


def the_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def where(line: int, path: str = "") -> str:
    return f"{NAME}:{line} {path}".rstrip()


# --- the untouched template ----------------------------------------------------------------


def test_the_real_template_loads(base: str) -> None:
    template = parse_template(base, NAME)
    assert template.id == "tangshan"


@pytest.mark.parametrize(
    "path", [*sorted((ROOT / "templates").glob("*.yaml")), ROOT / "examples" / "self-evaluation.yaml"]
)
def test_libyamls_parser_gives_pyyamls_data_and_lines(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Templates are parsed by libyaml where PyYAML has it; every key's value and line are what
    PyYAML's own parser gives."""
    assert yaml_source._FAST_LOADER is yaml.CSafeLoader  # (PyYAML's wheels carry libyaml: two parsers compared)
    text = path.read_text(encoding="utf-8")
    quick, problems = load_yaml(text, path.name)
    monkeypatch.setattr(yaml_source, "_FAST_LOADER", None)
    own, own_problems = load_yaml(text, path.name)
    assert quick is not None and own is not None and yaml_source._FAST_LOADER is None
    assert (quick.data, quick.lines, problems) == (own.data, own.lines, own_problems)
    assert len(quick.lines) > 50  # every key of the template has its line


# --- unknown keys ----------------------------------------------------------------------------


def test_an_unknown_top_level_key_is_refused_with_did_you_mean(base: str) -> None:
    text = edit(base, "projects: 3", "projectz: 3")
    problem = the_problem(text)
    assert problem.code is Code.T_UNKNOWN_KEY
    assert problem.where == where(line_of(text, "projectz:"), "projectz")
    assert problem.message == "未知的键 projectz（是否应为 projects？）"


UNKNOWN_KEYS = [
    pytest.param(
        "{field: project.code, span: 2}",
        "{fieldd: project.code, span: 2}",
        "fieldd:",
        "body[0].rows[2].cells[1].fieldd",
        "field",
        id="deep in a body cell",
    ),
    pytest.param(
        "          - {field: funds.annual.other}\n",
        "          - field: funds.annual.other\n            spam: 2\n",
        "spam: 2",
        "body[0].rows[3].cells[6].spam",
        "span",
        id="in a block-style cell, on its own line",
    ),
    pytest.param(
        "      - height: 60", "      - heigth: 60", "heigth:", "body[0].rows[7].heigth", "height", id="in a body row"
    ),
    pytest.param(
        "    header_height: 30",
        "    header_hight: 30",
        "header_hight:",
        "body[1].header_hight",
        "header_height",
        id="in a table block, no union tag in the path",
    ),
]


@pytest.mark.parametrize(("old", "new", "needle", "path", "suggested"), UNKNOWN_KEYS)
def test_an_unknown_key_names_its_line_and_path_and_suggests_the_close_key(
    base: str,
    old: str,
    new: str,
    needle: str,
    path: str,
    suggested: str,
) -> None:
    text = edit(base, old, new)
    problem = the_problem(text)
    assert problem.code is Code.T_UNKNOWN_KEY
    assert problem.where == where(line_of(text, needle), path)
    assert problem.details["suggestion"] == f"（是否应为 {suggested}？）"


def test_an_unknown_key_in_a_table_column_suggests_header(base: str) -> None:
    text = edit(base, "{key: level1, header: 一级指标}", "{key: level1, heder: 一级指标}")
    line = line_of(text, "heder:")
    problems = problems_of(text)
    assert [(p.code, p.where) for p in problems] == [
        (Code.T_MISSING_KEY, where(line, "body[1].columns[0]")),
        (Code.T_UNKNOWN_KEY, where(line, "body[1].columns[0].heder")),
    ]
    assert problems[0].details["key"] == "body[1].columns[0].header"
    assert problems[1].details["suggestion"] == "（是否应为 header？）"


def test_a_misspelt_table_key_is_read_as_a_table_block_and_suggests_table(base: str) -> None:
    text = edit(base, "  - table: indicators\n", "  - tabel: indicators\n")
    line = line_of(text, "tabel:")
    problems = problems_of(text)
    assert [(p.code, p.where) for p in problems] == [
        (Code.T_MISSING_KEY, where(line, "body[1]")),
        (Code.T_UNKNOWN_KEY, where(line, "body[1].tabel")),
    ]
    assert problems[0].message == "缺少必填的键 body[1].table"
    assert problems[1].details["suggestion"] == "（是否应为 table？）"


# --- wrong types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle", "path", "detail"),
    [
        ("projects: 3", "projects: three", "projects:", "projects", "projects 应为整数（现为 “three”）"),
        ("projects: 3", "projects:", "projects:", "projects", "projects 应为整数（现为 空）"),
        (
            "{field: project.code, span: 2}",
            "{field: project.code, span: 0}",
            "project.code",
            "body[0].rows[2].cells[1].span",
            "body[0].rows[2].cells[1].span 应 ≥ 1（现为 0）",
        ),
        (
            "money_unit: 万元",
            "money_unit: 美元",
            "money_unit:",
            "money_unit",
            "money_unit 应为以下之一：元、万元（现为 “美元”）（是否应为 元？）",
        ),
        (
            "{field: funds.annual.total, required: true}",
            "{field: funds.annual.total, type: moeny}",
            "funds.annual.total",
            "body[0].rows[3].cells[2].type",
            (
                "body[0].rows[3].cells[2].type 应为以下之一：text、integer、money、percent、date、choice、coded_name"
                "、number、choices（现为 “moeny”）（是否应为 money？）"
            ),
        ),
        ('version: "1"', 'version: ""', "version:", "version", "version 不能为空（现为 “”）"),
        (
            "[产出指标, 成本指标]",
            "[产出指标]",
            "[产出指标]",
            "body[1].skeleton[3]",
            "body[1].skeleton[3] 缺少第 2 项",
        ),
    ],
)
def test_a_value_of_the_wrong_type_says_what_is_expected(
    base: str, old: str, new: str, needle: str, path: str, detail: str
) -> None:
    text = edit(base, old, new)
    problem = the_problem(text)
    assert problem.code is Code.T_WRONG_TYPE
    assert problem.where == where(line_of(text, needle), path)
    assert problem.details["detail"] == detail


TOTAL = "{field: funds.annual.total, required: true}"


@pytest.mark.parametrize(
    ("bound", "detail"),
    [
        ("5万", "应为数字（现为 “5万”）"),
        ('"50000"', "应为数字（现为 “50000”）"),  # quoted: text, as the JSON Schema says too
        ("true", "应为数字（现为 true）"),
        ("0", "应 > 0.0（现为 0）"),
        ("-100", "应 > 0.0（现为 -100）"),
    ],
)
def test_warn_above_must_be_a_number_above_0(base: str, bound: str, detail: str) -> None:
    text = edit(base, TOTAL, f"{{field: funds.annual.total, required: true, warn_above: {bound}}}")
    problem = the_problem(text)
    assert problem.code is Code.T_WRONG_TYPE
    assert problem.where == where(line_of(text, "warn_above"), "body[0].rows[3].cells[2].warn_above")
    assert problem.details["detail"] == f"body[0].rows[3].cells[2].warn_above {detail}"


def test_warn_above_on_a_money_field_is_kept_as_written(base: str) -> None:
    text = edit(base, TOTAL, "{field: funds.annual.total, required: true, warn_above: 50000.5}")
    cells = [
        cell
        for block in parse_template(text, NAME).body
        if isinstance(block, RowsBlock)
        for row in block.rows
        for cell in row.cells
        if cell.warn_above is not None
    ]
    assert [(cell.field, cell.warn_above) for cell in cells] == [("funds.annual.total", 50000.5)]


@pytest.mark.parametrize(
    ("old", "new", "path", "detail"),
    [
        (
            "{field: project.name, span: 3, required: true}",
            "{field: project.name, span: 3, required: true, warn_above: 5}",
            "body[0].rows[2].cells[3].warn_above",
            "只能用于金额字段（project.name 是 text 字段）",
        ),
        (
            "{field: spending_plan.12, span: 2, style: input_center}",
            "{field: spending_plan.12, span: 2, style: input_center, warn_above: 100}",
            "body[0].rows[6].cells[3].warn_above",
            "只能用于金额字段（spending_plan.12 是 percent 字段）",
        ),
    ],
)
def test_warn_above_on_a_field_that_is_not_money_is_refused(
    base: str,
    old: str,
    new: str,
    path: str,
    detail: str,
) -> None:
    text = edit(base, old, new)
    problem = the_problem(text)
    assert problem.code is Code.T_WRONG_TYPE
    assert problem.where == where(line_of(text, "warn_above"), path)
    assert problem.message == f"取值不合要求：{path} {detail}"


def test_warn_above_on_a_label_is_refused(base: str) -> None:
    text = edit(base, "{label: 预算数}", "{label: 预算数, warn_above: 5}")
    problem = the_problem(text)
    assert problem.code is Code.T_FIELD_ONLY_KEYS
    assert problem.where == where(line_of(text, "warn_above"), "body[0].rows[3].cells[1].warn_above")
    assert problem.message == "warn_above 只能用于 field（填写）单元格"


def test_a_cell_with_both_text_and_label_is_refused(base: str) -> None:
    text = edit(base, "{label: 项目编码}", "{label: 项目编码, text: 编码}")
    problem = the_problem(text)
    assert problem.code is Code.T_CELL_KINDS
    assert problem.where == where(line_of(text, "项目编码"), "body[0].rows[2].cells[0]")
    assert problem.message == "单元格须有且只有 text、label、field 其中之一，此处有 text、label"


def test_required_on_a_label_cell_is_refused(base: str) -> None:
    text = edit(base, "{label: 项目编码}", "{label: 项目编码, required: true}")
    problem = the_problem(text)
    assert problem.code is Code.T_FIELD_ONLY_KEYS
    assert problem.where == where(line_of(text, "项目编码"), "body[0].rows[2].cells[0].required")
    assert problem.message == "required 只能用于 field（填写）单元格"


# --- missing and duplicate keys ----------------------------------------------------------------


def test_a_missing_required_top_level_key_is_named(base: str) -> None:
    text = edit(base, "name: 唐山市项目支出绩效目标表\n", "")
    problem = the_problem(text)
    assert problem.code is Code.T_MISSING_KEY
    assert problem.where == where(line_of(text, "id: tangshan"))  # the mapping that lacks it
    assert problem.message == "缺少必填的键 name"


def test_a_missing_column_header_points_at_the_column(base: str) -> None:
    text = edit(base, "{key: level1, header: 一级指标}", "{key: level1}")
    problem = the_problem(text)
    assert problem.code is Code.T_MISSING_KEY
    assert problem.where == where(line_of(text, "{key: level1}"), "body[1].columns[0]")
    assert problem.message == "缺少必填的键 body[1].columns[0].header"


def test_a_duplicate_key_is_reported_at_its_second_line(base: str) -> None:
    text = edit(base, "projects: 3\n", "projects: 3\nprojects: 4\n")
    problem = the_problem(text)
    assert problem.code is Code.T_DUPLICATE_KEY
    assert problem.where == where(line_of(text, "projects: 4"), "projects")
    assert problem.message == f"键 projects 重复出现（首次在第 {line_of(text, 'projects: 3')} 行）"


# --- YAML syntax ---------------------------------------------------------------------------------


def test_a_colon_in_a_plain_value_is_a_syntax_error_on_its_line(base: str) -> None:
    text = edit(base, "name: 唐山市项目支出绩效目标表", "name: 唐山市: 项目支出绩效目标表")
    problem = the_problem(text)
    assert problem.code is Code.T_YAML_SYNTAX
    assert problem.where == where(line_of(text, "name: 唐山市:"))
    assert problem.details["detail"].startswith("此处不能出现“: ”")


def test_a_tab_in_the_indentation_is_a_syntax_error_on_its_line(base: str) -> None:
    text = edit(base, "  orientation: portrait", "\torientation: portrait")
    problem = the_problem(text)
    assert problem.code is Code.T_YAML_SYNTAX
    assert problem.where == where(line_of(text, "\torientation"))
    assert problem.details["detail"] == "含有制表符（Tab），请改用空格缩进"


def test_an_unclosed_bracket_names_the_line_where_it_opened(base: str) -> None:
    text = edit(base, "projects: 3", "projects: [3")
    problem = the_problem(text)
    assert problem.code is Code.T_YAML_SYNTAX
    opened = line_of(text, "projects: [3")
    assert problem.where == where(opened + 1)  # where PyYAML notices it
    assert problem.details["detail"] == f"方括号 [ ] 没有闭合，或各项之间缺少逗号（自第 {opened} 行开始的部分）"


def test_a_key_that_is_a_list_is_refused_on_its_line(base: str) -> None:
    text = edit(base, "projects: 3\n", "[a, b]: 1\nprojects: 3\n")
    problem = the_problem(text)
    assert problem.code is Code.T_WRONG_TYPE
    assert problem.where == where(line_of(text, "[a, b]: 1"))
    assert problem.details["detail"] == "模板顶层的键应为文字（现为列表）"


def test_a_value_with_an_unknown_tag_is_refused_on_its_line(base: str) -> None:
    text = edit(base, "projects: 3\n", "projects: !count 3\n")
    problem = problems_of(text)[0]
    assert problem.code is Code.T_WRONG_TYPE
    assert problem.where == where(line_of(text, "!count"), "projects")
    assert "!count" in problem.message


def test_an_alias_inside_its_own_anchor_is_refused_where_it_is_used(base: str) -> None:
    """&a [13, *a] would expand for ever (it was a RecursionError)."""
    text = edit(base, "columns: [13, 13, 11, 11, 16, 13, 14]", "columns: &a [13, *a]")
    problem = the_problem(text)
    assert problem.code is Code.T_ALIAS
    assert problem.where == where(line_of(text, "columns: &a"), "columns[1]")
    assert "引用了包含它自己的内容" in problem.message


def test_a_billion_laughs_is_refused_at_the_alias_that_goes_past_the_limit(base: str) -> None:
    """Aliases of aliases grow as a power: nine levels of nine repeats are 9⁹ values, minutes of
    work under any key. Five levels (59,049 values) are enough to pass the limit, and it is said
    where: not parsed on, nor reported as an unknown key."""
    laughs = '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 5)
    )
    text = edit(base, "projects: 3\n", "projects: 3\nlaughs:\n" + laughs)
    problem = the_problem(text)
    assert problem.code is Code.T_ALIAS
    assert problem.where == where(line_of(text, "a4: &a4"), "laughs.a4[0]")
    assert f"超过 {yaml_source.ALIAS_REPEATS} 项" in problem.message


def test_a_few_aliases_are_expanded_as_written(base: str) -> None:
    text = edit(base, "columns: [13, 13, 11, 11, 16, 13, 14]", "columns: [&w 13, *w, 11, 11, 16, *w, 14]")
    assert parse_template(text, NAME) == parse_template(base, NAME)


# --- what Excel cannot take ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "detail"),
    [("0", "应 > 0.0（现为 0）"), ("-5", "应 > 0.0（现为 -5）"), ("1000", "应 ≤ 255.0（现为 1000）")],
)
def test_a_column_width_outside_excels_range_is_refused(base: str, width: str, detail: str) -> None:
    """Width 0 hides the column (an input column the unit never sees); Excel takes at most 255."""
    text = edit(base, "columns: [13, 13, 11, 11, 16, 13, 14]", f"columns: [13, 13, 11, 11, 16, 13, {width}]")
    problem = the_problem(text)
    assert problem.code is Code.T_WRONG_TYPE
    assert problem.where == where(line_of(text, "columns: [13"), "columns[6]")
    assert problem.details["detail"] == f"columns[6] {detail}"


def test_a_footer_longer_than_excel_takes_is_refused(base: str) -> None:
    """xlsxwriter drops such a footer with no more than a warning."""
    text = edit(base, "  orientation: portrait\n", '  orientation: portrait\n  footer: "' + "页" * 256 + '"\n')
    problem = the_problem(text)
    assert problem.code is Code.T_WRONG_TYPE
    assert problem.where == where(line_of(text, "footer:"), "page.footer")
    assert "255" in problem.message and "现有 256 个" in problem.message
    parse_template(
        edit(base, "  orientation: portrait\n", '  orientation: portrait\n  footer: "' + "页" * 255 + '"\n'), NAME
    )


def test_a_file_name_that_is_no_xlsx_file_is_refused(base: str) -> None:
    text = edit(base, 'file_name: "{{ unit.code }}-{{ unit.name }}.xlsx"', 'file_name: "{{ unit.code }}"')
    problem = the_problem(text)
    assert problem.code is Code.T_WRONG_TYPE
    assert problem.where == where(line_of(text, "file_name:"), "file_name")
    assert "应以 .xlsx 结尾" in problem.message


# --- the taxonomy ----------------------------------------------------------------------------------


def test_a_level2_list_naming_an_unknown_level1_suggests_the_close_one(base: str) -> None:
    text = edit(
        base,
        "    满意度指标: [服务对象满意度指标]\n",
        "    满意度指标: [服务对象满意度指标]\n    效益指表: [社会效益指标]\n",
    )
    problem = the_problem(text)
    assert problem.code is Code.T_UNKNOWN_LEVEL1
    assert problem.where == where(line_of(text, "效益指表:"), "taxonomy.level2.效益指表")
    assert problem.message == "二级指标清单引用了未知的一级指标 效益指表（是否应为 效益指标？）"


def test_a_level1_without_a_level2_list_is_refused(base: str) -> None:
    text = edit(base, "level1: [产出指标, 效益指标, 满意度指标]", "level1: [产出指标, 效益指标, 满意度指标, 管理指标]")
    problem = the_problem(text)
    assert problem.code is Code.T_LEVEL1_WITHOUT_LEVEL2
    assert problem.where == where(line_of(text, "level1: ["), "taxonomy.level1")
    assert problem.message == "一级指标 管理指标 没有二级指标清单"


def test_an_alias_pointing_at_an_unknown_name_suggests_the_close_one(base: str) -> None:
    text = edit(base, "进度指标: 时效指标", "进度指标: 时效指")
    problem = the_problem(text)
    assert problem.code is Code.T_UNKNOWN_ALIAS_TARGET
    assert problem.where == where(line_of(text, "进度指标:"), "taxonomy.aliases.进度指标")
    assert problem.message == "别名 进度指标 指向未知的指标名称 时效指（是否应为 时效指标？）"


def test_a_skeleton_pair_not_in_the_taxonomy_suggests_the_close_pair(base: str) -> None:
    text = edit(base, "[产出指标, 成本指标]", "[产出指标, 成本指表]")
    problem = the_problem(text)
    assert problem.code is Code.T_SKELETON_LEVEL
    assert problem.where == where(line_of(text, "成本指表"), "body[1].skeleton[3]")
    assert problem.message == "骨架行中的指标 产出指标 / 成本指表 不在分类中（是否应为 产出指标 / 成本指标？）"


# --- fields, lists and tables ----------------------------------------------------------------------


def test_a_field_bound_to_an_unknown_record_key_suggests_the_close_key(base: str) -> None:
    text = edit(base, "field: project.name,", "field: project.nam,")
    problem = the_problem(text)
    assert problem.code is Code.T_UNKNOWN_FIELD
    assert problem.where == where(line_of(text, "project.nam,"), "body[0].rows[2].cells[3].field")
    assert problem.message == "字段绑定了记录中不存在的键 project.nam（是否应为 project.name？）"


def test_a_field_type_that_conflicts_with_its_key_is_refused(base: str) -> None:
    text = edit(
        base,
        "{field: project.name, span: 3, required: true}",
        "{field: project.name, span: 3, required: true, type: money}",
    )
    problem = the_problem(text)
    assert problem.code is Code.T_FIELD_TYPE_MISMATCH
    assert problem.where == where(line_of(text, "type: money"), "body[0].rows[2].cells[3].type")
    assert problem.message == "字段 project.name 的类型不能是 money（应为 text）"
    assert problem.fix == "删除 type，或改为 text。"


def test_a_choice_field_without_a_list_is_refused(base: str) -> None:
    """project.attribute is a choice (项目属性: 新增/延续…): its cell needs the list its dropdown offers."""
    text = edit(base, "{field: project.code, span: 2}", "{field: project.attribute, span: 2}")
    problem = the_problem(text)
    assert problem.code is Code.T_CHOICE_WITHOUT_LIST
    assert problem.where == where(line_of(text, "project.attribute"), "body[0].rows[2].cells[1]")
    assert problem.message == "选择型字段 project.attribute 没有指定清单"


def test_a_record_key_bound_to_two_cells_is_refused_at_the_second(base: str) -> None:
    text = edit(base, "{field: funds.annual.other}", "{field: funds.annual.fiscal}")
    problem = the_problem(text)
    assert problem.code is Code.T_DUPLICATE_FIELD
    second = [n for n, line in enumerate(text.splitlines(), start=1) if "{field: funds.annual.fiscal}" in line]
    assert len(second) == 2
    assert problem.where == where(second[1], "body[0].rows[3].cells[6].field")
    assert problem.message == "字段 funds.annual.fiscal 在表中出现了两次"


def test_an_unknown_list_name_suggests_the_defined_one(base: str) -> None:
    text = edit(base, "list: 依据}", "list: 依居}")
    problem = the_problem(text)
    assert problem.code is Code.T_UNKNOWN_LIST
    assert problem.where == where(line_of(text, "依居"), "body[1].columns[5].list")
    assert problem.message == "引用了未定义的清单 依居（是否应为 依据？）"


def test_an_unknown_table_column_suggests_the_close_column(base: str) -> None:
    text = edit(base, "{key: description, header: 绩效指标描述}", "{key: level4, header: 绩效指标描述}")
    problem = the_problem(text)
    assert problem.code is Code.T_UNKNOWN_COLUMN
    assert problem.where == where(line_of(text, "level4"), "body[1].columns[3].key")
    assert problem.message == "表 indicators 没有列 level4（是否应为 level3？）"
    assert "description" in problem.fix


def test_an_unknown_table_suggests_the_close_table(base: str) -> None:
    text = edit(base, "table: indicators", "table: indicator")
    problem = the_problem(text)
    assert problem.code is Code.T_UNKNOWN_TABLE
    assert problem.where == where(line_of(text, "table: indicator"), "body[1].table")
    assert problem.details["suggestion"] == "（是否应为 indicators？）"


def test_an_indicator_table_without_its_value_column_is_refused(base: str) -> None:
    text = edit(base, "      - {key: value, header: 指标值}\n", "")
    problem = the_problem(text)
    assert problem.code is Code.T_TABLE_NEEDS_COLUMN
    table = line_of(text, "- table: indicators")
    assert text.splitlines()[table].strip() == "columns:"
    assert problem.where == where(table + 1, "body[1].columns")
    assert problem.message == "表 indicators 缺少列 value"


def test_skeleton_rows_outside_the_indicator_table_are_refused() -> None:
    """Skeleton rows (一级/二级 written in advance) belong to the indicator table only."""
    name = "tangshan-department.yaml"
    text = edit(
        (TANGSHAN.parent / name).read_text(encoding="utf-8"),
        "    rows: 5\n",
        "    rows: 5\n    skeleton:\n      - [产出指标, 数量指标]\n",
    )
    with pytest.raises(TemplateError) as caught:
        parse_template(text, name)
    [problem] = caught.value.problems
    assert problem.code is Code.T_FORM_MISMATCH
    assert problem.where == f"{name}:{line_of(text, 'skeleton:')} body[1].skeleton"
    assert "items" in problem.message and "skeleton" in problem.message
    assert problem.fix == "骨架行只用于指标表。"


def test_a_list_laid_out_twice_is_refused(base: str) -> None:
    table = base[base.index("  - table: indicators") :]
    text = base + table
    problems = [p for p in problems_of(text) if p.code is Code.T_DUPLICATE_TABLE]
    assert [p.where for p in problems] == [where(len(base.splitlines()) + 1, "body[2].table")]
    assert problems[0].message == "表 indicators 出现了两次"


def test_an_unknown_style_name_suggests_the_close_one(base: str) -> None:
    text = edit(base, '{text: "{{ title }}", span: 7, style: title}', '{text: "{{ title }}", span: 7, style: titel}')
    problem = the_problem(text)
    assert problem.code is Code.T_UNKNOWN_STYLE
    assert problem.where == where(line_of(text, "style: titel"), "body[0].rows[0].cells[0].style")
    assert problem.message == "未定义的样式 titel（是否应为 title？）"


# --- rows and cells --------------------------------------------------------------------------------


def test_a_row_wider_than_the_columns_is_refused(base: str) -> None:
    text = edit(base, "{label: 3月底}", "{label: 3月底, span: 2}")
    problem = the_problem(text)
    assert problem.code is Code.T_ROW_TOO_WIDE
    # the row begins at its `- height:` line, the one before `cells:` above the edited cell
    row_line = line_of(text, "{label: 资金支出计划（%）, rows: 2}") - 2
    assert text.splitlines()[row_line - 1].strip() == "- height: 20"
    assert problem.where == where(row_line, "body[0].rows[5]")
    assert problem.message == "该行占用 8 列，超过 columns 定义的 7 列"


def test_a_cell_running_into_a_rowspan_from_above_is_refused(base: str) -> None:
    # 其中：财政资金 (4th column) now spans two rows; the purpose cell below covers columns 2-7.
    text = edit(base, '{label: "其中：财政资金"}', '{label: "其中：财政资金", rows: 2}')
    problem = the_problem(text)
    assert problem.code is Code.T_CELL_OVERLAP
    assert problem.where == where(line_of(text, "field: project.purpose"), "body[0].rows[4].cells[0]")
    assert problem.message == "单元格与上方跨行的单元格在第 4 列重叠"


# --- jinja -----------------------------------------------------------------------------------------


def test_a_jinja_syntax_error_in_the_title_is_refused(base: str) -> None:
    text = edit(base, "{{ year }}年度项目支出绩效目标表{% endif %}", "{{ year }年度项目支出绩效目标表{% endif %}")
    problem = the_problem(text)
    assert problem.code is Code.T_JINJA_SYNTAX
    assert problem.where == where(line_of(text, "title: >-"), "title")
    assert problem.message.startswith("文本模板语法错误：")
    assert problem.fix == "检查 {{ }} 与 {% %} 是否成对。"


# --- all problems at once --------------------------------------------------------------------------


def test_several_mistakes_are_all_reported_at_once_each_with_its_own_line(base: str) -> None:
    text = base
    text = edit(text, "projects: 3", "projectz: 3")  # unknown key (shape)
    text = edit(text, "money_unit: 万元", "money_unit: 美元")  # wrong value (shape)
    text = edit(text, "满意度: 服务对象满意度指标", "满意度: 服务对像满意度指标")  # unknown alias target
    text = edit(
        text,
        '{text: "单位：{{ money_unit }}", span: 2, style: text_right}',
        '{text: "单位：{{ money_unit }}", span: 2, style: text_right, sapn: 1}',
    )  # unknown key, deep
    text = edit(text, "field: project.name,", "field: project.nam,")  # unknown record key
    text = edit(text, "{key: description, header: 绩效指标描述}", "{key: level4, header: 绩效指标描述}")  # column
    problems = problems_of(text)
    assert [(p.code, p.where) for p in problems] == [
        (Code.T_WRONG_TYPE, where(line_of(text, "money_unit: 美元"), "money_unit")),
        (Code.T_UNKNOWN_KEY, where(line_of(text, "projectz:"), "projectz")),
        (Code.T_UNKNOWN_ALIAS_TARGET, where(line_of(text, "服务对像"), "taxonomy.aliases.满意度")),
        (Code.T_UNKNOWN_KEY, where(line_of(text, "sapn:"), "body[0].rows[1].cells[1].sapn")),
        (Code.T_UNKNOWN_FIELD, where(line_of(text, "project.nam,"), "body[0].rows[2].cells[3].field")),
        (Code.T_UNKNOWN_COLUMN, where(line_of(text, "level4"), "body[1].columns[3].key")),
    ]
    assert all("是否应为" in p.message for p in problems)


def test_a_duplicate_key_and_an_unknown_field_are_reported_together(base: str) -> None:
    text = edit(base, "projects: 3\n", "projects: 3\nprojects: 4\n")
    text = edit(text, "field: project.name,", "field: project.nam,")
    problems = problems_of(text)
    assert [p.code for p in problems] == [Code.T_DUPLICATE_KEY, Code.T_UNKNOWN_FIELD]
    assert problems[1].where == where(line_of(text, "project.nam,"), "body[0].rows[2].cells[3].field")


# --- the catalogue -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [code for code in Code if code.name.startswith("T_")], ids=lambda c: c.name)
def test_every_template_message_in_the_catalogue_formats(code: Code) -> None:
    names = {name for text in (code.message, code.fix) for _, name, _, _ in string.Formatter().parse(text) if name}
    problem = Problem(code, f"{NAME}:1", dict.fromkeys(names, "x"))
    assert str(problem).startswith(f"{NAME}:1: [{code.code}] ")


# --- the command line --------------------------------------------------------------------------------


def test_check_template_lists_every_problem_as_file_line_and_exits_2(base: str, tmp_path: Path) -> None:
    text = edit(base, "projects: 3", "projectz: 3")
    text = edit(text, "field: project.name,", "field: project.nam,")
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["check-template", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == [
        (
            f"{path}:{line_of(text, 'projectz:')} projectz: [T003] 未知的键 projectz（是否应为 projects？） —— "
            "删除该键或改为正确的拼写。"
        ),
        (
            f"{path}:{line_of(text, 'project.nam,')} body[0].rows[2].cells[3].field: [T020] "
            "字段绑定了记录中不存在的键 project.nam（是否应为 project.name？） —— "
            "使用规范记录（见 docs/record.md）中的键，例如 project.name、funds.annual.total。"
        ),
    ]


@pytest.mark.parametrize("kind", ["missing", "folder", "gbk"])
def test_check_template_says_what_is_wrong_with_a_file_it_cannot_read(base: str, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "form.yaml"
    if kind == "folder":
        path.mkdir()
    if kind == "gbk":
        path.write_bytes(base.encode("gbk"))
    result = CliRunner().invoke(app, ["check-template", str(path)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    [line] = result.stderr.splitlines()
    expected = {
        "missing": f"{path}: [T070] 找不到模板 {path}",
        "folder": f"{path}: [T071] 无法读取模板文件 {path}：这是一个文件夹",
        "gbk": f"{path}:{_first_non_ascii_line(base)}: [T007] 模板文件不是 UTF-8 编码",
    }[kind]
    assert line.startswith(expected), line


def _first_non_ascii_line(text: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if not line.isascii())


def test_check_template_accepts_a_good_file_and_exits_0(base: str, tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(base, encoding="utf-8")
    result = CliRunner().invoke(app, ["check-template", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: ok (tangshan 1)"
