"""Judging one file received: which unit's it is (by our stamp, else by the unit code or name in
its file or folder name), whether it is of the collection's year and template, whether it counts
as a version of its unit's return (a duplicate of its latest, a relayed unit's part mailed again,
a unit a newer summary no longer carries, an attachment that is no workbook), and its outcome —
with the collector's own findings (L codes) added to the reader's."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from xlsxkit.cycle.ledger import Evaluation, Ledger, Outcome, Received
from xlsxkit.cycle.relay_receipts import (
    PART_MARK,
    is_relayed,
    is_unit_part,
    is_withdrawal,
)
from xlsxkit.form.errors import Code, Finding, Severity

LEADING_CODE = re.compile(r"^\s*([0-9A-Za-z]+)")
# What a file named as a workbook may be called; a file that cannot be opened as one and
# is named otherwise (a scan "…（盖章）.pdf", a "说明.docx") is an attachment, not a version.
WORKBOOK_SUFFIXES = frozenset(
    {".xlsx", ".xlsm", ".xltx", ".xltm", ".xlsb", ".xls", ".xlt", ".et", ".ett", ".ods", ".ots", ".csv", ".zip"}
)
# What the guard says of bytes it looked at and found no workbook in (a file refused unread — a
# link out of the inbox, one too large — is not judged by its name: the office is told).
NOT_A_WORKBOOK = frozenset({Code.F_EMPTY.code, Code.F_NOT_XLSX.code, Code.F_BROKEN.code})


def wants_a_template(received: Received) -> bool:
    """Whether a file could not be read for want of a template: no stamp of ours, and none given
    (R001) — read again once the collection's template is known."""
    return any(f["code"] == Code.R_NO_STAMP.code for f in received.findings)


def judge(label: str, received: Received, ledger: Ledger, *, before: int | None = None) -> tuple[Evaluation, Received]:
    """The outcome of one file read from the inbox at `label` (received before receipt `before`,
    when it is judged again), and what is recorded of it: attributed records, the collector's
    own findings (L codes) added."""
    roster = ledger.roster()
    collection = ledger.collection()
    verdict = _Verdict(received)
    errors = [f["code"] for f in received.findings if f["severity"] == Severity.error.value]
    if not received.readable and not errors:  # skipped on purpose (an Excel lock file)
        return verdict.done(Outcome.skipped, received.findings[0]["code"], counts=False, unit=None)
    if not received.readable and _attachment(label, received):
        return verdict.done_with(
            Finding(Code.L_NOT_A_WORKBOOK, details={"detail": _why_unread(received)}),
            counts=False,
            unit=None,
            outcome=Outcome.skipped,
        )
    if is_withdrawal(received):
        return _withdrawal(received, ledger, before, verdict)
    named = _named_unit(label, roster)
    if received.stamped:
        unit = received.unit_code
        if unit is None or unit not in roster:
            return verdict.done_with(
                Finding(Code.L_NOT_ON_ROSTER, details={"unit": unit or "（未知）", "name": received.unit_name or ""}),
                counts=False,
                unit=unit,
            )
        if received.relayed_by is not None and received.relayed_by == next(iter(roster), None):
            return verdict.done_with(Finding(Code.L_OWN_SUMMARY, details={"office": unit}), counts=False, unit=None)
        if named is not None and named[0] != unit and not is_unit_part(received):
            return verdict.done_with(
                Finding(
                    Code.L_OTHER_UNIT,
                    details={"named": named[0], "stamped": unit, "stamped_name": received.unit_name or roster[unit]},
                ),
                counts=False,
                unit=unit,
            )
        if received.unit_name and _compact(received.unit_name) != _compact(roster[unit]):
            verdict.add(
                Finding(
                    Code.L_NAME_DIFFERS, details={"stamped": received.unit_name, "unit": unit, "roster": roster[unit]}
                )
            )
    else:
        if named is None:
            if not received.readable:
                return verdict.done(Outcome.rejected, errors[0], counts=False, unit=None)
            return verdict.done_with(Finding(Code.L_UNATTRIBUTED), counts=False, unit=None)
        unit = named[0]
        if received.readable and not wants_a_template(received):
            verdict.add(
                Finding(
                    Code.L_ATTRIBUTED_BY_NAME,
                    details={"where": named[1], "named_by": named[2], "unit": unit, "name": roster[unit]},
                )
            )
        verdict.attribute(unit, roster[unit], collection.year)
    again = _same_summary_again(label, received, ledger, before) if is_unit_part(received) else None
    if again is not None:
        return verdict.done_with(
            Finding(Code.L_DUPLICATE, details={"first": again}), counts=False, unit=unit, outcome=Outcome.skipped
        )
    latest = ledger.latest_counting(unit, before=before)
    if latest is not None and is_relayed(latest[0], unit) != is_unit_part(received):
        direct, relayed = (latest[0], label) if is_unit_part(received) else (label, latest[0])
        verdict.add(Finding(Code.L_DIRECT_AND_RELAYED, details={"unit": unit, "direct": direct, "relayed": relayed}))
    if latest is not None and latest[1] == received.sha256:
        return verdict.done_with(
            Finding(Code.L_DUPLICATE, details={"first": latest[0]}), counts=False, unit=unit, outcome=Outcome.skipped
        )
    if not received.readable:
        return verdict.done(Outcome.rejected, errors[0], counts=True, unit=unit)
    if collection.template_id and received.template_id and received.template_id != collection.template_id:
        return verdict.done_with(
            Finding(
                Code.L_OTHER_TEMPLATE, details={"stamped": received.template_id, "template": collection.template_id}
            ),
            counts=True,
            unit=unit,
        )
    if collection.year and received.year and received.year != collection.year:
        return verdict.done_with(
            Finding(Code.L_OTHER_YEAR, details={"stamped": received.year, "year": collection.year}),
            counts=True,
            unit=unit,
        )
    if errors:
        return verdict.done(Outcome.rejected, errors[0], counts=True, unit=unit)
    if verdict.received.count(Severity.warning.value):
        return verdict.done(Outcome.accepted_with_warnings, "", counts=True, unit=unit)
    return verdict.done(Outcome.accepted, "", counts=True, unit=unit)


def _same_summary_again(label: str, received: Received, ledger: Ledger, before: int | None) -> str | None:
    """For a unit's part of a relayed summary: where the unit's latest part of a summary before
    this one is of these very bytes (the office mailed its summary twice), that part — so the
    repeat does not count again over what the unit sent since, whether or not the office's own
    part counts here. None otherwise (an older summary sent again counts: the latest counts)."""
    unit = received.unit_code
    arrival = ledger.arrival(label.rsplit(PART_MARK, 1)[0], received.sha256, before=before)
    if unit is None or arrival is None:
        return None
    earlier = ledger.latest_relayed_part(unit, before=arrival)
    return earlier.path if earlier is not None and earlier.sha256 == received.sha256 else None


def _withdrawal(
    received: Received, ledger: Ledger, before: int | None, verdict: _Verdict
) -> tuple[Evaluation, Received]:
    """A unit of the office's roster that its summary carries nothing of. Where the unit's latest
    version is its part of an earlier summary of the same office, the office has withdrawn it (it
    returned the unit): this part, without records, becomes the unit's latest version, rejected
    (L033), so the old records no longer count. Otherwise (the unit never came through this
    office, sent its own return since, or was withdrawn already) nothing changes: not a version."""
    office, unit = received.relayed_by or "", received.unit_code or ""
    latest = ledger.latest_counting(unit, before=before) if unit in ledger.roster() else None
    earlier_office = None
    if latest is not None and is_relayed(latest.path, unit) and latest.reason != Code.L_RELAY_WITHDRAWN.code:
        arrival = ledger.arrival(latest.path.removesuffix(f"{PART_MARK}{unit}"), latest.sha256)
        earlier_office = None if arrival is None else ledger.unit_of(arrival)
    if latest is None or earlier_office != office:
        return verdict.done(Outcome.skipped, Code.L_RELAY_WITHDRAWN.code, counts=False, unit=None)
    names = dict(received.relay_roster)
    return verdict.done_with(
        Finding(
            Code.L_RELAY_WITHDRAWN,
            details={"office": _named(office, names), "unit": _named(unit, names), "earlier": latest.path},
        ),
        counts=True,
        unit=unit,
    )


def _named(code: str, names: Mapping[str, str]) -> str:
    return f"{code}（{names[code]}）" if names.get(code) else code


def _attachment(label: str, received: Received) -> bool:
    """Whether a file that could not be opened as a workbook is no return at all: it is not
    named as one (a scan, a letter, a Word file), so it says nothing about its unit's return. A
    file named as a workbook that is broken (F010) or is something else (F003: a web page saved
    as .xls) is its unit's return, and the unit is told."""
    if PurePosixPath(label).suffix.lower() in WORKBOOK_SUFFIXES:
        return False
    codes = [f["code"] for f in received.findings if f["severity"] == Severity.error.value]
    return bool(codes) and all(code in NOT_A_WORKBOOK for code in codes)


def _why_unread(received: Received) -> str:
    first = next(f for f in received.findings if f["severity"] == Severity.error.value)
    return str(first["message"])


class _Verdict:
    """What `judge` builds up: the received file, with the collector's findings and the unit it
    is attributed to."""

    def __init__(self, received: Received) -> None:
        self.received = received

    def add(self, finding: Finding) -> None:
        self.received = replace(self.received, findings=(*self.received.findings, finding.as_dict()))

    def attribute(self, code: str, name: str, year: int | None) -> None:
        """Records read without a stamp belong to the unit the file's name says."""
        records = tuple((sheet, _attributed(record, code, name, year)) for sheet, record in self.received.records)
        self.received = replace(
            self.received, unit_code=code, unit_name=name, records=records, year=self.received.year or year
        )

    def done(self, outcome: Outcome, reason: str, *, counts: bool, unit: str | None) -> tuple[Evaluation, Received]:
        return Evaluation(outcome, reason, counts, unit), self.received

    def done_with(
        self, finding: Finding, *, counts: bool, unit: str | None, outcome: Outcome = Outcome.rejected
    ) -> tuple[Evaluation, Received]:
        self.add(finding)
        return self.done(outcome, finding.code.code, counts=counts, unit=unit)


def _attributed(record: dict[str, Any], code: str, name: str, year: int | None) -> dict[str, Any]:
    """The record as its unit's: the unit the ledger counts it for (whatever the form printed), and
    the collection's year where the form printed none."""
    return {**record, "unit": {"code": code, "name": name}, "year": record.get("year") or year}


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _named_unit(label: str, roster: Mapping[str, str]) -> tuple[str, str, str] | None:
    """The roster unit a file's name or folder names — by its code ("603001-唐山….xlsx",
    "603001/…"), else by its name ("唐山市….xls") — as (code, 文件名/文件夹, the part that named it)."""
    parts = PurePosixPath(label).parts
    places = [
        ("文件名" if index == len(parts) - 1 else "文件夹", part) for index, part in reversed(list(enumerate(parts)))
    ]
    for where, part in places:
        match = LEADING_CODE.match(unicodedata.normalize("NFKC", part))  # ６０３００１ as 603001
        if match and match.group(1) in roster:
            return match.group(1), where, part
    names = sorted(roster.items(), key=lambda item: -len(item[1]))  # the longest name first: 丰南区 before 丰南
    for where, part in places:
        for code, name in names:
            if name and name in part:
                return code, where, part
    return None
