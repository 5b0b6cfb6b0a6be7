"""The ledger's schema: versioned with SQLite's user_version, migrated in place, refused when newer."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from xlsxkit.cycle.ledger import Ledger, Outcome
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
