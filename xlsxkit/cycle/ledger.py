"""The ledger: a SQLite file recording every return received and what became of it. One
ledger holds one collection — a template and a budget year, kept in `meta` — and its roster.

- `units`: the roster the collection is for.
- `files`: one row per distinct content (SHA-256, unique): the original bytes, stored once (not
  for a file refused unread, e.g. one over the size limit: its hash and size only).
- `receipts`: one row per file arriving in an inbox (its path there, its SHA-256 and its own
  time), in the order received: a path's latest receipt says what is there now, so the same
  bytes sent again under a name that held others since are a new receipt.
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
place when opened, one newer than this code is refused (ledger_file). The office's own records
kept beside the returns — the collection's template, year and deadline, the roster, decisions,
inboxes — are office_records'.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from xlsxkit.cycle.office_records import OfficeRecords


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
    relay_roster: tuple[tuple[str, str], ...] = ()  # a summary's: the lower office's roster (code, name)

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
    file_time: dt.datetime | None = None  # the file's own time in the inbox (None: not known)


class Counting(NamedTuple):
    """A unit's counting receipt, as judging a new one compares with it."""

    path: str
    sha256: str
    reason: str


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
    file_time: dt.datetime | None = None  # the file's own time in the inbox (None: not known)

    @property
    def arrived_at(self) -> dt.datetime:
        """When the return arrived: the file's own time where known, else when it was collected."""
        return self.file_time or self.received_at


class Ledger(OfficeRecords):
    """The SQLite ledger of one collection (see the module's docstring): the returns received
    and their evaluations, beside the office's records (OfficeRecords) in the same file
    (LedgerFile: opening, schema, transactions)."""

    # --- receiving --------------------------------------------------------------------------

    def receipt_id(self, path: str, sha256: str) -> int | None:
        """The receipt of this file (these bytes at this path), if it is what the path's latest
        receipt recorded; None for a new arrival (bytes the path held before others count again)."""
        row = self.db.execute(
            "SELECT id, sha256 FROM receipts WHERE path = ? ORDER BY id DESC LIMIT 1", (path,)
        ).fetchone()
        return None if row is None or row[1] != sha256 else int(row[0])

    def latest_counting(self, unit_code: str, *, before: int | None = None) -> Counting | None:
        """The unit's latest counting receipt (before receipt id `before`, if given)."""
        row = self.db.execute(
            # from the unit's evaluations (evaluations_by_unit) to their receipts, each the current one:
            # walking receipts newest first read every receipt for a unit with none (a new unit)
            "SELECT r.path, r.sha256, e.reason FROM evaluations e"
            " JOIN receipts r ON r.id = e.receipt_id AND r.evaluation_id = e.id"
            " WHERE e.unit_code = ? AND e.counts AND r.id < ? ORDER BY r.id DESC LIMIT 1",
            (unit_code, before if before is not None else 2**62),
        ).fetchone()
        return None if row is None else Counting(row[0], row[1], row[2])

    def latest_relayed_part(self, unit_code: str, *, before: int | None = None) -> Counting | None:
        """The unit's latest part of a relayed summary ("<file>#<unit>"), counting or not (before
        receipt id `before`, if given)."""
        suffix = f"#{unit_code}"
        row = self.db.execute(
            "SELECT r.path, r.sha256, e.reason FROM evaluations e"
            " JOIN receipts r ON r.id = e.receipt_id AND r.evaluation_id = e.id"
            " WHERE e.unit_code = ? AND substr(r.path, -?) = ? AND r.id < ? ORDER BY r.id DESC LIMIT 1",
            (unit_code, len(suffix), suffix, before if before is not None else 2**62),
        ).fetchone()
        return None if row is None else Counting(row[0], row[1], row[2])

    def arrival(self, path: str, sha256: str, *, before: int | None = None) -> int | None:
        """The latest receipt of these bytes at this path (before receipt id `before`, if given)."""
        row = self.db.execute(
            "SELECT id FROM receipts WHERE path = ? AND sha256 = ? AND id < ? ORDER BY id DESC LIMIT 1",
            (path, sha256, before if before is not None else 2**62),
        ).fetchone()
        return None if row is None else int(row[0])

    def unit_of(self, receipt_id: int) -> str | None:
        """The unit a receipt is currently attributed to."""
        row = self.db.execute(
            "SELECT e.unit_code FROM receipts r JOIN evaluations e ON e.id = r.evaluation_id WHERE r.id = ?",
            (receipt_id,),
        ).fetchone()
        return None if row is None else row[0]

    def parts_with_reasons(self, path: str, sha256: str, reasons: Iterable[str]) -> bool:
        """Whether a receipt of a part of the file at `path` with these bytes ("<path>#<unit>", a
        relayed summary's) was last judged for one of `reasons` (by the path index: cheap for
        files that have no parts)."""
        wanted = sorted(reasons)
        marks = ", ".join("?" * len(wanted))
        query = (
            "SELECT 1 FROM receipts r JOIN evaluations e ON e.id = r.evaluation_id"  # noqa: S608 (placeholders only)
            f" WHERE r.path > ? AND r.path < ? AND r.sha256 = ? AND e.reason IN ({marks}) LIMIT 1"
        )
        row = self.db.execute(query, (f"{path}#", f"{path}$", sha256, *wanted)).fetchone()  # "$" follows "#"
        return row is not None

    def record(
        self,
        path: str,
        received: Received,
        evaluation: Evaluation,
        at: dt.datetime,
        *,
        file_time: dt.datetime | None = None,
    ) -> int | None:
        """Record a newly received file (with its own time, where known) and its first evaluation,
        in one transaction; its receipt id, or None when the path's latest receipt has these bytes
        already (a zip holding the same member twice). Bytes already in the ledger are not stored
        twice."""
        with self._transaction():
            if self.receipt_id(path, received.sha256) is not None:
                return None
            row = self.db.execute("SELECT id FROM files WHERE sha256 = ?", (received.sha256,)).fetchone()
            file_id = int(row[0]) if row else self._insert_file(received)
            cursor = self.db.execute(
                "INSERT INTO receipts (path, sha256, file_id, received_at, file_time) VALUES (?, ?, ?, ?, ?)",
                (path, received.sha256, file_id, _time(at), None if file_time is None else _time(file_time)),
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
            "SELECT r.id, r.path, r.sha256, r.file_id, r.received_at, e.outcome, e.reason, e.unit_code, e.counts,"
            " r.file_time FROM receipts r JOIN evaluations e ON e.id = r.evaluation_id ORDER BY r.id"
        ).fetchall()
        versions: dict[str, int] = {}
        receipts = []
        for rid, path, sha, file_id, at, outcome, reason, unit, counts, file_time in rows:
            version = None
            if counts and unit is not None:
                version = versions[unit] = versions.get(unit, 0) + 1
            receipts.append(
                Receipt(
                    rid,
                    path,
                    sha,
                    file_id,
                    dt.datetime.fromisoformat(at),
                    Outcome(outcome),
                    reason,
                    unit,
                    version,
                    _time_or_none(file_time),
                )
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
                    WHERE y.unit_code = e.unit_code AND y.counts AND x.evaluation_id = y.id AND x.id <= r.id),
                   r.file_time
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
                _time_or_none(row[11]),
            )
            for row in rows
        ]

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


def _time(at: dt.datetime) -> str:
    return at.isoformat(timespec="seconds")


def _time_or_none(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)
