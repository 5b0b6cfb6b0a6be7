"""The office's desk: decide on a unit's return (approve, return with a reason, reopen), and remind
the units that still have something to do."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from xlsxkit.cli.app import EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE, ForceOption, LedgerOption, app, fail, show_problems
from xlsxkit.cli.ledger_access import open_ledger
from xlsxkit.cycle.decisions import APPROVED, REOPENED, RETURNED
from xlsxkit.form.errors import XlsxkitError

LABELS = {APPROVED: "审核通过", RETURNED: "退回", REOPENED: "重新打开"}


@app.command("review")
def review_command(
    unit: Annotated[str | None, typer.Option("--unit", help="The unit's code.")] = None,
    db: LedgerOption = Path("returns.sqlite"),
    approve: Annotated[bool, typer.Option("--approve", help="Approve its current version: it counts.")] = False,
    send_back: Annotated[
        str | None, typer.Option("--return", help="Return its current version, with this reason (Chinese).")
    ] = None,
    reopen: Annotated[bool, typer.Option("--reopen", help="Reopen an approved unit: its latest file counts.")] = False,
    sheet: Annotated[Path | None, typer.Option("--sheet", help="Write the review workbook (审核表) here.")] = None,
    from_sheet: Annotated[
        Path | None, typer.Option("--from", help="Record the decisions typed in a review workbook.")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decides (default: the user logged in).")] = None,
    force: ForceOption = False,
) -> None:
    """Record the office's decision on a unit's return; every decision is kept, with who and when.

    An approved version counts in status and the summary, and a later file from the unit is
    recorded but held until the unit is reopened. A returned version counts nowhere until the unit
    sends a new one. In Excel: --sheet writes a 审核表 (a 审核意见 dropdown and a 理由 per unit),
    --from records what was typed there (a sheet made before a newer return is refused).
    Exit code 0: recorded; 1: some rows of a sheet refused (listed); 2: nothing recorded."""
    from xlsxkit.cycle.decisions import review
    from xlsxkit.cycle.outputs import OutputGuard
    from xlsxkit.cycle.review_sheet import apply_review_sheet, write_review_sheet

    who, now = by or getpass.getuser(), dt.datetime.now()
    if sheet is not None or from_sheet is not None:
        with open_ledger(db, read_only=from_sheet is None) as ledger:
            try:
                if sheet is not None:
                    OutputGuard.for_ledger(ledger, force=force).check(files=[(sheet, "审核表")])
                    units = ledger.units()
                    count = write_review_sheet(ledger, sheet, office=units[0]["name"] if units else "")
                    typer.echo(f"{sheet}: {count} units to review.")
                    raise typer.Exit(EXIT_OK)
                assert from_sheet is not None
                applied = apply_review_sheet(ledger, from_sheet, by=who, at=now)
            except XlsxkitError as error:
                raise fail(error) from None
        for line in applied.recorded:
            typer.echo(line)
        show_problems(applied.problems)
        raise typer.Exit(EXIT_PROBLEMS if applied.problems else EXIT_OK)
    given = ((APPROVED, approve), (RETURNED, send_back is not None), (REOPENED, reopen))
    chosen = [name for name, asked in given if asked]
    if unit is None or len(chosen) != 1:
        typer.echo(
            'Give --unit CODE and exactly one of --approve, --return "理由", --reopen (or --sheet, --from).', err=True
        )
        raise typer.Exit(EXIT_UNUSABLE)
    with open_ledger(db) as ledger:
        try:
            made = review(ledger, unit, chosen[0], reason=send_back, by=who, at=now)
        except XlsxkitError as error:
            raise fail(error) from None
    reason = f"：{made.reason}" if made.reason else ""
    when = f"{made.decided_at:%Y-%m-%d %H:%M}"
    typer.echo(f"{made.unit_code}  {LABELS[made.decision]}{reason}  （{made.decided_by}，{when}）")
    raise typer.Exit(EXIT_OK)


@app.command("remind")
def remind_command(
    db: LedgerOption = Path("returns.sqlite"),
    out: Annotated[Path, typer.Option(help="The 催报 workbook.")] = Path("催报.xlsx"),
    csv: Annotated[Path | None, typer.Option("--csv", help="Also the same list as CSV (UTF-8 with BOM).")] = None,
    force: ForceOption = False,
) -> None:
    """The units to remind (missing, returned, with errors), with the roster's contact columns and a
    message ready to send each. Exit code 0: written (also when nobody needs reminding)."""
    from xlsxkit.cycle.inbox import printable
    from xlsxkit.cycle.outputs import OutputGuard, write_problem
    from xlsxkit.cycle.reminders import reminders, write_reminders

    with open_ledger(db, read_only=True) as ledger:
        try:
            OutputGuard.for_ledger(ledger, force=force).check(files=[(out, "催报表"), (csv, "催报 CSV")])
            found = reminders(ledger)
            units = ledger.units()
            write_reminders(found, out, office=units[0]["name"] if units else "", csv=csv)
        except XlsxkitError as error:
            raise fail(error) from None
        except OSError as error:
            raise fail(write_problem(error, out)) from None
    for reminder in found:
        typer.echo(f"{reminder.code}  {reminder.situation}  {printable(reminder.message)}")
    typer.echo(f"{out}: {len(found)} units to remind.", err=True)
    raise typer.Exit(EXIT_OK)


@app.command("history")
def history_command(
    unit: Annotated[str, typer.Option("--unit", help="The unit's code.")],
    db: LedgerOption = Path("returns.sqlite"),
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Every version a unit sent: received when, its outcome, the office's decisions on it, and what
    changed from the version before, project by project."""
    from xlsxkit.cycle.history import history
    from xlsxkit.cycle.inbox import printable

    with open_ledger(db, read_only=True) as ledger:
        versions = history(ledger, unit)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "version": v.number,
                        "received_at": v.received_at.isoformat(),
                        "file": v.path,
                        "outcome": v.outcome.value,
                        "errors": v.errors,
                        "warnings": v.warnings,
                        "projects": v.projects,
                        "decisions": [
                            {
                                "decision": d.decision,
                                "reason": d.reason,
                                "by": d.decided_by,
                                "at": d.decided_at.isoformat(),
                            }
                            for d in v.decisions
                        ],
                        "changes": v.changes,
                    }
                    for v in versions
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        raise typer.Exit(EXIT_OK)
    for v in versions:
        typer.echo(f"第 {v.number} 版  {v.received_at:%Y-%m-%d %H:%M}  {v.outcome.value}  {printable(v.path)}")
        for d in v.decisions:
            reason = f"：{d.reason}" if d.reason else ""
            typer.echo(f"    {LABELS[d.decision]}{reason}（{d.decided_by}，{d.decided_at:%Y-%m-%d %H:%M}）")
        for change in v.changes:
            typer.echo(f"    {printable(change)}")
    if not versions:
        typer.echo(f"{unit}: no version received.", err=True)
    raise typer.Exit(EXIT_OK)
