"""Where each roster unit stands in a collection: returned, missing, returned with errors or
with warnings, how many versions, when last received. Built from the ledger; shown by
`xlsxkit status` and on the summary workbook's 填报情况 sheet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath

from xlsxkit.cycle.decisions import APPROVED, counted_returns, current_decisions
from xlsxkit.cycle.ledger import Ledger, Outcome, Receipt
from xlsxkit.cycle.relay_receipts import PART_MARK
from xlsxkit.form.errors import Code


class Standing(str, Enum):
    """Where a roster unit stands: its latest return accepted, with warnings, with errors, or missing."""

    accepted = "accepted"  # the latest return read without findings
    warnings = "warnings"  # … with warnings only
    errors = "errors"  # the latest return has errors (or could not be read): feedback goes back
    missing = "missing"  # nothing received
    approved = "approved"  # the office approved a version: it counts (later files are held)
    returned = "returned"  # the office sent the latest version back, with a reason

    @property
    def label(self) -> str:
        """The standing in Chinese, as the status table shows it."""
        return STANDING_LABELS[self]


STANDING_LABELS = {
    Standing.accepted: "已报送",
    Standing.warnings: "已报送（有提示）",
    Standing.errors: "有错误，待修改",
    Standing.missing: "未报送",
    Standing.approved: "审核通过",
    Standing.returned: "已退回",
}


@dataclass(frozen=True)
class UnitStatus:
    """One roster unit's row of the status table."""

    code: str
    name: str
    standing: Standing
    versions: int = 0  # returns received from the unit (a resubmission is a new version)
    last_received: dt.datetime | None = None
    errors: int = 0  # findings in the latest return
    warnings: int = 0
    projects: int = 0  # records in the latest return
    file: str | None = None  # the latest return's file name
    decided_by: str | None = None  # who approved or returned the version shown, and when, and why
    decided_at: dt.datetime | None = None
    reason: str | None = None
    held: int = 0  # files received after the approved version, held until the unit is reopened
    late: bool = False  # the version shown came after the collection's deadline

    @property
    def review_note(self) -> str:
        """The office's decision on the version shown, as 填报情况 and `status` say it ("" for none)."""
        if self.decided_at is None:
            return ""
        note = f"{self.standing.label}（{self.decided_by}，{self.decided_at:%Y-%m-%d %H:%M}）"
        if self.reason:
            note += f"：{self.reason}"
        if self.held:
            note += f"；其后收到 {self.held} 份，重新打开后计入"
        return note


def unit_statuses(ledger: Ledger) -> list[UnitStatus]:
    """Every roster unit's standing, in roster order, from its latest return."""
    latest = counted_returns(ledger)
    decisions = current_decisions(ledger)
    deadline = ledger.deadline()
    statuses = []
    for unit in ledger.units():
        last = latest.get(unit["code"])
        if last is None:
            statuses.append(UnitStatus(unit["code"], unit["name"], Standing.missing))
            continue
        decision = decisions.get(unit["code"])
        standing = STANDING_OF[last.outcome]
        decided = decision is not None and decision.receipt_id == last.receipt_id
        if decided and decision is not None:
            standing = Standing.approved if decision.decision == APPROVED else Standing.returned
        statuses.append(
            UnitStatus(
                unit["code"],
                unit["name"],
                standing,
                versions=last.versions,
                last_received=last.received_at,
                errors=last.errors,
                warnings=last.warnings,
                projects=last.projects,
                file=last.path,
                decided_by=decision.decided_by if decided and decision else None,
                decided_at=decision.decided_at if decided and decision else None,
                reason=decision.reason if decided and decision else None,
                held=last.versions - last.version,
                late=deadline is not None and last.arrived_at.date() > deadline,
            )
        )
    return statuses


STANDING_OF = {
    Outcome.accepted: Standing.accepted,
    Outcome.accepted_with_warnings: Standing.warnings,
    Outcome.rejected: Standing.errors,
    Outcome.skipped: Standing.errors,
}


def unattributed_files(ledger: Ledger, *, every: bool = False) -> list[Receipt]:
    """Files received that belong to no roster unit (未识别文件): not attributable, stamped for a
    unit not on the roster, another unit's workbook, or unreadable with no unit in their name —
    those still in an inbox the collection was collected from and not replaced there since by
    other bytes (a file renamed as its fix asks, or removed, is done with); `every`: all ever
    received (the ledger keeps them)."""
    roster = {unit["code"] for unit in ledger.units()}
    receipts = ledger.receipts()
    latest_at = {receipt.path: receipt.id for receipt in receipts}
    inboxes = ledger.inboxes()
    return [
        receipt
        for receipt in receipts
        if (
            receipt.reason in UNATTRIBUTED
            or (receipt.outcome is Outcome.rejected and (receipt.unit_code is None or receipt.unit_code not in roster))
        )
        and (every or (latest_at[receipt.path] == receipt.id and _still_there(receipt.path, inboxes)))
    ]


def _still_there(label: str, inboxes: list[Path]) -> bool:
    """Whether a receipt's file (or the .zip or summary it came in) is still in one of `inboxes`
    (True where the ledger knows none)."""
    if not inboxes:
        return True
    candidates = {label, label.rsplit(PART_MARK, 1)[0]}
    for inbox in inboxes:
        for candidate in candidates:
            place = inbox
            for part in PurePosixPath(candidate).parts:
                place = place / part
                if place.is_file() or place.is_symlink():
                    return True
    return False


UNATTRIBUTED = frozenset({Code.L_NOT_ON_ROSTER.code, Code.L_OTHER_UNIT.code, Code.L_UNATTRIBUTED.code})
