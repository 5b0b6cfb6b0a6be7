"""Rows tall enough for wrapped text: a Chinese character takes two width units, a Latin one one;
a column N characters wide holds about N units of 11-point text; explicit line breaks are kept.
A long 绩效目标 in a generated form gets a row tall enough to show it, a short one keeps the
template's height.
"""

from __future__ import annotations

import openpyxl
import pytest

from tests.returns import corpus_record, filled_return
from xlsxkit.form.text_fit import default_row_height, display_units, height_for, lines_needed


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("", 0),
        ("abc 123", 7),
        ("绩效目标", 8),
        ("≥95%", 4),  # ≥ is narrow in most fonts (east-asian ambiguous)
        ("９５％", 6),  # full-width digits and percent
        ("办公楼，物业", 12),  # a full-width comma is wide
        ("ｶﾅ", 2),  # half-width katakana is narrow
    ],
)
def test_wide_characters_take_two_units_others_one(text, units):
    assert display_units(text) == units


def test_lines_fill_the_columns_capacity_of_units_less_one():
    # 11 characters wide at 11 points: 10 units a line
    assert lines_needed("一二三四五", 11, 11) == 1
    assert lines_needed("一二三四五六", 11, 11) == 2
    assert lines_needed("a" * 10, 11, 11) == 1 and lines_needed("a" * 11, 11, 11) == 2
    # a larger font fits fewer: 11 wide at 22 points holds 4.5 units
    assert lines_needed("一二", 11, 22) == 1 and lines_needed("一二三", 11, 22) == 2
    # a smaller one more: 10 wide at 10 points holds 10 units
    assert lines_needed("一二三四五", 10, 10) == 1


def test_explicit_line_breaks_each_start_a_line_and_an_empty_line_still_takes_one():
    assert lines_needed("", 11, 11) == 1
    assert lines_needed("甲\n乙", 11, 11) == 2
    assert lines_needed("甲\n\n乙", 11, 11) == 3
    assert lines_needed("一二三四五六\n甲", 11, 11) == 3


def test_a_column_too_narrow_for_one_character_still_holds_one_unit_a_line():
    assert lines_needed("ab", 0.5, 11) == 2


def test_the_default_row_is_fifteen_points_at_eleven_points():
    assert default_row_height(11) == 15.0


def test_the_height_shows_every_line_and_is_shared_by_merged_rows():
    one_line = height_for("短", 11, 11)
    assert one_line >= default_row_height(11)
    for lines in range(1, 30):
        text = "\n".join(["甲"] * lines)
        height = height_for(text, 11, 11)
        assert height >= lines * 11 * 1.2  # at least the font's line spacing for every line
        assert height_for(text, 11, 11, rows=3) == pytest.approx(height / 3)
    assert height_for("甲\n乙", 11, 11) > one_line
    assert height_for("甲" * 200, 11, 11) > height_for("甲" * 100, 11, 11) > one_line


# --- in a generated form --------------------------------------------------------------------------------


def goal_row_height(goal: str, tmp_path) -> float | None:
    """The height of the 绩效目标 row (row 8, B8:G8, 6 columns 78 characters wide, 10-point font)."""
    record = corpus_record("tangshan")
    record["goals"]["annual"] = goal
    book = openpyxl.load_workbook(filled_return("tangshan", [record], tmp_path))
    sheet = book["项目1"]
    assert sheet["A8"].value == "绩效目标"
    return sheet.row_dimensions[8].height


def test_a_long_goal_gets_a_row_tall_enough_and_a_short_one_keeps_the_templates_height(tmp_path):
    assert goal_row_height("完成年度工作任务。", tmp_path / "short") == 60  # the template's height
    # 600 characters in 78 columns at 10 points: 84.8 units a line, 1200 units, 15 lines of 13.5 points
    tall = goal_row_height("甲" * 600, tmp_path / "long")
    assert tall is not None and tall >= 15 * 10 * 1.35
    assert tall < 16 * 10 * 1.35 + 10  # not a line more than it needs
