"""What a generated workbook computes and flags by itself while a unit types: a template's computed
cells (`formula:`), written as Excel formulas, locked, with the value computed from the record as
their cached value; and its highlighted rules (`highlight: true`), conditional formats that fill
the rule's cells red while it fails. Both are translated from the template's own expressions
(template/excel_formula), never from a unit's text."""

from __future__ import annotations

from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xlsxkit.form.cell_values import to_cell
from xlsxkit.form.excel import column_letter
from xlsxkit.form.record import ValueType
from xlsxkit.template.excel_formula import excel_formula
from xlsxkit.template.expressions import computed_value, paths_in, typed_record
from xlsxkit.template.layout import FieldPlace, SheetLayout, StaticPlace
from xlsxkit.template.model import Template
from xlsxkit.write.formats import FormatCache

FAILING_FILL = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}  # Excel's "light red fill, dark red text"


def write_computed_cells(
    sheet: Worksheet, formats: FormatCache, template: Template, sheet_layout: SheetLayout, record: dict[str, Any]
) -> None:
    """Each computed field (and each total shown on the form only) as a locked formula, its cached
    value the one computed from the record."""
    places: list[FieldPlace | StaticPlace] = [
        *(field for field in sheet_layout.fields if field.formula is not None),
        *(static for static in sheet_layout.statics if static.formula is not None),
    ]
    values = typed_record(record, template) if places else {}  # a typed copy only where something is computed
    for place in places:
        if place.formula is None:
            continue
        formula = excel_formula(place.formula, template, sheet_layout)
        if place.type is ValueType.money and template.money_unit is not None:
            formula = f"({formula})/{template.money_unit.factor}"  # the cell shows the form's unit
        elif place.type is ValueType.percent:
            formula = f"({formula})/100"  # a percent cell holds 0.955 for 95.5 %
        inputs = _field_cells(place.formula, sheet_layout)
        if inputs:  # blank until every field it reads is filled, as computed_value is
            formula = f'IF(COUNTBLANK({",".join(inputs)})>0,"",{formula})'
        cached = to_cell(place.type, computed_value(place, values), template.money_unit)
        number_format = place.number_format if isinstance(place, FieldPlace) else None
        fmt = formats.get(place.style, place.type, True, number_format=number_format)  # locked
        sheet.write_formula(
            place.box.row, place.box.col, f'=IFERROR({formula},"")', fmt, cached if cached is not None else ""
        )


def _field_cells(formula: str, sheet_layout: SheetLayout) -> list[str]:
    """The cells of the fields a formula reads (not a table's columns, whose blanks sum as 0)."""
    cells = []
    for path in paths_in(formula):
        place = sheet_layout.field(path)
        if place is not None and place.formula is None:
            cells.append(f"${column_letter(place.box.col + 1)}${place.box.row + 1}")
    return list(dict.fromkeys(cells))


def write_highlights(workbook: Workbook, sheet: Worksheet, template: Template, sheet_layout: SheetLayout) -> None:
    """A conditional format per highlighted rule: its field's cell (each row's, for a rule over a
    table) filled red while the rule does not hold."""
    failing = workbook.add_format(FAILING_FILL)
    for rule in template.rules:
        if not rule.highlight:
            continue
        formula = excel_formula(rule.check, template, sheet_layout, each=rule.each, row=0)
        options = {"type": "formula", "criteria": f"=NOT({formula})", "format": failing}
        if rule.each is None:
            place = sheet_layout.field(rule.field)
            if place is not None:
                box = place.box
                sheet.conditional_format(box.row, box.col, box.last_row, box.last_col, options)
            continue
        table = sheet_layout.table(rule.each)
        column = table.column(rule.field) if table is not None else None
        if table is not None and column is not None:
            last = table.first_row + table.rows - 1
            sheet.conditional_format(table.first_row, column.col, last, column.col + column.cols - 1, options)
