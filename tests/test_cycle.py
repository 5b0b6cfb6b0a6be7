"""The office's whole cycle, end to end through the command line, on the demo's simulated
returns: collect, collect again, a resubmission, status, feedback, consolidate."""

from __future__ import annotations

import json
from decimal import Decimal

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.libreoffice import pdf_page_texts
from xlsxkit.cli import app
from xlsxkit.cycle.demo import examples_dir
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.form.excel import FEEDBACK_SHEET

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.stdout


def test_every_file_in_the_inbox_has_one_outcome(demo):
    out, _ = demo
    with Ledger(out / "returns.sqlite") as ledger:
        receipts = {(r.path.split("/")[0], r.outcome.value, r.reason) for r in ledger.receipts()}
    files = sorted(p.relative_to(out / "inbox").as_posix() for p in (out / "inbox").rglob("*") if p.is_file())
    assert len(receipts) == len(files) == 6
    outcomes = sorted(outcome for _, outcome, _ in receipts)
    assert outcomes == ["accepted", "accepted", "accepted_with_warnings", "rejected", "rejected", "skipped"]


def test_collecting_the_inbox_again_changes_nothing(demo):
    out, _ = demo
    again = runner.invoke(app, ["collect", str(out / "inbox"), "--db", str(out / "returns.sqlite"), "--json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout) == {"unchanged": 6, "files": []}


def test_status_shows_the_missing_unit_the_errors_and_the_resubmission(demo):
    out, _ = demo
    result = runner.invoke(app, ["status", "--db", str(out / "returns.sqlite"), "--json"])
    standings = {s["code"]: (s["standing"], s["versions"]) for s in json.loads(result.stdout)["units"]}
    assert standings == {
        "603001": ("accepted", 1),
        "603002": ("warnings", 1),
        "603003": ("errors", 1),
        "603004": ("missing", 0),
        "603005": ("accepted", 2),
    }


def test_feedback_marks_each_finding_cell_of_the_unit_with_errors(demo):
    out, _ = demo
    feedback = {p.name.split("-")[0]: p for p in (out / "feedback").glob("*.xlsx")}
    assert set(feedback) == {"603002", "603003"}  # warnings and errors; not the corrected 603005
    book = openpyxl.load_workbook(feedback["603003"])
    assert book.sheetnames[0] == FEEDBACK_SHEET
    with Ledger(out / "returns.sqlite") as ledger:
        latest = ledger.latest_returns()["603003"]
        findings = [f for f in ledger.findings_of(latest.evaluation_id) if f["cell"]]
    assert findings
    for finding in findings:
        comment = book[finding["sheet"]][finding["cell"]].comment
        assert comment is not None and finding["code"] in comment.text and finding["message"] in comment.text


@pytest.mark.libreoffice
def test_a_feedback_workbook_opens_in_libreoffice_with_its_comments(demo, office):
    out, _ = demo
    path = next((out / "feedback").glob("603003-*.xlsx"))
    with office.open(path) as book:
        assert book.sheet_names[0] == FEEDBACK_SHEET
        annotations = book.sheet("项目1").getAnnotations()
        texts = [annotations.getByIndex(i).getString() for i in range(annotations.getCount())]
    assert any("C013" in text for text in texts)


def test_the_summary_totals_equal_the_sums_of_the_records(demo):
    out, _ = demo
    records = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["unit"]["code"] for r in records} == {"603001", "603002", "603005"}  # the latest accepted returns
    book = openpyxl.load_workbook(out / "汇总表.xlsx")
    rows = list(book["项目汇总"].iter_rows(min_row=3, values_only=True))  # under the title and 编制单位
    header, total = rows[0], rows[-1]
    column = header.index("年度资金总额（万元）")
    expected = sum(Decimal(r["funds"]["annual"]["total"]) for r in records) / 10000
    assert total[0] == "合计" and Decimal(str(total[column])) == expected
    subtotals = [r for r in rows if str(r[3] or "").startswith("小计")]
    assert [r[0] for r in subtotals] == ["603001", "603002", "603005"]  # one per unit, in code order
    assert sum(Decimal(str(r[column])) for r in subtotals) == expected
    assert len(rows) - 2 - len(subtotals) == len(records)


def test_the_commands_one_by_one(demo, tmp_path):
    """What the office types: collect with a roster, status, feedback, consolidate in 元."""
    out, _ = demo
    db = tmp_path / "returns.sqlite"
    roster = str(examples_dir() / "units.csv")  # the demo's roster is the shipped example
    collected = runner.invoke(
        app, ["collect", str(out / "inbox"), "--roster", roster, "--db", str(db), "--workers", "2"]
    )
    assert collected.exit_code == 1, "a return was rejected"
    assert "6 new files" in collected.stderr
    assert "603003-" in collected.stdout and "rejected" in collected.stdout
    table = runner.invoke(app, ["status", "--db", str(db)])
    assert table.exit_code == 1, "a unit is missing, another has errors"
    assert "未报送" in table.stdout and "有错误，待修改" in table.stdout
    feedback = runner.invoke(app, ["feedback", "--db", str(db), "--out", str(tmp_path / "feedback")])
    assert feedback.exit_code == 0 and len(list((tmp_path / "feedback").glob("*.xlsx"))) == 2
    summary = runner.invoke(
        app,
        [
            "consolidate",
            "--db",
            str(db),
            "--out",
            str(tmp_path / "s.xlsx"),
            "--money",
            "元",
            "--jsonl",
            str(tmp_path / "r.jsonl"),
            "--csv",
            str(tmp_path / "csv"),
        ],
    )
    assert summary.exit_code == 0, summary.output
    header = next(openpyxl.load_workbook(tmp_path / "s.xlsx")["项目汇总"].iter_rows(min_row=3, values_only=True))
    assert "年度资金总额（元）" in header
    assert (tmp_path / "csv" / "projects.csv").is_file() and (tmp_path / "r.jsonl").is_file()


def test_commands_on_a_missing_ledger_say_so(tmp_path):
    result = runner.invoke(app, ["status", "--db", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "xlsxkit collect" in result.stderr


@pytest.mark.libreoffice
def test_the_compilation_prints_one_form_a_page_in_libreoffice(demo, office, tmp_path):
    out, _ = demo
    with office.open(out / "汇总表.xlsx") as book:
        compiled = [name for name in book.sheet_names if name.startswith("汇编")]
        pdf = book.export_pdf(tmp_path / "compilation.pdf", sheets=compiled)
    pages = pdf_page_texts(pdf)
    records = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(pages) == len(records)  # one A4 page a form: none split across pages
    assert all("项目编码" in page and "单位：万元" in page and "指标值确定依据" in page for page in pages)
