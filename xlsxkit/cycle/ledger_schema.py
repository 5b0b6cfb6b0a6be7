"""The ledger's schema and its migrations: the tables of the current version, the steps from
each earlier version, and how a file tells its version (SQLite's `user_version`; ledgers of
xlsxkit 0.1 had none). The Ledger applies them; nothing here opens a file."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 5

# The tables of version 2 (the step from version 1 makes them).
SCHEMA_V2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE units (code TEXT PRIMARY KEY, name TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE files (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, content BLOB);
CREATE TABLE receipts (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file_id INTEGER NOT NULL REFERENCES files(id),
    received_at TEXT NOT NULL,
    evaluation_id INTEGER,
    UNIQUE (path, sha256)
);
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    receipt_id INTEGER NOT NULL REFERENCES receipts(id),
    evaluated_at TEXT NOT NULL,
    unit_code TEXT,
    unit_name TEXT,
    year INTEGER,
    template_id TEXT,
    template_version TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'accepted_with_warnings', 'rejected', 'skipped')),
    reason TEXT NOT NULL,
    counts INTEGER NOT NULL,
    readable INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL
);
CREATE TABLE findings (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
    seq INTEGER NOT NULL,
    sheet TEXT, cell TEXT, severity TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, fix TEXT NOT NULL,
    PRIMARY KEY (evaluation_id, seq)
);
CREATE TABLE records (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
    seq INTEGER NOT NULL,
    sheet TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (evaluation_id, seq)
);
CREATE INDEX evaluations_by_unit ON evaluations (unit_code, counts);
"""

# Version 3: the office's decisions, an append-only trail (a decision is about one received version);
# each unit's contact columns from the roster (JSON), for reminders.
DECISIONS = """
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL,
    receipt_id INTEGER REFERENCES receipts(id),
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'returned', 'reopened')),
    reason TEXT,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX decisions_by_unit ON decisions (unit_code, id);
ALTER TABLE units ADD COLUMN contact TEXT;
"""

# Version 4: a roster unit may name its parent (上级单位代码): the collection is a tree.
LEVELS = """
ALTER TABLE units ADD COLUMN parent TEXT;
"""

# Version 5: a receipt is a file's arrival, not its (path, bytes): a unit's first version sent
# again under the same name after a second is a new receipt (the latest receipt at a path says
# what is there now); each receipt keeps the file's own time (its modification time in the
# inbox), by which files of one collect are ordered and lateness is judged. SQLite cannot drop
# a UNIQUE constraint: the table is made anew (with foreign keys off, as SQLite's own procedure
# for changing a table says; ledger_file runs migrations so).
ARRIVALS = """
CREATE TABLE receipts_v5 (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file_id INTEGER NOT NULL REFERENCES files(id),
    received_at TEXT NOT NULL,
    evaluation_id INTEGER,
    file_time TEXT
);
INSERT INTO receipts_v5 (id, path, sha256, file_id, received_at, evaluation_id)
    SELECT id, path, sha256, file_id, received_at, evaluation_id FROM receipts;
DROP TABLE receipts;
ALTER TABLE receipts_v5 RENAME TO receipts;
CREATE INDEX receipts_by_path ON receipts (path, id);
"""

SCHEMA = SCHEMA_V2 + DECISIONS + LEVELS + ARRIVALS

# Version 1 (xlsxkit 0.1): files held the judgement, receipts the outcome; each file was judged once.
MIGRATE_1_TO_2 = (
    """
ALTER TABLE files RENAME TO files_v1;
ALTER TABLE receipts RENAME TO receipts_v1;
ALTER TABLE findings RENAME TO findings_v1;
ALTER TABLE records RENAME TO records_v1;
DROP INDEX IF EXISTS files_by_unit;
"""  # noqa: S608 (constant SQL: nothing of a user's is built into it)
    + SCHEMA_V2.replace("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);", "").replace(
        "CREATE TABLE units (code TEXT PRIMARY KEY, name TEXT NOT NULL, position INTEGER NOT NULL);", ""
    )
    + """
INSERT INTO files (id, sha256, size, content) SELECT id, sha256, size, content FROM files_v1;
INSERT INTO receipts (id, path, sha256, file_id, received_at, evaluation_id)
    SELECT id, path, sha256, file_id, received_at, id FROM receipts_v1;
INSERT INTO evaluations (id, receipt_id, evaluated_at, unit_code, unit_name, year, template_id, template_version,
                         outcome, reason, counts, readable, errors, warnings)
    SELECT r.id, r.id, r.received_at, f.unit_code, f.unit_name, f.year, f.template_id, f.template_version, r.outcome,
           r.reason, (f.version IS NOT NULL AND r.id = (SELECT MIN(id) FROM receipts_v1 WHERE file_id = f.id)),
           f.readable, f.errors, f.warnings
    FROM receipts_v1 r JOIN files_v1 f ON f.id = r.file_id;
INSERT INTO findings SELECT r.id, x.seq, x.sheet, x.cell, x.severity, x.code, x.message, x.fix
    FROM findings_v1 x JOIN receipts_v1 r ON r.file_id = x.file_id;
INSERT INTO records SELECT r.id, x.seq, x.sheet, x.record FROM records_v1 x JOIN receipts_v1 r ON r.file_id = x.file_id;
DROP TABLE records_v1; DROP TABLE findings_v1; DROP TABLE receipts_v1; DROP TABLE files_v1;
DELETE FROM meta WHERE key = 'schema';
"""
)
MIGRATIONS = {1: MIGRATE_1_TO_2, 2: DECISIONS, 3: LEVELS, 4: ARRIVALS}  # from version n to n + 1


def schema_version(db: sqlite3.Connection) -> int:
    """The schema version of an open SQLite file: 0 for one without our tables."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version == 0 and db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'files'").fetchone():
        return 1  # made before the schema had a user_version
    return int(version)


def statements(script: str) -> list[str]:
    """A script's statements, to run one by one inside the caller's transaction."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]
