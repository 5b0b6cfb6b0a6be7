"""Collecting an inbox into the ledger: one outcome per file, nothing lost, nothing doubled."""

from __future__ import annotations

import copy
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.helpers import FIXED_TIME, ROOT
from tests.returns import TEMPLATES, corpus_records
from xlsxkit.cycle.collect import collect
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.status import Standing, unattributed_files, unit_statuses
from xlsxkit.form.errors import Code
from xlsxkit.write.generate import UnitRecords, generate_prefilled

UNITS = [{"code": f"60300{n}", "name": f"测试单位{n}"} for n in range(1, 6)]
TANGSHAN = [r for r in corpus_records() if r["template"]["id"] == "tangshan"]
CLOCK = dt.datetime(2026, 3, 1, 9, 0, 0)


def send(unit: dict, folder: Path, records: list[dict] | None = None) -> Path:
    """The return `unit` sends: its projects filled in (two corpus records by default)."""
    chosen = copy.deepcopy(records if records is not None else TANGSHAN[:2])
    for record in chosen:
        record["unit"] = dict(unit)
    made = generate_prefilled(TEMPLATES["tangshan"], [UnitRecords(unit, chosen)], None, folder, generated_at=FIXED_TIME)
    return made.files[0].path


def wrong(records: list[dict]) -> list[dict]:
    changed = copy.deepcopy(records)
    changed[0]["indicators"][0]["value"] = None
    return changed


def ledger_at(path: Path, settled: bool = True) -> Ledger:
    """A ledger with the roster; `settled`: and the collection's template and year (else they
    are taken from the returns)."""
    ledger = Ledger(path)
    ledger.set_units(UNITS)
    if settled:
        ledger.set_collection(template_id="tangshan", year=TANGSHAN[0]["year"])
    return ledger


def outcomes(ledger: Ledger) -> dict[str, tuple[str, str]]:
    return {r.path: (r.outcome.value, r.reason) for r in ledger.receipts()}


@pytest.fixture
def inbox(tmp_path) -> Path:
    """Unit 1 correct; unit 2 correct inside a .zip made on Chinese Windows (GBK names);
    unit 3 with an error; unit 4 missing; a stranger; unit 5's workbook sent by unit 1; a lock
    file; the same bytes twice; a file that is no workbook."""
    folder = tmp_path / "inbox"
    send(UNITS[0], folder)
    zipped = send(UNITS[1], tmp_path / "zip")
    gbk = zipped.name.encode("gbk")  # stored without the UTF-8 flag, as Windows zip tools write
    with zipfile.ZipFile(folder / "603002-回执.zip", "w") as archive:
        archive.writestr("x" * len(gbk), zipped.read_bytes())
    archive_bytes = (folder / "603002-回执.zip").read_bytes()
    (folder / "603002-回执.zip").write_bytes(archive_bytes.replace(b"x" * len(gbk), gbk))
    send(UNITS[2], folder, wrong(TANGSHAN[:2]))
    send({"code": "999999", "name": "名单外单位"}, folder)
    other = send(UNITS[4], tmp_path / "other")
    (folder / "603001-补充").mkdir()
    other.rename(folder / "603001-补充" / "报表.xlsx")
    (folder / "~$603001-测试单位1.xlsx").write_bytes(b"\x00" * 165)
    (folder / "副本").mkdir()
    (folder / "副本" / "copy.xlsx").write_bytes(next(folder.glob("603001-*.xlsx")).read_bytes())
    (folder / "说明.txt").write_text("请查收", encoding="utf-8")
    return folder


def test_every_file_gets_exactly_one_outcome(inbox, tmp_path):
    with ledger_at(tmp_path / "returns.sqlite") as ledger:
        report = collect(inbox, ledger, now=lambda: CLOCK)
        got = outcomes(ledger)
    zipped_name = next(p for p in got if p.startswith("603002-回执.zip/"))
    assert zipped_name.endswith("603002-测试单位2.xlsx")  # the GBK name read as written
    assert got == {
        "603001-测试单位1.xlsx": ("accepted", ""),
        "603001-补充/报表.xlsx": ("rejected", "L002"),
        zipped_name: ("accepted", ""),
        "603003-测试单位3.xlsx": ("rejected", "C013"),
        "999999-名单外单位.xlsx": ("rejected", "L001"),
        "~$603001-测试单位1.xlsx": ("skipped", "F007"),
        "副本/copy.xlsx": ("skipped", "L003"),
        "说明.txt": ("skipped", "L031"),  # no workbook, nor named as one: recorded, no one's return
    }
    assert len(report.outcomes) == len(got) and report.unchanged == 0


def test_an_attachment_that_is_no_workbook_never_becomes_its_units_version(tmp_path):
    """A scan or a letter sent with the return, named for the unit, is recorded and shown but is
    no version: the unit's workbook still counts. A file named as a workbook that is broken
    (F010) or is something else (F003) is the unit's return, and the unit is told."""
    inbox = tmp_path / "inbox"
    send(UNITS[0], inbox)
    (inbox / "603001-测试单位1（盖章）.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
    send(UNITS[1], inbox / "603002")
    (inbox / "603002" / "说明.docx").write_bytes(b"PK\x03\x04 not really")
    good = send(UNITS[2], tmp_path / "three").read_bytes()
    (inbox / "603003-测试单位3.xlsx").write_bytes(good[: len(good) // 2])  # cut short on the way
    (inbox / "603004-测试单位4.xls").write_text("<html><table><tr><td>1</td></tr></table></html>", encoding="utf-8")
    with ledger_at(tmp_path / "returns.sqlite") as ledger:
        collect(inbox, ledger, now=lambda: CLOCK)
        got = outcomes(ledger)
        statuses = {s.code: s for s in unit_statuses(ledger)}
    assert got["603001-测试单位1（盖章）.pdf"] == ("skipped", Code.L_NOT_A_WORKBOOK.code)
    assert got["603002/说明.docx"] == ("skipped", Code.L_NOT_A_WORKBOOK.code)
    assert got["603003-测试单位3.xlsx"] == ("rejected", Code.F_BROKEN.code)
    assert got["603004-测试单位4.xls"] == ("rejected", Code.F_NOT_XLSX.code)
    assert [(statuses[c].standing, statuses[c].versions) for c in ("603001", "603002", "603003", "603004")] == [
        (Standing.accepted, 1),
        (Standing.accepted, 1),
        (Standing.errors, 1),
        (Standing.errors, 1),
    ]
    assert statuses["603001"].file == "603001-测试单位1.xlsx"


def test_files_an_operating_system_leaves_are_skipped_like_lock_files(tmp_path):
    """A Mac zip's __MACOSX/._<name> companion, .DS_Store, Thumbs.db, desktop.ini: skipped, no
    one's version and no 未识别文件."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    workbook = send(UNITS[0], tmp_path / "one")
    apple = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\0" * 200
    with zipfile.ZipFile(inbox / "603001-测试单位1.zip", "w") as archive:
        archive.write(workbook, workbook.name)
        archive.writestr(f"__MACOSX/._{workbook.name}", apple)
    (inbox / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (inbox / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (inbox / "__MACOSX").mkdir()
    (inbox / "__MACOSX" / "._603002-测试单位2.xlsx").write_bytes(apple)
    (inbox / "desktop.ini").write_text("[.ShellClassInfo]", encoding="utf-8")
    with ledger_at(tmp_path / "returns.sqlite") as ledger:
        collect(inbox, ledger, now=lambda: CLOCK)
        got = outcomes(ledger)
        statuses = {s.code: s for s in unit_statuses(ledger)}
        unattributed = unattributed_files(ledger)
    system = {path for path, outcome in got.items() if outcome == ("skipped", Code.L_SYSTEM_FILE.code)}
    assert system == {
        f"603001-测试单位1.zip/__MACOSX/._{workbook.name}",
        ".DS_Store",
        "Thumbs.db",
        "__MACOSX/._603002-测试单位2.xlsx",
        "desktop.ini",
    }
    assert statuses["603001"].standing is Standing.accepted and statuses["603001"].versions == 1
    assert statuses["603002"].standing is Standing.missing and unattributed == []


def test_collecting_again_changes_nothing(inbox, tmp_path):
    with ledger_at(tmp_path / "returns.sqlite") as ledger:
        collect(inbox, ledger, now=lambda: CLOCK)
        before = _dump(ledger)
        again = collect(inbox, ledger, now=lambda: CLOCK + dt.timedelta(days=1))
        assert again.outcomes == [] and again.unchanged == 8
        assert _dump(ledger) == before


def test_a_resubmission_is_a_new_version_and_the_latest_counts(inbox, tmp_path):
    with ledger_at(tmp_path / "returns.sqlite") as ledger:
        collect(inbox, ledger, now=lambda: CLOCK)
        send(UNITS[2], inbox / "修改后", TANGSHAN[:2])  # unit 3 corrects its return
        collect(inbox, ledger, now=lambda: CLOCK + dt.timedelta(days=2))
        by_code = {s.code: s for s in unit_statuses(ledger)}
        versions = [(r.unit_code, r.version) for r in ledger.receipts() if r.unit_code == "603003"]
    assert versions == [("603003", 1), ("603003", 2)]  # the earlier return is kept
    assert by_code["603003"].standing is Standing.accepted and by_code["603003"].versions == 2
    assert by_code["603003"].last_received == CLOCK + dt.timedelta(days=2)


def test_a_first_version_sent_again_under_the_same_name_counts(tmp_path):
    """The office saves each mail's attachment under its name: v1, then v2 over it, then v1 again."""
    inbox = tmp_path / "inbox"
    first = send(UNITS[2], tmp_path / "v1", wrong(TANGSHAN[:2])).read_bytes()
    second = send(UNITS[2], tmp_path / "v2").read_bytes()
    name = inbox / "603003-测试单位3.xlsx"
    inbox.mkdir()
    with ledger_at(tmp_path / "returns.sqlite") as ledger:
        for day, content in enumerate((first, second, first)):
            name.write_bytes(content)
            report = collect(inbox, ledger, now=lambda day=day: CLOCK + dt.timedelta(days=day))
            assert (len(report.outcomes), report.unchanged) == (1, 0)
        again = collect(inbox, ledger, now=lambda: CLOCK + dt.timedelta(days=3))
        status = {s.code: s for s in unit_statuses(ledger)}["603003"]
    assert (again.outcomes, again.unchanged) == ([], 1)  # collecting again changes nothing
    assert (status.standing, status.versions) == (Standing.errors, 3)  # the latest received is the first again


def test_within_one_collect_files_count_in_the_order_they_arrived(tmp_path):
    """A correction "…-修改版.xlsx" sorts before the original by name but came later: it counts.
    Files of the same time are taken by name."""
    inbox = tmp_path / "inbox"
    original = send(UNITS[0], inbox, wrong(TANGSHAN[:2]))
    correction = send(UNITS[0], tmp_path / "fixed").rename(inbox / "603001-修改版.xlsx")
    os.utime(original, (CLOCK.timestamp(),) * 2)
    os.utime(correction, ((CLOCK + dt.timedelta(days=4)).timestamp(),) * 2)
    with ledger_at(tmp_path / "returns.sqlite") as ledger:
        collect(inbox, ledger, now=lambda: CLOCK + dt.timedelta(days=5))
        versions = [(r.path, r.version, r.file_time) for r in ledger.receipts()]
        status = {s.code: s for s in unit_statuses(ledger)}["603001"]
    assert versions == [
        (original.name, 1, CLOCK),
        ("603001-修改版.xlsx", 2, CLOCK + dt.timedelta(days=4)),
    ]
    assert (status.standing, status.file) == (Standing.accepted, "603001-修改版.xlsx")


def test_lateness_is_judged_by_when_the_file_arrived_not_when_it_was_collected(tmp_path):
    inbox = tmp_path / "inbox"
    early, late = send(UNITS[0], inbox), send(UNITS[1], inbox)
    os.utime(early, (dt.datetime(2026, 3, 30, 17).timestamp(),) * 2)
    os.utime(late, (dt.datetime(2026, 4, 1, 9).timestamp(),) * 2)
    with ledger_at(tmp_path / "returns.sqlite") as ledger:
        ledger.set_deadline(dt.date(2026, 3, 31))
        collect(inbox, ledger, now=lambda: dt.datetime(2026, 4, 2, 9))  # collected after the deadline
        late_units = [s.code for s in unit_statuses(ledger) if s.late]
    assert late_units == ["603002"]


def test_status_shows_every_roster_unit(inbox, tmp_path):
    with ledger_at(tmp_path / "returns.sqlite") as ledger:
        collect(inbox, ledger, now=lambda: CLOCK)
        statuses = unit_statuses(ledger)
    assert [(s.code, s.standing, s.versions, s.projects) for s in statuses] == [
        ("603001", Standing.accepted, 1, 2),
        ("603002", Standing.accepted, 1, 2),
        ("603003", Standing.errors, 1, 2),
        ("603004", Standing.missing, 0, 0),
        ("603005", Standing.missing, 0, 0),  # its workbook came from unit 1: flagged, not counted
    ]
    assert statuses[2].errors == 1 and statuses[0].last_received == CLOCK


def test_parallel_workers_record_the_same_ledger(inbox, tmp_path):
    with ledger_at(tmp_path / "one.sqlite") as one, ledger_at(tmp_path / "two.sqlite") as two:
        collect(inbox, one, now=lambda: CLOCK)
        collect(inbox, two, workers=2, now=lambda: CLOCK)
        assert _dump(one) == _dump(two)


SLOW_COLLECT = """
import sys, time
sys.path.insert(0, {root!r})
import xlsxkit.cycle.collect as collecting
from xlsxkit.cycle.ledger import Ledger
real = collecting.receive
def slow(*args):
    time.sleep(0.3)
    return real(*args)
collecting.receive = slow
with Ledger({db!r}) as ledger:
    collecting.collect(__import__("pathlib").Path({inbox!r}), ledger)
"""


def test_a_collect_killed_half_way_and_run_again_equals_one_uninterrupted_run(inbox, tmp_path):
    with ledger_at(tmp_path / "whole.sqlite") as whole:
        collect(inbox, whole)
        expected = _dump(whole)
    killed = tmp_path / "killed.sqlite"
    ledger_at(killed).close()
    script = SLOW_COLLECT.format(root=str(ROOT), db=str(killed), inbox=str(inbox))
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while _receipts(killed) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert 3 <= _receipts(killed) < 8, "the kill should land half way"
    with Ledger(killed) as ledger:
        collect(inbox, ledger)
        assert _dump(ledger) == expected


def _receipts(db: Path) -> int:
    try:
        with sqlite3.connect(db) as connection:
            return connection.execute("SELECT COUNT(*) FROM receipts").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _dump(ledger: Ledger) -> dict:
    """The ledger's content, times left out."""
    db = ledger.db
    return {
        "receipts": db.execute("SELECT id, path, sha256, file_id, evaluation_id FROM receipts ORDER BY id").fetchall(),
        "files": db.execute("SELECT id, sha256, size FROM files ORDER BY id").fetchall(),
        "evaluations": db.execute(
            "SELECT id, receipt_id, unit_code, unit_name, year, template_id, template_version, outcome, reason, counts,"
            " readable, errors, warnings FROM evaluations ORDER BY id"
        ).fetchall(),
        "findings": db.execute("SELECT * FROM findings ORDER BY evaluation_id, seq").fetchall(),
        "records": db.execute("SELECT * FROM records ORDER BY evaluation_id, seq").fetchall(),
        "meta": db.execute("SELECT * FROM meta ORDER BY key").fetchall(),
    }


WORKERS_COLLECT = """
import sys, time
sys.path.insert(0, {root!r})
import xlsxkit.read.reader as reading
from xlsxkit.cycle.collect import collect
from xlsxkit.cycle.ledger import Ledger
real = reading.read_return
def slow(*args, **kwargs):
    time.sleep(0.5)
    return real(*args, **kwargs)
reading.read_return = slow
import xlsxkit.cycle.collect as collecting
collecting.read_return = slow
with Ledger({db!r}) as ledger:
    collect(__import__("pathlib").Path({inbox!r}), ledger, workers=2)
"""


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_reading_workers_end_with_a_collect_killed_by_kill_9(inbox, tmp_path):
    db = tmp_path / "r.sqlite"
    ledger_at(db).close()
    process = subprocess.Popen(
        [sys.executable, "-c", WORKERS_COLLECT.format(root=str(ROOT), db=str(db), inbox=str(inbox))]
    )
    deadline = time.monotonic() + 30
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the workers should have started"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


TWO_AT_ONCE = """
import sys
sys.path.insert(0, {root!r})
from xlsxkit.cycle.collect import collect
from xlsxkit.cycle.ledger import Ledger
with Ledger({db!r}) as ledger:
    ledger.set_units({units!r})
    collect(__import__("pathlib").Path({inbox!r}), ledger)
"""


def test_two_collects_starting_on_a_new_ledger_both_finish(inbox, tmp_path):
    for attempt in range(5):
        db = tmp_path / f"new-{attempt}.sqlite"
        script = TWO_AT_ONCE.format(root=str(ROOT), db=str(db), inbox=str(inbox), units=UNITS)
        processes = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE) for _ in range(2)]
        errors = [p.communicate(timeout=120)[1].decode() for p in processes]
        assert [p.returncode for p in processes] == [0, 0], errors
        with Ledger(db) as ledger:
            assert len(ledger.receipts()) == 8  # one receipt per file, whoever recorded it


def test_collect_writes_no_temporary_files(inbox, tmp_path, monkeypatch):
    made: list[str] = []

    def counted(make):
        def counting(*args, **kwargs):
            made.append(make.__name__)
            return make(*args, **kwargs)

        return counting

    for name in ("mkdtemp", "mkstemp"):
        monkeypatch.setattr(tempfile, name, counted(getattr(tempfile, name)))
    with ledger_at(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger)
        assert len(ledger.receipts()) == 8
    assert made == []  # returns are read from their bytes: a killed worker leaves nothing behind
