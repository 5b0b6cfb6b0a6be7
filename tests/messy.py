"""Messy returns: generated workbooks altered the way people alter them before sending them
back, each with the records a correct reader must produce from it.

Every builder takes a generated return (`src`), the records it was generated from, the
template and a folder; it loads the workbook with openpyxl, alters it, saves a copy in
`dst_dir` and returns a `Messy` (the copy, the expected records in sheet order, a
description) — or None when the alteration does not apply to the template (no indicator
table, no date field). `ALTERATIONS` lists the builders for parametrised tests.

openpyxl moves cells on insert_rows/delete_rows and nothing else, so row insertion and
deletion here go through `insert_rows`/`delete_rows`, which also move merged ranges, data
validations (their ranges and relative formulas), row heights, the print area and the
print titles the way Excel does.

Expected records keep the input's "source" and "parsed" where nothing changed; a reader
fills those, so comparisons should ignore them. Indicators this module adds or changes get a
"parsed" that follows shared/spec/record.md.

What openpyxl does on load + save (every builder goes through it, a reader must expect it):
- the values the writer keeps under a merge (each row's 一级/二级 hidden by the merge) are
  dropped: only a merge's top-left cell keeps its value;
- custom document properties (xlsxkit.*), the very hidden `_xlsxkit` sheet, the hidden
  `_lists` sheet, the workbook-level defined names, sheet protection, data validations and
  the print settings survive; the document's modified time is set to the time of saving.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.worksheet import Worksheet

from tests.helpers import YUAN_PER
from xlsxkit.form.record import ValueType, get_path
from xlsxkit.template.layout import SheetLayout, compile_layout

INDICATORS = "indicators"


@dataclass
class Messy:
    path: Path
    records: list[dict[str, Any]]  # expected records, in sheet order ("source"/"parsed": see the module doc)
    what: str  # a readable description


# --------------------------------------------------------------------------- row surgery


def insert_rows(ws: Worksheet, idx: int, amount: int, style_row: int | None = None, grow: bool = False) -> None:
    """Insert `amount` rows before the 1-based row `idx` the way Excel does: merged ranges,
    validations and the print area that span `idx` grow, those below move down, validation
    formulas follow their range. `style_row` (a row number before the insertion) gives the new
    rows their formatting and height ("format same as above"). `grow` also grows the
    multi-row ranges that end right above `idx` — what a person does who adds rows under a
    table and stretches its merged 一级/二级 cells and side label over them."""

    def fix_range(r: CellRange) -> CellRange:
        r = CellRange(r.coord)
        if r.min_row >= idx:
            r.shift(row_shift=amount)
        elif r.max_row >= idx or (grow and r.max_row == idx - 1 and r.min_row < r.max_row):
            r.expand(down=amount)
        return r

    styles = _row_styles(ws, style_row) if style_row is not None else {}
    height = ws.row_dimensions[style_row].height if style_row is not None and style_row in ws.row_dimensions else None
    _rework(ws, fix_range, lambda row: row + amount if row >= idx else row, lambda: ws.insert_rows(idx, amount))
    for row in range(idx, idx + amount):
        for col, style in styles.items():
            ws.cell(row, col)._style = copy.copy(style)
        if height is not None:
            ws.row_dimensions[row].height = height


def delete_rows(ws: Worksheet, idx: int, amount: int) -> None:
    """Delete `amount` rows from the 1-based row `idx` the way Excel does: ranges inside go,
    ranges across shrink (a merge keeps its value), ranges below move up."""
    last = idx + amount - 1

    def fix_range(r: CellRange) -> CellRange | None:
        if r.max_row < idx:
            return CellRange(r.coord)
        if r.min_row > last:
            moved = CellRange(r.coord)
            moved.shift(row_shift=-amount)
            return moved
        top = min(idx, r.min_row)
        bottom = r.max_row - amount if r.max_row > last else idx - 1
        if bottom < top:
            return None
        return CellRange(min_col=r.min_col, min_row=top, max_col=r.max_col, max_row=bottom)

    def fix_row(row: int) -> int | None:
        return row if row < idx else None if row <= last else row - amount

    _rework(ws, fix_range, fix_row, lambda: ws.delete_rows(idx, amount))


def _rework(
    ws: Worksheet,
    fix_range: Callable[[CellRange], CellRange | None],
    fix_row: Callable[[int], int | None],
    move: Callable[[], None],
) -> None:
    if len(ws.conditional_formatting):
        raise NotImplementedError("conditional formats are not moved (generated returns have none)")
    merges = [(CellRange(m.coord), ws.cell(m.min_row, m.min_col).value) for m in ws.merged_cells.ranges]
    for merged, _ in merges:
        ws.unmerge_cells(merged.coord)
    move()
    for merged, value in merges:
        moved = fix_range(merged)
        if moved is None:
            continue
        top_left = ws.cell(moved.min_row, moved.min_col)
        if top_left.value is None and value is not None:  # its first row was deleted: Excel keeps the text
            top_left.value = value
        if moved.size["rows"] * moved.size["columns"] > 1:
            ws.merge_cells(moved.coord)
    for validation in list(ws.data_validations.dataValidation):
        ranges = [r for r in (fix_range(r) for r in validation.sqref.ranges) if r is not None]
        if not ranges:
            ws.data_validations.dataValidation.remove(validation)
            continue
        old = next(iter(validation.sqref.ranges))
        new = ranges[0]
        if (old.min_row, old.min_col) != (new.min_row, new.min_col):  # relative references follow the range
            origin, target = (
                f"{get_column_letter(old.min_col)}{old.min_row}",
                f"{get_column_letter(new.min_col)}{new.min_row}",
            )
            for name in ("formula1", "formula2"):
                formula = getattr(validation, name)
                if formula:
                    setattr(validation, name, Translator("=" + formula, origin).translate_formula(target)[1:])
        validation.sqref = MultiCellRange(" ".join(r.coord for r in ranges))
    dimensions = sorted(ws.row_dimensions.items())
    ws.row_dimensions.clear()
    for row, dimension in dimensions:
        new_row = fix_row(row)
        if new_row is not None:
            dimension.index = new_row
            ws.row_dimensions[new_row] = dimension
    if ws.print_area:
        area = fix_range(CellRange(ws.print_area.split("!")[-1].replace("$", "")))
        ws.print_area = area.coord if area is not None else None
    if ws.print_title_rows:
        first, last = (int(part.replace("$", "")) for part in ws.print_title_rows.split(":"))
        first, last = fix_row(first), fix_row(last)
        ws.print_title_rows = f"{first}:{last}" if first and last else None


def _row_styles(ws: Worksheet, row: int) -> dict[int, Any]:
    """The formatting of each cell in a row; a cell under a merge has its merge's."""
    styles = {}
    for col in range(1, ws.max_column + 1):
        cell = _top_left(ws, row, col)
        if cell.has_style:
            styles[col] = copy.copy(cell._style)
    return styles


def _top_left(ws: Worksheet, row: int, col: int):
    cell = ws.cell(row, col)
    if isinstance(cell, MergedCell):
        for merged in ws.merged_cells.ranges:
            if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
                return ws.cell(merged.min_row, merged.min_col)
    return cell


def merged_range_at(ws: Worksheet, row: int, col: int) -> CellRange | None:
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            return CellRange(merged.coord)
    return None


# --------------------------------------------------------------------------- the workbook being altered


@dataclass
class _Sheet:
    """One project sheet, its expected record and where its layout rows are now."""

    ws: Worksheet
    record: dict[str, Any]
    place: SheetLayout
    rows: list[int]  # original 0-based layout row → current 1-based row (0 once deleted)
    tables: dict[str, list[dict[str, Any] | str | None]] = field(
        default_factory=dict
    )  # table → item shown on each row (None: blank)

    def row(self, layout_row: int) -> int:
        return self.rows[layout_row]

    def first(self, bind: str) -> int:
        return self.row(self.place.table(bind).first_row)

    def insert(self, idx: int, amount: int, style_row: int | None = None, grow: bool = False) -> None:
        insert_rows(self.ws, idx, amount, style_row, grow)
        self.rows = [r + amount if r >= idx else r for r in self.rows]

    def delete(self, idx: int, amount: int) -> None:
        delete_rows(self.ws, idx, amount)
        self.rows = [r if r < idx else 0 if r < idx + amount else r - amount for r in self.rows]

    def field_cell(self, key: str):
        place = self.place.field(key)
        return self.ws.cell(self.row(place.box.row), place.box.col + 1)


class _Book:
    def __init__(self, src: Path, records: list[dict[str, Any]], template: Any) -> None:
        self.template = template
        self.layout = compile_layout(template)
        self.wb = openpyxl.load_workbook(src)
        self.sheets: list[_Sheet] = []
        for record, name in zip(records, self.wb.sheetnames[1 : 1 + len(records)], strict=True):
            record = copy.deepcopy(record)
            counts = {t.table: len(record[t.table]) for t in template.tables() if record.get(t.table)}
            place = self.layout.sheet(counts)  # as the writer lays the sheet out
            sheet = _Sheet(self.wb[name], record, place, list(range(1, place.last_row + 2)))
            for table in place.tables:
                items: list[Any] = list(record.get(table.bind) or [])
                sheet.tables[table.bind] = items + [None] * (table.rows - len(items))
            self.sheets.append(sheet)

    def save(self, path: Path, what: str) -> Messy:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.wb.save(path)
        order = {ws.title: i for i, ws in enumerate(self.wb.worksheets)}
        ordered = sorted(self.sheets, key=lambda s: order[s.ws.title])
        return Messy(path, [s.record for s in ordered], what)


def _out(dst_dir: Path, src: Path, slug: str) -> Path:
    return Path(dst_dir) / f"{Path(src).stem}-{slug}.xlsx"


def has_indicators(template: Any) -> bool:
    return any(t.table == INDICATORS for t in template.tables())


def has_dates(template: Any) -> bool:
    return any(f.type is ValueType.date for f in compile_layout(template).sheet().fields)


# --------------------------------------------------------------------------- the alterations, one sheet at a time


def _blank_rows_step(sheet: _Sheet) -> None:
    """One blank row where one 一级指标 ends and the next begins, two blank rows inside a
    merged 二级指标 (the merges there grow over them, as in Excel)."""
    rows = sheet.tables[INDICATORS]
    boundary = next(
        (k for k in range(1, len(rows)) if rows[k] and rows[k - 1] and rows[k]["level1"] != rows[k - 1]["level1"]), None
    )
    inside = next(
        (
            k
            for k in range(1, len(rows))
            if rows[k]
            and rows[k - 1]
            and (rows[k]["level1"], rows[k]["level2"]) == (rows[k - 1]["level1"], rows[k - 1]["level2"])
        ),
        None,
    )
    if inside is None and len(rows) > 1:
        inside = 1
    for k, amount in sorted(((k, n) for k, n in ((boundary, 1), (inside, 2)) if k is not None), reverse=True):
        idx = sheet.first(INDICATORS) + k
        sheet.insert(idx, amount, style_row=idx - 1)
        rows[k:k] = [None] * amount


def _delete_rows_step(sheet: _Sheet) -> None:
    """The last two indicator rows deleted (a prefilled return has no spare rows: the writer
    makes exactly one row per indicator, so those indicators go; a sheet written for a record
    without indicators has the template's blank rows, and then the records do not change)."""
    rows = sheet.tables[INDICATORS]
    amount = min(2, len(rows) - 1)
    if amount <= 0:
        return
    keep = len(rows) - amount
    sheet.delete(sheet.first(INDICATORS) + keep, amount)
    gone = [item for item in rows[keep:] if item is not None]
    del rows[keep:]
    sheet.record[INDICATORS] = [item for item in sheet.record[INDICATORS] if not any(item is g for g in gone)]


_EXTRA_SUFFIXES = ("（窗口）", "（线上）", "（电话）")


def _extra_indicators_step(sheet: _Sheet, count: int = 3) -> None:
    """`count` rows added under the indicator table, filled with copies of the last indicator
    under new 三级 names; its merged 一级/二级 cells and the side label stretched over them,
    the last row's formatting, height, horizontal merges and validations carried down."""
    table = sheet.place.table(INDICATORS)
    rows = sheet.tables[INDICATORS]
    ws = sheet.ws
    last = sheet.first(INDICATORS) + len(rows) - 1
    base = rows[-1] if rows[-1] is not None else next((r for r in reversed(rows) if r), None)
    if base is None:
        return
    stretch = rows[-1] is not None
    ws.protection.sheet = False  # merging needs an unprotected sheet (inserting rows does not)
    new_items = []
    for suffix in _EXTRA_SUFFIXES[:count]:
        item = copy.deepcopy(base)
        item["level3"] = f"{base['level3']}{suffix}"
        new_items.append(item)
    horizontal = [CellRange(m.coord) for m in ws.merged_cells.ranges if m.min_row == m.max_row == last]
    single = {c.col + 1 for c in table.columns if c.key in table.merge and merged_range_at(ws, last, c.col + 1) is None}
    sheet.insert(last + 1, count, style_row=last, grow=stretch)
    for offset, item in enumerate(new_items, start=1):
        row = last + offset
        for merged in horizontal:
            ws.merge_cells(start_row=row, start_column=merged.min_col, end_row=row, end_column=merged.max_col)
        for column in table.columns:
            cell = ws.cell(row, column.col + 1)
            if not isinstance(cell, MergedCell) and not (stretch and cell.column in single):
                cell.value = item.get(column.key)
    if stretch:
        for col in single:
            ws.merge_cells(start_row=last, start_column=col, end_row=last + count, end_column=col)
    rows.extend(new_items)
    sheet.record[INDICATORS].extend(new_items)


def _unmerge_levels_step(sheet: _Sheet, retype: bool) -> None:
    """Every merge in the 一级/二级 columns of the indicator table undone; each cell of the
    former merge gets the top-left's formatting, and its value (retype) or nothing (Excel's
    "unmerge" when only the first cell had a value)."""
    table = sheet.place.table(INDICATORS)
    ws = sheet.ws
    rows = sheet.tables[INDICATORS]
    first = sheet.first(INDICATORS)
    last = first + len(rows) - 1
    cols = {c.col + 1 for c in table.columns if c.key in table.merge}
    ws.protection.sheet = False  # Excel unmerges on an unprotected sheet only
    for merged in [CellRange(m.coord) for m in ws.merged_cells.ranges]:
        if (
            merged.min_col in cols
            and merged.max_col == merged.min_col
            and first <= merged.min_row
            and merged.max_row <= last
        ):
            top_left = ws.cell(merged.min_row, merged.min_col)
            ws.unmerge_cells(merged.coord)
            for row in range(merged.min_row + 1, merged.max_row + 1):
                cell = ws.cell(row, merged.min_col)
                cell._style = copy.copy(top_left._style)
                cell.value = top_left.value if retype and rows[row - first] is not None else None


def _header_row_step(sheet: _Sheet) -> None:
    """A blank row inserted right after the title rows: every field, label and table moves
    a row down."""
    place = sheet.place
    first = min(
        [f.box.row for f in place.fields]
        + [s.box.row for s in place.statics if s.is_label]
        + [t.header_row for t in place.tables]
    )
    sheet.insert(sheet.row(first), 1)


_NOTE_HEADERS = ("备注", "审核意见", "核对")


def _extra_columns_step(sheet: _Sheet) -> None:
    """Notes in three columns right of the form: over the title, beside the first field, a
    header and a note on every table row (text and numbers). The sheet is unprotected first,
    as a person must to type into those locked cells."""
    ws = sheet.ws
    ws.protection.sheet = False
    place = sheet.place
    c1 = len(place.widths) + 1
    headers = [h for h in _NOTE_HEADERS if not any(h in c.header for t in place.tables for c in t.columns)]
    headers = ([*headers, "附记"])[:2]
    for offset, width in enumerate((14, 18, 8)):
        ws.column_dimensions[get_column_letter(c1 + offset)].width = width
    ws.cell(sheet.row(0), c1).value = "初审：已阅"
    first_field = min(place.fields, key=lambda f: (f.box.row, f.box.col), default=None)
    if first_field is not None:
        ws.cell(sheet.row(first_field.box.row), c1).value = "填表人：李明"
        ws.cell(sheet.row(first_field.box.row), c1 + 1).value = "电话：0315-2812345"
        ws.cell(sheet.row(first_field.box.row), c1 + 2).value = 2812345
    for table in place.tables:
        header = sheet.row(table.header_row)
        ws.cell(header, c1).value = headers[0]
        ws.cell(header, c1 + 1).value = headers[1]
        first = sheet.first(table.bind)
        for k in range(len(sheet.tables[table.bind])):
            ws.cell(first + k, c1).value = "已核" if k % 2 == 0 else "待核"
            if k < 2:
                ws.cell(first + k, c1 + 1).value = ("同意", "请补充依据")[k]
            ws.cell(first + k, c1 + 2).value = k + 1


def _sheet_name(text: str, taken: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in text).strip("'")[:31] or "项目"
    name, n = clean, 2
    while name.lower() in taken:
        name, n = f"{clean[:28]}({n})", n + 1
    taken.add(name.lower())
    return name


def _rename_reverse_step(book: _Book) -> None:
    """Project sheets renamed after their projects and put in reverse order (the
    instructions first, the hidden sheets last, as before)."""
    taken = {ws.title.lower() for ws in book.wb.worksheets if not any(ws is s.ws for s in book.sheets)}
    for number, sheet in enumerate(book.sheets, start=1):
        project = sheet.record.get("project") or {}
        fallback = (
            f"{sheet.record.get('year') or ''}年部门绩效目标"
            if sheet.record.get("form") == "department"
            else f"第{number}张表"
        )
        sheet.ws.title = _sheet_name(project.get("name") or fallback, taken)
    start = min(book.wb.index(s.ws) for s in book.sheets)
    for position, sheet in enumerate(reversed(book.sheets), start=start):
        book.wb.move_sheet(sheet.ws, offset=position - book.wb.index(sheet.ws))
    _select(book.wb, book.wb.worksheets[start])


def _select(wb: Any, ws: Worksheet) -> None:
    """One active, selected sheet (several selected tabs make Excel open them grouped)."""
    wb.active = ws
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws


# --------------------------------------------------------------------------- typed values


_FULL_WIDTH = str.maketrans("0123456789%", "０１２３４５６７８９％")
EXCEL_EPOCH_1900 = dt.date(1899, 12, 30)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _money_text(yuan: str, money_unit: str | None, variant: int) -> str:
    amount = Decimal(yuan) / YUAN_PER[money_unit or "元"]
    decimals = max(2, -amount.normalize().as_tuple().exponent)
    grouped = f"{amount:,.{decimals}f}"
    return [grouped, f"{amount:.{decimals}f}".translate(_FULL_WIDTH), grouped + "  ", f"{amount:.{decimals}f} \n"][
        variant % 4
    ]


def _percent_text(value: str, variant: int) -> str:
    return [f"{value}%", f"{value}%".translate(_FULL_WIDTH), f"{value} %  "][variant % 3]


def _text_with_white_space(value: str, variant: int) -> str:
    return value + ["  ", "\n", " \n ", "\t "][variant % 4]


def _typed_values_step(sheet: _Sheet, sheet_number: int, money_unit: str | None) -> None:
    """Field values as people type them (the records do not change): money, percents and
    integers as text; dates as text in four spellings or as a bare serial number; text with
    trailing white space and line breaks; the same for the first cells of each table."""
    counters: dict[ValueType, int] = {}
    for place in sheet.place.fields:
        value = get_path(sheet.record, place.key)
        if value is None:
            continue
        variant = 2 * sheet_number + counters.get(place.type, 0)  # two sheets show every date spelling
        counters[place.type] = counters.get(place.type, 0) + 1
        cell = sheet.field_cell(place.key)
        if place.type is ValueType.money:
            cell.value = _money_text(value, money_unit, variant)
        elif place.type is ValueType.percent:
            cell.value = _percent_text(_plain(Decimal(str(value))), variant)
        elif place.type is ValueType.integer:
            cell.value = [str(value), f"{value} ".translate(_FULL_WIDTH)][variant % 2]
        elif place.type is ValueType.date:
            day = dt.date.fromisoformat(value)
            spelled = [f"{day.year}年{day.month}月{day.day}日", f"{day.year}.{day.month}.{day.day}", day.isoformat()]
            if variant % 4 < 3:
                cell.value = spelled[variant % 4]
            else:  # a serial number in a cell without a date format
                cell.value = (day - EXCEL_EPOCH_1900).days
                cell.number_format = "General"
        elif place.type is ValueType.text:
            cell.value = _text_with_white_space(value, variant)
    for table in sheet.place.tables:
        first = sheet.first(table.bind)
        column = next((c for c in table.columns if c.key not in table.merge), None)
        for k, item in enumerate(sheet.tables[table.bind][:2]):
            text = item if isinstance(item, str) else (item or {}).get(column.key) if column else None
            if isinstance(text, str):
                sheet.ws.cell(first + k, column.col + 1).value = _text_with_white_space(text, sheet_number + k)


# --------------------------------------------------------------------------- builders


def _each(book: _Book, step: Callable[[_Sheet], None]) -> None:
    for sheet in book.sheets:
        step(sheet)


def insert_rows_in_table(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy | None:
    """1. Blank rows inside the indicator table: one between two 一级指标, two inside a merged
    二级指标 (whose merges grow over them)."""
    if not has_indicators(template):
        return None
    book = _Book(src, records, template)
    _each(book, _blank_rows_step)
    return book.save(_out(dst_dir, src, "blank-rows"), "blank rows inside the indicator table")


def delete_table_rows(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy | None:
    """2. The last two indicator rows deleted (the indicators on them go)."""
    if not has_indicators(template):
        return None
    book = _Book(src, records, template)
    _each(book, _delete_rows_step)
    return book.save(_out(dst_dir, src, "deleted-rows"), "last two indicator rows deleted")


def add_indicator_rows(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy | None:
    """3. Three indicators more than the prepared rows, in rows added under the table."""
    if not has_indicators(template):
        return None
    book = _Book(src, records, template)
    _each(book, _extra_indicators_step)
    return book.save(_out(dst_dir, src, "extra-indicators"), "three indicators added in rows under the table")


def unmerge_levels(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy | None:
    """4. 一级/二级 merges undone, the value only in the first cell of each former merge."""
    if not has_indicators(template):
        return None
    book = _Book(src, records, template)
    _each(book, lambda s: _unmerge_levels_step(s, retype=False))
    return book.save(_out(dst_dir, src, "unmerged"), "一级/二级 unmerged, value in the first row only")


def retype_levels(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy | None:
    """5. 一级/二级 merges undone and the value typed on every row."""
    if not has_indicators(template):
        return None
    book = _Book(src, records, template)
    _each(book, lambda s: _unmerge_levels_step(s, retype=True))
    return book.save(_out(dst_dir, src, "retyped"), "一级/二级 unmerged and typed on every row")


def insert_header_row(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy:
    """6. A blank row after the title rows: every field and the table a row lower."""
    book = _Book(src, records, template)
    _each(book, _header_row_step)
    return book.save(_out(dst_dir, src, "header-row"), "a blank row inserted after the title")


def add_note_columns(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy:
    """7. Notes in three columns right of the form."""
    book = _Book(src, records, template)
    _each(book, _extra_columns_step)
    return book.save(_out(dst_dir, src, "note-columns"), "notes in three columns right of the form")


def rename_and_reverse_sheets(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy:
    """8. Project sheets renamed after their projects, in reverse order."""
    book = _Book(src, records, template)
    _rename_reverse_step(book)
    return book.save(_out(dst_dir, src, "renamed"), "sheets renamed after their projects, in reverse order")


COPIED_VALUE = "≥98%"
COPIED_PARSED = {"kind": "quantitative", "op": ">=", "number": 98, "unit": "%", "date": None}


def copy_project_sheet(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy | None:
    """9. The first project sheet copied (Excel's "move or copy", named "项目1 (2)") right
    after itself, to add a project: its name (or, on a department form, its overall goal)
    and one indicator value changed."""
    book = _Book(src, records, template)
    if not book.sheets:
        return None
    source = book.sheets[0]
    wb = book.wb
    ws = wb.copy_worksheet(source.ws)
    _complete_copy(source.ws, ws)
    ws.title = _sheet_name(f"{source.ws.title} (2)", {s.title.lower() for s in wb.worksheets if s is not ws})
    wb.move_sheet(ws, offset=wb.index(source.ws) + 1 - wb.index(ws))
    sheet = _Sheet(ws, copy.deepcopy(source.record), source.place, list(source.rows))
    sheet.tables = {bind: list(rows) for bind, rows in source.tables.items()}
    record = sheet.record
    if record.get("form") == "department":
        record["goals"]["overall"] = (record["goals"]["overall"] or "") + "（修订稿）"
        sheet.field_cell("goals.overall").value = record["goals"]["overall"]
        table = sheet.place.tables[0]
        column = table.columns[-1]
        if record[table.bind]:
            item = record[table.bind][0] = copy.copy(record[table.bind][0])
            item[column.key] = "力争实现归集120亿元。"
            sheet.tables[table.bind][0] = item
            ws.cell(sheet.first(table.bind), column.col + 1).value = item[column.key]
    else:
        record["project"]["name"] = f"{record['project']['name']}（二期）"
        sheet.field_cell("project.name").value = record["project"]["name"]
        if record.get(INDICATORS):
            item = record[INDICATORS][0] = copy.deepcopy(record[INDICATORS][0])
            item["value"], item["parsed"] = COPIED_VALUE, dict(COPIED_PARSED)
            sheet.tables[INDICATORS][0] = item
            table = sheet.place.table(INDICATORS)
            for column in table.columns:
                if column.key == "value":
                    ws.cell(sheet.first(INDICATORS), column.col + 1).value = COPIED_VALUE
    book.sheets.insert(1, sheet)
    return book.save(_out(dst_dir, src, "copied-sheet"), "the first project sheet copied to add a project")


def _complete_copy(source: Worksheet, target: Worksheet) -> None:
    """What Excel's copy keeps and openpyxl's copy_worksheet does not: validations,
    protection, print area and titles, gridlines, footer. Its merged ranges are made again:
    copy_worksheet shares the source's set of ranges (each still bound to the source sheet)
    and leaves plain cells under them."""
    ranges = [m.coord for m in source.merged_cells.ranges]
    target.merged_cells = MultiCellRange()
    for coord in ranges:
        target.merge_cells(coord)
    for validation in source.data_validations.dataValidation:
        target.add_data_validation(copy.deepcopy(validation))
    target.protection = copy.copy(source.protection)
    if source.print_area:
        target.print_area = source.print_area.split("!")[-1]
    if source.print_title_rows:
        target.print_title_rows = source.print_title_rows
    target.sheet_view.showGridLines = source.sheet_view.showGridLines
    target.HeaderFooter = copy.deepcopy(source.HeaderFooter)


def type_values_as_text(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy:
    """10. Values typed as people type them; the records do not change."""
    book = _Book(src, records, template)
    for number, sheet in enumerate(book.sheets):
        _typed_values_step(sheet, number, template.money_unit)
    return book.save(_out(dst_dir, src, "typed"), "values typed as text, full-width, with white space; dates spelled")


def date_system_1904(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy | None:
    """11. Saved with the 1904 date system (old Mac Excel): date cells hold 1904-based
    serials. On the second project sheet the end date is a bare 1904 serial number in a cell
    without a date format, which only the workbook's date system makes a date."""
    if not has_dates(template):
        return None
    book = _Book(src, records, template)
    book.wb.epoch = CALENDAR_MAC_1904
    for number, sheet in enumerate(book.sheets):
        for place in sheet.place.fields:
            value = get_path(sheet.record, place.key)
            if place.type is not ValueType.date or value is None:
                continue
            cell = sheet.field_cell(place.key)
            day = dt.date.fromisoformat(value)
            if number == 1 and place.key.endswith("end_date"):
                cell.value = (day - dt.date(1904, 1, 1)).days
                cell.number_format = "General"
            else:
                cell.value = dt.datetime.combine(day, dt.time())
    return book.save(_out(dst_dir, src, "date1904"), "saved with the 1904 date system")


def everything(src: Path, records: list[dict], template: Any, dst_dir: Path) -> Messy | None:
    """12. 6 + 1 + 3 + 4 + 7 + 8 on one workbook: a row after the title, blank rows in the
    table, three indicators added, 一级/二级 unmerged, notes at the right, sheets renamed and
    reversed."""
    if not has_indicators(template):
        return None
    book = _Book(src, records, template)
    for sheet in book.sheets:
        _header_row_step(sheet)
        _blank_rows_step(sheet)
        _extra_indicators_step(sheet)
        _unmerge_levels_step(sheet, retype=False)
        _extra_columns_step(sheet)
    _rename_reverse_step(book)
    return book.save(
        _out(dst_dir, src, "everything"), "header row, blank rows, extra indicators, unmerged, notes, renamed"
    )


Builder = Callable[[Path, list, Any, Path], "Messy | None"]

ALTERATIONS: list[Builder] = [
    insert_rows_in_table,
    delete_table_rows,
    add_indicator_rows,
    unmerge_levels,
    retype_levels,
    insert_header_row,
    add_note_columns,
    rename_and_reverse_sheets,
    copy_project_sheet,
    type_values_as_text,
    date_system_1904,
    everything,
]


def strip_reader_keys(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records without what the reader fills in ("source", each indicator's "parsed")."""
    out = []
    for record in records:
        record = {k: v for k, v in copy.deepcopy(record).items() if k != "source"}
        for item in record.get(INDICATORS) or []:
            item.pop("parsed", None)
        out.append(record)
    return out
