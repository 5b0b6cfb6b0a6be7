"""Every record value is rendered where the compiled Layout says it is, so that the reader
(which finds cells through the same Layout) gets the record back.

This reads the cells at the Layout's addresses only; the robust reader (labels, shifted
blocks, typed-in values) is xlsxkit's read module and has its own tests.
"""

from __future__ import annotations

import openpyxl
import pytest

from tests.helpers import FIXED_TIME, example_records
from xlsxkit.form.cell_values import from_cell, to_cell
from xlsxkit.form.record import ValueType, get_path
from xlsxkit.template.layout import compile_layout
from xlsxkit.template.load import builtin_templates
from xlsxkit.write.generate import UnitRecords, generate_prefilled

TEMPLATES = {t.id: t for t in builtin_templates()}
WITH_RECORDS = sorted(t for t in TEMPLATES if example_records(t))


def shown(sheet, row: int, col: int):
    """What a person sees at a cell (1-based): the top-left value of a merged range."""
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            return sheet.cell(merged.min_row, merged.min_col).value
    return sheet.cell(row, col).value


@pytest.mark.parametrize("template_id", WITH_RECORDS)
def test_every_record_value_sits_at_its_layout_place(template_id, tmp_path):
    template = TEMPLATES[template_id]
    layout = compile_layout(template)
    records = example_records(template_id)
    report = generate_prefilled(
        template, [UnitRecords(records[0]["unit"], records)], None, tmp_path, generated_at=FIXED_TIME
    )
    assert not report.problems
    book = openpyxl.load_workbook(report.files[0].path)
    project_sheets = book.sheetnames[1 : 1 + len(records)]
    for record, name in zip(records, project_sheets, strict=True):
        sheet = book[name]
        placed = layout.sheet({t.table: len(record[t.table]) for t in template.tables()})
        for place in placed.fields:
            if place.formula is not None:
                continue  # a computed cell holds its formula (tests/test_follow_on.py reads what it computes)
            value = from_cell(place.type, shown(sheet, place.box.row + 1, place.box.col + 1), template.money_unit)
            assert value == get_path(record, place.key), (name, place.key)
            if place.label_box is not None:  # the reader finds the field by its label, as rendered
                label = shown(sheet, place.label_box.row + 1, place.label_box.col + 1)
                assert place.label_pattern.match(label), (name, place.key, label)
        for table in placed.tables:
            for i, item in enumerate(record[table.bind]):
                for column in table.columns:
                    expected = item if isinstance(item, str) else item[column.key]
                    if str(sheet.cell(table.first_row + i + 1, column.col + 1).value).startswith("="):
                        continue  # a proposed 得分: a formula the unit may overwrite
                    if column.type is not ValueType.text:
                        expected = to_cell(column.type, expected, template.money_unit)
                    assert shown(sheet, table.first_row + i + 1, column.col + 1) == expected, (name, i, column.key)
