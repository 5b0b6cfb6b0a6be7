"""Commands that fill the ledger: collect an inbox, judge its files again."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xlsxkit.cli.app import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_UNUSABLE,
    CollectionTemplateOption,
    CollectionYearOption,
    DropUnitsOption,
    LedgerOption,
    WorkersOption,
    app,
    checked_year,
    fail,
    progress,
    show_problems,
)
from xlsxkit.cli.ledger_access import open_ledger
from xlsxkit.form.errors import Code, Problem, XlsxkitError

if TYPE_CHECKING:
    from xlsxkit.cycle.collect import CollectReport
    from xlsxkit.cycle.ledger import Ledger
    from xlsxkit.template.model import Template


@app.command("collect")
def collect_command(
    inbox: Annotated[Path, typer.Argument(help="Folder of returns (subfolders and .zip archives included).")],
    db: LedgerOption = Path("returns.sqlite"),
    roster: Annotated[Path | None, typer.Option(help="Units expected (CSV or XLSX); kept in the ledger.")] = None,
    drop_units: DropUnitsOption = False,
    template: CollectionTemplateOption = None,
    year: CollectionYearOption = None,
    workers: WorkersOption = 1,
    deadline: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The date returns are due (kept; later collects may change it)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Read every new return in the inbox and record it, with its outcome, in the ledger.

    Exit code 0: every file accepted (warnings allowed); 1: a file was rejected or belongs to no
    unit; 2: nothing could be done (no inbox, no roster, another collection's ledger)."""
    from xlsxkit.cycle.collect import collect
    from xlsxkit.cycle.outputs import OutputError, lies_in

    checked_year(year)
    if not inbox.is_dir():
        typer.echo(f"{inbox}: no such folder", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    if lies_in(db, inbox):  # it would be collected as a return of its own, and rejected
        problem = Problem(Code.O_OUTPUT_IN_RETURNS, str(db), {"what": "账本", "folder": str(inbox)})
        raise fail(OutputError([problem]))
    chosen, yaml_text = _collection_template(template)
    with open_ledger(db, create=True) as ledger:
        if roster is not None:
            _take_roster(ledger, roster, drop_units)
        if not ledger.units():
            typer.echo("The ledger has no roster yet: give --roster units.csv.", err=True)
            raise typer.Exit(EXIT_UNUSABLE)
        if deadline is not None:
            ledger.set_deadline(deadline.date())
        report = collect(
            inbox,
            ledger,
            template=chosen,
            template_yaml=yaml_text,
            year=year,
            workers=workers,
            progress=lambda paths: progress(paths, "collecting"),
        )
    _collect_report(report, as_json)
    raise typer.Exit(EXIT_OK if report.all_accepted else EXIT_PROBLEMS)


@app.command("recheck")
def recheck_command(
    db: LedgerOption = Path("returns.sqlite"),
    roster: Annotated[Path | None, typer.Option(help="A corrected roster to judge with (kept in the ledger).")] = None,
    drop_units: DropUnitsOption = False,
    template: CollectionTemplateOption = None,
    year: CollectionYearOption = None,
    workers: WorkersOption = 1,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Judge every recorded file again, with the current roster, template and rules.

    For after a roster change, a renamed file, or a template given late: each file is read again
    from its stored bytes; the earlier outcomes stay in the ledger. Exit codes as for collect."""
    from xlsxkit.cycle.collect import recheck

    checked_year(year)
    chosen, yaml_text = _collection_template(template)
    with open_ledger(db) as ledger:
        if roster is not None:
            _take_roster(ledger, roster, drop_units)
        report = recheck(ledger, template=chosen, template_yaml=yaml_text, year=year, workers=workers)
    _collect_report(report, as_json, what="files judged again")
    raise typer.Exit(EXIT_OK if report.all_accepted else EXIT_PROBLEMS)


def _take_roster(ledger: Ledger, roster: Path, drop_units: bool) -> None:
    """The roster read and given to the ledger; what changed said, when it replaces another."""
    from xlsxkit.read.roster import read_roster

    had = bool(ledger.units())
    try:
        units = read_roster(roster)
        show_problems(units.problems)
        change = ledger.replace_roster(units.units, drop_units=drop_units)
    except XlsxkitError as error:
        raise fail(error) from None
    if had and (change.added or change.removed or change.renamed):
        typer.echo(str(change), err=True)


def _collection_template(name: str | None) -> tuple[Template | None, str | None]:
    """The template a collection is for, and its YAML when it is a file (the ledger keeps it)."""
    from xlsxkit.template.load import find_template

    if name is None:
        return None, None
    try:
        chosen = find_template(name)
    except XlsxkitError as error:
        raise fail(error) from None
    path = Path(name)
    return chosen, path.read_text(encoding="utf-8") if path.is_file() else None


def _collect_report(report: CollectReport, as_json: bool, what: str = "new files") -> None:
    from xlsxkit.cycle.inbox import printable

    if as_json:
        typer.echo(
            json.dumps(
                {
                    "unchanged": report.unchanged,
                    "files": [
                        {"path": label, "outcome": outcome.value, "reason": reason}
                        for label, outcome, reason in report.outcomes
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for label, outcome, reason in report.outcomes:
        typer.echo(f"{printable(label)}  {outcome.value}  {reason}".rstrip())
    counts = ", ".join(f"{n} {o.value}" for o, n in sorted(report.count().items()))
    typer.echo(f"{len(report.outcomes)} {what}: {counts or 'none'}; {report.unchanged} unchanged.", err=True)
