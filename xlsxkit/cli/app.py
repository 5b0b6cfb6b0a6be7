"""The typer application and what its commands share: exit codes, showing problems, progress bars,
the options several commands take.

Exit codes: 0 all done; 1 done, but some units or lines had problems (listed); 2 nothing could be
done (unusable template, roster, records file or ledger)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from xlsxkit.form.errors import Code, Problem, XlsxkitError
from xlsxkit.form.stamp import is_budget_year

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Collect 项目支出绩效目标表 through Excel workbooks."
)

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2
T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="JSON output for scripts.")]
LedgerOption = Annotated[Path, typer.Option("--db", help="The ledger (SQLite).")]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace existing files xlsxkit did not write (never the ledger, nor a file in an inbox)."
    ),
]
CollectionTemplateOption = Annotated[
    str | None,
    typer.Option(
        "--template",
        help="The collection's template (id or YAML file): reads returns without an xlsxkit stamp; "
        "kept in the ledger. Default: the template of the stamped returns.",
    ),
]
CollectionYearOption = Annotated[
    int | None,
    typer.Option(help="The collection's budget year; kept in the ledger. Default: the year of the stamped returns."),
]
DropUnitsOption = Annotated[
    bool, typer.Option("--drop-units", help="Take a roster that leaves out units whose returns the ledger holds.")
]
WorkersOption = Annotated[int, typer.Option(min=1, max=64, help="Processes reading returns in parallel.")]


def fail(error: XlsxkitError) -> typer.Exit:
    """Show a catalogued error's problems; the exit for `raise ... from None`."""
    show_problems(error.problems)
    return typer.Exit(EXIT_UNUSABLE)


def checked_year(year: int | None) -> None:
    """A --year given must be one a stamp can carry and the reader take (1900–2099): else the
    catalogued error (G028) and exit 2 — 26, 12345 or 0 would make workbooks no reader identifies."""
    if year is not None and not is_budget_year(year):
        raise fail(XlsxkitError([Problem(Code.G_YEAR, f"--year {year}", {"year": year})]))


def show_problems(problems: list[Problem]) -> None:
    """Each problem on a line of standard error."""
    for problem in problems:
        typer.echo(str(problem), err=True)


def progress(items: list[T], what: str) -> Iterable[T]:
    """A progress bar on a terminal for long batches; the items unchanged elsewhere."""
    if len(items) < 20 or not sys.stderr.isatty():
        return items
    from rich.console import Console  # (rich only where a bar is drawn: 30 ms of every command's start)
    from rich.progress import track

    return track(items, description=what, console=Console(stderr=True), transient=True)
