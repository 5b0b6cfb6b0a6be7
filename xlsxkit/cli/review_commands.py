"""The office's decisions: approve a unit's return, return it with a reason, reopen an approved unit."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Annotated

import typer

from xlsxkit.cli.app import EXIT_OK, LedgerOption, app, fail
from xlsxkit.cli.ledger_access import open_ledger
from xlsxkit.cycle.decisions import APPROVED, REOPENED, RETURNED, review
from xlsxkit.form.errors import XlsxkitError

LABELS = {APPROVED: "审核通过", RETURNED: "退回", REOPENED: "重新打开"}


@app.command("review")
def review_command(
    unit: Annotated[str, typer.Option("--unit", help="The unit's code.")],
    db: LedgerOption = Path("returns.sqlite"),
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve its current version: it counts from now on.")
    ] = False,
    send_back: Annotated[
        str | None, typer.Option("--return", help="Return its current version, with this reason (Chinese).")
    ] = None,
    reopen: Annotated[
        bool, typer.Option("--reopen", help="Reopen an approved unit: its latest file counts again.")
    ] = False,
    by: Annotated[str | None, typer.Option("--by", help="Who decides (default: the user logged in).")] = None,
) -> None:
    """Record the office's decision on a unit's return; every decision is kept, with who and when.

    An approved version counts in status and the summary, and a later file from the unit is
    recorded but held until the unit is reopened. A returned version counts nowhere until the unit
    sends a new one. Exit code 0: recorded; 2: not possible (listed)."""
    chosen = [
        name for name, given in ((APPROVED, approve), (RETURNED, send_back is not None), (REOPENED, reopen)) if given
    ]
    if len(chosen) != 1:
        typer.echo('Give exactly one of --approve, --return "理由", --reopen.', err=True)
        raise typer.Exit(2)
    with open_ledger(db) as ledger:
        try:
            made = review(ledger, unit, chosen[0], reason=send_back, by=by or getpass.getuser(), at=dt.datetime.now())
        except XlsxkitError as error:
            raise fail(error) from None
    reason = f"：{made.reason}" if made.reason else ""
    typer.echo(
        f"{made.unit_code}  {LABELS[made.decision]}{reason}  （{made.decided_by}，{made.decided_at:%Y-%m-%d %H:%M}）"
    )
    raise typer.Exit(EXIT_OK)
