"""Commands that make workbooks: generate per roster or records, and the demo round."""

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
    app,
    checked_year,
    fail,
    progress,
    show_problems,
)
from xlsxkit.cli.ledger_access import open_ledger
from xlsxkit.form.errors import Code, Problem, XlsxkitError
from xlsxkit.form.record import FOLLOW_ON_FORMS
from xlsxkit.form.stamp import AS_OF

if TYPE_CHECKING:
    from xlsxkit.write.generate import GenerateReport, UnitRecords


@app.command()
def generate(
    template: Annotated[str, typer.Argument(help="Built-in template id or a template YAML file.")],
    out: Annotated[Path, typer.Option(help="Folder for the workbooks.")] = Path("outbox"),
    roster: Annotated[
        Path | None,
        typer.Option(help="Units (CSV or XLSX with code,name): one workbook each, blank unless --records has theirs."),
    ] = None,
    records: Annotated[
        Path | None,
        typer.Option(help="JSONL canonical records (e.g. last year's returns) for prefilled workbooks."),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(help="Budget year on the forms (default: this year; with --records alone, the records' year)."),
    ] = None,
    projects: Annotated[int | None, typer.Option(min=1, max=100, help="Blank project sheets per workbook.")] = None,
    password: Annotated[str | None, typer.Option(help="Sheet protection password (none by default).")] = None,
    generated_at: Annotated[
        dt.datetime | None,
        typer.Option(help="Generation time; fixed for byte-identical output (default: SOURCE_DATE_EPOCH or now)."),
    ] = None,
    from_db: Annotated[
        Path | None,
        typer.Option(
            "--from-db",
            help="Forms that follow the targets (monitor, self-evaluation): from the approved (else latest "
            "accepted) target records of this ledger.",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="A monitoring form's month, YYYY-MM (default: July of the targets' year)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Generate one workbook per unit: blank (--roster), prefilled (--records), or both.

    The forms that follow the targets in the year — monitor (运行监控表) and self-evaluation (自评表) —
    are generated from target records: --records targets.jsonl, or --from-db the targets' ledger
    (each unit's approved, else latest accepted, return). Copied target cells are locked.

    With both, every roster unit gets a workbook, in one folder with one report: prefilled with its
    records where it has any, blank otherwise. The roster decides who receives a form: records of a
    unit not on it are reported (G015) and get no workbook; add the unit to the roster to include it.
    A record whose unit has a name but no code takes the code of the roster unit of that exact name."""
    from xlsxkit.cycle.follow_on_targets import approved_targets
    from xlsxkit.read.roster import read_roster
    from xlsxkit.template.load import find_template
    from xlsxkit.write.generate import (
        follow_on_groups,
        generate_blank,
        generate_for_roster,
        generate_prefilled,
    )
    from xlsxkit.write.records_file import read_record_groups

    if roster is None and records is None and from_db is None:
        typer.echo("Give --roster, --records, --from-db, or a roster with either.", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    checked_year(year)
    if as_of is not None and not AS_OF.fullmatch(as_of):
        typer.echo(f"--as-of {as_of}: give a month as YYYY-MM, e.g. 2026-07.", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    if records is not None and from_db is not None:
        typer.echo("Give --records or --from-db, not both.", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        chosen = find_template(template)
        units = read_roster(roster) if roster is not None else None
        problems = list(units.problems) if units is not None else []
        if units is not None:
            typer.echo(f"{roster}: {len(units.units)} units, encoding {units.encoding}", err=True)
        groups: list[UnitRecords] = []
        if records is not None:
            if not records.is_file():
                typer.echo(f"{records}: no such file", err=True)
                raise typer.Exit(EXIT_UNUSABLE)
            groups, trouble = read_record_groups(
                records, chosen, roster_units=units.units if units is not None else None, as_of=as_of
            )
            problems += trouble
        elif from_db is not None:
            if chosen.form not in FOLLOW_ON_FORMS:
                typer.echo(
                    f"--from-db makes forms that follow the targets; {chosen.id} is a {chosen.form} form.", err=True
                )
                raise typer.Exit(EXIT_UNUSABLE)
            with open_ledger(from_db, read_only=True) as ledger:
                groups = follow_on_groups(approved_targets(ledger), chosen, as_of=as_of)
            typer.echo(f"{from_db}: targets of {len(groups)} units", err=True)
        _make_out_folder(out)
        source = records if records is not None else from_db  # where the prefilled forms' records come from
        if units is None:
            report = generate_prefilled(
                chosen, progress(groups, "generating"), year, out, password=password, generated_at=generated_at
            )
        elif source is None:
            report = generate_blank(
                chosen,
                progress(units.units, "generating"),
                year if year is not None else dt.date.today().year,
                out,
                projects=projects,
                password=password,
                generated_at=generated_at,
                as_of=as_of,
            )
        else:
            report = generate_for_roster(
                chosen,
                progress(units.units, "generating"),
                groups,
                year if year is not None else dt.date.today().year,
                out,
                projects=projects,
                password=password,
                generated_at=generated_at,
                records_file=source,
            )
        report.problems[:0] = problems
    except XlsxkitError as error:
        raise fail(error) from None
    _report(report, as_json)
    raise typer.Exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for everything the demo makes.")] = Path("demo"),
    year: Annotated[int | None, typer.Option(help="Budget year of the blank forms of every template.")] = None,
) -> None:
    """The whole cycle on built-in examples: generate, simulated returns, collect, feedback, consolidate."""
    from xlsxkit.cycle.demo import run_demo

    checked_year(year)
    report = run_demo(out, year=year)
    show_problems(report.problems)
    typer.echo(f"{out / 'forms'}/  every template, blank and prefilled ({len(report.forms.files)} workbooks)")
    typer.echo(f"{out / 'outbox'}/  the blank Tangshan workbooks sent to the units")
    typer.echo(f"{out / 'inbox'}/  the returns that came back (one unit missing, one resubmission)")
    for round_number, collected in enumerate(report.collected, start=1):
        counts = ", ".join(f"{n} {o.value}" for o, n in sorted(collected.count().items()))
        typer.echo(f"collect #{round_number}: {counts}; {collected.unchanged} already recorded")
    typer.echo(f"{out / 'returns.sqlite'}  the ledger (xlsxkit status --db {out / 'returns.sqlite'})")
    typer.echo(f"{out / 'feedback'}/  {len(report.feedback)} annotated workbooks for units to correct")
    if report.summary is not None:
        summary = report.summary
        typer.echo(
            f"{summary.workbook}  {summary.projects} projects, {summary.indicators} indicators, {summary.units} units"
        )
        typer.echo(f"{summary.jsonl}  canonical records; {', '.join(str(p) for p in summary.csv)}")
    if report.year is not None:
        typer.echo(f"approved the targets of {len(report.year.approved)} units; the rest of the year:")
        for form, made in report.year.summaries.items():
            collected = report.year.collected[form]
            counts = ", ".join(f"{n} {o.value}" for o, n in sorted(collected.count().items()))
            typer.echo(
                f"{out / 'year' / (form + '-inbox')}/ → {form}: {counts}; {made.workbook} ({made.follow_on} forms)"
            )
    raise typer.Exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


def _make_out_folder(out: Path) -> None:
    """The folder for the workbooks, made before any is written: a file in its place, or a folder
    that cannot be made, is one error rather than one per unit."""
    what = "存放工作簿的文件夹（--out）"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise XlsxkitError([Problem(Code.O_OUTPUT_IS_FILE, str(out), {"what": what})]) from None
    except OSError as error:
        from xlsxkit.cycle.outputs import write_problem

        raise write_problem(error, out) from None


def _report(report: GenerateReport, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "files": [
                        {"path": str(g.path), "unit": g.unit.get("code"), "sheets": g.sheets} for g in report.files
                    ],
                    "problems": [
                        {"where": p.where, "code": p.code.code, "message": p.message, "fix": p.fix}
                        for p in report.problems
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for generated in report.files:
        typer.echo(f"{generated.path}  ({generated.sheets} project sheets)")
    show_problems(report.problems)
    typer.echo(f"{len(report.files)} workbooks written, {len(report.problems)} problems.", err=True)
