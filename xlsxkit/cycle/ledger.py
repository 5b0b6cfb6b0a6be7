"""The ledger: a SQLite file recording every return received and what became of it. One
ledger holds one collection — a template and a budget year, kept in `meta` — and its roster.

- `units`: the roster the collection is for.
- `files`: one row per distinct content (SHA-256, unique): the original bytes, stored once (not
  for a file refused unread, e.g. one over the size limit: its hash and size only).
- `receipts`: one row per file seen in an inbox (its path there and its SHA-256, unique
  together), in the order received.
- `evaluations`: what a receipt was judged to be — from which unit, year and template, its
  outcome (accepted, accepted_with_warnings, rejected, skipped), whether it counts as a version
  of its unit's return, its findings and records. A receipt is judged when it arrives and again
  by `recheck` (or by `collect`, when its outcome depended on the roster or its file name); the
  earlier judgements are kept, the receipt points at its current one.

A unit's versions are its receipts whose current evaluation counts, in the order received; the
latest received counts, whatever bytes it has. Each receipt is recorded in one transaction, so a
collect killed half way leaves whole receipts behind, and running it again records exactly the
ones still missing: the same ledger as one uninterrupted run.

The schema's version is SQLite's `user_version`; a ledger of an earlier version is migrated in
place when opened, one newer than this code is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from xlsxkit.cycle.ledger_schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION, schema_version, statements
from xlsxkit.form.errors import Code, InputError, Problem

if TYPE_CHECKING:
    from typing_extensions import Self

BUSY_TIMEOUT_SECONDS = 60  # another collect writing the same ledger: wait, do not fail
INBOXES_KEY = "collection.inboxes"  # meta: the folders collected from, a JSON list


class Outcome(str, Enum):
    """What became of a file received: its outcome in the ledger and in collect's report."""

    accepted = "accepted"
    accepted_with_warnings = "accepted_with_warnings"
    rejected = "rejected"
    skipped = "skipped"


ACCEPTED = (Outcome.accepted, Outcome.accepted_with_warnings)


@dataclass(frozen=True)
class Received:
    """What a file turned out to be, ready to be judged and recorded (built from a read, in any process)."""

    sha256: str
    size: int
    content: bytes | None  # None: refused unread, not stored
    unit_code: str | None
    unit_name: str | None
    year: int | None
    template_id: str | None
    template_version: str | None
    readable: bool
    stamped: bool  # the workbook carries our stamp (unit, year and template come from it)
    findings: tuple[dict[str, Any], ...]  # Finding.as_dict()
    records: tuple[tuple[str, dict[str, Any]], ...]  # (sheet, record)
    relayed_by: str | None = None  # a lower office's summary (转报), or a unit's part of one: that office

    def count(self, severity: str) -> int:
        """How many of its findings have this severity."""
        return sum(1 for f in self.findings if f["severity"] == severity)


@dataclass(frozen=True)
class Evaluation:
    """One judgement of a receipt, as recorded."""

    outcome: Outcome
    reason: str  # the code that decided it ("" when accepted)
    counts: bool  # a version of its unit's return
    unit_code: str | None


@dataclass(frozen=True)
class Receipt:
    """A file received, with its current evaluation."""

    id: int
    path: str
    sha256: str
    file_id: int
    received_at: dt.datetime
    outcome: Outcome
    reason: str
    unit_code: str | None
    version: int | None  # its place among its unit's versions; None when it does not count


@dataclass(frozen=True)
class LatestReturn:
    """A unit's latest return, as status, feedback and consolidation see it."""

    evaluation_id: int
    receipt_id: int
    unit_code: str
    path: str
    version: int
    versions: int
    received_at: dt.datetime
    outcome: Outcome
    errors: int
    warnings: int
    projects: int


@dataclass(frozen=True)
class Decision:
    """One decision of the office about a unit: its version `receipt_id` approved or returned (with
    a reason), or the unit reopened; who decided, and when."""

    unit_code: str
    receipt_id: int | None
    decision: str  # approved, returned, reopened
    reason: str | None
    decided_by: str
    decided_at: dt.datetime


@dataclass(frozen=True)
class Collection:
    """What the ledger collects: a template (its id, and its YAML where it is not built in) and a year."""

    template_id: str | None
    template_yaml: str | None
    year: int | None


@dataclass(frozen=True)
class RosterChange:
    """What a new roster changed: unit codes added, removed, and renamed (same code, new name)."""

    added: list[str]
    removed: list[str]
    renamed: list[str]

    def __str__(self) -> str:
        return f"名单：新增 {len(self.added)} 个单位，移除 {len(self.removed)} 个，改名 {len(self.renamed)} 个"


class Ledger:
    """The SQLite ledger of one collection (see the module's docstring)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self._roster: tuple[int, Mapping[str, str]] | None = None  # (data_version, roster) read last
        if read_only:
            # For the commands that only read (status, feedback, consolidate): no setup, no
            # migration, nothing written, so a ledger on a read-only share or without write
            # permission reads too, and a collect writing it meanwhile is not waited for. A file
            # that is not a ledger, or of another schema version than this code's, is refused.
            self.db = self._connect_read_only()
            try:
                self._require_current_schema()
            except BaseException:
                self.db.close()
                raise
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS
        )  # explicit transactions
        try:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            self._use_write_ahead_log()
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._set_up()
        except BaseException:
            self.db.close()
            raise

    def _use_write_ahead_log(self) -> None:
        """WAL mode. Switching takes a lock SQLite does not wait for through busy_timeout: when
        another collect is setting up the same new ledger, it is tried again until the timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _set_up(self) -> None:
        with self._transaction():
            version = self._refuse_newer(schema_version(self.db))
            scripts = [SCHEMA] if version == 0 else [MIGRATIONS[step] for step in range(version, SCHEMA_VERSION)]
            for statement in (s for script in scripts for s in statements(script)):
                self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _refuse_newer(self, version: int) -> int:
        """`version`, unless it is newer than this code reads (L008)."""
        if version > SCHEMA_VERSION:
            raise InputError(
                [Problem(Code.L_LEDGER_TOO_NEW, str(self.path), {"version": version, "supported": SCHEMA_VERSION})]
            )
        return version

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the collection and its roster ----------------------------------------------------------

    def collection(self) -> Collection:
        """The template and year this ledger collects for (None where not yet settled)."""
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        year = meta.get("collection.year")
        return Collection(
            meta.get("collection.template"), meta.get("collection.template_yaml"), int(year) if year else None
        )

    def set_collection(
        self, *, template_id: str | None = None, template_yaml: str | None = None, year: int | None = None
    ) -> None:
        """Record what the collection is for: its template (with the YAML of one not built in),
        its year; only the parts given."""
        with self._transaction():
            if template_id is not None:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('collection.template', ?)", (template_id,))
                self.db.execute("DELETE FROM meta WHERE key = 'collection.template_yaml'")
                if template_yaml is not None:
                    self.db.execute("INSERT INTO meta VALUES ('collection.template_yaml', ?)", (template_yaml,))
            if year is not None:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('collection.year', ?)", (str(year),))

    def set_units(self, units: list[dict[str, Any]]) -> None:
        """The roster of the collection (replaced by a newer one; returns stay)."""
        self._roster = None
        with self._transaction():
            self.db.execute("DELETE FROM units")
            self.db.executemany(
                "INSERT INTO units (code, name, position, contact, parent) VALUES (?, ?, ?, ?, ?)",
                [
                    (str(u["code"]), str(u["name"]), i, _contact(u), u.get("parent") or None)
                    for i, u in enumerate(units)
                ],
            )

    def parents(self) -> dict[str, str | None]:
        """Each roster unit's parent (上级单位), by unit code; None at the top."""
        return dict(self.db.execute("SELECT code, parent FROM units ORDER BY position").fetchall())

    def contacts(self) -> dict[str, dict[str, str]]:
        """Each unit's other roster columns (联系人, 电话 …), by unit code."""
        rows = self.db.execute("SELECT code, contact FROM units ORDER BY position").fetchall()
        return {code: json.loads(contact) if contact else {} for code, contact in rows}

    def set_deadline(self, deadline: dt.date) -> None:
        """The date returns are due (kept; a later call changes it)."""
        with self._transaction():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('collection.deadline', ?)", (deadline.isoformat(),))

    def deadline(self) -> dt.date | None:
        """The date returns are due, where one was given."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'collection.deadline'").fetchone()
        return dt.date.fromisoformat(row[0]) if row else None

    def replace_roster(self, units: list[dict[str, Any]], *, drop_units: bool = False) -> RosterChange:
        """Take a new roster. A roster that leaves out units whose returns the ledger holds is
        refused (their returns would silently leave status and the summary), unless `drop_units`."""
        current = {u["code"]: u["name"] for u in self.units()}
        new = {str(u["code"]): str(u["name"]) for u in units}
        removed = [code for code in current if code not in new]
        with_returns = [code for code in removed if self._has_receipts(code)]
        if with_returns and not drop_units:
            shown = "、".join(f"{code}（{current[code]}）" for code in with_returns)
            raise InputError([Problem(Code.L_ROSTER_DROPS_UNITS, str(self.path), {"units": shown})])
        self.set_units(units)
        return RosterChange(
            added=[code for code in new if code not in current],
            removed=removed,
            renamed=[code for code in new if code in current and current[code] != new[code]],
        )

    def _has_receipts(self, unit_code: str) -> bool:
        row = self.db.execute("SELECT 1 FROM evaluations WHERE unit_code = ? LIMIT 1", (unit_code,)).fetchone()
        return row is not None

    def roster(self) -> Mapping[str, str]:
        """Unit code → name, in the roster's order (read-only): read from the database again only
        where the roster may have changed (set here, or anything committed by another connection,
        as SQLite's data_version tells), so a collect judging 10,000 files reads it once."""
        version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        if self._roster is None or self._roster[0] != version:
            rows = self.db.execute("SELECT code, name FROM units ORDER BY position").fetchall()
            self._roster = (version, MappingProxyType(dict(rows)))
        return self._roster[1]

    def units(self) -> list[dict[str, str]]:
        """The roster, in its order: code and name of each unit."""
        rows = self.db.execute("SELECT code, name FROM units ORDER BY position").fetchall()
        return [{"code": code, "name": name} for code, name in rows]

    # --- receiving --------------------------------------------------------------------------

    def receipt_id(self, path: str, sha256: str) -> int | None:
        """The receipt of this file (this path with these bytes), if it was recorded already."""
        row = self.db.execute("SELECT id FROM receipts WHERE path = ? AND sha256 = ?", (path, sha256)).fetchone()
        return None if row is None else int(row[0])

    def latest_counting(self, unit_code: str, *, before: int | None = None) -> tuple[str, str] | None:
        """(path, sha256) of the unit's latest counting receipt (before receipt id `before`, if given)."""
        row = self.db.execute(
            # from the unit's evaluations (evaluations_by_unit) to their receipts, each the current one:
            # walking receipts newest first read every receipt for a unit with none (a new unit)
            "SELECT r.path, r.sha256 FROM evaluations e"
            " JOIN receipts r ON r.id = e.receipt_id AND r.evaluation_id = e.id"
            " WHERE e.unit_code = ? AND e.counts AND r.id < ? ORDER BY r.id DESC LIMIT 1",
            (unit_code, before if before is not None else 2**62),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def record(self, path: str, received: Received, evaluation: Evaluation, at: dt.datetime) -> int | None:
        """Record a newly received file and its first evaluation, in one transaction; its receipt
        id, or None when this path with these bytes was recorded already (a zip holding the same
        member twice). Bytes already in the ledger are not stored twice."""
        with self._transaction():
            if self.receipt_id(path, received.sha256) is not None:
                return None
            row = self.db.execute("SELECT id FROM files WHERE sha256 = ?", (received.sha256,)).fetchone()
            file_id = int(row[0]) if row else self._insert_file(received)
            cursor = self.db.execute(
                "INSERT INTO receipts (path, sha256, file_id, received_at) VALUES (?, ?, ?, ?)",
                (path, received.sha256, file_id, _time(at)),
            )
            receipt_id = int(cursor.lastrowid or 0)
            self._evaluate(receipt_id, received, evaluation, at)
        return receipt_id

    def reevaluate(self, receipt_id: int, received: Received, evaluation: Evaluation, at: dt.datetime) -> None:
        """A new evaluation of a receipt, which becomes its current one (the earlier are kept)."""
        with self._transaction():
            self._evaluate(receipt_id, received, evaluation, at)

    def _insert_file(self, received: Received) -> int:
        cursor = self.db.execute(
            "INSERT INTO files (sha256, size, content) VALUES (?, ?, ?)",
            (received.sha256, received.size, received.content),
        )
        return int(cursor.lastrowid or 0)

    def _evaluate(self, receipt_id: int, received: Received, evaluation: Evaluation, at: dt.datetime) -> None:
        cursor = self.db.execute(
            "INSERT INTO evaluations (receipt_id, evaluated_at, unit_code, unit_name, year, template_id,"
            " template_version,"
            " outcome, reason, counts, readable, errors, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                receipt_id,
                _time(at),
                evaluation.unit_code,
                received.unit_name,
                received.year,
                received.template_id,
                received.template_version,
                evaluation.outcome.value,
                evaluation.reason,
                int(evaluation.counts),
                int(received.readable),
                received.count("error"),
                received.count("warning"),
            ),
        )
        evaluation_id = int(cursor.lastrowid or 0)
        self.db.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (evaluation_id, i, f["sheet"], f["cell"], f["severity"], f["code"], f["message"], f["fix"])
                for i, f in enumerate(received.findings)
            ],
        )
        self.db.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?)",
            [
                (evaluation_id, i, sheet, json.dumps(record, ensure_ascii=False))
                for i, (sheet, record) in enumerate(received.records)
            ],
        )
        self.db.execute("UPDATE receipts SET evaluation_id = ? WHERE id = ?", (evaluation_id, receipt_id))

    # --- reading the ledger back -------------------------------------------------------------------

    def receipts(self) -> list[Receipt]:
        """Every receipt in the order received, with its current evaluation and version."""
        rows = self.db.execute(
            "SELECT r.id, r.path, r.sha256, r.file_id, r.received_at, e.outcome, e.reason, e.unit_code, e.counts"
            " FROM receipts r JOIN evaluations e ON e.id = r.evaluation_id ORDER BY r.id"
        ).fetchall()
        versions: dict[str, int] = {}
        receipts = []
        for rid, path, sha, file_id, at, outcome, reason, unit, counts in rows:
            version = None
            if counts and unit is not None:
                version = versions[unit] = versions.get(unit, 0) + 1
            receipts.append(
                Receipt(rid, path, sha, file_id, dt.datetime.fromisoformat(at), Outcome(outcome), reason, unit, version)
            )
        return receipts

    def history(self, receipt_id: int) -> list[Evaluation]:
        """Every evaluation of a receipt, the first first."""
        rows = self.db.execute(
            "SELECT outcome, reason, counts, unit_code FROM evaluations WHERE receipt_id = ? ORDER BY id",
            (receipt_id,),
        ).fetchall()
        return [Evaluation(Outcome(o), reason, bool(counts), unit) for o, reason, counts, unit in rows]

    def latest_returns(self) -> dict[str, LatestReturn]:
        """Each unit's latest received version (the one that counts, decisions aside), by unit code."""
        return {latest.unit_code: latest for latest in self._returns("r.id = v.latest", "")}

    def return_of(self, receipt_id: int) -> LatestReturn | None:
        """One counting version of a unit (an approved one held against later ones), as latest_returns gives it."""
        unit = (  # that receipt's unit alone
            "AND e.unit_code = (SELECT y.unit_code FROM receipts x JOIN evaluations y ON y.id = x.evaluation_id"
            " WHERE x.id = :receipt)"
        )
        found = self._returns("r.id = :receipt", unit, {"receipt": receipt_id})
        return found[0] if found else None

    def _returns(self, which: str, units: str, parameters: dict[str, Any] | None = None) -> list[LatestReturn]:
        """The counting versions `which` names, of the units `units` names (all: "")."""
        rows = self.db.execute(
            f"""
            SELECT e.id, r.id, e.unit_code, r.path, v.versions, r.received_at, e.outcome, e.errors, e.warnings,
                   (SELECT COUNT(*) FROM records WHERE evaluation_id = e.id),
                   (SELECT COUNT(*) FROM evaluations y JOIN receipts x ON x.id = y.receipt_id
                    WHERE y.unit_code = e.unit_code AND y.counts AND x.evaluation_id = y.id AND x.id <= r.id)
            FROM (SELECT e.unit_code AS unit, MAX(r.id) AS latest, COUNT(*) AS versions
                  FROM receipts r JOIN evaluations e ON e.id = r.evaluation_id
                  WHERE e.counts AND e.unit_code IS NOT NULL {units} GROUP BY e.unit_code) v
            JOIN receipts r ON {which}
            JOIN evaluations e ON e.id = r.evaluation_id AND e.unit_code = v.unit
            """,  # noqa: S608 (`which` and `units` are constant conditions of this class)
            # (a version's number is counted from the unit's evaluations, by evaluations_by_unit and
            # each receipt's id: receipts.evaluation_id has no index, and a count through it read
            # every receipt for every unit)
            parameters or {},
        ).fetchall()
        return [
            LatestReturn(
                row[0],
                row[1],
                row[2],
                row[3],
                row[10],
                row[4],
                dt.datetime.fromisoformat(row[5]),
                Outcome(row[6]),
                row[7],
                row[8],
                row[9],
            )
            for row in rows
        ]

    # --- the office's decisions ---------------------------------------------------------------------

    def record_decision(self, decision: Decision) -> None:
        """Add a decision to the trail (nothing a decision replaces is deleted)."""
        with self._transaction():
            self.db.execute(
                "INSERT INTO decisions (unit_code, receipt_id, decision, reason, decided_by, decided_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    decision.unit_code,
                    decision.receipt_id,
                    decision.decision,
                    decision.reason,
                    decision.decided_by,
                    decision.decided_at.isoformat(),
                ),
            )

    def decisions(self) -> list[Decision]:
        """Every decision, in the order it was made."""
        rows = self.db.execute(
            "SELECT unit_code, receipt_id, decision, reason, decided_by, decided_at FROM decisions ORDER BY id"
        ).fetchall()
        return [Decision(row[0], row[1], row[2], row[3], row[4], dt.datetime.fromisoformat(row[5])) for row in rows]

    def findings_of(self, evaluation_id: int) -> list[dict[str, Any]]:
        """The findings of one evaluation, in the order they were found."""
        rows = self.db.execute(
            "SELECT sheet, cell, severity, code, message, fix FROM findings WHERE evaluation_id = ? ORDER BY seq",
            (evaluation_id,),
        ).fetchall()
        return [dict(zip(("sheet", "cell", "severity", "code", "message", "fix"), row, strict=True)) for row in rows]

    def content_of_receipt(self, receipt_id: int) -> bytes | None:
        """The bytes received (None for a file refused unread)."""
        (content,) = self.db.execute(
            "SELECT f.content FROM receipts r JOIN files f ON f.id = r.file_id WHERE r.id = ?",
            (receipt_id,),
        ).fetchone()
        return None if content is None else bytes(content)

    def evaluation_of(self, receipt_id: int) -> int:
        """The id of a receipt's current evaluation."""
        (evaluation_id,) = self.db.execute("SELECT evaluation_id FROM receipts WHERE id = ?", (receipt_id,)).fetchone()
        return int(evaluation_id)

    def records_of(self, evaluation_ids: list[int]) -> Iterator[dict[str, Any]]:
        """The records of these evaluations, in the order given, streamed from the database."""
        with closing(self.db.cursor()) as cursor:
            for evaluation_id in evaluation_ids:
                cursor.execute("SELECT record FROM records WHERE evaluation_id = ? ORDER BY seq", (evaluation_id,))
                for (text,) in cursor:
                    yield json.loads(text)

    # --- helpers ----------------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)

    # --- the inboxes collected from (no output may be written there), and read-only opening ------

    def remember_inbox(self, inbox: Path) -> None:
        """Keep `inbox` (made absolute) among the folders this collection was collected from."""
        folder = str(Path(inbox).resolve())
        with self._transaction():
            known = self.inboxes()
            if Path(folder) not in known:
                self.db.execute(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    (INBOXES_KEY, json.dumps([*map(str, known), folder], ensure_ascii=False)),
                )

    def inboxes(self) -> list[Path]:
        """The folders this collection was collected from, in the order first collected."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (INBOXES_KEY,)).fetchone()
        return [Path(folder) for folder in json.loads(row[0])] if row else []

    def _connect_read_only(self) -> sqlite3.Connection:
        """A connection that never writes. Where SQLite cannot make its shared-memory file beside
        the ledger (a read-only folder) and no write-ahead log is there (nobody is writing the
        ledger), the file is read as immutable."""
        uri = self.path.resolve().as_uri()
        try:
            return self._tried(f"{uri}?mode=ro")
        except sqlite3.OperationalError:
            if Path(f"{self.path}-wal").exists():
                raise
            return self._tried(f"{uri}?immutable=1")

    @staticmethod
    def _tried(uri: str) -> sqlite3.Connection:
        """A connection to `uri`, used once: SQLite opens lazily, so a file it cannot open fails here."""
        db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            db.execute("PRAGMA schema_version").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def _require_current_schema(self) -> None:
        """Refuse, for reading as it is, a file that is not a ledger or whose schema is not this code's."""
        version = self._refuse_newer(schema_version(self.db))
        if version == 0:
            raise InputError([Problem(Code.O_LEDGER_NOT_LEDGER, str(self.path), {"detail": "其中没有账本的表"})])
        if version < SCHEMA_VERSION:
            raise InputError(
                [Problem(Code.O_LEDGER_OUTDATED, str(self.path), {"version": version, "supported": SCHEMA_VERSION})]
            )


def _time(at: dt.datetime) -> str:
    return at.isoformat(timespec="seconds")


def _contact(unit: dict[str, Any]) -> str | None:
    """A roster unit's columns beyond code and name, as JSON (None where it has none)."""
    other = {str(key): str(value) for key, value in unit.items() if key not in ("code", "name", "parent") and value}
    return json.dumps(other, ensure_ascii=False) if other else None


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *exc: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
