"""The office's steps after collecting, on a ledger: feedback to the units whose latest return
has findings, and the summary of the latest accepted returns."""

from __future__ import annotations

from pathlib import Path

from .annotate import annotate, feedback_name
from .consolidate import Summary, consolidate
from .ledger import Ledger, Outcome
from .status import unit_statuses

ACCEPTED = (Outcome.accepted, Outcome.accepted_with_warnings)


def write_feedback(ledger: Ledger, out_dir: Path) -> list[Path]:
    """Each unit's own latest workbook, its findings marked, for every unit whose latest return
    has errors or warnings (an unreadable file cannot be marked: its finding is in `status`)."""
    written = []
    names = {unit["code"]: unit["name"] for unit in ledger.units()}
    for code, latest in ledger.latest_returns().items():
        if code not in names or not (latest.errors or latest.warnings):
            continue
        findings = [f for f in ledger.findings_of(latest.file_id) if f["severity"] != "info"]
        target = out_dir / feedback_name(code, names[code], Path(latest.path).name)
        written.append(annotate(ledger.content_of(latest.file_id), findings, target, unit_name=names[code]))
    return written


def summarise(
    ledger: Ledger, target: Path, *, money_unit: str = "万元", jsonl: Path | None = None, csv_dir: Path | None = None,
    compilation: bool = True,
) -> Summary:
    """The summary workbook (and exports) of every roster unit's latest return, where accepted."""
    latest = ledger.latest_returns()
    file_ids = [latest[u["code"]].file_id for u in ledger.units()
                if u["code"] in latest and latest[u["code"]].outcome in ACCEPTED]
    return consolidate(ledger.records_of(file_ids), unit_statuses(ledger), target, money_unit=money_unit,
                       jsonl=jsonl, csv_dir=csv_dir, compilation=compilation)
