"""xlsxkit's command line: thin typer commands that parse, call the library, report.

Exit codes: 0 all done; 1 done, but some units or lines had problems (listed); 2 nothing
could be done (unusable template, roster or records file).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from xlsxkit.atomic import atomic_text
from xlsxkit.collect import collect, inbox_paths
from xlsxkit.consolidate import MONEY_UNITS
from xlsxkit.cycle import summarise, write_feedback
from xlsxkit.demo import run_demo
from xlsxkit.errors import Problem, Severity, XlsxkitError
from xlsxkit.export import table_rows, write_csv, write_json, write_jsonl
from xlsxkit.generate import GenerateReport, generate_blank, generate_prefilled, read_record_groups
from xlsxkit.ledger import Ledger
from xlsxkit.load import builtin_templates, find_template, load_template
from xlsxkit.read import ReadResult, read_return
from xlsxkit.roster import read_roster
from xlsxkit.status import unit_statuses
from xlsxkit.template import template_schema

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Collect 项目支出绩效目标表 through Excel workbooks.")

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2
T = TypeVar("T")


def _fail(error: XlsxkitError) -> typer.Exit:
    _show_problems(error.problems)
    return typer.Exit(EXIT_UNUSABLE)


def _show_problems(problems: list[Problem]) -> None:
    for problem in problems:
        typer.echo(str(problem), err=True)


@app.command()
def templates(as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False) -> None:
    """List the built-in templates: id, version, title."""
    rows = [{"id": t.id, "version": t.version, "form": t.form, "title": t.name} for t in builtin_templates()]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:<22} {row['version']:<8} {row['title']}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the template language."""
    typer.echo(json.dumps(template_schema(), ensure_ascii=False, indent=2))


@app.command("check-template")
def check_template(path: Annotated[Path, typer.Argument(help="A template YAML file.")]) -> None:
    """Check a template file; list every problem as file:line."""
    try:
        template = load_template(path)
    except XlsxkitError as error:
        raise _fail(error) from None
    typer.echo(f"{path}: ok ({template.id} {template.version})")


@app.command()
def generate(
    template: Annotated[str, typer.Argument(help="Built-in template id or a template YAML file.")],
    out: Annotated[Path, typer.Option(help="Folder for the workbooks.")] = Path("outbox"),
    roster: Annotated[Path | None, typer.Option(help="Units (CSV or XLSX with code,name) for blank workbooks.")] = None,
    records: Annotated[Path | None, typer.Option(help="JSONL canonical records for prefilled workbooks.")] = None,
    year: Annotated[int | None, typer.Option(help="Budget year printed on the forms.")] = None,
    projects: Annotated[int | None, typer.Option(min=1, max=100, help="Blank project sheets per workbook.")] = None,
    password: Annotated[str | None, typer.Option(help="Sheet protection password (none by default).")] = None,
    generated_at: Annotated[
        dt.datetime | None, typer.Option(help="Generation time; fixed for byte-identical output (default: SOURCE_DATE_EPOCH or now).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Generate one workbook per unit, blank (--roster) or prefilled (--records)."""
    if (roster is None) == (records is None):
        typer.echo("Give exactly one of --roster or --records.", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        chosen = find_template(template)
        if roster is not None:
            units = read_roster(roster)
            typer.echo(f"{roster}: {len(units.units)} units, encoding {units.encoding}", err=True)
            report = generate_blank(chosen, _progress(units.units, "generating"), year or dt.date.today().year, out,
                                    projects, password, generated_at)
            report.problems[:0] = units.problems
        else:
            assert records is not None
            if not records.is_file():
                typer.echo(f"{records}: no such file", err=True)
                raise typer.Exit(EXIT_UNUSABLE)
            groups, problems = read_record_groups(records, chosen)
            report = generate_prefilled(chosen, _progress(groups, "generating"), year, out, password, generated_at)
            report.problems[:0] = problems
    except XlsxkitError as error:
        raise _fail(error) from None
    _report(report, as_json)
    raise typer.Exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for everything the demo makes.")] = Path("demo"),
    year: Annotated[int | None, typer.Option(help="Budget year of the blank forms of every template.")] = None,
) -> None:
    """The whole cycle on built-in examples: generate, simulated returns, collect, feedback, consolidate."""
    report = run_demo(out, year)
    _show_problems(report.problems)
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
        typer.echo(f"{summary.workbook}  {summary.projects} projects, {summary.indicators} indicators, {summary.units} units")
        typer.echo(f"{summary.jsonl}  canonical records; {', '.join(str(p) for p in summary.csv)}")
    raise typer.Exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


@app.command("collect")
def collect_command(
    inbox: Annotated[Path, typer.Argument(help="Folder of returns (subfolders and .zip archives included).")],
    db: Annotated[Path, typer.Option(help="The ledger (SQLite), created if missing.")] = Path("returns.sqlite"),
    roster: Annotated[Path | None, typer.Option(help="Units expected (CSV or XLSX); kept in the ledger.")] = None,
    template: TemplateOption = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes reading returns in parallel.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Read every new return in the inbox and record it, with its outcome, in the ledger."""
    if not inbox.is_dir():
        typer.echo(f"{inbox}: no such folder", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    with Ledger(db) as ledger:
        if roster is not None:
            try:
                units = read_roster(roster)
            except XlsxkitError as error:
                raise _fail(error) from None
            _show_problems(units.problems)
            ledger.set_units(units.units)
        if not ledger.units():
            typer.echo("The ledger has no roster yet: give --roster units.csv.", err=True)
            raise typer.Exit(EXIT_UNUSABLE)
        report = collect(inbox, ledger, template=template, workers=workers, progress=lambda paths: _progress(paths, "collecting"))
    if as_json:
        typer.echo(json.dumps({"unchanged": report.unchanged, "files": [
            {"path": label, "outcome": outcome.value, "reason": reason} for label, outcome, reason in report.outcomes
        ]}, ensure_ascii=False, indent=2))
    else:
        for label, outcome, reason in report.outcomes:
            typer.echo(f"{label}  {outcome.value}  {reason}".rstrip())
        counts = ", ".join(f"{n} {o.value}" for o, n in sorted(report.count().items()))
        typer.echo(f"{len(report.outcomes)} new files: {counts or 'none'}; {report.unchanged} already recorded.", err=True)
    raise typer.Exit(EXIT_OK)


@app.command()
def status(
    db: Annotated[Path, typer.Option(help="The ledger (SQLite).")] = Path("returns.sqlite"),
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Who returned, who is missing, whose latest return has errors or warnings."""
    with _open_ledger(db) as ledger:
        statuses = unit_statuses(ledger)
    if as_json:
        typer.echo(json.dumps([{
            "code": s.code, "name": s.name, "standing": s.standing.value, "versions": s.versions,
            "last_received": s.last_received.isoformat() if s.last_received else None, "errors": s.errors,
            "warnings": s.warnings, "projects": s.projects, "file": s.file,
        } for s in statuses], ensure_ascii=False, indent=2))
        return
    table = Table("单位代码", "单位名称", "状态", "报送次数", "最后报送", "项目", "错误", "提示", "文件")
    for s in statuses:
        received = s.last_received.strftime("%Y-%m-%d %H:%M") if s.last_received else ""
        table.add_row(s.code, s.name, s.standing.label, str(s.versions), received, str(s.projects), str(s.errors),
                      str(s.warnings), s.file or "")
    Console(width=max(Console().width, 140)).print(table)


@app.command()
def feedback(
    db: Annotated[Path, typer.Option(help="The ledger (SQLite).")] = Path("returns.sqlite"),
    out: Annotated[Path, typer.Option(help="Folder for the annotated workbooks.")] = Path("feedback"),
) -> None:
    """Each unit whose latest return has findings gets its own workbook back, findings marked."""
    with _open_ledger(db) as ledger:
        written = write_feedback(ledger, out)
    for path in written:
        typer.echo(str(path))
    typer.echo(f"{len(written)} feedback workbooks written.", err=True)


@app.command("consolidate")
def consolidate_command(
    db: Annotated[Path, typer.Option(help="The ledger (SQLite).")] = Path("returns.sqlite"),
    out: Annotated[Path, typer.Option(help="The summary workbook.")] = Path("汇总表.xlsx"),
    jsonl: Annotated[Path | None, typer.Option(help="Also the canonical records as JSON Lines.")] = None,
    csv_dir: Annotated[Path | None, typer.Option("--csv", help="Also projects.csv and indicators.csv in this folder.")] = None,
    money: Annotated[str, typer.Option(help="Money unit of the summary: 万元 or 元.")] = "万元",
    compilation: Annotated[bool, typer.Option(help="Include 汇编, every project as its official form.")] = True,
) -> None:
    """The summary workbook of every unit's latest accepted return (and JSONL/CSV exports)."""
    if money not in MONEY_UNITS:
        typer.echo("--money must be 万元 or 元", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    with _open_ledger(db) as ledger:
        try:
            summary = summarise(ledger, out, money_unit=money, jsonl=jsonl, csv_dir=csv_dir, compilation=compilation)
        except XlsxkitError as error:  # e.g. 汇编 needs a template that is not built in: --no-compilation
            raise _fail(error) from None
    typer.echo(f"{summary.workbook}: {summary.projects} projects, {summary.indicators} indicators, {summary.units} units")
    for path in [summary.jsonl, *summary.csv]:
        if path is not None:
            typer.echo(str(path))


def _open_ledger(db: Path) -> Ledger:
    if not db.is_file():
        typer.echo(f"{db}: no ledger here; run xlsxkit collect first.", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    return Ledger(db)


TemplateOption = Annotated[
    str | None, typer.Option("--template", help="Read workbooks without an xlsxkit stamp with this template (id or YAML file).")
]
ReturnsArgument = Annotated[list[Path], typer.Argument(help="Returned workbooks, or folders of them (read with their subfolders).")]


@app.command("read")
def read_command(
    files: ReturnsArgument,
    template: TemplateOption = None,
    output_format: Annotated[str, typer.Option("--format", help="jsonl, json or csv (one row per indicator).")] = "jsonl",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here (default: standard output).")] = None,
    with_findings: Annotated[bool, typer.Option("--with-findings", help="Each record with its findings.")] = False,
) -> None:
    """Read returned workbooks into canonical records, one per project sheet."""
    if output_format not in ("jsonl", "json", "csv"):
        typer.echo(f"--format must be jsonl, json or csv, not {output_format}", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    results = _read_all(files, template)
    if output_format == "csv":
        items = [row for result in results for sheet in result.records for row in table_rows(sheet.record)]
        if with_findings:
            items = [{**row, "findings": ""} for row in items] + [_finding_row(r, f) for r in results for f in r.all_findings()]
        writer = write_csv
    else:
        items = [_with_findings(r, s) for r in results for s in r.records] if with_findings else [
            sheet.record for r in results for sheet in r.records
        ]
        if with_findings:
            items += [{"file": str(r.path), "record": None, "findings": [f.as_dict() for f in r.findings]}
                      for r in results if not r.records]
        writer = write_jsonl if output_format == "jsonl" else write_json
    if output is None:
        writer(items, sys.stdout)
    else:
        with atomic_text(output, encoding="utf-8-sig" if output_format == "csv" else "utf-8") as stream:
            writer(items, stream)
    _summarise(results, show_findings=not with_findings)
    raise typer.Exit(_exit_code(results))


@app.command()
def check(
    files: ReturnsArgument,
    template: TemplateOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """List every finding in returned workbooks: file, sheet!cell, severity, code, message.

    Exit code 0: no errors; 1: a file has errors; 2: a file could not be read at all."""
    results = _read_all(files, template)
    if as_json:
        typer.echo(json.dumps([
            {"file": str(r.path), "readable": r.readable, "records": len(r.records),
             "findings": [f.as_dict() for f in r.all_findings()]} for r in results
        ], ensure_ascii=False, indent=2))
    else:
        for result in results:
            for finding in result.all_findings():
                typer.echo(_finding_line(result, finding))
        _summarise(results, show_findings=False)
    raise typer.Exit(_exit_code(results))


def _read_all(files: list[Path], template_name: str | None) -> list[ReadResult]:
    try:
        template = find_template(template_name) if template_name else None
    except XlsxkitError as error:
        raise _fail(error) from None
    paths = [p for path in files for p in (inbox_paths(path) if path.is_dir() else [path])]
    return [read_return(path, template) for path in _progress(paths, "reading")]


def _with_findings(result: ReadResult, sheet) -> dict:
    findings = [*(f for f in result.findings if f.sheet in (None, sheet.sheet)), *sheet.findings]
    return {"file": str(result.path), "record": sheet.record, "findings": [f.as_dict() for f in findings]}


def _finding_row(result: ReadResult, finding) -> dict:
    return {"source.file": result.path.name, "source.sheet": finding.sheet, "findings": f"{finding.where} {finding}"}


def _finding_line(result: ReadResult, finding) -> str:
    where = finding.where or "-"
    return f"{result.path}  {where}  {finding.severity.value}  {finding.code.code}  {finding.message} —— {finding.fix}"


def _summarise(results: list[ReadResult], show_findings: bool) -> None:
    for result in results:
        if show_findings:
            for finding in result.all_findings():
                if finding.severity is not Severity.info or not result.readable:
                    typer.echo(_finding_line(result, finding), err=True)
    records = sum(len(r.records) for r in results)
    errors = sum(r.count(Severity.error) for r in results)
    warnings = sum(r.count(Severity.warning) for r in results)
    unreadable = sum(1 for r in results if not r.readable and r.count(Severity.error))
    typer.echo(f"{len(results)} files, {records} records, {errors} errors, {warnings} warnings, {unreadable} unreadable.", err=True)


def _exit_code(results: list[ReadResult]) -> int:
    if any(not r.readable and r.count(Severity.error) for r in results):
        return EXIT_UNUSABLE
    return EXIT_PROBLEMS if any(r.count(Severity.error) for r in results) else EXIT_OK


def _progress(items: list[T], what: str) -> Iterable[T]:
    """A progress bar on a terminal for long batches; the items unchanged elsewhere."""
    if len(items) < 20 or not sys.stderr.isatty():
        return items
    return track(items, description=what, console=Console(stderr=True), transient=True)


def _report(report: GenerateReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({
            "files": [{"path": str(g.path), "unit": g.unit.get("code"), "sheets": g.sheets} for g in report.files],
            "problems": [{"where": p.where, "code": p.code.code, "message": p.message, "fix": p.fix} for p in report.problems],
        }, ensure_ascii=False, indent=2))
        return
    for generated in report.files:
        typer.echo(f"{generated.path}  ({generated.sheets} project sheets)")
    _show_problems(report.problems)
    typer.echo(f"{len(report.files)} workbooks written, {len(report.problems)} problems.", err=True)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
