"""Commands that make workbooks: generate per roster or records, and the demo round."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from xlsxkit.cli.app import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_UNUSABLE,
    app,
    fail,
    progress,
    show_problems,
)
from xlsxkit.cycle.demo import run_demo
from xlsxkit.form.errors import XlsxkitError
from xlsxkit.read.roster import read_roster
from xlsxkit.template.load import find_template
from xlsxkit.write.generate import (
    GenerateReport,
    UnitRecords,
    generate_blank,
    generate_for_roster,
    generate_prefilled,
    read_record_groups,
)


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
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Generate one workbook per unit: blank (--roster), prefilled (--records), or both.

    With both, every roster unit gets a workbook, in one folder with one report: prefilled with its
    records where it has any, blank otherwise. The roster decides who receives a form: records of a
    unit not on it are reported (G015) and get no workbook; add the unit to the roster to include it.
    A record whose unit has a name but no code takes the code of the roster unit of that exact name."""
    if roster is None and records is None:
        typer.echo("Give --roster, --records, or both.", err=True)
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
                records, chosen, roster_units=units.units if units is not None else None
            )
            problems += trouble
        if units is None:
            report = generate_prefilled(
                chosen, progress(groups, "generating"), year, out, password=password, generated_at=generated_at
            )
        elif records is None:
            report = generate_blank(
                chosen,
                progress(units.units, "generating"),
                year or dt.date.today().year,
                out,
                projects=projects,
                password=password,
                generated_at=generated_at,
            )
        else:
            report = generate_for_roster(
                chosen,
                progress(units.units, "generating"),
                groups,
                year or dt.date.today().year,
                out,
                projects=projects,
                password=password,
                generated_at=generated_at,
                records_file=records,
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
    raise typer.Exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


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
