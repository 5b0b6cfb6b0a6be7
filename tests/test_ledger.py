"""The ledger's schema: versioned with SQLite's user_version, migrated in place, refused when newer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from xlsxkit.cycle.ledger import Evaluation, Ledger, Outcome, Received
from xlsxkit.cycle.ledger_schema import SCHEMA_VERSION
from xlsxkit.form.errors import Code, InputError

# The schema xlsxkit 0.1 wrote (version "1" in its meta table, no user_version).
SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE units (code TEXT PRIMARY KEY, name TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE files (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, unit_code TEXT,
    unit_name TEXT, year INTEGER, template_id TEXT, template_version TEXT, version INTEGER, errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL, readable INTEGER NOT NULL, content BLOB NOT NULL);
CREATE TABLE receipts (id INTEGER PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL,
    file_id INTEGER REFERENCES files(id), outcome TEXT NOT NULL, reason TEXT NOT NULL, received_at TEXT NOT NULL,
    UNIQUE (path, sha256));
CREATE TABLE findings (file_id INTEGER NOT NULL REFERENCES files(id), seq INTEGER NOT NULL, sheet TEXT, cell TEXT,
    severity TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, fix TEXT NOT NULL, PRIMARY KEY (file_id, seq));
CREATE TABLE records (file_id INTEGER NOT NULL REFERENCES files(id), seq INTEGER NOT NULL, sheet TEXT NOT NULL,
    record TEXT NOT NULL, PRIMARY KEY (file_id, seq));
CREATE INDEX files_by_unit ON files (unit_code, year, template_id, version);
INSERT INTO meta VALUES ('schema', '1');
INSERT INTO units VALUES ('603001', '本级', 0), ('603002', '丰南', 1);
INSERT INTO files VALUES (1, 'a', 3, '603001', '本级', 2025, 'tangshan', '1', 1, 0, 0, 1, x'414243');
INSERT INTO files VALUES (2, 'b', 3, '603001', '本级', 2025, 'tangshan', '1', 2, 1, 0, 1, x'444546');
INSERT INTO files VALUES (3, 'c', 3, '999999', '名单外', 2025, 'tangshan', '1', NULL, 1, 0, 1, x'474849');
INSERT INTO receipts VALUES (1, '603001.xlsx', 'a', 1, 'accepted', '', '2026-03-01T09:00:00');
INSERT INTO receipts VALUES (2, '改/603001.xlsx', 'b', 2, 'rejected', 'C013', '2026-03-02T09:00:00');
INSERT INTO receipts VALUES (3, '副本/603001.xlsx', 'b', 2, 'skipped', 'L003', '2026-03-02T09:00:00');
INSERT INTO receipts VALUES (4, '999999.xlsx', 'c', 3, 'rejected', 'L001', '2026-03-02T09:00:00');
INSERT INTO findings VALUES (2, 0, '项目1', 'F12', 'error', 'C013', '没有填写指标值', '填写');
INSERT INTO records VALUES (1, 0, '项目1', '{"form": "project", "n": 1}');
INSERT INTO records VALUES (2, 0, '项目1', '{"form": "project", "n": 2}');
"""


def version_1_ledger(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_V1)
    return path


def test_a_ledger_of_the_first_release_is_migrated_with_everything_it_held(tmp_path):
    with Ledger(version_1_ledger(tmp_path / "old.sqlite")) as ledger:
        receipts = [(r.path, r.outcome, r.reason, r.unit_code, r.version) for r in ledger.receipts()]
        latest = ledger.latest_returns()["603001"]
        records = list(ledger.records_of([latest.evaluation_id]))
        findings = ledger.findings_of(latest.evaluation_id)
        content = ledger.content_of_receipt(latest.receipt_id)
        (version,) = ledger.db.execute("PRAGMA user_version").fetchone()
    assert receipts == [
        ("603001.xlsx", Outcome.accepted, "", "603001", 1),
        ("改/603001.xlsx", Outcome.rejected, "C013", "603001", 2),
        ("副本/603001.xlsx", Outcome.skipped, "L003", "603001", None),
        ("999999.xlsx", Outcome.rejected, "L001", "999999", None),
    ]
    assert (latest.path, latest.versions, latest.outcome, latest.errors) == ("改/603001.xlsx", 2, Outcome.rejected, 1)
    assert records == [json.loads('{"form": "project", "n": 2}')] and findings[0]["cell"] == "F12"
    assert content == b"DEF" and version == SCHEMA_VERSION


def test_a_ledger_made_by_this_release_opens_again_unchanged(tmp_path):
    with Ledger(tmp_path / "r.sqlite") as ledger:
        ledger.set_units([{"code": "603001", "name": "本级"}])
        ledger.set_collection(template_id="tangshan", year=2026)
    with Ledger(tmp_path / "r.sqlite") as ledger:
        assert ledger.units() == [{"code": "603001", "name": "本级"}]
        assert (ledger.collection().template_id, ledger.collection().year) == ("tangshan", 2026)


def test_a_ledger_newer_than_this_code_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(InputError) as caught:
        Ledger(path)
    (problem,) = caught.value.problems
    assert problem.code is Code.L_LEDGER_TOO_NEW and problem.where == str(path)
    assert f"账本版本 {SCHEMA_VERSION + 1}" in problem.message and "升级" in problem.fix


# --- receipts, versions and evaluations, directly -----------------------------------------------------

AT = dt.datetime(2026, 3, 1, 9, 0, 0)
UNITS = [{"code": "603001", "name": "本级"}, {"code": "603002", "name": "丰南"}]


def received(content: bytes, unit: str | None = "603001", *, errors: int = 0, warnings: int = 0, sheets: int = 1):
    """A file as collect hands it to the ledger: its bytes, its unit, findings and records."""
    findings = [
        {"sheet": "项目1", "cell": "F10", "severity": severity, "code": code, "message": "…", "fix": "…"}
        for severity, code, count in (("error", "C013", errors), ("warning", "C020", warnings))
        for _ in range(count)
    ]
    records = [(f"项目{n}", {"form": "project", "content": content.decode(), "n": n}) for n in range(1, sheets + 1)]
    return Received(
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
        unit_code=unit,
        unit_name=None,
        year=2026,
        template_id="tangshan",
        template_version="1",
        readable=True,
        stamped=True,
        findings=tuple(findings),
        records=tuple(records),
    )


def judged(outcome: Outcome, unit: str | None = "603001", *, counts: bool = True, reason: str = "") -> Evaluation:
    return Evaluation(outcome, reason, counts, unit)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "returns.sqlite") as opened:
        opened.set_units(UNITS)
        opened.set_collection(template_id="tangshan", year=2026)
        yield opened


def count(ledger: Ledger, table: str) -> int:
    return ledger.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_a_units_versions_are_its_counting_receipts_in_the_order_received_the_latest_counts(ledger):
    first = ledger.record("603001-v1.xlsx", received(b"one", errors=1), judged(Outcome.rejected, reason="C013"), AT)
    ledger.record("stray.xlsx", received(b"stray", None), judged(Outcome.rejected, None, counts=False), AT)
    second = ledger.record(
        "603001-v2.xlsx", received(b"two", warnings=2, sheets=3), judged(Outcome.accepted_with_warnings), AT
    )
    ledger.record("603002.xlsx", received(b"other", "603002"), judged(Outcome.accepted, "603002"), AT)
    assert [(r.path, r.unit_code, r.version) for r in ledger.receipts()] == [
        ("603001-v1.xlsx", "603001", 1),
        ("stray.xlsx", None, None),
        ("603001-v2.xlsx", "603001", 2),
        ("603002.xlsx", "603002", 1),
    ]
    latest = ledger.latest_returns()
    assert set(latest) == {"603001", "603002"}
    mine = latest["603001"]
    assert (mine.receipt_id, mine.path, mine.version, mine.versions) == (second, "603001-v2.xlsx", 2, 2)
    assert (mine.outcome, mine.errors, mine.warnings, mine.projects) == (Outcome.accepted_with_warnings, 0, 2, 3)
    assert [r["n"] for r in ledger.records_of([mine.evaluation_id])] == [1, 2, 3]
    assert ledger.latest_counting("603001") == ("603001-v2.xlsx", received(b"two").sha256, "")
    assert ledger.latest_counting("603001", before=second) == ("603001-v1.xlsx", received(b"one").sha256, "C013")
    assert ledger.latest_counting("603001", before=first) is None


def test_the_same_file_again_is_not_recorded_twice_and_the_same_bytes_are_stored_once(ledger):
    one = received(b"same bytes")
    assert ledger.record("a/603001.xlsx", one, judged(Outcome.accepted), AT) is not None
    assert ledger.record("a/603001.xlsx", one, judged(Outcome.accepted), AT) is None  # this path, these bytes
    copy_id = ledger.record("copy/603001.xlsx", one, judged(Outcome.skipped, counts=False, reason="L003"), AT)
    assert (count(ledger, "receipts"), count(ledger, "files")) == (2, 1)
    assert ledger.content_of_receipt(copy_id) == b"same bytes"
    assert ledger.receipt_id("copy/603001.xlsx", one.sha256) == copy_id
    assert ledger.receipt_id("copy/603001.xlsx", received(b"other").sha256) is None


def test_bytes_a_path_held_before_others_arrive_again_as_a_new_receipt(ledger):
    """v1, then v2 under the same name, then v1 again: the third is an arrival of its own."""
    one, two = received(b"one"), received(b"two")
    first = ledger.record("603001.xlsx", one, judged(Outcome.accepted), AT)
    ledger.record("603001.xlsx", two, judged(Outcome.accepted), AT)
    assert ledger.receipt_id("603001.xlsx", one.sha256) is None  # the path holds other bytes now
    again = ledger.record("603001.xlsx", one, judged(Outcome.accepted), AT, file_time=AT - dt.timedelta(days=1))
    assert again is not None and again != first
    assert ledger.receipt_id("603001.xlsx", one.sha256) == again
    assert ledger.record("603001.xlsx", one, judged(Outcome.accepted), AT) is None
    yesterday = AT - dt.timedelta(days=1)
    assert [(r.version, r.file_time) for r in ledger.receipts()] == [(1, None), (2, None), (3, yesterday)]
    assert ledger.latest_returns()["603001"].receipt_id == again


def test_a_ledger_of_version_4_is_migrated_its_receipts_kept(tmp_path):
    path = tmp_path / "v4.sqlite"
    with Ledger(path) as ledger:
        ledger.set_units(UNITS)
        ledger.record("603001.xlsx", received(b"one"), judged(Outcome.accepted), AT)
    with sqlite3.connect(path) as db:  # as version 4 kept its receipts: (path, sha256) unique, no file time
        db.executescript(
            """
            PRAGMA foreign_keys = OFF;
            CREATE TABLE receipts_v4 (id INTEGER PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL,
                file_id INTEGER NOT NULL REFERENCES files(id), received_at TEXT NOT NULL, evaluation_id INTEGER,
                UNIQUE (path, sha256));
            INSERT INTO receipts_v4 SELECT id, path, sha256, file_id, received_at, evaluation_id FROM receipts;
            DROP TABLE receipts; ALTER TABLE receipts_v4 RENAME TO receipts;
            PRAGMA user_version = 4;
            """
        )
    with Ledger(path) as ledger:
        (version,) = ledger.db.execute("PRAGMA user_version").fetchone()
        assert ledger.db.execute("PRAGMA foreign_key_check").fetchall() == []
        (foreign_keys,) = ledger.db.execute("PRAGMA foreign_keys").fetchone()
        ledger.record("603001.xlsx", received(b"two"), judged(Outcome.accepted), AT)
        assert ledger.record("603001.xlsx", received(b"one"), judged(Outcome.accepted), AT) is not None
        got = [(r.path, r.version, r.received_at, r.file_time) for r in ledger.receipts()]
    assert version == SCHEMA_VERSION and foreign_keys == 1
    assert got == [("603001.xlsx", n, AT, None) for n in (1, 2, 3)]


def test_a_receipt_is_recorded_whole_or_not_at_all(ledger):
    """One transaction per receipt: a failure half way (here a finding without its fix) leaves
    neither the file, nor the receipt, nor its evaluation."""
    ledger.record("603001-v1.xlsx", received(b"one"), judged(Outcome.accepted), AT)
    before = {table: count(ledger, table) for table in ("files", "receipts", "evaluations", "findings", "records")}
    broken = dataclasses.replace(received(b"two"), findings=({"sheet": "项目1", "cell": "F10"},))
    with pytest.raises(KeyError):
        ledger.record("603001-v2.xlsx", broken, judged(Outcome.accepted), AT)
    assert {table: count(ledger, table) for table in before} == before
    assert [r.path for r in ledger.receipts()] == ["603001-v1.xlsx"]
    assert ledger.record("603001-v2.xlsx", received(b"two"), judged(Outcome.accepted), AT) is not None


def test_a_new_evaluation_becomes_current_and_the_earlier_ones_are_kept(ledger):
    first = ledger.record("603001-v1.xlsx", received(b"one"), judged(Outcome.accepted), AT)
    second = ledger.record("603001-v2.xlsx", received(b"two"), judged(Outcome.accepted), AT)
    later = AT + dt.timedelta(days=1)
    ledger.reevaluate(second, received(b"two"), judged(Outcome.rejected, counts=False, reason="L006"), later)
    assert ledger.history(second) == [
        Evaluation(Outcome.accepted, "", True, "603001"),
        Evaluation(Outcome.rejected, "L006", False, "603001"),
    ]
    assert [(r.outcome, r.version) for r in ledger.receipts()] == [(Outcome.accepted, 1), (Outcome.rejected, None)]
    latest = ledger.latest_returns()["603001"]
    assert (latest.receipt_id, latest.versions) == (first, 1)  # the version that counts now
    assert ledger.evaluation_of(second) != latest.evaluation_id


def test_a_new_roster_that_drops_units_with_returns_is_refused_unless_asked(ledger):
    ledger.record("603002.xlsx", received(b"x", "603002"), judged(Outcome.accepted, "603002"), AT)
    with pytest.raises(InputError) as refused:
        ledger.replace_roster([{"code": "603001", "name": "本级"}])
    (problem,) = refused.value.problems
    assert problem.code is Code.L_ROSTER_DROPS_UNITS and "603002（丰南）" in problem.message
    assert ledger.units() == UNITS  # unchanged
    change = ledger.replace_roster(
        [{"code": "603001", "name": "本级（参公）"}, {"code": "603003", "name": "丰润"}], drop_units=True
    )
    assert (change.added, change.removed, change.renamed) == (["603003"], ["603002"], ["603001"])
    assert [u["code"] for u in ledger.units()] == ["603001", "603003"]


def test_a_read_only_ledger_reads_and_refuses_every_write(ledger, tmp_path):
    ledger.record("603001.xlsx", received(b"one"), judged(Outcome.accepted), AT)
    ledger.remember_inbox(tmp_path / "inbox")
    ledger.close()
    path = tmp_path / "returns.sqlite"
    before = path.read_bytes()
    with Ledger(path, read_only=True) as reader:
        assert [r.path for r in reader.receipts()] == ["603001.xlsx"]
        assert reader.units() == UNITS and reader.collection().year == 2026
        assert reader.inboxes() == [(tmp_path / "inbox").resolve()]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.set_units([])
    assert path.read_bytes() == before


def test_a_sqlite_file_that_is_no_ledger_is_refused_read_only(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(InputError) as refused:
        Ledger(path, read_only=True)
    (problem,) = refused.value.problems
    assert (problem.code, problem.where) == (Code.O_LEDGER_NOT_LEDGER, str(path))


def test_the_oldest_ledger_migrates_once_and_then_opens_read_only(tmp_path):
    old = version_1_ledger(tmp_path / "old.sqlite")
    with Ledger(old) as ledger:
        tables = {name for (name,) in ledger.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not any(name.endswith("_v1") for name in tables)
        assert ledger.db.execute("SELECT COUNT(*) FROM meta WHERE key = 'schema'").fetchone() == (0,)
        assert [e.outcome for e in ledger.history(3)] == [Outcome.skipped]
    with Ledger(old, read_only=True) as ledger:
        assert len(ledger.receipts()) == 4 and ledger.units()[1] == {"code": "603002", "name": "丰南"}
