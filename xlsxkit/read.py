"""Read one return: open it safely, learn its template from the identity stamp, read every form
sheet into a canonical record, and check each record.

Nothing here raises for a bad return: every problem becomes a Finding (file, sheet, cell), so
a batch goes on. A file that cannot be read at all has no records and an error finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from .errors import Code, Finding, ReturnFileError, Severity, TemplateError, did_you_mean
from .grid import Grid, grid_from_calamine, grid_from_openpyxl
from .layout import LISTS_SHEET, compile_layout
from .load import builtin_template, builtin_templates
from .locate import locate
from .rules import check_record
from .safe_open import FileFacts, ZipLimits, inspect_file
from .sheet_record import Context, SheetRecord, cell_name, find_year, read_sheet
from .stamp import STAMP_SHEET, Stamp, read_stamp
from .template import Template
from .write import INSTRUCTIONS_SHEET

# A sheet whose cells span more than this is not handed to calamine (which would allocate the
# whole range) but streamed by openpyxl within a window large enough for any form.
CELL_BUDGET = 2_000_000
WINDOW_ROWS = 5_000
WINDOW_COLS = 100
DEFAULT_LIMITS = ZipLimits()


@dataclass
class ReadResult:
    path: Path
    records: list[SheetRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # about the file and its sheets
    template: Template | None = None
    stamp: Stamp | None = None
    facts: FileFacts | None = None
    readable: bool = True  # False: the file could not be read at all (or was skipped)

    def all_findings(self) -> list[Finding]:
        return [*self.findings, *(f for r in self.records for f in r.findings)]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.all_findings() if f.severity is severity)


def read_return(
    path: Path | str, template: Template | None = None, *,
    find_template: Callable[[str], Template | None] = builtin_template, limits: ZipLimits = DEFAULT_LIMITS,
) -> ReadResult:
    """Every form sheet of the return at `path` as a checked record. `template` is for a workbook
    without a stamp (or to read with a template file that is not built in)."""
    result = ReadResult(Path(path))
    try:
        facts = result.facts = inspect_file(result.path, limits)
        result.findings.extend(facts.notes)
        book = python_calamine.CalamineWorkbook.from_path(str(result.path))
    except ReturnFileError as error:
        return _unreadable(result, error.finding)
    except (python_calamine.CalamineError, OSError, ValueError) as error:
        return _unreadable(result, Finding(Code.F_BROKEN, details={"detail": str(error) or type(error).__name__}))
    result.stamp = read_stamp(facts.custom_properties) or _stamp_sheet(book, facts)
    try:
        result.template = _choose_template(result.stamp, template, find_template, result.findings)
    except ReturnFileError as error:
        return _unreadable(result, error.finding)
    try:
        _read_sheets(book, facts, result)
    except Exception as error:  # noqa: BLE001 — a bug met in one return must not stop a batch of thousands
        result.records.clear()
        return _unreadable(result, Finding(Code.R_INTERNAL, details={"detail": f"{type(error).__name__}: {error}"}))
    if not result.records:
        result.findings.append(Finding(Code.R_NO_FORM_SHEET, details={"template": result.template.id}))
    return result


def _unreadable(result: ReadResult, finding: Finding) -> ReadResult:
    result.findings.append(finding)
    result.readable = False
    return result


def _stamp_sheet(book: python_calamine.CalamineWorkbook, facts: FileFacts) -> Stamp | None:
    """The stamp from its sheet, where the document properties lost it (some office suites drop them)."""
    extent = facts.extents.get(STAMP_SHEET)
    if STAMP_SHEET not in book.sheet_names or extent is None or extent[0] * extent[1] > CELL_BUDGET:
        return None
    try:
        cells = book.get_sheet_by_name(STAMP_SHEET).to_python(skip_empty_area=False)
    except python_calamine.CalamineError:
        return None
    return read_stamp({str(r[0]): str(r[1]) for r in cells if len(r) >= 2 and r[0]})


def _choose_template(
    stamp: Stamp | None, given: Template | None, find: Callable[[str], Template | None], findings: list[Finding],
) -> Template:
    """The template to read with: the stamp's, or the one given (said so when there is no stamp)."""
    if stamp is None:
        if given is None:
            raise ReturnFileError(Finding(Code.R_NO_STAMP))
        findings.append(Finding(Code.R_READ_WITHOUT_STAMP, details={"template": given.id}))
        return given
    if given is not None and given.id != stamp.template_id:
        raise ReturnFileError(Finding(Code.R_TEMPLATE_MISMATCH, details={"stamped": stamp.template_id, "given": given.id}))
    try:
        template = given or find(stamp.template_id)
    except TemplateError:
        template = None
    if template is None:
        known = [t.id for t in builtin_templates()]
        details = {"template": stamp.template_id, "suggestion": did_you_mean(stamp.template_id, known)}
        raise ReturnFileError(Finding(Code.R_UNKNOWN_TEMPLATE, details=details))
    if stamp.template_hash and stamp.template_hash != template.digest:
        details = {"template": template.id, "stamped": stamp.template_version, "current": template.version}
        findings.append(Finding(Code.R_TEMPLATE_CHANGED, details=details))
    return template


def _read_sheets(book: python_calamine.CalamineWorkbook, facts: FileFacts, result: ReadResult) -> None:
    template = result.template
    assert template is not None
    layout = compile_layout(template).sheet()
    first_field_row = min((f.label_box or f.box).row for f in layout.fields) if layout.fields else 0
    stamp = result.stamp
    unit = {"code": stamp.unit_code or None, "name": stamp.unit_name or None} if stamp else {"code": None, "name": None}
    for name in book.sheet_names:
        if name in (LISTS_SHEET, STAMP_SHEET) or (stamp is not None and name == INSTRUCTIONS_SHEET):
            continue  # our own sheets (in a workbook we made, 填报说明 is the instructions)
        grid = _grid(book, name, facts, result)
        if grid is None or grid.last_filled_row() < 0:
            continue
        located = locate(grid, layout)
        if not located.recognised:
            if stamp is not None or name != INSTRUCTIONS_SHEET:
                result.findings.append(Finding(Code.R_SHEET_SKIPPED, name, details={"sheet": name, "template": template.id}))
            continue
        year = stamp.year if stamp else find_year(grid, first_field_row + 1)
        sheet_record = read_sheet(grid, layout, located, Context(template, year, unit, facts.date1904))
        sheet_record.record["source"] = {"file": result.path.name, "sheet": name, "sha256": facts.sha256}
        sheet_record.findings.extend(check_record(sheet_record, template, layout))
        result.records.append(sheet_record)


def _grid(book: python_calamine.CalamineWorkbook, name: str, facts: FileFacts, result: ReadResult) -> Grid | None:
    """The sheet's cells: by calamine within the cell budget, else streamed in a window by
    openpyxl (said so when the sheet is known to reach too far); None, said so, when the
    sheet's XML cannot be read."""
    extent = facts.extents.get(name)  # None: the guard could not measure it; read it as if huge
    try:
        if extent is not None and extent[0] * extent[1] <= CELL_BUDGET:
            return grid_from_calamine(book.get_sheet_by_name(name))
        grid = grid_from_openpyxl(result.path, name, WINDOW_ROWS, WINDOW_COLS)
    except Exception as error:  # noqa: BLE001 — calamine, openpyxl and zipfile raise many kinds; the batch goes on
        result.findings.append(Finding(Code.F_BROKEN, name, details={"detail": f"工作表 {name}：{error}"}))
        return None
    if extent is not None:
        details = {"extent": cell_name(extent[0] - 1, extent[1] - 1), "rows": WINDOW_ROWS, "cols": WINDOW_COLS}
        result.findings.append(Finding(Code.R_SHEET_TOO_LARGE, name, details=details))
    return grid
