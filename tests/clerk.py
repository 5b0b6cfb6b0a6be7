"""A clerk filling xlsxkit's workbooks in LibreOffice, as a unit's clerk does: through the
office suite (python-uno, one shared soffice: tests/libreoffice.py), not by writing the file.

The clerk types each value of a canonical record (../shared/spec/record.md) into the cell the
template's Layout puts it in, as a person types it — money in the form's unit ("58.5" on a 万元
form), percentages as "50%", dates as "2025-12-31", 一级/二级 by their names into the dropdown
cells — and LibreOffice interprets the keystrokes (`Workbook.type_cells`). Where a record has
more rows than the table has prepared, the clerk inserts rows inside the table first. What the
clerk types is not checked against the cells' validity (as on paste), so a wrong 二级 goes in
as typed; a record value None leaves its cell blank. Saving (.xlsx, .xls, .ods, any name) is
`Workbook.save_as`; `copy_sheet_to_new_workbook` makes a workbook without xlsxkit's stamp.

    with office.open(blank) as book:
        fill_project(book, "项目1", template, record)
        book.type_text("项目1", table_cell(template, "indicators", 1, "level2"), "经济效益指标")
        book.save_as(inbox / "603001 终稿.xlsx")
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.helpers import YUAN_PER
from tests.libreoffice import Office, Workbook, a1
from xlsxkit.form.cell_values import format_coded_name
from xlsxkit.form.record import ValueType, get_path
from xlsxkit.template.layout import TablePlace, compile_layout
from xlsxkit.template.model import Template


def typed_text(kind: ValueType, value: Any, money_unit: str | None) -> str:
    """What a person types for a record value into a cell of type `kind`: money as the plain
    number in the form's unit ("58.5" for "585000.00" yuan on a 万元 form), a percentage with
    its sign ("50%" for "50"), a date as "2025-12-31", a coded name as "[079]六安市住房公积金中心",
    anything else as its text."""
    if kind is ValueType.money:
        return _plain(Decimal(str(value)) / YUAN_PER[money_unit or "元"])
    if kind is ValueType.percent:
        return f"{_plain(Decimal(str(value)))}%"
    if kind is ValueType.coded_name:
        return format_coded_name(value)
    return str(value)


def fill_project(book: Workbook, sheet: str, template: Template, record: dict[str, Any]) -> None:
    """Type a canonical record into a project sheet as generated blank by `template`: every
    field into its cell, then every table row by row (一级 and 二级 typed over the prepared
    skeleton), after inserting rows inside a table that has too few. A value None leaves its
    cell blank (pressing Delete, should it hold something). Typing over a prefilled sheet's
    merged 一级/二级 is not a clerk's way: text typed under a merge stays hidden."""
    layout = compile_layout(template).sheet()
    fields: dict[str, str | None] = {}
    for place in layout.fields:
        value = get_path(record, place.key)
        text = None if value is None else typed_text(place.type, value, template.money_unit)
        fields[a1(place.box.row, place.box.col)] = text
    book.type_cells(sheet, fields)
    for table in reversed(layout.tables):  # from the bottom up: rows inserted do not move a table still to fill
        _fill_table(book, sheet, table, record.get(table.bind) or [])


def _fill_table(book: Workbook, sheet: str, table: TablePlace, items: list[Any]) -> None:
    if len(items) > table.rows:
        # above the table's second row, inside the table: its formats and dropdowns grow over the new rows
        book.insert_rows(sheet, table.first_row + 1, len(items) - table.rows)
    cells: dict[str, str | None] = {}
    for index, item in enumerate(items):
        row = item if isinstance(item, dict) else {"text": item}  # 工作保障措施 rows are plain text
        for column in table.columns:  # a key shown twice (六安's 二级) is typed in both places
            value = row.get(column.key)
            cells[a1(table.first_row + index, column.col)] = None if value is None else str(value)
    book.type_cells(sheet, cells)


def field_cell(template: Template, key: str) -> str:
    """The A1 name of a field's cell on a generated project sheet, e.g. "E3" for tangshan's
    project.name."""
    place = compile_layout(template).sheet().field(key)
    if place is None:
        raise KeyError(f"template {template.id} has no field {key}")
    return a1(place.box.row, place.box.col)


def table_cell(template: Template, bind: str, index: int, key: str) -> str:
    """The A1 name of column `key` in the 0-based `index`-th row of table `bind` as
    `fill_project` fills it (rows it inserts keep a table's rows together), e.g. the 二级 of
    the second indicator; on a form with two tables, the lower one's rows move down by the rows
    inserted into the upper one."""
    table = compile_layout(template).sheet().table(bind)
    column = table.column(key) if table is not None else None
    if table is None or column is None:
        raise KeyError(f"template {template.id} has no column {key} in table {bind}")
    return a1(table.first_row + index, column.col)


def copy_sheet_to_new_workbook(
    office: Office,
    book: Workbook,
    sheet: str,
    target: Path,
    file_format: str | None = None,
) -> Path:
    """Sheet ▸ Move or Copy Sheet ▸ Copy to "- new document -", then File ▸ Save As `target`:
    a workbook holding only that sheet (content, formats, merges, protection), without
    xlsxkit's hidden sheets and document properties — the identity stamp is lost, and so are
    the named lists behind the dropdowns (LibreOffice then marks every 一级/二级/依据 cell
    invalid). Returns `target`."""
    with office.new_workbook() as copy:
        empty = copy.sheet_names
        copy.copy_sheet_from(book, sheet)
        for name in empty:
            copy.remove_sheet(name)
        return copy.save_as(target, file_format)


def _plain(number: Decimal) -> str:
    """A number as typed: no exponent, no trailing zeros ("58.5", "3807700")."""
    return format(number.normalize(), "f")
