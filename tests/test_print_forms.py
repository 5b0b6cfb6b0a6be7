"""Forms as LibreOffice prints them, read back from its PDF with poppler (page sizes, and where
each word lies: `pdftotext -bbox`):

- every built-in template's 填报说明 prints within the page's width (LibreOffice does not shrink
  a single column wider than the page, it prints the text past the page's edge), each point
  whole within its row;
- the summary's 汇编 prints one form a page, each form whole across the page's width, at the
  scale xlsxkit set (no less than 90 %), which is the scale LibreOffice prints at: its text is
  not shrunk.

One LibreOffice export per sheet, shared by the tests of that sheet.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import statistics
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.helpers import EXAMPLES, example_records
from tests.libreoffice import Office, is_a4, pdf_page_sizes, skip_unless_available
from xlsxkit.cycle.consolidate import consolidate
from xlsxkit.cycle.status import Standing, UnitStatus
from xlsxkit.form.excel import COMPILATION_SHEET, INSTRUCTIONS_SHEET
from xlsxkit.read.roster import read_roster
from xlsxkit.template.load import builtin_templates
from xlsxkit.template.model import Template
from xlsxkit.write.generate import generate_blank
from xlsxkit.write.page_metrics import column_points

pytestmark = pytest.mark.libreoffice

TEMPLATES = {t.id: t for t in builtin_templates()}
WITH_RECORDS = [t for t in TEMPLATES if example_records(t)]
READABLE_SCALE = 90  # percent: the least a form may be shrunk to fit the page's width
TOLERANCE = 1.5  # points: poppler's word boxes against the page's geometry
HUNDREDTHS_MM_PER_POINT = 2540 / 72
CJK = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    words: list[Word]

    @property
    def text(self) -> str:
        return squeeze("".join(w.text for w in self.words))


def squeeze(text: str) -> str:
    return "".join(text.split())


def pdf_pages(pdf: Path) -> list[Page]:
    """Every page with its words and their boxes (points, origin top left), from `pdftotext -bbox`."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    number = r'"([\d.]+)"'
    word = re.compile(rf"<word xMin={number} yMin={number} xMax={number} yMax={number}>(.*?)</word>")
    page = re.compile(rf"<page width={number} height={number}>(.*?)</page>", re.S)
    return [
        Page(
            float(m.group(1)),
            float(m.group(2)),
            [Word(*map(float, w[:4]), html.unescape(w[4])) for w in word.findall(m.group(3))],
        )
        for m in page.finditer(out)
    ]


def in_reading_order(words: list[Word]) -> list[Word]:
    """Words line by line (a line: tops within 2 points), left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: w.y0):
        if lines and abs(lines[-1][0].y0 - word.y0) <= 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [w for line in lines for w in sorted(line, key=lambda w: w.x0)]


def outside(page: Page, left: float, right: float) -> list[str]:
    """Words of the page not within its margins (points from the left and right edges)."""
    return [
        f"{w.text!r} at x {w.x0:.1f}–{w.x1:.1f}"
        for w in page.words
        if w.x0 < left - TOLERANCE or w.x1 > page.width - right + TOLERANCE
    ]


def first_column_break(sheet: Any) -> int:
    """The first column LibreOffice starts a new page width at (its own pagination, after printing)."""
    return min((b.Position for b in sheet.getColumnPageBreaks() if b.Position > 0), default=1 << 20)


# --- 填报说明 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintedInstructions:
    template: Template
    lines: list[tuple[str, float | None]]  # each line's text, its row's height (points) where set, else fitted
    margins: tuple[float, float]  # left, right, points
    pdf: Path
    pages: list[Page]
    column_break: int


@pytest.fixture(scope="module", params=sorted(TEMPLATES))
def instructions(
    request: pytest.FixtureRequest, office: Office, tmp_path_factory: pytest.TempPathFactory
) -> PrintedInstructions:
    """A blank workbook of the template for the roster's first unit (its long name is in the first
    point), its 填报说明 alone printed to PDF by LibreOffice."""
    skip_unless_available(pdf_tools=True)
    template = TEMPLATES[request.param]
    out = tmp_path_factory.mktemp(f"instructions-{template.id}")
    unit = read_roster(EXAMPLES / "units.csv").units[0]
    report = generate_blank(template, [unit], 2026, out, generated_at=dt.datetime(2026, 1, 15, 9, 30))
    assert not report.problems, report.problems
    path = report.files[0].path
    book = openpyxl.load_workbook(path)
    sheet = book[INSTRUCTIONS_SHEET]
    lines = [
        (
            str(row[0].value),
            sheet.row_dimensions[row[0].row].height if sheet.row_dimensions[row[0].row].customHeight else None,
        )
        for row in sheet.iter_rows(max_col=1)
        if row[0].value
    ]
    margins = (sheet.page_margins.left * 72, sheet.page_margins.right * 72)
    with office.open(path) as printed:
        # Removed, not hidden: LibreOffice prints a hidden sheet that has a print area (the project sheets).
        for name in printed.sheet_names:
            if name != INSTRUCTIONS_SHEET:
                printed.remove_sheet(name)
        pdf = printed.export_pdf(out / "instructions.pdf")
        column_break = first_column_break(printed.sheet(INSTRUCTIONS_SHEET))
    return PrintedInstructions(template, lines, margins, pdf, pdf_pages(pdf), column_break)


def test_instructions_print_on_a4_portrait_one_page_wide(instructions: PrintedInstructions):
    pages = instructions.pages
    assert pages and all(is_a4((p.width, p.height)) and p.width < p.height for p in pages)
    assert len(pdf_page_sizes(instructions.pdf)) == len(pages)
    assert instructions.column_break >= 1  # LibreOffice's own pagination: the column on one page width
    for number, page in enumerate(pages, start=1):
        cut = outside(page, *instructions.margins)
        assert not cut, f"{instructions.template.id} 填报说明 page {number}: text past the margins: {cut}"


def test_every_instruction_prints_whole_within_its_row(instructions: PrintedInstructions):
    """Each point's words, in reading order, spell its text (the last one included), and span no
    more than its row's height (taller, its last line would be cut off at the row's edge)."""
    words = [w for page in instructions.pages for w in in_reading_order(page.words)]
    assert squeeze(instructions.lines[-1][0]) in "".join(p.text for p in instructions.pages)
    position = 0
    for text, height in instructions.lines:
        wanted, spelled, boxes = squeeze(text), "", []
        while len(spelled) < len(wanted) and position < len(words):
            spelled += squeeze(words[position].text)
            boxes.append(words[position])
            position += 1
        assert spelled == wanted, f"{instructions.template.id}: printed {spelled!r} where the sheet has {wanted!r}"
        span = max(b.y1 for b in boxes) - min(b.y0 for b in boxes)
        assert height is None or span <= height + TOLERANCE, (
            f"{text!r}: {span:.1f} points of text in a row {height} tall"
        )
    assert position == len(words), [w.text for w in words[position:]]


# --- 汇编 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintedForms:
    template: Template
    titles: list[str]  # each form's title, in the order drawn
    names: list[str]  # each form's project name ("" for a form without one)
    title_size: float  # the title's font size, points
    scale: int  # percent, as the xlsx says
    fitted: bool  # fitted to pages (Excel would then ignore the page breaks)
    orientation: str
    margins: tuple[float, float]  # left, right, points
    columns: list[float]  # the form's column widths, characters
    column_widths: list[int]  # LibreOffice's widths of those columns, 1/100 mm
    column_break: int
    pdf: Path
    pages: list[Page]


def statuses_of(records: list[dict[str, Any]]) -> list[UnitStatus]:
    units = dict.fromkeys((r["unit"]["code"], r["unit"]["name"]) for r in records)
    return [UnitStatus(code, name, Standing.accepted, versions=1, projects=0) for code, name in units]


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The summary of every example record: 汇编 sheets of every built-in template, 1 to 19 forms each."""
    records = example_records()
    target = tmp_path_factory.mktemp("print-forms") / "汇总表.xlsx"
    made = consolidate(
        iter(records), statuses_of(records), target, office="某某市住房公积金管理委员会办公室", year=2026
    )
    return made.workbook, records


@pytest.fixture(scope="module")
def summary_book(summary: tuple[Path, list[dict[str, Any]]]) -> Iterator[openpyxl.Workbook]:
    book = openpyxl.load_workbook(summary[0])
    yield book
    book.close()


@pytest.fixture(scope="module", params=WITH_RECORDS)
def forms(
    request: pytest.FixtureRequest,
    office: Office,
    summary: tuple[Path, list[dict[str, Any]]],
    summary_book: openpyxl.Workbook,
    tmp_path_factory: pytest.TempPathFactory,
) -> PrintedForms:
    """One template's 汇编 sheet, printed alone to PDF by LibreOffice."""
    skip_unless_available(pdf_tools=True)
    template = TEMPLATES[request.param]
    path, records = summary
    name = f"{COMPILATION_SHEET}-{template.id}"
    sheet = summary_book[name]
    tops = [0, *(brk.id for brk in sheet.row_breaks.brk)]  # openpyxl's id: the next form's first row, 0-based
    drawn = [r for r in records if r["template"]["id"] == template.id]
    assert len(tops) == len(drawn)
    fit = sheet.sheet_properties.pageSetUpPr
    with office.open(path) as printed:
        pdf = printed.export_pdf(tmp_path_factory.mktemp(f"forms-{template.id}") / "forms.pdf", sheets=[name])
        lo_sheet = printed.sheet(name)
        column_widths = [lo_sheet.Columns.getByIndex(c).Width for c in range(len(template.columns))]
        column_break = first_column_break(lo_sheet)
    return PrintedForms(
        template=template,
        titles=[str(sheet.cell(top + 1, 1).value) for top in tops],
        names=[str((r.get("project") or {}).get("name") or "") for r in drawn],
        title_size=float(sheet.cell(1, 1).font.sz),
        scale=int(sheet.page_setup.scale or 100),  # 100 is not written
        fitted=bool(fit and fit.fitToPage),
        orientation=str(sheet.page_setup.orientation),
        margins=(sheet.page_margins.left * 72, sheet.page_margins.right * 72),
        columns=list(template.columns),
        column_widths=column_widths,
        column_break=column_break,
        pdf=pdf,
        pages=pdf_pages(pdf),
    )


def form_starts(forms: PrintedForms) -> list[int]:
    """The pages (0-based) a title is printed on: where each form starts."""
    titles = {squeeze(t) for t in forms.titles}
    counts = [sum(page.text.count(t) for t in titles) for page in forms.pages]
    assert all(count <= 1 for count in counts), f"pages with more than one form's title: {counts}"
    return [n for n, count in enumerate(counts) if count]


def test_libreoffice_draws_the_columns_as_wide_as_calibris_metrics(forms: PrintedForms):
    """The scale is computed from Calibri's digit (the workbook's default font), which LibreOffice
    measures in Carlito; in another font (DejaVu Sans where Carlito is missing) its columns are
    25 % wider and the forms would not fit."""
    for width, drawn in zip(forms.columns, forms.column_widths, strict=True):
        expected = column_points(width) * HUNDREDTHS_MM_PER_POINT
        assert drawn <= expected * 1.005, (
            f"a column {width} characters wide is {drawn / 100:.1f} mm in LibreOffice, Calibri's metrics make it "
            f"{expected / 100:.1f} mm: is fonts-crosextra-carlito installed?"
        )
    printable = (forms.pages[0].width - sum(forms.margins)) * HUNDREDTHS_MM_PER_POINT
    assert sum(forms.column_widths) * forms.scale / 100 <= printable


def test_forms_print_at_a_readable_scale_on_a4_of_the_templates_orientation(forms: PrintedForms):
    assert forms.scale >= READABLE_SCALE, f"{forms.template.id} 汇编 printed at {forms.scale} %"
    assert not forms.fitted  # Excel ignores manual page breaks on a sheet fitted to pages
    assert forms.orientation == forms.template.page.orientation
    landscape = forms.orientation == "landscape"
    sizes = [(p.width, p.height) for p in forms.pages]
    assert sizes and all(is_a4(s) and (s[0] > s[1]) == landscape for s in sizes), sizes
    assert len(pdf_page_sizes(forms.pdf)) == len(sizes)


def test_each_form_starts_a_page_and_keeps_its_pages_to_itself(forms: PrintedForms):
    starts = form_starts(forms)
    assert len(starts) == len(forms.titles), f"{len(forms.titles)} forms, titles on pages {starts}"
    assert starts[0] == 0
    ends = [*starts[1:], len(forms.pages)]
    for number, (title, name, start, end) in enumerate(
        zip(forms.titles, forms.names, starts, ends, strict=True), start=1
    ):
        assert squeeze(title) in forms.pages[start].text, f"form {number}'s title is not on its first page"
        own = "".join(page.text for page in forms.pages[start:end])
        assert squeeze(name) in own, f"form {number} ({name}) is not on pages {start + 1}–{end}"


def test_nothing_of_a_form_lies_past_the_page_width(forms: PrintedForms):
    """One page width holds every column: LibreOffice's first column break is past the form's last
    column, every word lies within the margins, and each title (merged across all the columns) is
    centred on the page, as the form is."""
    assert forms.column_break >= len(forms.columns), (
        f"LibreOffice starts a new page width at column {forms.column_break} of {len(forms.columns)}"
    )
    left, right = forms.margins
    for number, page in enumerate(forms.pages, start=1):
        cut = outside(page, left, right)
        assert not cut, f"{forms.template.id} 汇编 page {number}: text past the margins: {cut}"
    for start in form_starts(forms):
        page = forms.pages[start]
        title = title_words(page)
        middle = (min(w.x0 for w in title) + max(w.x1 for w in title)) / 2
        assert abs(middle - (left + page.width - right) / 2) <= 3, f"page {start + 1}'s title is off centre"


def title_words(page: Page) -> list[Word]:
    """The page's largest words: its title."""
    tallest = max(w.height for w in page.words)
    return [w for w in page.words if w.height >= 0.9 * tallest]


def test_text_prints_at_the_scale_set_not_shrunk_further(forms: PrintedForms):
    """A CJK character is one em wide: words of CJK characters alone give the size their text is
    printed at (the form's labels, at the template's font size), and the height of their boxes per
    em that of the font's, from which the title's box gives the title's printed size."""
    scale = forms.scale / 100
    for start in form_starts(forms):
        page = forms.pages[start]
        pure = [w for w in page.words if CJK.fullmatch(w.text) and len(w.text) >= 2]
        ems = [(w.x1 - w.x0) / len(w.text) for w in pure]
        body = statistics.median(ems) / forms.template.font.size
        assert body == pytest.approx(scale, abs=0.02), f"page {start + 1}: labels printed at {body:.0%}"
        box_per_em = statistics.median(w.height / em for w, em in zip(pure, ems, strict=True))
        title = max(w.height for w in title_words(page)) / box_per_em / forms.title_size
        assert title == pytest.approx(scale, abs=0.03), f"page {start + 1}: title printed at {title:.0%}"
        assert min(body, title) >= READABLE_SCALE / 100 - 0.01
