"""汇编 as a workbook of its own (#15): drawn by a second process while the summary is written,
it holds exactly what the summary's own 汇编 sheets would, the summary's rows link into it, a
failure leaves neither file, a large collection gets it by default, and collect never takes it
for a return."""

from __future__ import annotations

import multiprocessing
import shutil

import openpyxl
import pytest
from typer.testing import CliRunner

import xlsxkit.cycle.office_steps as office_steps
from tests.libreoffice import pdf_page_texts
from tests.returns import corpus_records
from xlsxkit.cli import app
from xlsxkit.cycle.compendium import Compilation
from xlsxkit.cycle.compendium_apart import CompilationFailed
from xlsxkit.cycle.consolidate import consolidate
from xlsxkit.cycle.demo import examples_dir
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.office_steps import compilation_file, write_summary

runner = CliRunner()


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The corpus consolidated twice: 汇编 inside the summary, and apart."""
    out = tmp_path_factory.mktemp("apart")
    inside = consolidate(iter(corpus_records()), [], out / "inside.xlsx")
    apart = consolidate(
        iter(corpus_records()), [], out / "汇总表.xlsx", compilation_file=compilation_file(out / "汇总表.xlsx")
    )
    return inside, apart


def _cells(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_compendium_apart_holds_what_the_summary_would(both):
    inside, apart = both
    assert apart.compilation == apart.workbook.with_name("汇总表-汇编.xlsx")
    ours = openpyxl.load_workbook(inside.workbook)
    theirs = openpyxl.load_workbook(apart.compilation)
    compiled = [name for name in ours.sheetnames if name.startswith("汇编")]
    assert compiled and theirs.sheetnames == compiled
    for name in compiled:
        assert _cells(theirs[name]) == _cells(ours[name]), name
        assert sorted(map(str, theirs[name].merged_cells.ranges)) == sorted(map(str, ours[name].merged_cells.ranges))
        assert theirs[name].row_breaks.brk == ours[name].row_breaks.brk
        assert theirs[name].page_setup.scale == ours[name].page_setup.scale


def test_the_summary_keeps_its_reports_and_links_each_row_to_its_form_apart(both):
    inside, apart = both
    assert apart.sheets == [name for name in inside.sheets if not name.startswith("汇编")]
    summary = openpyxl.load_workbook(apart.workbook)
    compendium = openpyxl.load_workbook(apart.compilation)
    rows = [row for row in summary["项目汇总"].iter_rows() if any(cell.hyperlink for cell in row)]
    assert len(rows) == apart.projects
    for row in rows:
        link = next(cell.hyperlink for cell in row if cell.hyperlink)
        assert link.target == "汇总表-汇编.xlsx"  # beside the summary, by its name
        sheet, cell = link.location.split("!")
        form = compendium[sheet.strip("'")]
        top = form[cell].row
        assert form[cell].value, "the link lands on the form's first row, its title"
        shown = {str(c.value) for line in form.iter_rows(min_row=top, max_row=top + 8) for c in line if c.value}
        assert row[3].value in shown, "the project named in the row is the form the link leads to"


def test_indicator_rows_name_the_place_as_text_when_the_compendium_is_apart(both):
    """Only the project rows link (each link is held in memory until the workbook is written)."""
    inside, apart = both
    ours = openpyxl.load_workbook(inside.workbook)["指标明细"]
    theirs = openpyxl.load_workbook(apart.workbook)["指标明细"]
    assert any(cell.hyperlink for row in ours.iter_rows() for cell in row)
    assert not any(cell.hyperlink for row in theirs.iter_rows() for cell in row)
    place = [c.value for c in ours[3]].index("汇编位置")
    shown = [row[place] for row in theirs.iter_rows(min_row=4, values_only=True)]
    assert shown == [row[place] for row in ours.iter_rows(min_row=4, values_only=True)] and all(shown)


def test_a_failure_half_way_leaves_neither_workbook_and_no_process(tmp_path):
    def failing():
        yield corpus_records()[0]
        raise RuntimeError("the ledger went away")

    with pytest.raises(RuntimeError):
        consolidate(failing(), [], tmp_path / "s.xlsx", compilation_file=tmp_path / "s-汇编.xlsx")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []
    assert not [p for p in multiprocessing.active_children() if p.name == "xlsxkit-汇编"]


def test_a_failure_in_the_drawing_process_is_told_and_leaves_neither_workbook(tmp_path, monkeypatch):
    """The drawing process fails on the second form (the summary's side does not): consolidate
    says so in the drawer's words, and keeps nothing."""
    drawn = []

    def failing_add(self, record):
        drawn.append(record)
        if len(drawn) == 2:
            raise ValueError("磁盘已满")
        return original(self, record)

    original = Compilation.add
    monkeypatch.setattr(Compilation, "add", failing_add)  # the drawing process is forked with it
    with pytest.raises(CompilationFailed, match="磁盘已满"):
        consolidate(iter(corpus_records()), [], tmp_path / "s.xlsx", compilation_file=tmp_path / "s-汇编.xlsx")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []
    assert drawn == [], "the summary's side only places forms; drawing is the other process's"


@pytest.fixture(scope="module")
def ledger_of_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_a_large_collection_gets_its_compendium_apart_by_default(ledger_of_demo, tmp_path, monkeypatch):
    db = tmp_path / "returns.sqlite"
    shutil.copy(ledger_of_demo / "returns.sqlite", db)
    with Ledger(db) as ledger:
        small = write_summary(ledger, tmp_path / "small.xlsx")
        monkeypatch.setattr(office_steps, "COMPILATION_APART_FROM", 2)
        large = write_summary(ledger, tmp_path / "large.xlsx")
    assert small.compilation is None and any(name.startswith("汇编") for name in small.sheets)
    assert large.compilation == tmp_path / "large-汇编.xlsx" and large.compilation.is_file()
    assert not any(name.startswith("汇编") for name in large.sheets)


def test_the_command_draws_it_apart_when_asked_and_names_the_file(ledger_of_demo, tmp_path):
    out = tmp_path / "汇总表.xlsx"
    args = ["consolidate", "--db", str(ledger_of_demo / "returns.sqlite"), "--out", str(out), "--compilation-apart"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "汇总表-汇编.xlsx") in result.stdout
    again = runner.invoke(app, args)  # both are ours: the next consolidation replaces them
    assert again.exit_code == 0, again.output


def test_collect_skips_a_compendium_put_in_the_inbox(ledger_of_demo, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    made = runner.invoke(
        app,
        [
            "consolidate",
            "--db",
            str(ledger_of_demo / "returns.sqlite"),
            "--out",
            str(tmp_path / "s.xlsx"),
            "--compilation-apart",
        ],
    )
    assert made.exit_code == 0, made.output
    shutil.copy(tmp_path / "s-汇编.xlsx", inbox / "s-汇编.xlsx")
    roster = str(examples_dir() / "units.csv")
    result = runner.invoke(app, ["collect", str(inbox), "--roster", roster, "--db", str(tmp_path / "r.sqlite")])
    assert "O023" in result.output
    with Ledger(tmp_path / "r.sqlite") as ledger:
        assert ledger.latest_returns() == {}


@pytest.mark.libreoffice
def test_the_compendium_apart_prints_in_libreoffice_as_it_does_inside_the_summary(both, office, tmp_path):
    inside, apart = both
    with office.open(inside.workbook) as book:
        compiled = [name for name in book.sheet_names if name.startswith("汇编")]
        ours = pdf_page_texts(book.export_pdf(tmp_path / "inside.pdf", sheets=compiled))
    with office.open(apart.compilation) as book:
        theirs = pdf_page_texts(book.export_pdf(tmp_path / "apart.pdf", sheets=list(book.sheet_names)))
    assert len(theirs) >= len(corpus_records())  # every form starts a page
    assert theirs == ours
