"""Commands on a filled ledger: status, feedback workbooks, the summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from xlsxkit.cli.app import (
    EXIT_OK,
    EXIT_PROBLEMS,
    ForceOption,
    LedgerOption,
    app,
    fail,
    show_problems,
)
from xlsxkit.cli.ledger_access import open_ledger
from xlsxkit.form.money import MoneyUnit


@app.command()
def status(
    db: LedgerOption = Path("returns.sqlite"),
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
) -> None:
    """Who returned, who is missing or has errors; files that belong to no unit (未识别文件).

    Exit code 0: every unit's latest return accepted and no unattributed file; 1 otherwise."""
    from xlsxkit.cycle.inbox import printable
    from xlsxkit.cycle.levels import UnitTree, count_levels
    from xlsxkit.cycle.status import Standing, unattributed_files, unit_statuses

    with open_ledger(db, read_only=True) as ledger:
        statuses = unit_statuses(ledger)
        strays = unattributed_files(ledger)
        collection = ledger.collection()
        levels = count_levels(UnitTree.of(ledger.units(), ledger.parents()), statuses)
    settled = all(s.standing in (Standing.accepted, Standing.warnings, Standing.approved) for s in statuses)
    settled = settled and not strays
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "collection": {"template": collection.template_id, "year": collection.year},
                    "units": [
                        {
                            "code": s.code,
                            "name": s.name,
                            "standing": s.standing.value,
                            "versions": s.versions,
                            "last_received": s.last_received.isoformat() if s.last_received else None,
                            "errors": s.errors,
                            "warnings": s.warnings,
                            "projects": s.projects,
                            "file": s.file,
                            "review": {
                                "by": s.decided_by,
                                "at": s.decided_at.isoformat() if s.decided_at else None,
                                "reason": s.reason,
                                "held": s.held,
                            },
                            "late": s.late,
                        }
                        for s in statuses
                    ],
                    "levels": [
                        {
                            "code": c.code,
                            "name": c.name,
                            "level": c.level,
                            "units": c.units,
                            "returned": c.returned,
                            "approved": c.approved,
                            "errors": c.errors,
                            "missing": c.missing,
                            "late": c.late,
                        }
                        for c in levels
                    ],
                    "unattributed": [
                        {
                            "path": r.path,
                            "outcome": r.outcome.value,
                            "reason": r.reason,
                            "received_at": r.received_at.isoformat(),
                        }
                        for r in strays
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        raise typer.Exit(EXIT_OK if settled else EXIT_PROBLEMS)
    from rich.console import Console  # (rich only where a table is printed: 30 ms of every command's start)
    from rich.table import Table

    # names, files and reasons are text, never markup ("[bold]"), emoji codes (":smile:") or numbers to
    # colour; and not parsing them as such takes a third off a long table (5,000 units: 10.9 s → 7.4 s)
    console = Console(width=max(Console().width, 160), markup=False, emoji=False, highlight=False)
    console.print(f"收取：模板 {collection.template_id or '（未定）'}，{collection.year or '（未定）'} 年度")
    table = Table("单位代码", "单位名称", "状态", "报送次数", "最后报送", "项目", "错误", "提示", "文件", "审核")
    for column in table.columns[:3]:
        column.no_wrap = True  # a name is never cut to a shared prefix (丰南… / 丰润…)
    table.columns[-1].overflow = "fold"  # the office's reason shown whole, over as many lines as it takes
    for s in statuses:
        received = s.last_received.strftime("%Y-%m-%d %H:%M") if s.last_received else ""
        table.add_row(
            printable(s.code),
            printable(s.name),
            s.standing.label + ("（逾期）" if s.late else ""),
            str(s.versions),
            received,
            str(s.projects),
            str(s.errors),
            str(s.warnings),
            printable(s.file or ""),
            printable(s.review_note),
        )
    console.print(table)
    if levels:
        by_level = Table(
            "单位代码",
            "单位名称",
            "层级",
            "下属单位",
            "已报送",
            "审核通过",
            "有错误",
            "未报送",
            "逾期",
            title="分级填报情况",
        )
        for c in levels:
            counts = (c.level, c.units, c.returned, c.approved, c.errors, c.missing, c.late)
            by_level.add_row(printable(c.code), printable(c.name), *(str(n) for n in counts))
        console.print(by_level)
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
    from xlsxkit.cycle.office_steps import feedback_for_units
    from xlsxkit.cycle.outputs import OutputGuard, write_problem

    with open_ledger(db, read_only=True) as ledger:
        try:
            report = feedback_for_units(ledger, out, guard=OutputGuard.for_ledger(ledger, force=force))
        except OSError as error:
            raise fail(write_problem(error, out)) from None
    for path in report.written:
        typer.echo(str(path))
    show_problems(report.problems)
    typer.echo(f"{len(report.written)} feedback workbooks written, {len(report.problems)} problems.", err=True)
    raise typer.Exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


@app.command("consolidate")
def consolidate_command(
    db: Annotated[Path, typer.Option(help="The ledger (SQLite).")] = Path("returns.sqlite"),
    out: Annotated[Path, typer.Option(help="The summary workbook.")] = Path("汇总表.xlsx"),
    jsonl: Annotated[Path | None, typer.Option(help="Also the canonical records as JSON Lines.")] = None,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv", help="Also projects.csv and indicators.csv in this folder.")
    ] = None,
    money: Annotated[MoneyUnit, typer.Option(help="Money unit of the summary.")] = MoneyUnit.wan,
    office: Annotated[
        str | None, typer.Option(help="编制单位 on every sheet of the summary (default: the roster's first unit).")
    ] = None,
    office_code: Annotated[
        str | None,
        typer.Option(help="This office's unit code, as the office above knows it (default: the roster's first unit)."),
    ] = None,
    compilation: Annotated[bool, typer.Option(help="Include 汇编, every project as its official form.")] = True,
    compilation_apart: Annotated[
        bool | None,
        typer.Option(
            "--compilation-apart/--compilation-inside",
            help="汇编 as its own workbook beside the summary (<out>-汇编.xlsx), written at the same time, "
            "or as sheets of the summary (default: apart from 500 returns on).",
        ),
    ] = None,
    parquet: Annotated[
        Path | None,
        typer.Option(
            help="Also projects and indicators as typed Parquet in this folder, partitioned by year "
            "(needs pip install 'xlsxkit[parquet]')."
        ),
    ] = None,
    relay: Annotated[
        bool,
        typer.Option(help="Carry the records in the workbook, so the office above collects it as a return (转报)."),
    ] = True,
    force: ForceOption = False,
) -> None:
    """The summary workbook of every unit's latest accepted return (and JSONL/CSV exports).

    The workbook is also this office's return to the office above: put it in that office's inbox
    and its collect counts it for this office and for every unit below it (--no-relay leaves the
    records out).

    No output may be the ledger or lie in an inbox; a file xlsxkit did not write is replaced only with --force.
    --csv and --parquet are the targets form's projects and indicators: for a 监控 or 自评 collection
    they are not written, and exit code 1 says so (the summary is written)."""
    from xlsxkit.cycle.office_steps import write_summary
    from xlsxkit.cycle.outputs import OutputGuard, write_problem

    with open_ledger(db, read_only=True) as ledger:  # a problem (e.g. 汇编 of a template not built in) exits 2
        try:
            summary = write_summary(
                ledger,
                out,
                money_unit=money,
                office=office,
                office_code=office_code,
                relay=relay,
                parquet=parquet,
                jsonl=jsonl,
                csv_dir=csv_dir,
                compilation=compilation,
                compilation_apart=compilation_apart,
                guard=OutputGuard.for_ledger(ledger, force=force),
            )
        except OSError as error:
            raise fail(write_problem(error, out)) from None
    later = f", {summary.follow_on} monitoring/self-evaluation forms" if summary.follow_on else ""
    typer.echo(
        f"{summary.workbook}: {summary.projects} projects, {summary.indicators} indicators, {summary.units} units"
        + later
    )
    papers = ", ".join(f"{sheet} {paper}" for sheet, paper in summary.papers.items())
    typer.echo(f"prints landscape, one page wide: {papers}")
    for path in [summary.compilation, summary.jsonl, *summary.csv, *summary.parquet]:
        if path is not None:
            typer.echo(str(path))
    if summary.problems:  # an export asked for and not written (the summary is)
        show_problems(summary.problems)
        raise typer.Exit(EXIT_PROBLEMS)
