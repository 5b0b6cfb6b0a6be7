"""The compiled Layout of the built-in templates: every field, label, table and list where the
template's YAML puts it, as a person reading the printed form would point at it.

Expected places are read off templates/*.yaml by hand (rows and columns counted as Excel names
them), never taken from the Layout itself.
"""

from __future__ import annotations

import pytest

from tests.returns import TEMPLATES
from xlsxkit.form.excel import LISTS_SHEET
from xlsxkit.form.record import ValueType
from xlsxkit.template.layout import LEVEL1_LIST, LEVEL2_LIST_PREFIX, Box, compile_layout, label_pattern, list_name

TANGSHAN = compile_layout(TEMPLATES["tangshan"])
LUAN = compile_layout(TEMPLATES["luan"])
DEPARTMENT = compile_layout(TEMPLATES["tangshan-department"])

# templates/tangshan.yaml: the field, the cell(s) it fills, and the label a person reads for it.
TANGSHAN_FIELDS = [
    ("project.code", "B3:C3", "项目编码", "A3"),
    ("project.name", "E3:G3", "项目名称", "D3"),
    ("funds.annual.total", "C4", "预算数", "B4"),
    ("funds.annual.fiscal", "E4", "其中：财政资金", "D4"),
    ("funds.annual.other", "G4", "其他资金", "F4"),
    # under 预算数 …: the 资金用途 row, whose label spans two rows from the row above
    ("project.purpose", "B5:G5", "预算规模及资金用途", "A4:A5"),
    # the 资金支出计划 grid: each month's cell under its column header, as wide as it
    ("spending_plan.03", "B7", "3月底", "B6"),
    ("spending_plan.06", "C7:D7", "6月底", "C6:D6"),
    ("spending_plan.10", "E7", "10月底", "E6"),
    ("spending_plan.12", "F7:G7", "12月底", "F6:G6"),
    ("goals.annual", "B8:G8", "绩效目标", "A8"),
]


@pytest.mark.parametrize(("key", "cells", "label", "label_cells"), TANGSHAN_FIELDS, ids=[f[0] for f in TANGSHAN_FIELDS])
def test_each_tangshan_field_is_at_its_cells_with_the_label_beside_or_above_it(key, cells, label, label_cells):
    place = TANGSHAN.sheet().field(key)
    assert place is not None
    assert place.box.a1 == cells
    assert (place.label, place.label_box.a1) == (label, label_cells)


def test_tangshan_has_exactly_the_fields_its_yaml_binds_in_reading_order():
    assert [f.key for f in TANGSHAN.sheet().fields] == [f[0] for f in TANGSHAN_FIELDS]


def test_a_field_has_its_records_type_and_the_templates_required_flag_style_and_list():
    sheet = TANGSHAN.sheet()
    assert sheet.field("funds.annual.total").type is ValueType.money
    assert sheet.field("spending_plan.06").type is ValueType.percent
    assert sheet.field("goals.annual").type is ValueType.text
    assert [f.key for f in sheet.fields if f.required] == ["project.name", "funds.annual.total", "goals.annual"]
    assert sheet.field("goals.annual").style == "input_long"
    assert sheet.field("spending_plan.03").style == "input_center"
    assert sheet.field("project.code").style == "input"  # the default
    luan = LUAN.sheet()
    assert luan.field("project.attribute").list == "项目属性"
    assert luan.field("project.period_years").number_format == '0"年"'


def test_the_input_message_is_the_templates_or_says_what_to_type_in_the_forms_money_unit():
    sheet = TANGSHAN.sheet()
    assert sheet.field("funds.annual.total").input_message == "预算数：请填写金额（单位：万元），不小于 0。"
    assert sheet.field("project.purpose").input_message == "填写资金用途，如“办公楼物业、消防、维护费方面支出”。"
    assert sheet.field("project.name").input_message == "请填写项目名称。"
    qiannan = compile_layout(TEMPLATES["qiannan"]).sheet()
    assert "（单位：元）" in qiannan.field("funds.annual.total").input_message
    # 六安 writes its label with a colon: the message does not double it
    assert LUAN.sheet().field("funds.overall.total").input_message.startswith("中期资金总额：请填写金额")


def test_merged_cells_are_the_spans_and_rowspans_of_the_yaml():
    sheet = TANGSHAN.sheet()
    merged = sorted(s.box.a1 for s in sheet.statics if s.box.merged) + sorted(
        f.box.a1 for f in sheet.fields if f.box.merged
    )
    assert merged == [
        "A1:G1",  # the title, span 7
        "A2:E2",  # the unit, span 5
        "A4:A5",  # 预算规模及资金用途, rows 2
        "A6:A7",  # 资金支出计划（%）, rows 2
        "C6:D6",  # 6月底, span 2
        "F2:G2",  # 单位：万元, span 2
        "F6:G6",  # 12月底, span 2
        "B3:C3",
        "B5:G5",
        "B8:G8",
        "C7:D7",
        "E3:G3",
        "F7:G7",
    ]
    assert not Box(2, 0).merged and Box(2, 0).a1 == "A3"


def test_statics_are_labels_or_texts_with_their_style():
    sheet = TANGSHAN.sheet()
    title = next(s for s in sheet.statics if s.box.a1 == "A1:G1")
    assert (title.text, title.style, title.is_label) == ("{{ title }}", "title", False)
    unit = next(s for s in sheet.statics if s.box.a1 == "F2:G2")
    assert (unit.text, unit.style, unit.is_label) == ("单位：{{ money_unit }}", "text_right", False)
    labels = [s.text for s in sheet.statics if s.is_label]
    assert labels[:3] == ["项目编码", "项目名称", "预算规模及资金用途"] and len(labels) == 12
    assert {s.style for s in sheet.statics if s.is_label} == {"label"}


def test_the_indicator_table_sits_below_the_fields_with_its_columns_and_template_rows():
    sheet = TANGSHAN.sheet()
    [table] = sheet.tables
    assert (table.bind, table.header_row, table.first_row, table.rows, table.last_row) == ("indicators", 8, 9, 12, 20)
    assert [(c.key, c.header, c.col, c.cols) for c in table.columns] == [
        ("level1", "一级指标", 0, 1),
        ("level2", "二级指标", 1, 1),
        ("level3", "三级指标", 2, 2),
        ("description", "绩效指标描述", 4, 1),
        ("value", "指标值", 5, 1),
        ("basis", "指标值确定依据", 6, 1),
    ]
    assert table.column("basis").list == "依据" and table.column("level1").list is None
    assert table.merge == ("level1", "level2")
    assert table.skeleton[0] == ("产出指标", "数量指标") and len(table.skeleton) == 6
    assert sheet.last_row == 20 and sheet.print_area.a1 == "A1:G21"
    assert sheet.table("items") is None


def test_the_table_grows_and_shrinks_with_the_rows_asked_for_and_never_below_one():
    assert TANGSHAN.sheet({"indicators": 30}).tables[0].last_row == 9 + 30 - 1
    assert TANGSHAN.sheet({"indicators": 30}).print_area.a1 == "A1:G39"
    assert TANGSHAN.sheet({"indicators": 0}).tables[0].rows == 1
    assert TANGSHAN.sheet({"indicators": 3}) is TANGSHAN.sheet({"indicators": 3})  # compiled once


def test_row_heights_are_the_yamls_and_every_table_row_gets_the_row_height():
    heights = dict(TANGSHAN.sheet().row_heights)
    assert [heights[r] for r in range(8)] == [36, 20, 30, 30, 40, 20, 22, 60]
    assert heights[8] == 30  # header_height
    assert all(heights[r] == 28 for r in range(9, 21)) and 21 not in heights
    assert TANGSHAN.sheet().widths == (13, 13, 11, 11, 16, 13, 14)


def test_luans_table_has_a_side_label_down_its_whole_height_and_a_key_shown_twice():
    [table] = LUAN.sheet().tables
    assert table.header_row == 11  # below the eleven rows of fields
    assert table.side_label.box.a1 == "A12:A32"  # header row and 20 rows
    assert table.side_label.text == "绩效指标"
    assert [c.col for c in table.columns] == [1, 2, 3, 4, 5, 6, 7]
    assert [c.key for c in table.columns].count("level2") == 2
    assert table.column("level2").col == 2  # the first of the two


def test_luans_goals_take_the_column_headers_above_them_as_labels():
    sheet = LUAN.sheet()
    overall, annual = sheet.field("goals.overall"), sheet.field("goals.annual")
    assert (overall.box.a1, overall.label_box.a1) == ("B11:E11", "B10:E10")
    assert overall.label.startswith("中期目标({{ year }}年—")
    assert (annual.box.a1, annual.label, annual.label_box.a1) == ("F11:H11", "年度目标", "F10:H10")


def test_the_department_form_places_two_tables_one_after_the_other():
    sheet = DEPARTMENT.sheet()
    items, measures = sheet.tables
    assert (items.bind, items.header_row, items.rows) == ("items", 3, 5)
    assert (measures.bind, measures.header_row, measures.rows) == ("measures", 9, 6)
    assert [(c.key, c.col, c.cols) for c in items.columns] == [("title", 1, 2), ("goal", 3, 2), ("indicator", 5, 3)]
    assert items.side_label.box.a1 == "A4:A9" and measures.side_label.box.a1 == "A10:A16"
    grown = DEPARTMENT.sheet({"items": 8, "measures": 1})
    assert [(t.header_row, t.last_row) for t in grown.tables] == [(3, 11), (12, 13)]


def test_dropdown_lists_are_columns_of_the_lists_sheet_under_ascii_names():
    lists = {place.name: place for place in TANGSHAN.lists}
    level1 = lists[LEVEL1_LIST]
    assert level1.values == ("产出指标", "效益指标", "满意度指标")
    assert level1.reference == f"={LISTS_SHEET}!$A$1:$A$3"
    # one 二级 list per 一级, in the 一级 order, each in the next column
    assert [
        (lists[f"{LEVEL2_LIST_PREFIX}{n}"].reference, len(lists[f"{LEVEL2_LIST_PREFIX}{n}"].values)) for n in (1, 2, 3)
    ] == [
        (f"={LISTS_SHEET}!$B$1:$B$4", 4),
        (f"={LISTS_SHEET}!$C$1:$C$4", 4),
        (f"={LISTS_SHEET}!$D$1:$D$1", 1),
    ]
    basis = lists[list_name("依据")]
    assert basis.values == ("计划标准", "行业标准", "历史标准", "工作计划", "其他标准")
    assert basis.reference == f"={LISTS_SHEET}!$E$1:$E$5"
    assert all(name.isascii() for name in lists)


def test_a_list_name_is_ascii_and_one_to_one():
    assert list_name("basis") == "xk_list_basis"
    assert list_name("依据") == "xk_list_" + "依据".encode().hex()
    assert list_name("依据") != list_name("依居")
    assert list_name("a b") == "xk_list_" + b"a b".hex()  # not an identifier: spelled out too


def test_a_department_form_without_a_taxonomy_has_no_level_lists():
    assert not [p for p in DEPARTMENT.lists if p.name == LEVEL1_LIST or p.name.startswith(LEVEL2_LIST_PREFIX)]


@pytest.mark.parametrize(
    ("label", "text", "matches"),
    [
        ("项目名称", "项目名称", True),
        ("项目名称", " 项目 名称\n", True),  # white space is free
        ("项目名称", "项目名称（万元）", False),
        ("项目名称", "新项目名称", False),
        ("中期目标({{ year }}年—{{ year + 2 }}年)", "中期目标(2022年—2024年)", True),
        ("中期目标({{ year }}年—{{ year + 2 }}年)", "中期目标( 2022 年— 2024 年)", True),
        ("中期目标({{ year }}年—{{ year + 2 }}年)", "年度目标", False),
        ("单价(元)", "单价(元)", True),  # brackets are literal, not a pattern
        ("单价(元)", "单价元", False),
    ],
)
def test_a_label_pattern_matches_the_label_as_rendered_and_nothing_else(label, text, matches):
    assert bool(label_pattern(label).match(text)) is matches


def test_every_builtin_templates_fields_and_tables_fit_its_columns_and_do_not_overlap():
    for template in TEMPLATES.values():
        sheet = compile_layout(template).sheet()
        width = len(template.columns)
        taken: dict[tuple[int, int], str] = {}
        boxes = [(f.key, f.box) for f in sheet.fields] + [(s.text, s.box) for s in sheet.statics]
        for table in sheet.tables:
            boxes += [(c.key, Box(table.header_row, c.col, table.rows + 1, c.cols)) for c in table.columns]
        for name, box in boxes:
            assert box.last_col < width, (template.id, name)
            for row in range(box.row, box.last_row + 1):
                for col in range(box.col, box.last_col + 1):
                    assert (row, col) not in taken, (template.id, name, taken.get((row, col)))
                    taken[(row, col)] = name
        assert max(r for r, _ in taken) == sheet.last_row, template.id


def test_column_letters_are_excels_for_every_column():
    """form/excel's letters (which spare a command importing openpyxl) are openpyxl's, A to XFD."""
    from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries

    from xlsxkit.form.excel import column_index, column_letter, range_bounds

    for column in range(1, 16_385):
        assert column_letter(column) == get_column_letter(column)
        assert column_index(get_column_letter(column)) == column_index_from_string(get_column_letter(column))
    for reference in ("A1", "B2:D4", "$C$3:$XFD$1048576", "AA10:AB12"):
        assert range_bounds(reference) == range_boundaries(reference.replace("$", ""))
    with pytest.raises(ValueError):
        column_letter(16_385)
