"""xlsxkit's command line: thin typer commands that parse, call the library, report.

Exit codes: 0 all done; 1 done, but some units or lines had problems (listed); 2 nothing
could be done (unusable template, roster or records file).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from xlsxkit.atomic import atomic_text
from xlsxkit.collect import CollectReport, collect, recheck
from xlsxkit.consolidate import MONEY_UNITS
from xlsxkit.cycle import feedback_for_units, summarise
from xlsxkit.demo import run_demo
from xlsxkit.errors import Code, Finding, InputError, Problem, Severity, XlsxkitError
from xlsxkit.export import table_rows, write_csv, write_json, write_jsonl
from xlsxkit.generate import (
    GenerateReport,
    UnitRecords,
    generate_blank,
    generate_for_roster,
    generate_prefilled,
    read_record_groups,
)
from xlsxkit.inbox import inbox_paths, printable
from xlsxkit.ledger import Ledger
from xlsxkit.load import builtin_templates, find_template, load_template
from xlsxkit.outputs import OutputGuard, ledger_problem, write_problem
from xlsxkit.read import ReadResult, read_return
from xlsxkit.roster import read_roster
from xlsxkit.sheet_record import SheetRecord
from xlsxkit.status import Standing, unattributed_files, unit_statuses
from xlsxkit.template import Template, template_schema

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
        dt.datetime | None, typer.Option(help="Generation time; fixed for byte-identical output (default: SOURCE_DATE_EPOCH or now).")
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
            groups, trouble = read_record_groups(records, chosen, roster_units=units.units if units is not None else None)
            problems += trouble
        if units is None:
            report = generate_prefilled(chosen, _progress(groups, "generating"), year, out, password, generated_at)
        elif records is None:
            report = generate_blank(chosen, _progress(units.units, "generating"), year or dt.date.today().year, out,
                                    projects, password, generated_at)
        else:
            report = generate_for_roster(chosen, _progress(units.units, "generating"), groups,
                                         year or dt.date.today().year, out, projects, password, generated_at,
                                         records_file=records)
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
    db: LedgerOption = Path("returns.sqlite"),
    roster: Annotated[Path | None, typer.Option(help="Units expected (CSV or XLSX); kept in the ledger.")] = None,
    drop_units: DropUnitsOption = False,
    template: CollectionTemplateOption = None,
    year: CollectionYearOption = None,
    workers: WorkersOption = 1,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Read every new return in the inbox and record it, with its outcome, in the ledger.

    Exit code 0: every file accepted (warnings allowed); 1: a file was rejected or belongs to no
    unit; 2: nothing could be done (no inbox, no roster, another collection's ledger)."""
    if not inbox.is_dir():
        typer.echo(f"{inbox}: no such folder", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    chosen, yaml_text = _collection_template(template)
    with _open_ledger(db, create=True) as ledger:
        if roster is not None:
            _take_roster(ledger, roster, drop_units)
        if not ledger.units():
            typer.echo("The ledger has no roster yet: give --roster units.csv.", err=True)
            raise typer.Exit(EXIT_UNUSABLE)
        report = collect(inbox, ledger, template=chosen, template_yaml=yaml_text, year=year, workers=workers,
                         progress=lambda paths: _progress(paths, "collecting"))
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
    chosen, yaml_text = _collection_template(template)
    with _open_ledger(db) as ledger:
        if roster is not None:
            _take_roster(ledger, roster, drop_units)
        report = recheck(ledger, template=chosen, template_yaml=yaml_text, year=year, workers=workers)
    _collect_report(report, as_json, what="files judged again")
    raise typer.Exit(EXIT_OK if report.all_accepted else EXIT_PROBLEMS)


def _take_roster(ledger: Ledger, roster: Path, drop_units: bool) -> None:
    """The roster read and given to the ledger; what changed said, when it replaces another."""
    had = bool(ledger.units())
    try:
        units = read_roster(roster)
        _show_problems(units.problems)
        change = ledger.replace_roster(units.units, drop_units=drop_units)
    except XlsxkitError as error:
        raise _fail(error) from None
    if had and (change.added or change.removed or change.renamed):
        typer.echo(str(change), err=True)


def _collection_template(name: str | None) -> tuple[Template | None, str | None]:
    """The template a collection is for, and its YAML when it is a file (the ledger keeps it)."""
    if name is None:
        return None, None
    try:
        chosen = find_template(name)
    except XlsxkitError as error:
        raise _fail(error) from None
    path = Path(name)
    return chosen, path.read_text(encoding="utf-8") if path.is_file() else None


def _collect_report(report: CollectReport, as_json: bool, what: str = "new files") -> None:
    if as_json:
        typer.echo(json.dumps({"unchanged": report.unchanged, "files": [
            {"path": label, "outcome": outcome.value, "reason": reason} for label, outcome, reason in report.outcomes
        ]}, ensure_ascii=False, indent=2))
        return
    for label, outcome, reason in report.outcomes:
        typer.echo(f"{printable(label)}  {outcome.value}  {reason}".rstrip())
    counts = ", ".join(f"{n} {o.value}" for o, n in sorted(report.count().items()))
    typer.echo(f"{len(report.outcomes)} {what}: {counts or 'none'}; {report.unchanged} unchanged.", err=True)


@app.command()
def status(
    db: LedgerOption = Path("returns.sqlite"),
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Who returned, who is missing or has errors; files that belong to no unit (未识别文件).

    Exit code 0: every unit's latest return accepted and no unattributed file; 1 otherwise."""
    with _open_ledger(db, read_only=True) as ledger:
        statuses = unit_statuses(ledger)
        strays = unattributed_files(ledger)
        collection = ledger.collection()
    settled = all(s.standing in (Standing.accepted, Standing.warnings) for s in statuses) and not strays
    if as_json:
        typer.echo(json.dumps({
            "collection": {"template": collection.template_id, "year": collection.year},
            "units": [{
                "code": s.code, "name": s.name, "standing": s.standing.value, "versions": s.versions,
                "last_received": s.last_received.isoformat() if s.last_received else None, "errors": s.errors,
                "warnings": s.warnings, "projects": s.projects, "file": s.file,
            } for s in statuses],
            "unattributed": [{"path": r.path, "outcome": r.outcome.value, "reason": r.reason,
                              "received_at": r.received_at.isoformat()} for r in strays],
        }, ensure_ascii=False, indent=2))
        raise typer.Exit(EXIT_OK if settled else EXIT_PROBLEMS)
    console = Console(width=max(Console().width, 160))
    console.print(f"收取：模板 {collection.template_id or '（未定）'}，{collection.year or '（未定）'} 年度")
    table = Table("单位代码", "单位名称", "状态", "报送次数", "最后报送", "项目", "错误", "提示", "文件")
    for column in table.columns[:3]:
        column.no_wrap = True  # a name is never cut to a shared prefix (丰南… / 丰润…)
    for s in statuses:
        received = s.last_received.strftime("%Y-%m-%d %H:%M") if s.last_received else ""
        table.add_row(printable(s.code), printable(s.name), s.standing.label, str(s.versions), received,
                      str(s.projects), str(s.errors), str(s.warnings), printable(s.file or ""))
    console.print(table)
    if strays:
        listing = Table("未识别文件", "结果", "原因", "收到", title="未识别文件（不属于名单中的任何单位）")
        for r in strays:
            listing.add_row(printable(r.path), r.outcome.value, r.reason, r.received_at.strftime("%Y-%m-%d %H:%M"))
        console.print(listing)
    raise typer.Exit(EXIT_OK if settled else EXIT_PROBLEMS)


@app.command()
def feedback(
    db: Annotated[Path, typer.Option(help="The ledger (SQLite).")] = Path("returns.sqlite"),
    out: Annotated[Path, typer.Option(help="Folder for the annotated workbooks (not in an inbox).")] = Path("feedback"),
    force: ForceOption = False,
) -> None:
    """Each unit whose latest return has findings gets its own workbook back, findings marked.

    Exit code 0: every workbook written; 1: a unit's return could not be marked (listed; the
    others are written); 2: nothing written (no ledger, an output refused)."""
    with _open_ledger(db, read_only=True) as ledger:
        try:
            report = feedback_for_units(ledger, out, guard=OutputGuard.for_ledger(ledger, force=force))
        except OSError as error:
            raise _fail(write_problem(error, out)) from None
    for path in report.written:
        typer.echo(str(path))
    _show_problems(report.problems)
    typer.echo(f"{len(report.written)} feedback workbooks written, {len(report.problems)} problems.", err=True)
    raise typer.Exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


@app.command("consolidate")
def consolidate_command(
    db: Annotated[Path, typer.Option(help="The ledger (SQLite).")] = Path("returns.sqlite"),
    out: Annotated[Path, typer.Option(help="The summary workbook.")] = Path("汇总表.xlsx"),
    jsonl: Annotated[Path | None, typer.Option(help="Also the canonical records as JSON Lines.")] = None,
    csv_dir: Annotated[Path | None, typer.Option("--csv", help="Also projects.csv and indicators.csv in this folder.")] = None,
    money: Annotated[str, typer.Option(help="Money unit of the summary: 万元 or 元.")] = "万元",
    compilation: Annotated[bool, typer.Option(help="Include 汇编, every project as its official form.")] = True,
    force: ForceOption = False,
) -> None:
    """The summary workbook of every unit's latest accepted return (and JSONL/CSV exports).

    No output may be the ledger or lie in an inbox; a file xlsxkit did not write is replaced only with --force."""
    if money not in MONEY_UNITS:
        typer.echo("--money must be 万元 or 元", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    with _open_ledger(db, read_only=True) as ledger:  # a problem (e.g. 汇编 of a template not built in) exits 2
        try:
            summary = summarise(ledger, out, money_unit=money, jsonl=jsonl, csv_dir=csv_dir, compilation=compilation,
                                guard=OutputGuard.for_ledger(ledger, force=force))
        except OSError as error:
            raise _fail(write_problem(error, out)) from None
    typer.echo(f"{summary.workbook}: {summary.projects} projects, {summary.indicators} indicators, {summary.units} units")
    for path in [summary.jsonl, *summary.csv]:
        if path is not None:
            typer.echo(str(path))


@contextmanager
def _open_ledger(db: Path, *, read_only: bool = False, create: bool = False) -> Iterator[Ledger]:
    """The ledger at `db`, which must be there (unless `create`: collect starts one); `read_only`
    for the commands that only read it. Whatever is wrong — no ledger, a folder, not a ledger,
    damaged, read-only where it must be written — and any catalogued problem of the command's own
    is shown, and exits 2, whether it shows when the ledger is opened or while the command uses it."""
    if not db.exists() and not create:
        typer.echo(f"{db}: no ledger here; run xlsxkit collect first.", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        with (_connected(db, read_only) if db.exists() else Ledger(db)) as ledger:
            yield ledger
    except XlsxkitError as error:
        raise _fail(error) from None
    except sqlite3.DatabaseError as error:
        raise _fail(InputError([ledger_problem(db, error)])) from None


def _connected(db: Path, read_only: bool) -> Ledger:
    """Opened read-only first, so that a file which is not a ledger is refused before anything is
    written to it; opened for writing where the command writes, or to migrate an earlier
    xlsxkit's ledger in place."""
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


LedgerOption = Annotated[Path, typer.Option("--db", help="The ledger (SQLite).")]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Replace existing files xlsxkit did not write (never the ledger, nor a file in an inbox).")]
CollectionTemplateOption = Annotated[str | None, typer.Option(
    "--template", help="The collection's template (id or YAML file): reads returns without an xlsxkit stamp; "
    "kept in the ledger. Default: the template of the stamped returns.")]
CollectionYearOption = Annotated[int | None, typer.Option(
    help="The collection's budget year; kept in the ledger. Default: the year of the stamped returns.")]
DropUnitsOption = Annotated[bool, typer.Option(
    "--drop-units", help="Take a roster that leaves out units whose returns the ledger holds.")]
WorkersOption = Annotated[int, typer.Option(min=1, max=64, help="Processes reading returns in parallel.")]


TemplateOption = Annotated[
    str | None, typer.Option("--template", help="Read workbooks without an xlsxkit stamp with this template (id or YAML file).")
]
UnitOption = Annotated[str | None, typer.Option(
    help='The unit of workbooks without an xlsxkit stamp whose form does not print it: "CODE" or "CODE NAME".')]
YearOption = Annotated[int | None, typer.Option(
    help="The budget year of workbooks without an xlsxkit stamp whose form does not print it.")]
ReturnsArgument = Annotated[list[Path], typer.Argument(help="Returned workbooks, or folders of them (read with their subfolders).")]


@app.command("read")
def read_command(
    files: ReturnsArgument,
    template: TemplateOption = None,
    unit: UnitOption = None,
    year: YearOption = None,
    output_format: Annotated[str, typer.Option("--format", help="jsonl, json or csv (one row per indicator).")] = "jsonl",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here (default: standard output).")] = None,
    with_findings: Annotated[bool, typer.Option("--with-findings", help="Each record with its findings.")] = False,
    force: ForceOption = False,
) -> None:
    """Read returned workbooks into canonical records, one per project sheet.

    The output may not be a file read, lie in a folder read, or be a ledger; a file xlsxkit did
    not write is replaced only with --force."""
    if output_format not in ("jsonl", "json", "csv"):
        typer.echo(f"--format must be jsonl, json or csv, not {output_format}", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    guard = OutputGuard(folders_read=tuple(p for p in files if p.is_dir()),
                        files_read=tuple(p for p in files if not p.is_dir()), force=force)
    try:
        guard.check(files=[(output, "输出文件")])
    except XlsxkitError as error:
        raise _fail(error) from None
    results = _read_all(files, template, unit, year)
    if output_format == "csv":
        items = [row for result in results for sheet in result.records for row in table_rows(sheet.record)]
        if with_findings:
            items = [{**row, "findings": ""} for row in items] + [_finding_row(r, f) for r in results for f in r.all_findings()]
        writer: Callable[[Iterable[dict[str, Any]], IO[str]], int] = write_csv
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
        try:
            with atomic_text(output, encoding="utf-8-sig" if output_format == "csv" else "utf-8") as stream:
                writer(items, stream)
        except OSError as error:
            raise _fail(write_problem(error, output)) from None
    _summarise(results, show_findings=not with_findings)
    raise typer.Exit(_exit_code(results))


@app.command()
def check(
    files: ReturnsArgument,
    template: TemplateOption = None,
    unit: UnitOption = None,
    year: YearOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """List every finding in returned workbooks: file, sheet!cell, severity, code, message.

    Exit code 0: no errors; 1: a file has errors; 2: a file could not be read at all."""
    results = _read_all(files, template, unit, year)
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


def _read_all(files: list[Path], template_name: str | None, unit: str | None = None,
              year: int | None = None) -> list[ReadResult]:
    try:
        template = find_template(template_name) if template_name else None
    except XlsxkitError as error:
        raise _fail(error) from None
    paths = [p for path in files for p in (inbox_paths(path) if path.is_dir() else [path])]
    named = _unit_given(unit)
    return [read_return(path, template, unit=named, year=year) for path in _progress(paths, "reading")]


def _unit_given(text: str | None) -> dict[str, str | None] | None:
    """--unit "603001" or "603001 唐山市…本级" as a record's unit."""
    if text is None:
        return None
    code, _, name = text.strip().partition(" ")
    return {"code": code or None, "name": name.strip() or None}


def _with_findings(result: ReadResult, sheet: SheetRecord) -> dict[str, Any]:
    findings = [*(f for f in result.findings if f.sheet in (None, sheet.sheet)), *sheet.findings]
    return {"file": str(result.path), "record": sheet.record, "findings": [f.as_dict() for f in findings]}


def _finding_row(result: ReadResult, finding: Finding) -> dict[str, Any]:
    return {"source.file": result.path.name, "source.sheet": finding.sheet, "findings": f"{finding.where} {finding}"}


def _finding_line(result: ReadResult, finding: Finding) -> str:
    where = finding.where or "-"
    line = f"{result.path}  {where}  {finding.severity.value}  {finding.code.code}  {finding.message} —— {finding.fix}"
    return printable(line)  # one finding a line, whatever a cell or file name holds


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
