"""Commands on returned workbooks without a ledger: read them into records, check them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from xlsxkit.cli.app import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_UNUSABLE,
    ForceOption,
    app,
    checked_year,
    fail,
    progress,
)
from xlsxkit.form.atomic import atomic_text
from xlsxkit.form.errors import Finding, Severity, XlsxkitError

if TYPE_CHECKING:
    from xlsxkit.read.reader import ReadResult
    from xlsxkit.read.sheet_record import SheetRecord

TemplateOption = Annotated[
    str | None,
    typer.Option("--template", help="Read workbooks without an xlsxkit stamp with this template (id or YAML file)."),
]
UnitOption = Annotated[
    str | None,
    typer.Option(
        help='The unit of workbooks without an xlsxkit stamp whose form does not print it: "CODE" or "CODE NAME".'
    ),
]
YearOption = Annotated[
    int | None, typer.Option(help="The budget year of workbooks without an xlsxkit stamp whose form does not print it.")
]
ReturnsArgument = Annotated[
    list[Path], typer.Argument(help="Returned workbooks, or folders of them (read with their subfolders).")
]


class OutputFormat(str, Enum):
    """What `xlsxkit read` writes."""

    jsonl = "jsonl"
    json = "json"
    csv = "csv"


@app.command("read")
def read_command(
    files: ReturnsArgument,
    template: TemplateOption = None,
    unit: UnitOption = None,
    year: YearOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="JSON Lines, one JSON array, or CSV (one row per indicator).")
    ] = OutputFormat.jsonl,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (default: standard output).")
    ] = None,
    with_findings: Annotated[bool, typer.Option("--with-findings", help="Each record with its findings.")] = False,
    force: ForceOption = False,
) -> None:
    """Read returned workbooks into canonical records, one per project sheet.

    The output may not be a file read, lie in a folder read, or be a ledger; a file xlsxkit did
    not write is replaced only with --force."""
    from xlsxkit.cycle.export import table_rows, write_csv, write_json, write_jsonl
    from xlsxkit.cycle.outputs import OutputGuard, write_problem

    guard = OutputGuard(
        folders_read=tuple(p for p in files if p.is_dir()),
        files_read=tuple(p for p in files if not p.is_dir()),
        force=force,
    )
    try:
        guard.check(files=[(output, "输出文件")])
    except XlsxkitError as error:
        raise fail(error) from None
    results = _read_all(files, template, unit, year)
    if output_format is OutputFormat.csv:
        items = [row for result in results for sheet in result.records for row in table_rows(sheet.record)]
        if with_findings:
            items = [{**row, "findings": ""} for row in items] + [
                _finding_row(r, f) for r in results for f in r.all_findings()
            ]
        writer: Callable[[Iterable[dict[str, Any]], IO[str]], int] = write_csv
    else:
        items = (
            [_with_findings(r, s) for r in results for s in r.records]
            if with_findings
            else [sheet.record for r in results for sheet in r.records]
        )
        if with_findings:
            items += [
                {"file": str(r.path), "record": None, "findings": [f.as_dict() for f in r.findings]}
                for r in results
                if not r.records
            ]
        writer = write_jsonl if output_format is OutputFormat.jsonl else write_json
    if output is None:
        writer(items, sys.stdout)
    else:
        try:
            with atomic_text(output, encoding="utf-8-sig" if output_format is OutputFormat.csv else "utf-8") as stream:
                writer(items, stream)
        except OSError as error:
            raise fail(write_problem(error, output)) from None
    _show_read_results(results, show_findings=not with_findings)
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
        typer.echo(
            json.dumps(
                [
                    {
                        "file": str(r.path),
                        "readable": r.readable,
                        "records": len(r.records),
                        "findings": [f.as_dict() for f in r.all_findings()],
                    }
                    for r in results
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for result in results:
            for finding in result.all_findings():
                typer.echo(_finding_line(result, finding))
        _show_read_results(results, show_findings=False)
    raise typer.Exit(_exit_code(results))


def _read_all(
    files: list[Path], template_name: str | None, unit: str | None = None, year: int | None = None
) -> list[ReadResult]:
    from xlsxkit.cycle.inbox import inbox_paths
    from xlsxkit.read.reader import read_return
    from xlsxkit.template.load import find_template

    checked_year(year)
    try:
        template = find_template(template_name) if template_name else None
    except XlsxkitError as error:
        raise fail(error) from None
    paths = [p for path in files for p in (inbox_paths(path) if path.is_dir() else [path])]
    named = _unit_given(unit)
    return [read_return(path, template=template, unit=named, year=year) for path in progress(paths, "reading")]


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
    from xlsxkit.cycle.inbox import printable

    where = finding.where or "-"
    line = f"{result.path}  {where}  {finding.severity.value}  {finding.code.code}  {finding.message} —— {finding.fix}"
    return printable(line)  # one finding a line, whatever a cell or file name holds


def _show_read_results(results: list[ReadResult], show_findings: bool) -> None:
    for result in results:
        if show_findings:
            for finding in result.all_findings():
                if finding.severity is not Severity.info or not result.readable:
                    typer.echo(_finding_line(result, finding), err=True)
    records = sum(len(r.records) for r in results)
    errors = sum(r.count(Severity.error) for r in results)
    warnings = sum(r.count(Severity.warning) for r in results)
    unreadable = sum(1 for r in results if not r.readable and r.count(Severity.error))
    typer.echo(
        f"{len(results)} files, {records} records, {errors} errors, {warnings} warnings, {unreadable} unreadable.",
        err=True,
    )


def _exit_code(results: list[ReadResult]) -> int:
    if any(not r.readable and r.count(Severity.error) for r in results):
        return EXIT_UNUSABLE
    return EXIT_PROBLEMS if any(r.count(Severity.error) for r in results) else EXIT_OK
