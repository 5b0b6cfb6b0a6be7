"""Opening the ledger for a command: every way it can be wrong shown, and exit 2."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from xlsxkit.cli.app import (
    EXIT_UNUSABLE,
    fail,
)
from xlsxkit.form.errors import Code, InputError, Problem, XlsxkitError

if TYPE_CHECKING:
    from xlsxkit.cycle.ledger import Ledger


@contextmanager
def open_ledger(db: Path, *, read_only: bool = False, create: bool = False) -> Iterator[Ledger]:
    """The ledger at `db`, which must be there (unless `create`: collect starts one); `read_only`
    for the commands that only read it. Whatever is wrong — no ledger, a folder, not a ledger,
    damaged, read-only where it must be written — and any catalogued problem of the command's own
    is shown, and exits 2, whether it shows when the ledger is opened or while the command uses it."""
    from xlsxkit.cycle.ledger import Ledger
    from xlsxkit.cycle.outputs import ledger_problem

    if not db.exists() and not create:
        typer.echo(f"{db}: no ledger here; run xlsxkit collect first.", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        with Ledger(db) if create and _fresh(db) else _connected(db, read_only) as ledger:
            yield ledger
    except XlsxkitError as error:
        raise fail(error) from None
    except sqlite3.DatabaseError as error:
        raise fail(InputError([ledger_problem(db, error)])) from None


def _fresh(db: Path) -> bool:
    """Where a new ledger goes: no file yet, or an empty one (made by touch, or a copy that failed),
    with no write-ahead log beside it holding what is not in the file yet."""
    if not db.exists():
        return True
    wal = db.with_name(f"{db.name}-wal")
    return db.is_file() and db.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0)


def _connected(db: Path, read_only: bool) -> Ledger:
    """Opened read-only first, so that a file which is not a ledger is refused before anything is
    written to it; opened for writing where the command writes, or to migrate an earlier
    xlsxkit's ledger in place."""
    from xlsxkit.cycle.ledger import Ledger

    try:
        ledger = Ledger(db, read_only=True)
    except InputError as error:
        if any(problem.code is not Code.O_LEDGER_OUTDATED for problem in error.problems):
            raise
    else:
        if read_only:
            return ledger
        ledger.close()
    try:
        return Ledger(db)
    except sqlite3.OperationalError as error:
        if "unable to open" not in str(error):
            raise
        # It opened for reading: what fails is writing beside it (a read-only folder).
        raise InputError([Problem(Code.O_LEDGER_READ_ONLY, str(db))]) from None
