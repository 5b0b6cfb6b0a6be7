"""The ledger: a SQLite file recording every return received and what became of it. One
ledger holds one collection (a form, a budget year): a unit's returns are its versions.

- `units`: the roster the collection is for.
- `files`: one row per distinct content (SHA-256, unique) — the original bytes, who it is from
  (unit, year, template from the stamp), its version among that unit's returns, its findings
  and the records read from it.
- `receipts`: one row per file seen in an inbox (its path there and its SHA-256, unique
  together) with its outcome: accepted, accepted_with_warnings, rejected or skipped.

Each file is recorded in one transaction, so a collect killed half way leaves whole files
behind, and running it again records exactly the files still missing: the same ledger as one
uninterrupted run. Collecting the same inbox twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (code TEXT PRIMARY KEY, name TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    unit_code TEXT,
    unit_name TEXT,
    year INTEGER,
    template_id TEXT,
    template_version TEXT,
    version INTEGER,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    readable INTEGER NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file_id INTEGER REFERENCES files(id),
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'accepted_with_warnings', 'rejected', 'skipped')),
    reason TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (path, sha256)
);
CREATE TABLE IF NOT EXISTS findings (
    file_id INTEGER NOT NULL REFERENCES files(id),
    seq INTEGER NOT NULL,
    sheet TEXT, cell TEXT, severity TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, fix TEXT NOT NULL,
    PRIMARY KEY (file_id, seq)
);
CREATE TABLE IF NOT EXISTS records (
    file_id INTEGER NOT NULL REFERENCES files(id),
    seq INTEGER NOT NULL,
    sheet TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (file_id, seq)
);
CREATE INDEX IF NOT EXISTS files_by_unit ON files (unit_code, year, template_id, version);
"""


class Outcome(str, Enum):
    accepted = "accepted"
    accepted_with_warnings = "accepted_with_warnings"
    rejected = "rejected"
    skipped = "skipped"


@dataclass(frozen=True)
class Received:
    """What a file turned out to be, ready to be recorded (built from a read, in any process)."""

    sha256: str
    size: int
    content: bytes
    unit_code: str | None
    unit_name: str | None
    year: int | None
    template_id: str | None
    template_version: str | None
    readable: bool
    findings: tuple[dict[str, Any], ...]  # Finding.as_dict()
    records: tuple[tuple[str, dict[str, Any]], ...]  # (sheet, record)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f["severity"] == severity)


@dataclass(frozen=True)
class LatestReturn:
    """A unit's latest return, as status, feedback and consolidation see it."""

    file_id: int
    unit_code: str
    path: str
    version: int
    versions: int
    received_at: dt.datetime
    outcome: Outcome
    errors: int
    warnings: int
    projects: int


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)  # transactions are explicit
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the roster ------------------------------------------------------------------------

    def set_units(self, units: list[dict[str, Any]]) -> None:
        """The roster of the collection (replaced by a newer one; returns stay)."""
        with self._transaction():
            self.db.execute("DELETE FROM units")
            self.db.executemany(
                "INSERT INTO units VALUES (?, ?, ?)", [(str(u["code"]), str(u["name"]), i) for i, u in enumerate(units)]
            )

    def units(self) -> list[dict[str, str]]:
        rows = self.db.execute("SELECT code, name FROM units ORDER BY position").fetchall()
        return [{"code": code, "name": name} for code, name in rows]

    # --- receiving --------------------------------------------------------------------------

    def seen(self, path: str, sha256: str) -> bool:
        """Was this file (this path with these bytes) recorded already?"""
        return self.db.execute("SELECT 1 FROM receipts WHERE path = ? AND sha256 = ?", (path, sha256)).fetchone() is not None

    def first_receipt_of(self, sha256: str) -> str | None:
        row = self.db.execute("SELECT path FROM receipts WHERE sha256 = ? ORDER BY id LIMIT 1", (sha256,)).fetchone()
        return row[0] if row else None

    def record(
        self, path: str, received: Received, outcome: Outcome, reason: str, at: dt.datetime, counts: bool,
    ) -> None:
        """Record one file and its outcome, all in one transaction. A file that `counts` is a new
        version of its unit's return; one flagged (another unit's, a unit not on the roster) or
        skipped is kept but counts for no one. Bytes already in the ledger under another path only
        add a receipt (the content and its version are not doubled)."""
        with self._transaction():
            row = self.db.execute("SELECT id FROM files WHERE sha256 = ?", (received.sha256,)).fetchone()
            file_id = row[0] if row else self._insert_file(received, counts)
            self.db.execute(
                "INSERT OR IGNORE INTO receipts (path, sha256, file_id, outcome, reason, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                (path, received.sha256, file_id, outcome.value, reason, at.isoformat(timespec="seconds")),
            )

    def _insert_file(self, received: Received, counts: bool) -> int:
        version = None
        if counts and received.unit_code is not None:
            (last,) = self.db.execute(  # a ledger is one collection (one form, one year): versions count per unit
                "SELECT COALESCE(MAX(version), 0) FROM files WHERE unit_code = ?", (received.unit_code,),
            ).fetchone()
            version = last + 1
        cursor = self.db.execute(
            "INSERT INTO files (sha256, size, unit_code, unit_name, year, template_id, template_version, version,"
            " errors, warnings, readable, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (received.sha256, received.size, received.unit_code, received.unit_name, received.year, received.template_id,
             received.template_version, version, received.count("error"), received.count("warning"),
             int(received.readable), received.content),
        )
        file_id = int(cursor.lastrowid or 0)
        self.db.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(file_id, i, f["sheet"], f["cell"], f["severity"], f["code"], f["message"], f["fix"])
             for i, f in enumerate(received.findings)],
        )
        self.db.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?)",
            [(file_id, i, sheet, json.dumps(record, ensure_ascii=False)) for i, (sheet, record) in enumerate(received.records)],
        )
        return file_id

    # --- reading the ledger back -------------------------------------------------------------------

    def receipts(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT r.path, r.sha256, r.outcome, r.reason, r.received_at, f.unit_code, f.version"
            " FROM receipts r LEFT JOIN files f ON f.id = r.file_id ORDER BY r.id"
        ).fetchall()
        keys = ("path", "sha256", "outcome", "reason", "received_at", "unit_code", "version")
        return [dict(zip(keys, row)) for row in rows]

    def latest_returns(self) -> dict[str, LatestReturn]:
        """Each unit's latest version (the one that counts), by unit code."""
        rows = self.db.execute(
            """
            SELECT f.id, f.unit_code, r.path, f.version, counts.versions, r.received_at, r.outcome, f.errors, f.warnings,
                   (SELECT COUNT(*) FROM records WHERE file_id = f.id)
            FROM files f
            JOIN (SELECT unit_code, MAX(version) AS latest, COUNT(*) AS versions FROM files
                  WHERE version IS NOT NULL GROUP BY unit_code) counts
              ON counts.unit_code = f.unit_code AND counts.latest = f.version
            JOIN receipts r ON r.id = (SELECT MIN(id) FROM receipts WHERE file_id = f.id)
            """
        ).fetchall()
        return {
            row[1]: LatestReturn(row[0], row[1], row[2], row[3], row[4], dt.datetime.fromisoformat(row[5]),
                                 Outcome(row[6]), row[7], row[8], row[9])
            for row in rows
        }

    def findings_of(self, file_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT sheet, cell, severity, code, message, fix FROM findings WHERE file_id = ? ORDER BY seq", (file_id,)
        ).fetchall()
        return [dict(zip(("sheet", "cell", "severity", "code", "message", "fix"), row)) for row in rows]

    def content_of(self, file_id: int) -> bytes:
        (content,) = self.db.execute("SELECT content FROM files WHERE id = ?", (file_id,)).fetchone()
        return bytes(content)

    def records_of(self, file_ids: list[int]) -> Iterator[dict[str, Any]]:
        """The records of these files, in the order given, streamed from the database."""
        with closing(self.db.cursor()) as cursor:
            for file_id in file_ids:
                cursor.execute("SELECT record FROM records WHERE file_id = ? ORDER BY seq", (file_id,))
                for (text,) in cursor:
                    yield json.loads(text)

    # --- helpers ----------------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *exc: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
