"""Outputs never destroy what the office collected, and a bad ledger or a bad return is a clear
error, not a traceback: through the command line, on the demo's collection.

- no output replaces the ledger (or any SQLite file), lands in an inbox, or replaces a file read;
- an existing file xlsxkit did not write is replaced only with --force; our own outputs are
  replaced on the next run;
- a ledger that is a folder, not SQLite, damaged or read-only: a catalogued problem, exit 2; a
  read-only ledger is still read by status, feedback and consolidate;
- one unit's return that cannot be marked does not stop the others' feedback;
- a feedback workbook carries a mark by which collect can tell it from a return.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.bad_files import NOT_A_ZIP, rewrite
from tests.test_ledger import version_1_ledger
from xlsxkit.cli import app
from xlsxkit.cycle.consolidate import CSV_FILES
from xlsxkit.cycle.demo import examples_dir
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.outputs import is_feedback_workbook, ledger_problem
from xlsxkit.form.errors import Code, InputError
from xlsxkit.read.reader import read_return

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def office(demo: Path, tmp_path: Path) -> Path:
    """A copy of the demo's ledger and inbox for one test: tmp_path/returns.sqlite, tmp_path/inbox."""
    shutil.copy(demo / "returns.sqlite", tmp_path / "returns.sqlite")
    shutil.copytree(demo / "inbox", tmp_path / "inbox")
    return tmp_path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args: str | Path) -> tuple[int, str]:
    """Exit code and standard error of a command, which must not end in a traceback."""
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def a_return(office: Path, code: str = "603003") -> Path:
    return next((office / "inbox").glob(f"{code}-*.xlsx"))


def remember_inbox(office: Path) -> None:
    """What collect records of its inbox, for the demo's inbox copied here."""
    with Ledger(office / "returns.sqlite") as ledger:
        ledger.remember_inbox(office / "inbox")


# --- the ledger is never an output --------------------------------------------------------------


@pytest.mark.parametrize("option", ["--out", "--jsonl"])
def test_consolidate_refuses_to_write_over_its_ledger(office, option):
    db = office / "returns.sqlite"
    before = digest(db)
    args = ["consolidate", "--db", db, option, db] + (["--out", office / "s.xlsx"] if option != "--out" else [])
    code, err = invoke(*args, "--force")
    assert code == 2 and "[O001]" in err and str(db) in err and "--db" in err
    assert digest(db) == before
    with Ledger(db) as ledger:
        assert len(ledger.receipts()) == 6


def test_read_refuses_to_write_over_any_ledger(office):
    other = office / "last-year.sqlite"
    shutil.copy(office / "returns.sqlite", other)
    before = digest(other)
    code, err = invoke("read", a_return(office), "-o", other, "--force")
    assert code == 2 and "[O001]" in err and str(other) in err
    assert digest(other) == before


# --- nor anything in an inbox, nor a file read ----------------------------------------------------


def test_no_output_lands_in_the_inbox_even_with_force(office):
    remember_inbox(office)
    db, inbox, returned = office / "returns.sqlite", office / "inbox", a_return(office)
    before = digest(returned)
    for args in (
        ["consolidate", "--out", returned],
        ["consolidate", "--out", inbox / "汇总表.xlsx"],
        ["consolidate", "--out", office / "s.xlsx", "--csv", inbox / "csv"],
        ["feedback", "--out", inbox],
        ["feedback", "--out", inbox / "feedback"],
    ):
        code, err = invoke(*args, "--db", db, "--force")
        assert code == 2 and "[O002]" in err and str(inbox.resolve()) in err, args
    assert digest(returned) == before
    assert not (inbox / "汇总表.xlsx").exists() and not (inbox / "csv").exists() and not (inbox / "feedback").exists()


def test_a_ledger_inside_the_inbox_is_refused_before_it_is_made(office):
    """Were the ledger in the inbox, the next collect would read it (and its -wal, -shm files) as
    returns of its own and store them in itself."""
    inbox = office / "inbox"
    code, err = invoke("collect", inbox, "--db", inbox / "returns.sqlite", "--roster", examples_dir() / "units.csv")
    assert code == 2 and "[O002]" in err and "账本" in err
    assert not (inbox / "returns.sqlite").exists()


def test_the_ledger_keeps_each_inbox_once(office, demo):
    with Ledger(office / "returns.sqlite") as ledger:
        ledger.remember_inbox(office / "inbox")
        ledger.remember_inbox(office / "inbox" / ".." / "inbox")
        ledger.remember_inbox(office / "later")
        collected_by_the_demo = (demo / "inbox").resolve()
        assert ledger.inboxes() == [collected_by_the_demo, (office / "inbox").resolve(), (office / "later").resolve()]


def test_read_refuses_to_write_over_a_file_it_reads_or_into_a_folder_it_reads(office):
    returned = a_return(office)
    before = digest(returned)
    code, err = invoke("read", returned, "-o", returned, "--force")
    assert code == 2 and "[O003]" in err and str(returned) in err
    code, err = invoke("read", office / "inbox", "-o", office / "inbox" / "records.jsonl")
    assert code == 2 and "[O002]" in err
    assert digest(returned) == before and not (office / "inbox" / "records.jsonl").exists()


# --- a file that is not ours needs --force; ours is replaced ----------------------------------------


def test_a_file_xlsxkit_did_not_write_is_replaced_only_with_force(office):
    db = office / "returns.sqlite"
    theirs = office / "单位的表.xlsx"
    shutil.copy(a_return(office), theirs)  # a form xlsxkit generated, filled by a unit: not an output
    notes = office / "notes.txt"
    notes.write_text("the office's own notes\n", encoding="utf-8")
    before = digest(theirs)
    code, err = invoke("consolidate", "--db", db, "--out", theirs)
    assert code == 2 and "[O004]" in err and str(theirs) in err and "--force" in err
    code, err = invoke("read", a_return(office), "-o", notes)
    assert code == 2 and "[O004]" in err
    assert digest(theirs) == before and notes.read_text(encoding="utf-8") == "the office's own notes\n"
    code, _ = invoke("consolidate", "--db", db, "--out", theirs, "--force")
    assert code == 0 and openpyxl.load_workbook(theirs).sheetnames[0] == "填报情况"


def test_our_own_outputs_are_replaced_when_run_again(office):
    db, out = office / "returns.sqlite", office / "out"
    consolidate = [
        "consolidate",
        "--db",
        db,
        "--out",
        out / "汇总表.xlsx",
        "--jsonl",
        out / "records.jsonl",
        "--csv",
        out / "csv",
    ]
    read = ["read", a_return(office), "--format", "csv", "-o", out / "read.csv"]
    for _ in range(2):
        assert invoke(*consolidate)[0] == 0
        assert invoke("feedback", "--db", db, "--out", out / "feedback")[0] == 0
        assert invoke(*read)[0] == 1  # the return has errors
    assert sorted(p.name for p in (out / "csv").iterdir()) == sorted(CSV_FILES)  # what consolidate writes is guarded
    assert len(list((out / "feedback").glob("*.xlsx"))) == 2 and (out / "read.csv").stat().st_size > 0


def test_the_same_file_named_for_two_outputs_is_refused(office):
    code, err = invoke(
        "consolidate", "--db", office / "returns.sqlite", "--out", office / "s.xlsx", "--jsonl", office / "s.xlsx"
    )
    assert code == 2 and "[O007]" in err and not (office / "s.xlsx").exists()


def test_a_folder_where_a_file_goes_and_a_file_where_a_folder_goes_are_refused(office):
    db = office / "returns.sqlite"
    (office / "taken").write_text("", encoding="utf-8")
    for args, expected in (
        (["consolidate", "--out", office / "inbox"], "[O005]"),
        (["consolidate", "--out", office / "s.xlsx", "--csv", office / "taken"], "[O006]"),
        (["feedback", "--out", office / "taken"], "[O006]"),
    ):
        code, err = invoke(*args, "--db", db)
        assert code == 2 and expected in err, args


def test_an_output_that_cannot_be_written_is_a_clear_error(office):
    (office / "taken").write_text("", encoding="utf-8")
    code, err = invoke("consolidate", "--db", office / "returns.sqlite", "--out", office / "taken" / "s.xlsx")
    assert code == 2 and "[O008]" in err


# --- the ledger file itself ---------------------------------------------------------------------------


def _not_a_ledger(office: Path, kind: str) -> Path:
    path = office / f"ledger-{kind}.sqlite"
    if kind == "text":
        path.write_text("单位代码,单位名称\n", encoding="utf-8")
    elif kind == "workbook":
        shutil.copy(a_return(office), path)
    elif kind == "pdf":
        path.write_bytes(NOT_A_ZIP["pdf"])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "folder":
        path.mkdir()
    else:
        data = (office / "returns.sqlite").read_bytes()
        path.write_bytes(data[: len(data) // 2])  # truncated: a copy or download cut short
    return path


NOT_LEDGERS = {
    "text": "[O011]",
    "workbook": "[O011]",
    "pdf": "[O011]",
    "empty": "[O011]",
    "folder": "[O010]",
    "truncated": "[O012]",
}
LEDGER_COMMANDS = ["status", "feedback", "consolidate", "recheck", "collect"]


@pytest.mark.parametrize(
    ("kind", "expected", "command"),
    [
        pytest.param(kind, expected, command, id=f"{command}-{kind}")
        for command in LEDGER_COMMANDS
        for kind, expected in NOT_LEDGERS.items()
        if (kind, command) != ("empty", "collect")  # collect starts a ledger in an empty file (test below)
    ],
)
def test_a_ledger_that_is_not_one_is_a_clear_error(office, kind, expected, command):
    path = _not_a_ledger(office, kind)
    before = digest(path) if path.is_file() else None
    extra = {
        "feedback": ["--out", office / "fb"],
        "consolidate": ["--out", office / "s.xlsx"],
        "collect": [office / "inbox"],
    }.get(command, [])
    code, err = invoke(command, "--db", path, *extra)
    assert code == 2 and expected in err and str(path) in err
    if before is not None:
        assert digest(path) == before  # nothing written into it
    assert not (office / "fb").exists() and not (office / "s.xlsx").exists()


def test_collect_starts_its_ledger_in_an_empty_file_given_as_db(office):
    path = _not_a_ledger(office, "empty")  # made by touch, or by a copy that failed
    units = office / "units.csv"
    units.write_text("单位代码,单位名称\n603003,某单位\n", encoding="utf-8")
    inbox = office / "new-inbox"
    inbox.mkdir()
    shutil.copy(a_return(office), inbox)
    code, err = invoke("collect", inbox, "--db", path, "--roster", units)
    assert code in (0, 1), err
    with Ledger(path) as ledger:
        assert list(ledger.latest_returns()) == ["603003"]
    assert invoke("status", "--db", path)[0] in (0, 1)


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Files and folders read-only for this process, even for root (chattr +i); skipped where
    that cannot be done."""
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    done: list[tuple[Path, int]] = []
    try:
        for path in paths:
            if root:
                if (
                    shutil.which("chattr") is None
                    or subprocess.run(["chattr", "+i", str(path)], check=False, capture_output=True).returncode
                ):
                    pytest.skip("no way to make a file read-only for root here")
                done.append((path, -1))
            else:
                done.append((path, path.stat().st_mode))
                path.chmod(0o555 if path.is_dir() else 0o444)
        yield
    finally:
        for path, mode in reversed(done):
            if mode < 0:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            else:
                path.chmod(mode)


@pytest.mark.parametrize("folder_too", [False, True], ids=["file", "file-and-folder"])
def test_a_read_only_ledger_is_read_by_status_feedback_and_consolidate(office, folder_too):
    shelf = office / "shelf"
    shelf.mkdir()
    db = shelf / "returns.sqlite"
    shutil.move(office / "returns.sqlite", db)
    before = digest(db)
    with read_only(db, *([shelf] if folder_too else [])):
        assert invoke("status", "--db", db)[0] == 1  # a unit missing, one with errors
        assert invoke("feedback", "--db", db, "--out", office / "fb")[0] == 0
        assert invoke("consolidate", "--db", db, "--out", office / "s.xlsx")[0] == 0
        code, err = invoke("recheck", "--db", db)
        assert code == 2 and "[O013]" in err and str(db) in err
    assert digest(db) == before
    assert len(list((office / "fb").glob("*.xlsx"))) == 2 and (office / "s.xlsx").is_file()


def test_any_other_sqlite_failure_is_a_ledger_that_cannot_be_opened_with_sqlites_words(tmp_path):
    """Not a folder, not "not a database", not damaged, not read-only: O015 with what SQLite said."""
    path = tmp_path / "gone" / "returns.sqlite"
    with pytest.raises(sqlite3.OperationalError) as failed:
        Ledger(path, read_only=True)
    problem = ledger_problem(path, failed.value)
    assert (problem.code, problem.where) == (Code.O_LEDGER_UNOPENABLE, str(path))
    assert problem.message == "无法打开账本：unable to open database file"


def test_a_ledger_of_an_earlier_xlsxkit_is_refused_read_only_and_migrated_by_the_commands(tmp_path):
    old = version_1_ledger(tmp_path / "old.sqlite")
    with pytest.raises(InputError) as refused:
        Ledger(old, read_only=True)
    assert refused.value.problems[0].code is Code.O_LEDGER_OUTDATED
    code, err = invoke("status", "--db", old)
    assert code == 1 and "[" not in err
    with Ledger(old, read_only=True) as ledger:
        assert len(ledger.receipts()) == 4


# --- feedback: one unit's failure is that unit's problem ---------------------------------------------


def _nan_cell(data: bytes) -> bytes:
    changed = data.replace(b'<c r="B1" s="1"/>', b'<c r="B1" s="1"><v>NaN</v></c>', 1)
    assert changed != data
    return changed


@pytest.mark.parametrize("kind", ["nan-number", "not-a-workbook"])
def test_feedback_goes_on_past_a_return_that_cannot_be_marked(office, kind):
    """A number cell "NaN" the reader takes and openpyxl refuses; a PDF named as the unit's return."""
    later = office / "later"
    later.mkdir()
    name = "603003-第二次报送.xlsx"
    if kind == "nan-number":
        rewrite(a_return(office), later / name, {"xl/worksheets/sheet2.xml": _nan_cell})
    else:
        (later / name).write_bytes(NOT_A_ZIP["pdf"])
    db = office / "returns.sqlite"
    assert invoke("collect", later, "--db", db)[0] == 1
    code, err = invoke("feedback", "--db", db, "--out", office / "fb")
    assert code == 1
    assert f"{name}: [O020]" in err and "603003" in err
    assert [p.name.split("-")[0] for p in (office / "fb").glob("*.xlsx")] == ["603002"]


# --- the feedback mark ---------------------------------------------------------------------------------


def test_a_feedback_workbook_is_known_when_unchanged_and_a_corrected_copy_is_a_return(office):
    assert invoke("feedback", "--db", office / "returns.sqlite", "--out", office / "fb")[0] == 0
    written = next((office / "fb").glob("603003-*.xlsx"))
    result = read_return(written)
    assert is_feedback_workbook(result.facts, [sheet.record for sheet in result.records])
    book = openpyxl.load_workbook(written)
    sheet = book["项目1"]
    name = result.records[0].record["project"]["name"]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == name)
    cell.value = name + "（改）"  # the unit corrects its workbook and sends it back
    corrected = office / "corrected.xlsx"
    book.save(corrected)
    again = read_return(corrected)
    assert not is_feedback_workbook(again.facts, [sheet.record for sheet in again.records])
    original = read_return(a_return(office))
    assert not is_feedback_workbook(original.facts, [sheet.record for sheet in original.records])


def test_collect_remembers_its_inbox_and_skips_an_unchanged_feedback_workbook_put_there(office):
    db = office / "new.sqlite"
    with Ledger(office / "returns.sqlite") as ledger:
        units = ledger.units()
    roster = office / "units.csv"
    roster.write_text("code,name\n" + "".join(f"{u['code']},{u['name']}\n" for u in units), encoding="utf-8")
    assert invoke("feedback", "--db", office / "returns.sqlite", "--out", office / "fb")[0] == 0
    shutil.copytree(office / "fb", office / "inbox" / "反馈")  # someone drops the feedback into the inbox
    assert invoke("collect", office / "inbox", "--db", db, "--roster", roster)[0] == 1  # the demo's 603003 has errors
    with Ledger(db) as ledger:
        assert ledger.inboxes() == [(office / "inbox").resolve()]
        fed_back = [(r.outcome.value, r.reason) for r in ledger.receipts() if r.path.startswith("反馈/")]
    assert fed_back and set(fed_back) == {("skipped", Code.O_FEEDBACK_COLLECTED.code)}
    assert invoke("consolidate", "--db", db, "--out", office / "inbox" / "汇总表.xlsx")[0] == 2
