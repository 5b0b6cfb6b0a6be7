"""The office's own records, kept in the ledger beside the returns: what the collection is for
(its template and year, its deadline), its roster (unit codes, names, contacts, parents), the
office's decisions about units' returns, and the inboxes collected from (no output may be
written there).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from xlsxkit.cycle.ledger_file import LedgerFile
from xlsxkit.form.errors import Code, InputError, Problem

INBOXES_KEY = "collection.inboxes"  # meta: the folders collected from, a JSON list


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


class OfficeRecords(LedgerFile):
    """The office's records in a ledger (see the module's docstring)."""

    _roster: tuple[int, Mapping[str, str]] | None = None  # (data_version, roster) read last

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

    # --- the inboxes collected from (no output may be written there) --------------------------------

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


def _contact(unit: dict[str, Any]) -> str | None:
    """A roster unit's columns beyond code and name, as JSON (None where it has none)."""
    other = {str(key): str(value) for key, value in unit.items() if key not in ("code", "name", "parent") and value}
    return json.dumps(other, ensure_ascii=False) if other else None
