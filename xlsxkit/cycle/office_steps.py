"""The office's steps after collecting, on a ledger: feedback to the units whose latest return
has findings, and the summary of the latest accepted returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from xlsxkit.cycle.annotate import annotate, feedback_name
from xlsxkit.cycle.consolidate import CSV_FILES, Summary, consolidate
from xlsxkit.cycle.decisions import RETURNED, counted_returns, current_decisions
from xlsxkit.cycle.ledger import ACCEPTED, Ledger
from xlsxkit.cycle.levels import UnitTree
from xlsxkit.cycle.monitor_report import MONITOR_SHEET
from xlsxkit.cycle.outputs import OutputGuard
from xlsxkit.cycle.self_evaluation_report import SELF_EVALUATION_SHEET
from xlsxkit.cycle.status import unit_statuses
from xlsxkit.form.errors import Code, Finding, Problem, ReturnFileError, XlsxkitError
from xlsxkit.form.money import MoneyUnit
from xlsxkit.form.relay import RelayHeading
from xlsxkit.template.load import builtin_template, parse_template
from xlsxkit.template.model import Template

COMPILATION_APART_FROM = 500  # returns summarised: from this many on, 汇编 is a workbook of its own


@dataclass
class FeedbackReport:
    """The feedback workbooks written, and the units whose workbook could not be."""

    written: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def feedback_for_units(ledger: Ledger, out_dir: Path, *, guard: OutputGuard | None = None) -> FeedbackReport:
    """Each unit's own latest workbook, its findings marked, for every unit whose latest return
    has errors or warnings. A return that cannot be opened to be marked (one the guarded open
    refuses, one openpyxl fails on) is a problem of its unit, and the others' are written.
    With a `guard`, the folder and every workbook about to be written are checked first."""
    names = {unit["code"]: unit["name"] for unit in ledger.units()}
    counted = counted_returns(ledger)
    returned = {
        code: decision
        for code, decision in current_decisions(ledger).items()
        if decision.decision == RETURNED and code in counted and decision.receipt_id == counted[code].receipt_id
    }
    due = [
        (code, latest, out_dir / feedback_name(code, names[code], Path(latest.path).name))
        for code, latest in counted.items()
        if code in names and (latest.errors or latest.warnings or code in returned)
    ]
    if guard is not None:
        guard.check(folders=[(out_dir, "问题反馈文件夹")])
        guard.check(files=[(target, "问题反馈工作簿") for _, _, target in due])
    if due:
        out_dir.mkdir(parents=True, exist_ok=True)  # a folder that cannot be made stops all, before any unit
    report = FeedbackReport()
    for code, latest, target in due:
        findings = [f for f in ledger.findings_of(latest.evaluation_id) if f["severity"] != "info"]
        if code in returned:  # the office's reason heads 问题清单
            decision = returned[code]
            at = f"{decision.decided_at:%Y-%m-%d %H:%M}"
            details_of = {"by": decision.decided_by, "at": at, "reason": decision.reason or ""}
            findings.insert(0, Finding(Code.L_REVIEW_RETURNED, details=details_of).as_dict())
        records = list(ledger.records_of([latest.evaluation_id]))
        content = ledger.content_of_receipt(latest.receipt_id)
        details = {"unit": code, "name": names[code]}
        if content is None:
            report.problems.append(
                Problem(Code.O_FEEDBACK_FAILED, latest.path, {**details, "detail": "账本中没有这个文件的内容"})
            )
            continue
        try:
            report.written.append(annotate(content, findings, target, unit_name=names[code], records=records))
        except Exception as error:
            report.problems.append(
                Problem(Code.O_FEEDBACK_FAILED, latest.path, {**details, "detail": _why(error, target)})
            )
    return report


def _why(error: Exception, target: Path) -> str:
    """Why a unit's feedback workbook could not be written, in a few words."""
    if isinstance(error, ReturnFileError):  # the guarded open refuses the return: its finding says why
        return error.finding.message
    if isinstance(error, OSError):
        return f"无法写入 {target}（{error.strerror or error}）"
    first_line = next(iter(str(error).splitlines()), "")  # openpyxl fails on some files the reader reads
    return f"openpyxl 无法打开这个文件（{type(error).__name__}: {first_line}）"


def write_feedback(ledger: Ledger, out_dir: Path) -> list[Path]:
    """The feedback workbooks (feedback_for_units), for callers that stop at a problem: the paths
    written, or XlsxkitError listing the units whose workbook failed (the others' are written)."""
    report = feedback_for_units(ledger, out_dir)
    if report.problems:
        raise XlsxkitError(report.problems)
    return report.written


def write_summary(
    ledger: Ledger,
    target: Path,
    *,
    money_unit: MoneyUnit = MoneyUnit.wan,
    jsonl: Path | None = None,
    csv_dir: Path | None = None,
    compilation: bool = True,
    compilation_apart: bool | None = None,
    office: str | None = None,
    office_code: str | None = None,
    relay: bool = True,
    parquet: Path | None = None,
    guard: OutputGuard | None = None,
) -> Summary:
    """The summary workbook (and exports) of every roster unit's latest return, where accepted,
    in unit-code order. `office` (编制单位) and `office_code` default to the roster's first unit,
    the office at the top of its list. With `relay`, the workbook carries its records for the
    office above (form/relay). With `compilation_apart` (by default: from COMPILATION_APART_FROM
    returns on), 汇编 is its own workbook beside the summary (compilation_file), drawn at the same
    time by a second process. With a `guard`, every output is checked before anything is written."""
    collection = ledger.collection()
    template = _collection_template(collection.template_id, collection.template_yaml)
    not_written = _targets_only_exports(template, csv_dir=csv_dir, parquet=parquet)
    if not_written:  # the project and indicator tables are the targets form's: said, not written empty
        csv_dir = parquet = None
    evaluation_ids = summarised_evaluations(ledger)
    if compilation_apart is None:
        compilation_apart = len(evaluation_ids) >= COMPILATION_APART_FROM
    apart = compilation_file(target) if compilation and compilation_apart else None
    if guard is not None:
        csv_files = [(csv_dir / name if csv_dir is not None else None, f"CSV 文件 {name}") for name in CSV_FILES]
        guard.check(
            files=[(target, "汇总表"), (apart, "汇编"), (jsonl, "记录文件（JSONL）"), *csv_files],
            folders=[(csv_dir, "CSV 文件夹"), (parquet, "Parquet 文件夹")],
        )
    units = ledger.units()
    tree = UnitTree.of(units, ledger.parents())
    parents = ledger.parents()
    heading = RelayHeading(
        template_id=collection.template_id or "",
        template_version=template.version if template is not None else "",
        year=collection.year,
        office_code=office_code if office_code is not None else (units[0]["code"] if units else ""),
        office_name=office if office is not None else (units[0]["name"] if units else ""),
        generated_at=dt.datetime.now().replace(microsecond=0).isoformat(),
        units=tuple((u["code"], u["name"], parents.get(u["code"])) for u in units),
    )
    summary = consolidate(
        ledger.records_of(evaluation_ids),
        unit_statuses(ledger),
        target,
        money_unit=money_unit,
        jsonl=jsonl,
        csv_dir=csv_dir,
        compilation=compilation,
        compilation_file=apart,
        office=office if office is not None else (units[0]["name"] if units else ""),
        year=collection.year,
        template=template,
        tree=tree,
        relay=heading if relay else None,
        parquet=parquet,
        parquet_name=heading.office_code or None,
        finding_counts={code: (r.errors, r.warnings) for code, r in counted_returns(ledger).items()},
    )
    summary.problems += not_written
    return summary


FOLLOW_ON_NAMES = {
    "monitor": ("绩效运行监控表", MONITOR_SHEET),
    "self_evaluation": ("绩效自评表", SELF_EVALUATION_SHEET),
}


def _targets_only_exports(template: Template | None, *, csv_dir: Path | None, parquet: Path | None) -> list[Problem]:
    """--csv and --parquet are the targets form's projects and indicators: for a collection of a
    later form (监控, 自评) they would hold no record, so they are not written, and the office is told."""
    if template is None or template.form not in FOLLOW_ON_NAMES:
        return []
    form, report = FOLLOW_ON_NAMES[template.form]
    asked = [(option, where) for option, where in (("--csv", csv_dir), ("--parquet", parquet)) if where is not None]
    return [
        Problem(Code.O_EXPORT_TARGETS_ONLY, str(where), {"option": option, "form": form, "report": report})
        for option, where in asked
    ]


def compilation_file(summary: Path) -> Path:
    """Where 汇编 goes when it is a workbook of its own: beside the summary, named after it."""
    return summary.with_name(f"{summary.stem}-汇编{summary.suffix or '.xlsx'}")


def summarised_evaluations(ledger: Ledger) -> list[int]:
    """The evaluations the office's summary is made of, in unit-code order (depth first where the
    roster names parents: each sub-office, then the units below it): each roster unit's counted
    return (an approved version held against later files), where it was accepted and the office
    has not returned it."""
    latest = counted_returns(ledger)
    returned = {
        code
        for code, d in current_decisions(ledger).items()
        if d.decision == RETURNED and code in latest and d.receipt_id == latest[code].receipt_id
    }
    order = UnitTree.of(ledger.units(), ledger.parents()).depth_first()
    return [
        latest[code].evaluation_id
        for code in order
        if code in latest and latest[code].outcome in ACCEPTED and code not in returned
    ]


def _collection_template(template_id: str | None, template_yaml: str | None) -> Template | None:
    """The collection's template: the YAML the ledger keeps for a template file, else the built-in
    one of that id (None where the collection has none, or it no longer loads)."""
    if template_yaml is not None:
        try:
            return parse_template(template_yaml, f"{template_id}.yaml")
        except XlsxkitError:
            return None
    return builtin_template(template_id) if template_id else None
