"""The office's decisions on each unit's return: approve a version (it then counts, and a later
file is held until the unit is reopened), return it with a reason, or reopen an approved unit.
Every decision is kept in the ledger's append-only trail, with who made it and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from xlsxkit.cycle.ledger import ACCEPTED, LatestReturn, Ledger
from xlsxkit.cycle.office_records import Decision
from xlsxkit.form.errors import Code, InputError, Problem, did_you_mean

APPROVED, RETURNED, REOPENED = "approved", "returned", "reopened"


def current_decisions(ledger: Ledger) -> dict[str, Decision]:
    """Each unit's latest decision, by unit code."""
    return {decision.unit_code: decision for decision in ledger.decisions()}


def counted_returns(ledger: Ledger) -> dict[str, LatestReturn]:
    """Each unit's version that counts: its latest, except where the office approved an earlier
    one, which counts (the later ones held) until the unit is reopened."""
    counted = ledger.latest_returns()
    for code, decision in current_decisions(ledger).items():
        latest = counted.get(code)
        if decision.decision != APPROVED or decision.receipt_id is None or latest is None:
            continue
        if latest.receipt_id != decision.receipt_id:
            approved = ledger.return_of(decision.receipt_id)
            if approved is not None:
                counted[code] = replace(approved, versions=latest.versions)
    return counted


def review(
    ledger: Ledger, unit_code: str, decision: str, *, reason: str | None = None, by: str, at: dt.datetime
) -> Decision:
    """Record the office's decision on a unit's current version (InputError where it cannot be made)."""
    names = {unit["code"]: unit["name"] for unit in ledger.units()}
    if unit_code not in names:
        raise InputError(
            [
                Problem(
                    Code.L_REVIEW_UNKNOWN_UNIT,
                    unit_code,
                    {"unit": unit_code, "suggestion": did_you_mean(unit_code, names)},
                )
            ]
        )
    counted = counted_returns(ledger).get(unit_code)
    current = current_decisions(ledger).get(unit_code)
    receipt: int | None = None
    if decision == REOPENED:
        if current is None or current.decision != APPROVED:
            raise InputError([Problem(Code.L_REVIEW_NOT_APPROVED, unit_code, {"unit": unit_code})])
    else:
        if counted is None:
            raise InputError([Problem(Code.L_REVIEW_NOTHING, unit_code, {"unit": unit_code})])
        if decision == RETURNED and not (reason or "").strip():
            raise InputError([Problem(Code.L_REVIEW_NO_REASON, unit_code)])
        if decision == APPROVED and counted.outcome not in ACCEPTED:
            details = {"unit": unit_code, "version": counted.version, "errors": counted.errors}
            raise InputError([Problem(Code.L_REVIEW_HAS_ERRORS, unit_code, details)])
        receipt = counted.receipt_id
    made = Decision(unit_code, receipt, decision, (reason or "").strip() or None, by, at.replace(microsecond=0))
    ledger.record_decision(made)
    return made
