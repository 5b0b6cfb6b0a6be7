"""The ledger's SQLite file: opening it (write-ahead log, waiting for another writer), setting up
its schema or migrating an earlier one in place, refusing one newer than this code, opening it
read-only for the commands that only read, and transactions. What is kept in it is the business
of the classes built on this one: the office's records (`office_records`) and the returns
(`ledger`).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from xlsxkit.cycle.ledger_schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION, schema_version, statements
from xlsxkit.form.errors import Code, InputError, Problem

if TYPE_CHECKING:
    from typing_extensions import Self

BUSY_TIMEOUT_SECONDS = 60  # another collect writing the same ledger: wait, do not fail


class LedgerFile:
    """A ledger's SQLite connection, set up to this code's schema (or read-only, as it is)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
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
        # A migration may make a table anew (ARRIVALS): foreign keys are off meanwhile (they
        # cannot be switched inside a transaction), and checked before it commits.
        self.db.execute("PRAGMA foreign_keys=OFF")
        with self._transaction():
            version = self._refuse_newer(schema_version(self.db))
            scripts = [SCHEMA] if version == 0 else [MIGRATIONS[step] for step in range(version, SCHEMA_VERSION)]
            for statement in (s for script in scripts for s in statements(script)):
                self.db.execute(statement)
            if scripts and self.db.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise sqlite3.IntegrityError("foreign key check failed after migrating the ledger")
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.db.execute("PRAGMA foreign_keys=ON")

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

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)

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


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *exc: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
