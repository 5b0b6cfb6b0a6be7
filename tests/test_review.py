"""The office's decisions, through the command line: an approved version counts and a later file
is held until the unit is reopened; a returned version counts nowhere and its reason is shown;
what cannot be decided is refused with its reason; every decision is kept."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xlsxkit.cli import app
from xlsxkit.cycle.demo import examples_dir
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.form.excel import FEEDBACK_SHEET

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert runner.invoke(app, ["demo", "--out", str(out)]).exit_code == 0
    return out


@pytest.fixture
def desk(demo: Path, tmp_path: Path) -> Path:
    shutil.copy(demo / "returns.sqlite", tmp_path / "returns.sqlite")
    shutil.copytree(demo / "inbox", tmp_path / "inbox")
    return tmp_path


def invoke(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def standing(desk: Path, code: str) -> dict:
    _, out, _ = invoke("status", "--db", desk / "returns.sqlite", "--json")
    return next(unit for unit in json.loads(out)["units"] if unit["code"] == code)


def summary_projects(desk: Path) -> list[str]:
    assert invoke("consolidate", "--db", desk / "returns.sqlite", "--out", desk / "s.xlsx", "--force")[0] == 0
    sheet = openpyxl.load_workbook(desk / "s.xlsx")["项目汇总"]
    return [
        f"{row[0]} {row[3]}" for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] not in (None, "合计")
    ]


def resubmit(desk: Path, code: str, name: str) -> None:
    """The unit sends a changed workbook: its first project renamed."""
    original = next((desk / "inbox").glob(f"{code}-*.xlsx"))
    book = openpyxl.load_workbook(original)
    sheet = book["项目1"]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value and str(c.value) == "办公楼运转经费")
    cell.value = name
    book.save(desk / "inbox" / f"{code}-第二版.xlsx")


def test_an_approved_version_counts_and_a_later_file_is_held_until_reopened(desk):
    db = desk / "returns.sqlite"
    code, out, _ = invoke("review", "--db", db, "--unit", "603001", "--approve", "--by", "审核员甲")
    assert code == 0 and "审核通过" in out and "审核员甲" in out
    assert standing(desk, "603001")["standing"] == "approved"
    resubmit(desk, "603001", "办公楼运转经费（改）")
    invoke("collect", desk / "inbox", "--db", db)
    held = standing(desk, "603001")
    assert held["standing"] == "approved" and held["review"]["held"] == 1 and held["versions"] == 2
    assert "603001 办公楼运转经费" in summary_projects(desk)  # the approved version, not the held one
    assert invoke("review", "--db", db, "--unit", "603001", "--reopen")[0] == 0
    reopened = standing(desk, "603001")
    assert reopened["standing"] in ("accepted", "warnings") and reopened["review"]["held"] == 0
    assert "603001 办公楼运转经费（改）" in summary_projects(desk)


def test_a_returned_version_counts_nowhere_and_its_reason_is_shown(desk):
    db = desk / "returns.sqlite"
    before = summary_projects(desk)
    assert any(p.startswith("603005 ") for p in before)
    code, out, _ = invoke("review", "--db", db, "--unit", "603005", "--return", "预算数与批复不符", "--by", "审核员乙")
    assert code == 0 and "退回：预算数与批复不符" in out
    unit = standing(desk, "603005")
    assert unit["standing"] == "returned" and unit["review"]["reason"] == "预算数与批复不符"
    _, table, _ = invoke("status", "--db", db)
    review_column = "".join(line.split("│")[-2].strip() for line in table.splitlines() if line.startswith("│"))
    assert "已退回" in table and "预算数与批复不符" in review_column  # shown whole, over as many lines as it takes
    assert not any(p.startswith("603005 ") for p in summary_projects(desk))
    status_sheet = openpyxl.load_workbook(desk / "s.xlsx")["填报情况"]
    notes = [row[-1] for row in status_sheet.iter_rows(min_row=4, values_only=True) if row[0] == "603005"]
    assert notes and "预算数与批复不符" in notes[0] and "审核员乙" in notes[0]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--unit", "603003", "--approve"], "[L022]"),  # its return has errors
        (["--unit", "603005", "--return", " "], "[L023]"),  # no reason
        (["--unit", "603001", "--reopen"], "[L024]"),  # never approved
        (["--unit", "603009", "--approve"], "[L020]"),  # not on the roster
        (["--unit", "603004", "--approve"], "[L021]"),  # nothing received
    ],
)
def test_what_cannot_be_decided_is_refused_with_its_reason(desk, args, code):
    exit_code, _, err = invoke("review", "--db", desk / "returns.sqlite", *args)
    assert exit_code == 2 and code in err
    with Ledger(desk / "returns.sqlite", read_only=True) as ledger:
        assert ledger.decisions() == []


def test_every_decision_is_kept_in_order(desk):
    db = desk / "returns.sqlite"
    for args in (["--approve"], ["--reopen"], ["--return", "请补充指标"]):
        assert invoke("review", "--db", db, "--unit", "603001", *args, "--by", "甲")[0] == 0
    with Ledger(db, read_only=True) as ledger:
        assert [(d.decision, d.reason, d.decided_by) for d in ledger.decisions()] == [
            ("approved", None, "甲"),
            ("reopened", None, "甲"),
            ("returned", "请补充指标", "甲"),
        ]


def test_a_ledger_from_before_decisions_is_migrated_when_opened(desk):  # schema 2 → 3
    db = desk / "returns.sqlite"
    with sqlite3.connect(db) as raw:
        raw.execute("DROP TABLE decisions")  # as version 2 made it: no decisions, no contact columns
        raw.execute("ALTER TABLE units DROP COLUMN contact")
        raw.execute("ALTER TABLE units DROP COLUMN parent")  # nor parents (version 4)
        raw.execute("PRAGMA user_version = 2")
    assert invoke("review", "--db", db, "--unit", "603001", "--approve")[0] == 0
    with Ledger(db, read_only=True) as ledger:
        assert [d.decision for d in ledger.decisions()] == ["approved"]


def test_a_returned_unit_gets_its_workbook_back_with_the_reason_heading_the_list(desk):
    db = desk / "returns.sqlite"
    assert invoke("review", "--db", db, "--unit", "603005", "--return", "预算数与批复不符", "--by", "审核员乙")[0] == 0
    code, _, _ = invoke("feedback", "--db", db, "--out", desk / "fb")
    assert code == 0
    (workbook,) = (desk / "fb").glob("603005-*.xlsx")  # no findings of its own: sent back all the same
    rows = list(openpyxl.load_workbook(workbook)[FEEDBACK_SHEET].iter_rows(values_only=True))
    texts = [" ".join(str(cell) for cell in row if cell) for row in rows]
    first = next(text for text in texts if "审核退回" in text)
    assert "预算数与批复不符" in first and "审核员乙" in first and "L025" in first


def test_remind_lists_exactly_the_units_with_something_to_do_with_their_contacts(desk):
    db = desk / "returns.sqlite"
    roster = desk / "units.csv"
    lines = (examples_dir() / "units.csv").read_text(encoding="utf-8-sig").splitlines()
    contacts = [lines[0] + ",联系人,电话"] + [f"{line},联系人{n},0315-00{n}" for n, line in enumerate(lines[1:], 1)]
    roster.write_text("\n".join(contacts) + "\n", encoding="utf-8")
    code, _, err = invoke("collect", desk / "inbox", "--db", db, "--roster", roster, "--deadline", "2000-01-31")
    assert code in (0, 1), err
    assert invoke("review", "--db", db, "--unit", "603005", "--return", "预算数与批复不符")[0] == 0
    code, _, _ = invoke("remind", "--db", db, "--out", desk / "催报.xlsx", "--csv", desk / "催报.csv")
    assert code == 0
    sheet = openpyxl.load_workbook(desk / "催报.xlsx")["催报"]
    header = [c.value for c in sheet[3]]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert {code: row["情况"] for code, row in rows.items()} == {
        "603003": "有错误",
        "603004": "未报送",
        "603005": "已退回",
    }
    assert rows["603004"]["联系人"] == "联系人4" and rows["603004"]["电话"] == "0315-004"
    assert "已逾期" in rows["603004"]["催报内容"] and "预算数与批复不符" in rows["603005"]["催报内容"]
    assert (desk / "催报.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert standing(desk, "603001")["late"] is True  # received after the deadline given


def test_history_lists_every_version_with_its_decision_and_what_changed(desk):
    """The demo's 603005 first sent a return with typical mistakes (财政资金 10,000 元 short, a
    blank 指标值, a 二级 under the wrong 一级), then the corrected one."""
    db = desk / "returns.sqlite"
    assert invoke("review", "--db", db, "--unit", "603005", "--approve", "--by", "甲")[0] == 0
    code, out, _ = invoke("history", "--db", db, "--unit", "603005", "--json")
    assert code == 0
    versions = json.loads(out)
    assert [(v["version"], v["outcome"]) for v in versions] == [(1, "rejected"), (2, "accepted")]
    assert versions[0]["changes"] == [] and [d["decision"] for d in versions[1]["decisions"]] == ["approved"]
    (change,) = versions[1]["changes"]
    assert change.startswith("项目1 ")
    assert "其中：财政资金" in change and "→" in change and "万元" in change
    assert "指标值 （空） →" in change and "二级指标 数量指标 →" in change
    _, text, _ = invoke("history", "--db", db, "--unit", "603005")
    assert "第 2 版" in text and "审核通过（甲" in text


def test_the_review_workbook_round_trip_records_what_was_typed_and_refuses_a_stale_sheet(desk):
    db = desk / "returns.sqlite"
    assert invoke("review", "--db", db, "--sheet", desk / "审核表.xlsx")[0] == 0
    book = openpyxl.load_workbook(desk / "审核表.xlsx")
    sheet = book["审核"]
    header = [c.value for c in sheet[3]]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=4)}
    assert set(rows) == {"603001", "603002", "603003", "603004", "603005"}
    assert sheet.protection.sheet and not rows["603001"][header.index("审核意见")].protection.locked
    rows["603001"][header.index("审核意见")].value = "通过"
    rows["603005"][header.index("审核意见")].value = "退回"
    rows["603005"][header.index("理由")].value = "指标值不够具体"
    rows["603003"][header.index("审核意见")].value = "通过"  # has errors: refused, the others recorded
    rows["603002"][header.index("审核意见")].value = "同意"  # not a choice of the list: refused
    book.save(desk / "审核表-已填.xlsx")
    code, out, err = invoke("review", "--db", db, "--from", desk / "审核表-已填.xlsx", "--by", "科长")
    assert code == 1 and "[L022]" in err and "[L028]" in err and "603001 通过" in out and "603005 退回" in out
    assert standing(desk, "603002")["standing"] != "approved"
    assert standing(desk, "603001")["standing"] == "approved"
    assert standing(desk, "603005")["review"]["reason"] == "指标值不够具体"
    again = openpyxl.load_workbook(next((desk / "inbox").glob("603003-*.xlsx")))
    again.save(desk / "inbox" / "603003-再次报送.xlsx")  # 603003 sends again after the sheet was made
    invoke("collect", desk / "inbox", "--db", db)
    code, _, err = invoke("review", "--db", db, "--from", desk / "审核表-已填.xlsx")
    assert code == 2 and "[L026]" in err
    foreign = openpyxl.Workbook()
    foreign.save(desk / "其他.xlsx")
    code, _, err = invoke("review", "--db", db, "--from", desk / "其他.xlsx")
    assert code == 2 and "[L027]" in err


@pytest.mark.libreoffice
def test_decisions_typed_in_libreoffice_are_recorded(desk, office):
    db = desk / "returns.sqlite"
    assert invoke("review", "--db", db, "--sheet", desk / "审核表.xlsx")[0] == 0
    sheet = openpyxl.load_workbook(desk / "审核表.xlsx")["审核"]
    header = [c.value for c in sheet[3]]
    row = next(r for r in sheet.iter_rows(min_row=4) if r[0].value == "603002")
    choice, reason = row[header.index("审核意见")].coordinate, row[header.index("理由")].coordinate
    with office.open(desk / "审核表.xlsx") as book:
        book.type_text("审核", choice, "退回")
        book.type_text("审核", reason, "请补充绩效目标")
        saved = book.save_as_xlsx(desk / "审核表-LibreOffice.xlsx")
    code, out, err = invoke("review", "--db", db, "--from", saved, "--by", "科长")
    assert code == 0, err
    assert "603002 退回" in out and standing(desk, "603002")["review"]["reason"] == "请补充绩效目标"
