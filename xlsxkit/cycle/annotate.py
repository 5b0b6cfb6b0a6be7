"""Give a unit its own return back with its mistakes marked: each finding's cell filled by
severity and carrying a comment (code, message, how to fix it), and a first sheet 问题清单
listing every finding with a link to its cell.

The returned workbook is opened with openpyxl and saved whole: layout, merges, validations,
sheet protection and the identity stamp stay as they were, so the unit can correct this very
workbook and send it back (its 问题清单 sheet is then skipped by the reader, and replaced, with
the marks of the earlier round, when the new version is annotated). It carries our output mark
(custom document property xlsxkit.output = feedback) and a digest of the data it holds, so that
one put in an inbox unchanged is known for what it is (xlsxkit.cycle.outputs).
"""

from __future__ import annotations

import io
import math
import posixpath
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.utils.exceptions import CellCoordinatesException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from xlsxkit.cycle.outputs import DATA_PROPERTY, FEEDBACK, OUTPUT_PROPERTY, data_digest
from xlsxkit.form.atomic import atomic_path
from xlsxkit.form.errors import Code, Finding
from xlsxkit.form.excel import FEEDBACK_SHEET, MAX_CELL_TEXT, MAX_COLUMNS, MAX_ROWS
from xlsxkit.form.file_names import file_name_part
from xlsxkit.form.stamp import PROPERTY_PREFIX
from xlsxkit.form.text_fit import display_units, height_for
from xlsxkit.read.safe_open import inspect_file, require_defusedxml
from xlsxkit.read.workbook_parts import MAIN_NS, parse_part, sheet_parts_of
from xlsxkit.template.styles import INPUT_FILL

__all__ = ["FEEDBACK_SHEET", "annotate", "feedback_name"]

AUTHOR = "xlsxkit"
MARK = "【填报问题】"  # opens our part of a comment, so a later round can take it out again
SEVERITY_LABELS = {"error": "错误", "warning": "提示", "info": "说明"}
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}  # Excel's "light red" and "neutral" fills; info: no fill
HEADERS = ("序号", "工作表", "单元格", "级别", "代码", "问题", "修改方法")
WIDTHS = (6, 14, 9, 7, 7, 60, 50)
FONT_SIZE = 11
COMMENT_WIDTH = 360  # pixels (openpyxl writes the VML box size in px): about 28 Chinese characters a line
COMMENT_MAX_HEIGHT = 600
MAX_COMMENT_PART = 2_000  # one finding's text in a comment (a message may quote a long cell)

require_defusedxml()  # openpyxl opens the units' workbooks here


@dataclass(frozen=True)
class _Item:
    """One finding, from a Finding or from its stored dict."""

    sheet: str | None
    cell: str | None
    severity: str
    code: str
    message: str
    fix: str

    @classmethod
    def of(cls, finding: Finding | dict[str, Any]) -> _Item:
        if isinstance(finding, Finding):
            finding = finding.as_dict()
        severity = str(getattr(finding.get("severity"), "value", finding.get("severity")) or "error")
        code = finding.get("code")
        code = code.code if isinstance(code, Code) else str(code or "")
        sheet, cell = finding.get("sheet"), finding.get("cell")
        return cls(
            sheet=str(sheet) if sheet else None,
            cell=str(cell).replace("$", "").upper() if cell else None,
            severity=severity if severity in SEVERITY_LABELS else "error",
            code=code,
            message=str(finding.get("message") or ""),
            fix=str(finding.get("fix") or ""),
        )

    @property
    def label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    def comment_part(self) -> str:
        return _clip(f"[{self.code}] {self.label}：{self.message}\n修改方法：{self.fix}", MAX_COMMENT_PART)


def annotate(
    source: Path | bytes,
    findings: Sequence[Finding | dict[str, Any]],
    target: Path,
    *,
    unit_name: str | None = None,
    records: Iterable[Mapping[str, Any]] | None = None,
) -> Path:
    """Write to `target` the workbook `source` (a return, as received) with `findings` marked on
    their cells and listed on a first sheet 问题清单; `target` is returned. Findings without a
    sheet (about the whole file) are only listed. The workbook carries our output mark, and, where
    `records` (those read from `source`) are given, their digest, by which collect knows the
    workbook if it comes back unchanged (outputs.is_feedback_workbook). Raises ReturnFileError for
    a file the reader would refuse to open."""
    book = _open(source)
    holds_return = bool(book.sheetnames)  # not a workbook of its own for an .xls or .ods return
    _remove_earlier_round(book, source)
    _mark_as_feedback(book, records if holds_return else [])
    items = [
        item
        for item in map(_Item.of, findings)
        if not (
            item.sheet == FEEDBACK_SHEET and item.code == Code.R_SHEET_SKIPPED.code
        )  # our earlier list, replaced here
    ]
    places = {item: _place(book, item) for item in set(items)}
    items.sort(key=lambda item: _order(book, item))
    by_cell: dict[tuple[str, str], list[_Item]] = {}
    for item in items:
        if places[item] is not None:
            by_cell.setdefault((item.sheet, places[item]), []).append(item)  # type: ignore[arg-type]
    for (sheet, cell), marked in by_cell.items():
        _mark(book[sheet][cell], marked)
    name = unit_name if unit_name is not None else _stamped_unit_name(book)
    _write_list(book, items, places, name)
    with atomic_path(target) as temporary:
        book.save(temporary)
    return target


def feedback_name(unit_code: str | None, unit_name: str | None, original_name: str) -> str:
    """The feedback workbook's file name: "603001-唐山市…本级-问题反馈.xlsx", or, without a unit,
    the original file's name with "-问题反馈" added."""
    stem = "-".join(part for part in (unit_code, unit_name) if part and str(part).strip())
    if not stem:
        stem = Path(original_name).stem.removesuffix("-问题反馈")
    clean = file_name_part(stem)[:120].strip(" .")  # a name Windows can still open in a deep folder
    return f"{clean or '问题反馈'}-问题反馈.xlsx"


# --- opening and cleaning ------------------------------------------------------------------------


def _open(source: Path | bytes) -> Workbook:
    """The workbook, once the guard the reader uses has passed it (no zip bomb, no entities).
    An .xls or .ods return cannot be marked in place: its findings go to a workbook of their own."""
    if isinstance(source, bytes | bytearray):
        facts = inspect_file("return.xlsx", content=bytes(source))
        stream: Path | io.BytesIO = io.BytesIO(source)
    else:
        facts = inspect_file(source)
        stream = Path(source)
    if facts.format != "xlsx":
        book = Workbook()
        for sheet in book.worksheets:  # the empty first sheet: a copy starts with none
            book.remove(sheet)
        return book
    with warnings.catch_warnings():  # e.g. "extension is not supported and will be removed": the copy goes on
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(stream, keep_vba=False, rich_text=False)


def _mark_as_feedback(book: Workbook, records: Iterable[Mapping[str, Any]] | None) -> None:
    """Our output mark, and the digest of the records the workbook holds where they are known, in
    place of an earlier round's."""
    properties = book.custom_doc_props  # type: ignore[attr-defined]  # types-openpyxl lacks it (openpyxl 3.1)
    for name in (OUTPUT_PROPERTY, DATA_PROPERTY):
        if name in properties.names:
            del properties[name]
    properties.append(StringProperty(name=OUTPUT_PROPERTY, value=FEEDBACK))
    if records is not None:
        properties.append(StringProperty(name=DATA_PROPERTY, value=data_digest(records)))


def _remove_earlier_round(book: Workbook, source: Path | bytes) -> None:
    """A workbook that is itself a feedback workbook, corrected and sent back: drop its 问题清单
    and our parts of its comments, and give the cells we filled their input fill back."""
    if FEEDBACK_SHEET in book.sheetnames:
        del book[FEEDBACK_SHEET]
    if not book.worksheets:  # an .xls or .ods return: nothing of it is in the book
        return
    ours = {_argb(fill) for fill in FILLS.values()}
    for name, refs in _commented_cells(source).items():
        sheet = book[name] if name in book.sheetnames else None
        if not isinstance(sheet, Worksheet):
            continue
        for row, col in refs:
            cell = sheet.cell(row, col)
            if cell.comment is None:  # e.g. one under a merged range, which openpyxl drops
                continue
            text = cell.comment.text or ""
            if MARK not in text:
                continue
            kept = text[: text.index(MARK)].rstrip("\n")
            cell.comment = (
                Comment(kept, cell.comment.author or AUTHOR, width=COMMENT_WIDTH, height=_comment_height(kept))
                if kept.strip()
                else None
            )
            if cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb in ours:
                # The generator fills input (unlocked) cells pale yellow and leaves others plain.
                cell.fill = _solid(INPUT_FILL.lstrip("#")) if not cell.protection.locked else PatternFill(None)


COMMENTS_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"


def _commented_cells(source: Path | bytes) -> dict[str, list[tuple[int, int]]]:
    """Sheet name → the cells (row, column, 1-based) that its comments part gives a comment, read
    from the file as openpyxl reads them (openpyxl has no public list of a sheet's comments, and
    going over every cell of the used range would add every empty one to the saved sheet). The
    file has passed the guard (_open)."""
    found: dict[str, list[tuple[int, int]]] = {}
    with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes | bytearray) else source) as archive:
        names = set(archive.namelist())
        for sheet, part in sheet_parts_of(archive).items():
            folder, file_name = posixpath.split(part)
            rels = posixpath.join(folder, "_rels", file_name + ".rels")
            if rels not in names:
                continue
            for relationship in parse_part(rels, archive.read(rels)):
                target = relationship.get("Target", "")
                if relationship.get("Type") != COMMENTS_RELATIONSHIP or relationship.get("TargetMode") == "External":
                    continue
                comments = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"{folder}/{target}")
                if comments not in names:
                    continue
                for comment in parse_part(comments, archive.read(comments)).iter(f"{{{MAIN_NS}}}comment"):
                    position = _position(comment.get("ref", ""))
                    if position is not None:
                        found.setdefault(sheet, []).append(position)
    return found


# --- marking cells -------------------------------------------------------------------------------


def _place(book: Workbook, item: _Item) -> str | None:
    """The cell that carries the finding's mark ("F10"; the top-left of a merged range; A1 for a
    finding about a sheet), or None when the finding has no sheet, or its sheet or cell is not here."""
    if item.sheet is None or item.sheet not in [sheet.title for sheet in book.worksheets]:  # not a chart sheet
        return None
    position = _position(item.cell or "A1")
    if position is None:
        return None
    row, col = position
    sheet = book[item.sheet]
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            row, col = merged.min_row, merged.min_col
            break
    return f"{get_column_letter(col)}{row}"


def _position(name: str) -> tuple[int, int] | None:
    """(row, column), 1-based, of a cell name, or None for anything that is not one."""
    try:
        letters, row = coordinate_from_string(name)
        col = column_index_from_string(letters)
    except (CellCoordinatesException, ValueError):
        return None
    return (row, col) if 1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLUMNS else None


def _order(book: Workbook, item: _Item) -> tuple[int, int, str, int, int]:
    """File findings first, then sheet by sheet as the workbook orders them, row by row."""
    if item.sheet is None:
        return (0, 0, "", 0, 0)
    sheet_index = book.sheetnames.index(item.sheet) if item.sheet in book.sheetnames else len(book.sheetnames)
    row, col = _position(item.cell or "") or (0, 0)  # a finding about the sheet comes before its cells
    return (1, sheet_index, item.sheet, row, col)


def _mark(cell: Cell, items: list[_Item]) -> None:
    """Fill the cell by the worst severity (its font, borders and number format stay) and add one
    comment with every finding, after any comment already there."""
    worst = min((item.severity for item in items), key=SEVERITY_RANK.__getitem__)
    if worst in FILLS:
        cell.fill = _solid(FILLS[worst])
    ours = MARK + "\n" + "\n\n".join(item.comment_part() for item in items)
    earlier = cell.comment
    text = f"{earlier.text.rstrip()}\n\n{ours}" if earlier is not None and earlier.text.strip() else ours
    author = earlier.author if earlier is not None and earlier.author else AUTHOR
    cell.comment = Comment(_clean(text), author, width=COMMENT_WIDTH, height=_comment_height(text))


def _comment_height(text: str) -> int:
    """Pixels a comment box needs for its text in the comment font (9 points: a Chinese
    character about 12 pixels wide, a line 15 pixels high)."""
    capacity = COMMENT_WIDTH // 6 - 2  # half-width units in a line, less the box's margins
    lines = sum(max(1, math.ceil(display_units(line) / capacity)) for line in text.split("\n"))
    return min(COMMENT_MAX_HEIGHT, 15 * lines + 12)


def _solid(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", fgColor=_argb(rgb), bgColor=_argb(rgb))


def _argb(rgb: str) -> str:
    return "FF" + rgb.upper()


# --- the 问题清单 sheet ------------------------------------------------------------------------------


def _write_list(book: Workbook, items: list[_Item], places: dict[_Item, str | None], unit_name: str) -> None:
    sheet = book.create_sheet(FEEDBACK_SHEET, 0)
    counts = {severity: sum(1 for item in items if item.severity == severity) for severity in SEVERITY_LABELS}
    summary = f"错误 {counts['error']} 项，提示 {counts['warning']} 项" + (
        f"，说明 {counts['info']} 项" if counts["info"] else ""
    )
    title = f"{unit_name} 填报问题清单（共 {len(items)} 项：{summary}）".strip()
    _text(sheet.cell(1, 1), title).font = Font(bold=True, size=FONT_SIZE + 3)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.cell(1, 1).alignment = Alignment(vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = height_for(title, sum(WIDTHS), FONT_SIZE + 3)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for col, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = _text(sheet.cell(2, col), header)
        cell.font = Font(bold=True, size=FONT_SIZE)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = _solid("D9D9D9")
        cell.border = box
        sheet.column_dimensions[get_column_letter(col)].width = width
    for number, item in enumerate(items, start=1):
        row = number + 2
        place = places[item]
        shown = item.cell or ("全表" if item.sheet else "")
        values = (str(number), item.sheet or "（整个文件）", shown, item.label, item.code, item.message, item.fix)
        for col, value in enumerate(values, start=1):
            cell = _text(sheet.cell(row, col), value) if col > 1 else sheet.cell(row, col, number)
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if col <= 5 else None)
            cell.border = box
            cell.font = Font(size=FONT_SIZE)
        if item.severity in FILLS:
            sheet.cell(row, 4).fill = _solid(FILLS[item.severity])
        if place is not None and item.sheet is not None:  # a place is always on a sheet
            link = sheet.cell(row, 3)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"{_quoted(item.sheet)}!{place}", display=shown)
            link.font = Font(size=FONT_SIZE, color="0563C1", underline="single")
        sheet.row_dimensions[row].height = max(
            height_for(text, width, FONT_SIZE) for text, width in zip(values, WIDTHS, strict=True)
        )
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.sheet_properties.tabColor = "FFC00000"
    setup = sheet.page_setup
    setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight = sheet.PAPERSIZE_A4, "landscape", 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    _activate(book, sheet)


def _activate(book: Workbook, sheet: Worksheet) -> None:
    """Make the sheet the one shown on opening, and the only selected one (two selected tabs
    would be a group, where typing changes every sheet of the group)."""
    for other in book.worksheets:
        other.sheet_view.tabSelected = other is sheet
    book.active = sheet
    for view in book.views:
        view.firstSheet = 0


def _text(cell: Cell, value: str) -> Cell:
    """Put text in a cell as text, never as a formula (openpyxl takes "=…" for a formula)."""
    cell.value = _clip(_clean(value), MAX_CELL_TEXT)
    cell.data_type = "s"
    return cell


def _clean(text: str) -> str:
    """Text without the control characters XML cannot hold."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(sheet: str) -> str:
    """A sheet name in a reference, always quoted (safe for any name)."""
    return "'" + sheet.replace("'", "''") + "'"


def _stamped_unit_name(book: Workbook) -> str:
    for prop in book.custom_doc_props.props:  # type: ignore[attr-defined]  # types-openpyxl lacks it
        if prop.name == PROPERTY_PREFIX + "unit_name":
            return str(prop.value or "")
    return ""
