"""Finding a template's fields and tables on a returned sheet that a unit changed: rows inserted
or deleted, a column added at the left, a label renamed, a table grown. The reader trusts
labels and table headers, not the Layout's addresses.

Each test reads a generated Tangshan (or 六安, department) return of a corpus record into a
Grid and changes the grid the way a unit changes the sheet. On the untouched Tangshan sheet
项目名称 is E3 (row 2, col 4), 预算数 C4 (3, 2), 资金支出计划 B7… (6, …), 绩效目标 B8 (7, 1) and
the indicator header row 9 (row 8) with six corpus indicators below it.
"""

from __future__ import annotations

import pytest
from python_calamine import CalamineWorkbook

from tests.returns import TEMPLATES, corpus_record, filled_return
from xlsxkit.form.excel import MAX_CELL_TEXT
from xlsxkit.read.grid import Grid
from xlsxkit.read.locate import locate
from xlsxkit.template.layout import compile_layout

TANGSHAN_FIELDS = {
    "project.code": (2, 1),
    "project.name": (2, 4),
    "funds.annual.total": (3, 2),
    "funds.annual.fiscal": (3, 4),
    "funds.annual.other": (3, 6),
    "project.purpose": (4, 1),
    "spending_plan.03": (6, 1),
    "spending_plan.06": (6, 2),
    "spending_plan.10": (6, 4),
    "spending_plan.12": (6, 5),
    "goals.annual": (7, 1),
}


@pytest.fixture(scope="module")
def grids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Grid]:
    """The project sheet of a filled return of each template, as the reader sees it."""
    from xlsxkit.read.grid import grid_from_calamine

    out = tmp_path_factory.mktemp("locate")
    grids = {}
    for template_id in ("tangshan", "luan", "tangshan-department"):
        path = filled_return(template_id, [corpus_record(template_id)], out / template_id)
        book = CalamineWorkbook.from_path(str(path))
        grids[template_id] = grid_from_calamine(book.get_sheet_by_name(book.sheet_names[1]))
    return grids


def fresh(grids: dict[str, Grid], template_id: str = "tangshan") -> Grid:
    """A copy of a grid to change."""
    grid = grids[template_id]
    return Grid(grid.name, [list(row) for row in grid.rows], list(grid.merged))


def located(grid: Grid, template_id: str = "tangshan"):
    return locate(grid, compile_layout(TEMPLATES[template_id]).sheet())


def shifted(places: dict[str, tuple[int, int]], rows: int = 0, cols: int = 0, from_row: int = 0):
    return {key: (r + rows if r >= from_row else r, c + cols) for key, (r, c) in places.items()}


def test_an_untouched_sheet_has_every_field_at_its_place_and_every_label_found(grids):
    found = located(fresh(grids))
    assert found.fields == TANGSHAN_FIELDS
    assert (found.labels_found, found.labels_expected, found.unlabelled) == (11, 11, [])
    table = found.tables["indicators"]
    assert (table.header_row, table.first_row, table.last_row) == (8, 9, 14)  # six indicators
    assert [(c.key, col) for c, col in table.columns] == [
        ("level1", 0),
        ("level2", 1),
        ("level3", 2),
        ("description", 4),
        ("value", 5),
        ("basis", 6),
    ]
    assert found.recognised and found.too_long == []


def test_rows_inserted_above_the_form_move_everything_down(grids):
    grid = fresh(grids)
    grid.rows[:0] = [[""] * 7, ["填报单位：某某", "", "", "", "", "", ""]]
    found = located(grid)
    assert found.fields == shifted(TANGSHAN_FIELDS, rows=2)
    table = found.tables["indicators"]
    assert (table.header_row, table.first_row, table.last_row) == (10, 11, 16)
    assert found.labels_found == 11


def test_a_row_inserted_between_two_blocks_moves_only_what_is_below_it(grids):
    grid = fresh(grids)
    grid.rows.insert(5, ["备注", "", "", "", "", "", ""])  # between 资金用途 (row 4) and 资金支出计划 (row 5)
    found = located(grid)
    assert found.fields == shifted(TANGSHAN_FIELDS, rows=1, from_row=5)
    assert found.tables["indicators"].header_row == 9


def test_a_row_deleted_above_the_form_moves_everything_up(grids):
    grid = fresh(grids)
    del grid.rows[1]  # the unit's name row
    found = located(grid)
    assert found.fields == shifted(TANGSHAN_FIELDS, rows=-1)
    assert found.tables["indicators"].header_row == 7


def test_a_column_inserted_at_the_left_moves_fields_and_table_columns_right(grids):
    grid = fresh(grids)
    grid.rows = [["", *row] for row in grid.rows]
    found = located(grid)
    assert found.fields == shifted(TANGSHAN_FIELDS, cols=1)
    assert [col for _, col in found.tables["indicators"].columns] == [1, 2, 3, 5, 6, 7]


def test_a_label_moved_within_eight_rows_is_found_and_one_moved_further_is_not(grids):
    near = fresh(grids)
    near.rows[:0] = [[""] * 7 for _ in range(8)]
    assert located(near).fields == shifted(TANGSHAN_FIELDS, rows=8)
    far = fresh(grids)
    far.rows[:0] = [[""] * 7 for _ in range(9)]
    found = located(far)
    assert found.labels_found == 0 and not found.recognised
    assert found.fields == TANGSHAN_FIELDS  # taken where the Layout has them: said so, below
    assert {place.key for place in found.unlabelled} == set(TANGSHAN_FIELDS)


def test_a_renamed_label_leaves_its_field_where_the_others_say_it_is(grids):
    grid = fresh(grids)
    grid.rows[:0] = [[""] * 7]  # everything one row down
    assert grid.rows[4][1] == "预算数"
    grid.rows[4][1] = "预算金额"
    found = located(grid)
    assert [place.key for place in found.unlabelled] == ["funds.annual.total"]
    assert found.fields["funds.annual.total"] == (4, 2)  # the expected place, moved as found so far
    assert (found.labels_found, found.labels_expected) == (10, 11) and found.recognised


def test_white_space_in_a_label_does_not_hide_it(grids):
    grid = fresh(grids)
    assert grid.rows[2][3] == "项目名称"
    grid.rows[2][3] = " 项目 名称\n"
    found = located(grid)
    assert found.unlabelled == [] and found.fields["project.name"] == (2, 4)


def test_the_nearest_of_several_copies_of_a_label_is_taken(grids):
    grid = fresh(grids)
    grid.rows[:0] = [[""] * 7]  # the label one row below where the Layout has it
    grid.rows[0][3] = "项目名称"  # two rows above it: further from the expected place
    grid.rows[7][3] = "项目名称"  # in the 资金支出计划 rows: further still
    assert located(grid).fields["project.name"] == (3, 4)
    grid.rows[0][3] = ""
    grid.rows[3][3] = ""  # the real label gone: the copy within reach is taken
    assert located(grid).fields["project.name"] == (7, 4)


def test_rows_added_to_the_last_table_extend_it_to_the_sheets_last_filled_row(grids):
    grid = fresh(grids)
    grid.rows += [["产出指标", "数量指标", "新增指标", "", "", "≥1次", ""]] * 3 + [[""] * 7]
    table = located(grid).tables["indicators"]
    assert (table.first_row, table.last_row) == (9, 17)


def test_a_table_that_grew_ends_where_the_next_block_begins(grids):
    grid = fresh(grids, "tangshan-department")
    found = located(grid, "tangshan-department")
    items, measures = found.tables["items"], found.tables["measures"]
    assert (items.header_row, items.last_row, measures.header_row) == (3, 6, 7)  # three 分项目标
    grid.rows[7:7] = [["", "第四个分项", "", "目标", "", "指标", "", ""]] * 2
    found = located(grid, "tangshan-department")
    assert (found.tables["items"].last_row, found.tables["measures"].header_row) == (8, 9)
    assert found.tables["measures"].last_row == grid.last_filled_row()


def test_a_table_whose_headers_are_mostly_gone_is_not_found(grids):
    grid = fresh(grids)
    header = grid.rows[8]
    assert header[:3] == ["一级指标", "二级指标", "三级指标"]
    header[0] = "指标类别"  # one of six changed: still the table, that column where the Layout has it
    table = located(grid).tables["indicators"]
    assert table.header_row == 8 and table.columns[0][1] == 0
    header[1] = header[2] = header[4] = "改动"  # four of six changed
    found = located(grid)
    assert "indicators" not in found.tables and not found.recognised


def test_a_header_shown_twice_is_matched_in_order(grids):
    """六安 shows 二级指标 and 三级指标 twice: for the mid-term and the annual half of the table."""
    found = located(fresh(grids, "luan"), "luan")
    table = found.tables["indicators"]
    assert [(c.key, col) for c, col in table.columns] == [
        ("level1", 1),
        ("level2", 2),
        ("level3", 3),
        ("overall_value", 4),
        ("level2", 5),
        ("level3", 6),
        ("value", 7),
    ]
    assert found.unlabelled == [] and found.labels_found == 13


def test_a_cell_longer_than_excel_allows_is_noted_and_a_long_one_within_it_is_not(grids):
    grid = fresh(grids)
    grid.rows[7][1] = "长" * (MAX_CELL_TEXT + 1)
    grid.rows[4][1] = "长" * MAX_CELL_TEXT
    found = located(grid)
    assert found.too_long == [(7, 1, MAX_CELL_TEXT + 1)]
    assert found.fields == TANGSHAN_FIELDS  # long values are never taken for labels
