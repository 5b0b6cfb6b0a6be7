"""Generated workbooks as a user's LibreOffice sees them: they open with their sheets, the
二级指标 dropdown accepts only the 二级 of the row's 一级, prefilled forms pass LibreOffice's own
validity check, and each project sheet prints one A4 page wide.

One soffice serves the session (the `office` fixture); each workbook is generated once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from tests.libreoffice import Office, Workbook, a1, is_a4, pdf_page_sizes, pdf_page_texts, skip_unless_available
from xlsxkit.cycle.demo import example_record_groups
from xlsxkit.form.excel import INSTRUCTIONS_SHEET, LISTS_SHEET, STAMP_SHEET
from xlsxkit.read.roster import read_roster
from xlsxkit.template.layout import SheetLayout, TablePlace, compile_layout
from xlsxkit.template.load import builtin_templates
from xlsxkit.template.model import Template
from xlsxkit.write.generate import generate_blank, generate_prefilled

pytestmark = pytest.mark.libreoffice

GENERATED_AT = dt.datetime(2025, 1, 15, 9, 30, 0)
YEAR = 2025
SERVICE_SHEETS = (INSTRUCTIONS_SHEET, LISTS_SHEET, STAMP_SHEET)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TEMPLATES = builtin_templates()


def indicator_table(template: Template) -> TablePlace | None:
    """The table with 一级/二级 columns checked against the template's taxonomy, if any."""
    if template.taxonomy is None:
        return None
    for table in compile_layout(template).sheet().tables:
        if table.column("level1") is not None and table.column("level2") is not None:
            return table
    return None


def example_records(template: Template) -> list:
    """The example records made with this template, grouped by unit (problems are asserted
    where the records are used, not while collecting the tests)."""
    return example_record_groups(template)[0]


def by_id(templates: list[Template]) -> list:
    return [pytest.param(t, id=t.id) for t in templates]


def every_one(params: list, what: str) -> list:
    """The cases, which must not be none: the built-in templates always have some (a template set
    without any is a broken checkout, not a reason to skip)."""
    assert params, f"no built-in template {what}; these LibreOffice tests would test nothing"
    return params


WITH_INDICATORS = [t for t in TEMPLATES if indicator_table(t) is not None]
WITH_RECORDS = [t for t in TEMPLATES if example_records(t)]


class Generated:
    """Each template's workbooks, generated once per session into one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.unit = read_roster(EXAMPLES / "units.csv").units[0]
        self._paths: dict[tuple[str, str], Path] = {}

    def blank(self, template: Template) -> Path:
        key = ("blank", template.id)
        if key not in self._paths:
            report = generate_blank(
                template, [self.unit], YEAR, self.root / "blank" / template.id, generated_at=GENERATED_AT
            )
            assert not report.problems, report.problems
            self._paths[key] = report.files[0].path
        return self._paths[key]

    def prefilled(self, template: Template) -> Path:
        key = ("prefilled", template.id)
        if key not in self._paths:
            groups, problems = example_record_groups(template)
            assert not problems, problems
            report = generate_prefilled(
                template, groups[:1], None, self.root / "prefilled" / template.id, generated_at=GENERATED_AT
            )
            assert not report.problems, report.problems
            self._paths[key] = report.files[0].path
        return self._paths[key]


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return Generated(tmp_path_factory.mktemp("lo-workbooks"))


def project_sheets(book: Workbook) -> list[str]:
    return [name for name in book.sheet_names if name not in SERVICE_SHEETS]


# --- opening ------------------------------------------------------------------------------


@pytest.mark.parametrize("template", by_id(TEMPLATES))
def test_every_builtin_template_opens_in_libreoffice_with_its_sheets(office: Office, generated: Generated, template):
    path = generated.blank(template)
    file = openpyxl.load_workbook(path, read_only=True)
    written = file.sheetnames
    file.close()
    with office.open(path) as book:
        names = book.sheet_names
        assert names == written
        projects = project_sheets(book)
        assert len(projects) == template.projects
        has_lists = bool(compile_layout(template).lists)
        assert names == [INSTRUCTIONS_SHEET, *projects, *([LISTS_SHEET] if has_lists else []), STAMP_SHEET]
        assert all(book.visible(name) for name in [INSTRUCTIONS_SHEET, *projects])
        assert not book.visible(STAMP_SHEET)
        assert not has_lists or not book.visible(LISTS_SHEET)
        # LibreOffice finds the form where the layout put it: every table header in its cell.
        for table in compile_layout(template).sheet().tables:
            for column in table.columns:
                assert book.get_string(projects[0], a1(table.header_row, column.col)) == column.header


# --- the 一级/二级 dropdowns --------------------------------------------------------------


@pytest.mark.parametrize("template", every_one(by_id(WITH_INDICATORS), "has an indicator table"))
def test_level2_must_belong_to_the_rows_level1_and_level1_must_be_listed(
    office: Office, generated: Generated, template
):
    taxonomy = template.taxonomy
    table = indicator_table(template)
    level1_col, level2_col = table.column("level1").col, table.column("level2").col
    with_children = [name for name in taxonomy.level1 if taxonomy.level2_of(name)]
    level1 = with_children[0]
    right = taxonomy.level2_of(level1)[0]
    wrong = next(
        (
            child
            for other in with_children[1:]
            for child in taxonomy.level2_of(other)
            if child not in taxonomy.level2_of(level1)
        ),
        None,
    )
    assert wrong is not None, f"{template.id}: every 二级 belongs to {level1}; no wrong 二级 to try"
    assert table.rows >= 3
    good_row, wrong_row, unknown_row = table.last_row - 2, table.last_row - 1, table.last_row
    unknown_level1 = "不在清单中的指标"
    assert unknown_level1 not in taxonomy.level1

    with office.open(generated.blank(template)) as book:
        sheet = project_sheets(book)[0]
        for row, first, second in (
            (good_row, level1, right),
            (wrong_row, level1, wrong),
            (unknown_row, unknown_level1, ""),
        ):
            book.set_string(sheet, a1(row, level1_col), first)
            book.set_string(sheet, a1(row, level2_col), second)
        invalid = book.invalid_cells(sheet)

    assert a1(wrong_row, level2_col) in invalid, f"{wrong} under {level1} was accepted"
    assert a1(good_row, level2_col) not in invalid, f"{right} under {level1} was rejected"
    assert a1(unknown_row, level1_col) in invalid, f"一级 {unknown_level1} was accepted"
    # Nothing else is flagged: not the right row, not the skeleton rows prefilled in a blank form.
    assert sorted(invalid) == sorted([a1(wrong_row, level2_col), a1(unknown_row, level1_col)])


@pytest.mark.parametrize("template", every_one(by_id(WITH_RECORDS), "has example records"))
def test_prefilled_workbook_passes_libreoffices_validity_check(office: Office, generated: Generated, template):
    """LibreOffice circles no 一级 or 二级 of a prefilled form, and no cell whose rule refuses
    wrong entries. (A non-strict list such as 指标值确定依据 only warns: a unit may name a
    document there instead, so LibreOffice circles such cells but they are not wrong.)"""
    table = indicator_table(template)
    level_cols = {table.column("level1").col, table.column("level2").col} if table else set()
    level_cells = (
        {a1(row, col) for row in range(table.first_row, table.first_row + 500) for col in level_cols}
        if table
        else set()
    )
    with office.open(generated.prefilled(template)) as book:
        sheets = project_sheets(book)
        assert sheets
        invalid = {sheet: book.invalid_cells(sheet) for sheet in sheets}
        styles = {(sheet, cell): book.alert_style(sheet, cell) for sheet, cells in invalid.items() for cell in cells}
    levels = {sheet: [cell for cell in cells if cell in level_cells] for sheet, cells in invalid.items()}
    assert {sheet: cells for sheet, cells in levels.items() if cells} == {}
    refused = {sheet: [cell for cell in cells if styles[sheet, cell] == "STOP"] for sheet, cells in invalid.items()}
    assert {sheet: cells for sheet, cells in refused.items() if cells} == {}


# --- printing -----------------------------------------------------------------------------

LEFT, RIGHT = "QXL", "QXR"


def edge_cells(sheet: SheetLayout) -> tuple[str, str]:
    """Two cells of one row, one in the printed area's first column and one in its last, to
    mark: if LibreOffice spilled columns onto another page, the marks part company. A table
    data row is preferred (its cells are plain, unmerged inputs)."""
    rows: dict[int, dict[int, int]] = {}  # row → {first col of a cell: its last col}
    for table in sheet.tables:
        for column in table.columns:
            rows.setdefault(table.first_row, {})[column.col] = column.col + column.cols - 1
    for place in [*sheet.fields, *sheet.statics]:
        rows.setdefault(place.box.row, {})[place.box.col] = place.box.last_col
    for row in sorted(rows, key=lambda r: (r not in {t.first_row for t in sheet.tables}, r)):
        cells = rows[row]
        right = [col for col, last in cells.items() if last == sheet.last_col and col > 0]
        if right and 0 in cells and cells[0] < right[0]:
            return a1(row, 0), a1(row, right[0])
    pytest.fail("no row has separate cells in the first and the last printed column")


def check_prints_one_page_wide(
    book: Workbook, template: Template, sheet_name: str, sheet: SheetLayout, pdf: Path
) -> None:
    left, right = edge_cells(sheet)
    book.set_string(sheet_name, left, LEFT)
    book.set_string(sheet_name, right, RIGHT)
    book.export_pdf(pdf, sheets=[sheet_name])
    sizes = pdf_page_sizes(pdf)
    assert sizes and all(is_a4(size) for size in sizes), f"{sheet_name}: pages not A4: {sizes}"
    landscape = template.page.orientation == "landscape"
    assert all((w > h) == landscape for w, h in sizes), f"{sheet_name}: not {template.page.orientation}: {sizes}"
    texts = pdf_page_texts(pdf)
    assert len(texts) == len(sizes)
    pages_left = [n for n, text in enumerate(texts, 1) if LEFT in text]
    pages_right = [n for n, text in enumerate(texts, 1) if RIGHT in text]
    assert pages_left == pages_right != [], (
        f"{sheet_name}: first column printed on pages {pages_left}, last column ({right}) on pages {pages_right}"
    )


@pytest.mark.parametrize("template", by_id(TEMPLATES))
def test_every_project_sheet_prints_on_a4_one_page_wide(office: Office, generated: Generated, template, tmp_path: Path):
    skip_unless_available(pdf_tools=True)
    layout = compile_layout(template)
    with office.open(generated.blank(template)) as book:
        whole = book.export_pdf(tmp_path / "whole.pdf")
        sizes = pdf_page_sizes(whole)
        assert sizes and all(is_a4(size) for size in sizes), sizes
        assert len(sizes) >= 1 + template.projects
        for sheet_name in project_sheets(book):
            check_prints_one_page_wide(book, template, sheet_name, layout.sheet(), tmp_path / f"{sheet_name}.pdf")


@pytest.mark.parametrize("template", every_one(by_id(WITH_RECORDS), "has example records"))
def test_prefilled_project_sheets_print_on_a4_one_page_wide(
    office: Office, generated: Generated, template, tmp_path: Path
):
    skip_unless_available(pdf_tools=True)
    layout = compile_layout(template)
    groups = example_records(template)[:1]
    records = groups[0].records
    with office.open(generated.prefilled(template)) as book:
        names = project_sheets(book)
        assert len(names) == len(records)
        # The longest form (most table rows) is the one most likely to overflow.
        longest = max(
            range(len(records)), key=lambda i: sum(len(records[i].get(t.table) or []) for t in template.tables())
        )
        rows = {t.table: len(records[longest].get(t.table) or []) for t in template.tables()}
        check_prints_one_page_wide(book, template, names[longest], layout.sheet(rows), tmp_path / "longest.pdf")
