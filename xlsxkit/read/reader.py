"""Read one return: open it safely, learn its template from the identity stamp, read every form
sheet into a canonical record, and check each record.

Nothing here raises for a bad return: every problem becomes a Finding (file, sheet, cell), so
a batch goes on. A file that cannot be read at all has no records and an error finding.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import python_calamine

from xlsxkit.form.errors import Code, Finding, ReturnFileError, Severity, TemplateError, did_you_mean
from xlsxkit.form.excel import INSTRUCTIONS_SHEET, LISTS_SHEET, RELAY_SHEET, STAMP_SHEET
from xlsxkit.form.record import FOLLOW_ON_FORMS
from xlsxkit.form.relay import RelayDamaged, RelayHeading, read_relay
from xlsxkit.form.stamp import Stamp, TargetLink, read_stamp
from xlsxkit.read.grid import Grid, grid_from_calamine, grid_from_openpyxl
from xlsxkit.read.locate import locate
from xlsxkit.read.repeated_projects import repeated_projects
from xlsxkit.read.rules import check_record, field_label, implausible_amounts_across
from xlsxkit.read.safe_open import FileFacts, ZipLimits, inspect_file, read_file
from xlsxkit.read.sheet_record import Context, SheetRecord, find_as_of, find_year, read_sheet
from xlsxkit.template.layout import SheetLayout, cell_name, compile_layout
from xlsxkit.template.load import builtin_template, builtin_templates
from xlsxkit.template.model import Template
from xlsxkit.template.record_values import record_value_troubles

# A sheet whose cells span more than this is not handed to calamine (which would allocate the
# whole range) but streamed by openpyxl within a window large enough for any form — and a sheet
# so cut is an error (R011). A return of 80,000 indicator rows (26 columns as the guard bounds a
# form) is read whole (tests/test_bad_returns.py).
CELL_BUDGET = 6_000_000
WINDOW_ROWS = 5_000
WINDOW_COLS = 100
DEFAULT_LIMITS = ZipLimits()


@dataclass
class ReadResult:
    """One file read: its records (one per project sheet), its findings, the template and stamp it was
    read with, and whether it could be read at all."""

    path: Path
    records: list[SheetRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # about the file and its sheets
    template: Template | None = None
    stamp: Stamp | None = None
    relay: RelayHeading | None = None  # a lower office's summary (转报): its records are those it carries
    facts: FileFacts | None = None
    readable: bool = True  # False: the file could not be read at all (or was skipped)
    content: bytes | None = field(default=None, repr=False)  # the file's bytes, when given rather than read from `path`

    @property
    def source(self) -> Path | io.BytesIO:
        """Where the readers take the file from: its bytes where given, else its path."""
        return self.path if self.content is None else io.BytesIO(self.content)

    def all_findings(self) -> list[Finding]:
        """The file's findings and every record's, in that order."""
        return [*self.findings, *(f for r in self.records for f in r.findings)]

    def count(self, severity: Severity) -> int:
        """How many findings of that severity."""
        return sum(1 for f in self.all_findings() if f.severity is severity)


@dataclass(frozen=True)
class Unstamped:
    """What a workbook without our stamp is read as: its template, and the unit and year where
    the form itself does not print them (None: taken from the form's text, where it has them)."""

    template: Template
    unit: dict[str, Any] | None = None
    year: int | None = None


def read_return(
    path: Path | str,
    *,
    template: Template | None = None,
    fallback: Template | None = None,
    unit: dict[str, Any] | None = None,
    year: int | None = None,
    find_template: Callable[[str], Template | None] = builtin_template,
    limits: ZipLimits = DEFAULT_LIMITS,
    content: bytes | None = None,
) -> ReadResult:
    """Every form sheet of the return at `path` as a checked record.

    `template` reads the workbook with that template (a stamp naming another one is an error);
    `fallback` only reads a workbook without a stamp (a stamped one is read with its own).
    `unit` and `year` are for a workbook without a stamp whose form does not print them.
    With `content`, those are the file's bytes and `path` is only its name: nothing touches the disk."""
    result = ReadResult(Path(path), content=content)
    try:
        data = content if content is not None else read_file(result.path, limits)
        facts = result.facts = inspect_file(result.path, limits=limits, content=data)
        result.findings.extend(facts.notes)
        book = _open(data, facts)
    except ReturnFileError as error:
        return _unreadable(result, error.finding)
    if RELAY_SHEET in book.sheet_names:
        return _read_relay(book, facts, result, find_template)
    try:
        result.stamp = _one_stamp(read_stamp(facts.custom_properties), _stamp_sheet(book, facts))
        result.template = _choose_template(
            result.stamp, template or fallback, template is None, find_template, result.findings
        )
    except ReturnFileError as error:
        return _unreadable(result, error.finding)
    try:
        _read_sheets(book, facts, result, Unstamped(result.template, unit, year))
    except Exception as error:
        result.records.clear()
        return _unreadable(result, Finding(Code.R_INTERNAL, details={"detail": f"{type(error).__name__}: {error}"}))
    return result


def _read_relay(
    book: python_calamine.CalamineWorkbook,
    facts: FileFacts,
    result: ReadResult,
    find_template: Callable[[str], Template | None],
) -> ReadResult:
    """A lower office's summary workbook: the records it carries, each with the office it came
    through added to its provenance (`source.via`); refused whole where the relay is not."""
    try:
        rows = (
            book.get_sheet_by_name(RELAY_SHEET).to_python(skip_empty_area=False) if _whole(facts, RELAY_SHEET) else []
        )
        relay = read_relay(rows)
    except (python_calamine.CalamineError, RelayDamaged) as error:
        return _unreadable(result, Finding(Code.R_RELAY_DAMAGED, details={"detail": str(error)}))
    heading = relay.heading
    try:
        template = find_template(heading.template_id)
    except TemplateError:
        template = None
    if template is None:
        known = [t.id for t in builtin_templates()]
        details = {"template": heading.template_id, "suggestion": did_you_mean(heading.template_id, known)}
        return _unreadable(result, Finding(Code.R_UNKNOWN_TEMPLATE, details=details))
    for record in relay.records:  # a value no summary can write (a number as a project name) is never accepted
        trouble = next(iter(record_value_troubles(record, template)), None)
        if trouble is not None:
            unit = record.get("unit") or {}
            detail = f"单位 {unit.get('code')} 的记录中 {trouble.key} 不可用：{trouble.detail}"
            return _unreadable(result, Finding(Code.R_RELAY_DAMAGED, details={"detail": detail}))
    result.relay, result.template = heading, template
    hop = {"office": heading.office_code, "name": heading.office_name, "file": result.path.name}
    for record in relay.records:
        given = record.get("source")
        source = dict(given) if isinstance(given, dict) else {}
        earlier = source.get("via")
        source["via"] = [*(earlier if isinstance(earlier, list) else []), hop]
        record["source"] = source
        result.records.append(SheetRecord(record, str(source.get("sheet") or RELAY_SHEET)))
    return result


def _open(data: bytes, facts: FileFacts) -> python_calamine.CalamineWorkbook:
    """The workbook in calamine, from the bytes the guard vetted (calamine tells the format from
    them, whatever the file's name says)."""
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (python_calamine.CalamineError, OSError, ValueError) as error:
        detail = str(error) or type(error).__name__
        code = Code.F_LEGACY_FORMAT if facts.format == "xls" else Code.F_BROKEN
        raise ReturnFileError(Finding(code, details={"detail": detail})) from None


def _whole(facts: FileFacts, name: str) -> bool:
    """Whether calamine may read a sheet whole: an .xlsx sheet measured within the cell budget (one
    not measured is taken as huge); any .xls or .ods sheet (bounded by its format: 65,536 rows of
    256 columns, or what calamine keeps of an .ods table)."""
    if facts.format != "xlsx":
        return True
    extent = facts.extents.get(name)
    return extent is not None and extent[0] * extent[1] <= CELL_BUDGET


def _unreadable(result: ReadResult, finding: Finding) -> ReadResult:
    result.findings.append(finding)
    result.readable = False
    return result


def _one_stamp(properties: Stamp | None, sheet: Stamp | None) -> Stamp | None:
    """The workbook's stamp: in its document properties and on its stamp sheet (either may be
    lost by an office suite); two that name another template, unit, year or generation are an
    error, never a choice."""
    if properties is not None and sheet is not None and _identity(properties) != _identity(sheet):
        details = {"properties": _shown_identity(properties), "sheet": _shown_identity(sheet)}
        raise ReturnFileError(Finding(Code.R_STAMPS_DISAGREE, details=details))
    if properties is not None and sheet is not None:
        return replace(properties, targets=sheet.targets)  # the links are on the sheet only
    return properties or sheet


def _identity(stamp: Stamp) -> tuple[str, str, int, str]:
    return stamp.template_id, stamp.unit_code, stamp.year, stamp.generation_id


def _shown_identity(stamp: Stamp) -> str:
    return f"模板 {stamp.template_id}、单位 {stamp.unit_code}、{stamp.year} 年度、生成编号 {stamp.generation_id}"


def _stamp_sheet(book: python_calamine.CalamineWorkbook, facts: FileFacts) -> Stamp | None:
    """The stamp on its sheet (compared with the one in the document properties, which some office
    suites drop)."""
    if STAMP_SHEET not in book.sheet_names or not _whole(facts, STAMP_SHEET):
        return None
    try:
        cells = book.get_sheet_by_name(STAMP_SHEET).to_python(skip_empty_area=False)
    except python_calamine.CalamineError:
        return None
    return read_stamp({str(r[0]): str(r[1]) for r in cells if len(r) >= 2 and r[0]})


def _choose_template(
    stamp: Stamp | None,
    given: Template | None,
    only_unstamped: bool,
    find: Callable[[str], Template | None],
    findings: list[Finding],
) -> Template:
    """The template to read with: the stamp's, or the one given (said so when there is no stamp).
    A template given `only_unstamped` gives way to the stamp's."""
    if stamp is None:
        if given is None:
            raise ReturnFileError(Finding(Code.R_NO_STAMP))
        findings.append(Finding(Code.R_READ_WITHOUT_STAMP, details={"template": given.id}))
        return given
    if only_unstamped and given is not None and given.id != stamp.template_id:
        given = None
    if given is not None and given.id != stamp.template_id:
        raise ReturnFileError(
            Finding(Code.R_TEMPLATE_MISMATCH, details={"stamped": stamp.template_id, "given": given.id})
        )
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


def _read_sheets(
    book: python_calamine.CalamineWorkbook, facts: FileFacts, result: ReadResult, unstamped: Unstamped
) -> None:
    template = unstamped.template
    layout = compile_layout(template).sheet()
    first_field_row = min((f.label_box or f.box).row for f in layout.fields) if layout.fields else 0
    stamp = result.stamp
    unused: list[str] = []
    for name in book.sheet_names:
        if name in (LISTS_SHEET, STAMP_SHEET) or (stamp is not None and name == INSTRUCTIONS_SHEET):
            continue  # our own sheets (in a workbook we made, 填报说明 is the instructions)
        grid = _grid(book, name, facts, result)
        if grid is None or grid.last_filled_row() < 0:
            continue
        located = locate(grid, layout)
        if not located.recognised:
            if stamp is not None or name != INSTRUCTIONS_SHEET:
                result.findings.append(
                    Finding(Code.R_SHEET_SKIPPED, name, details={"sheet": name, "template": template.id})
                )
            continue
        year: int | None
        if stamp is not None:
            year, unit = stamp.year, {"code": stamp.unit_code or None, "name": stamp.unit_name or None}
        else:
            year = unstamped.year or find_year(grid, first_field_row + 1)
            unit = unstamped.unit or printed_unit(grid, layout, first_field_row + 1)
        follow_on = _follow_on(stamp, template, name, grid, layout, first_field_row)
        context = Context(template, year, unit, facts.date1904, *follow_on)
        sheet_record = read_sheet(grid, layout, located, context)
        if is_unused(sheet_record):
            unused.append(name)
            result.findings.append(Finding(Code.R_SHEET_UNUSED, name, details={"sheet": name}))
            continue
        sheet_record.record["source"] = {"file": result.path.name, "sheet": name, "sha256": facts.sha256}
        if template.form in FOLLOW_ON_FORMS and stamp is not None and stamp.targets and context.link is None:
            sheet_record.findings.append(Finding(Code.R_TARGET_LINK_LOST, name, details={"sheet": name}))
        sheet_record.findings.extend(check_record(sheet_record, template, layout))
        _say_formulas(sheet_record, facts.formula_cells.get(name, frozenset()), layout)
        result.records.append(sheet_record)
    across = implausible_amounts_across(result.records, template, layout) + repeated_projects(result.records)
    for sheet_record in result.records:
        sheet_record.findings.extend(f for f in across if f.sheet == sheet_record.sheet)
    if not result.records and unused:
        result.findings.append(Finding(Code.R_NOTHING_FILLED, details={"sheets": len(unused)}))
    elif not result.records:
        result.findings.append(Finding(Code.R_NO_FORM_SHEET, details={"template": template.id}))


def _follow_on(
    stamp: Stamp | None, template: Template, sheet: str, grid: Grid, layout: SheetLayout, first_field_row: int
) -> tuple[str | None, TargetLink | None]:
    """A form that follows the targets: the month it is for (the stamp's, else its title's) and the
    target its sheet was generated from (by the sheet's name; a renamed sheet by its project name)."""
    if template.form not in FOLLOW_ON_FORMS:
        return None, None
    as_of = stamp.as_of if stamp is not None and stamp.as_of else None
    if as_of is None and template.form == "monitor":
        as_of = find_as_of(grid, first_field_row + 1, stamp.year if stamp else find_year(grid, first_field_row + 1))
    if stamp is None:
        return as_of, None
    link = stamp.link(sheet)
    if link is None:
        names = {str(other.copied.get("project.name")): other for _, other in stamp.targets}
        project = layout.field("project.name")
        shown = grid.value(project.box.row, project.box.col) if project is not None else None
        link = names.get(str(shown).strip()) if shown is not None else None
    return as_of, link


def _say_formulas(sheet_record: SheetRecord, formula_cells: frozenset[tuple[int, int]], layout: SheetLayout) -> None:
    """A cell the record reads that holds a formula without a result is said to be just that:
    where it was found missing (a required value), instead; elsewhere (an optional one, read
    as blank — its value is not known), as a finding of its own."""
    if not formula_cells:
        return
    names = {cell_name(row, col) for row, col in formula_cells}
    said: set[str] = set()
    for index, finding in enumerate(sheet_record.findings):
        if finding.code in MISSING and finding.cell in names:
            label = finding.details.get("label") or finding.details.get("column") or finding.cell
            sheet_record.findings[index] = Finding(
                Code.R_FORMULA_NO_VALUE, finding.sheet, finding.cell, {"label": label}
            )
            said.add(finding.cell)
    for path, cell in sheet_record.cells.items():
        if cell in names and cell not in said:
            said.add(cell)
            sheet_record.findings.append(
                Finding(Code.R_FORMULA_NO_VALUE, sheet_record.sheet, cell, {"label": _label(layout, path)})
            )


def _label(layout: SheetLayout, path: str) -> str:
    """What the form calls the value at `path`: a field's title, or a table column's header with
    its row ("指标值（第 3 行）")."""
    bind, bracket, rest = path.partition("[")
    if not bracket:
        return field_label(layout, path)
    index, _, key = rest.partition("].")
    table = layout.table(bind)
    header = next((c.header for c in table.columns if c.key == key), key) if table is not None else key
    return f"{header}（第 {int(index) + 1} 行）"


MISSING = frozenset({Code.C_REQUIRED, Code.C_NO_VALUE, Code.C_NO_LEVEL3, Code.C_ROW_VALUE_MISSING})


def is_unused(sheet_record: SheetRecord) -> bool:
    """A sheet that holds nothing but what the generator put there — the form, blank or with its
    一级/二级 skeleton — is unused: nothing typed in any field or table row (a value refused for
    its type was typed all the same)."""
    if any(f.code in TYPED_BUT_REFUSED for f in sheet_record.findings):
        return False
    return not any(_filled(value) for key, value in sheet_record.record.items() if key not in UNTYPED_KEYS)


TYPED_BUT_REFUSED = frozenset({Code.R_WRONG_TYPE, Code.R_CELL_TOO_LONG})
UNTYPED_KEYS = frozenset({"form", "template", "year", "unit", "source", "as_of", "target", "computed"})


def _filled(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_filled(v) for key, v in value.items() if key != "source_unit")
    if isinstance(value, list):
        return len(value) > 0
    return value is not None


def printed_unit(grid: Grid, layout: SheetLayout, before_row: int) -> dict[str, Any]:
    """The unit a form without a stamp prints above its fields, where the template prints it
    ("{{ unit.code }}{{ unit.name }}", "填报单位：{{ unit.name }}"); nulls where it does not."""
    unit: dict[str, Any] = {"code": None, "name": None}
    texts = [(row, text) for row, _, text in grid.texts() if row < before_row]
    for place in layout.statics:
        pattern = _unit_pattern(place.text)
        if pattern is None or place.box.row >= before_row:
            continue
        for _, text in sorted(texts, key=lambda item: abs(item[0] - place.box.row)):  # where the form prints it first
            match = pattern.match(text)
            if match:
                found = {key: value.strip() or None for key, value in match.groupdict().items() if value is not None}
                return {**unit, **found}
    return unit


_UNIT_PART = re.compile(r"\{\{\s*unit\.(code|name)\s*\}\}")


@functools.lru_cache(maxsize=256)
def _unit_pattern(text: str) -> re.Pattern[str] | None:
    """A static text that prints the unit, as a pattern with groups code and name."""
    parts = _UNIT_PART.split(text)
    if len(parts) == 1 or "{%" in text:
        return None
    body = ""
    for index, part in enumerate(parts):
        if index % 2:
            body += r"\s*(?P<code>[0-9A-Za-z]+)" if part == "code" else r"\s*(?P<name>.+?)"
        else:
            body += r"\s*".join(map(re.escape, "".join(part.split())))
    return re.compile(rf"^\s*{body}\s*$", re.DOTALL)


def _grid(book: python_calamine.CalamineWorkbook, name: str, facts: FileFacts, result: ReadResult) -> Grid | None:
    """The sheet's cells, and which numbers are shown as percentages where the guard could tell:
    by calamine within the cell budget, else streamed in a window by openpyxl (said so when the
    sheet is known to reach too far); None, said so, when the sheet's XML cannot be read."""
    extent = facts.extents.get(name)
    percent_cells = facts.percent_cells.get(name)  # None: not known
    try:
        if _whole(facts, name):
            return grid_from_calamine(book.get_sheet_by_name(name), percent_cells=percent_cells)
        grid = grid_from_openpyxl(result.source, name, WINDOW_ROWS, WINDOW_COLS, percent_cells=percent_cells)
    except Exception as error:
        result.findings.append(Finding(Code.F_BROKEN, name, details={"detail": f"工作表 {name}：{error}"}))
        return None
    if extent is not None:
        details = {"extent": cell_name(extent[0] - 1, extent[1] - 1), "rows": WINDOW_ROWS, "cols": WINDOW_COLS}
        result.findings.append(Finding(Code.R_SHEET_TOO_LARGE, name, details=details))
    return grid
