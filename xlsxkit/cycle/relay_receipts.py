"""A lower office's summary (转报) arriving in the inbox is the return of that office and of every
unit below it: one file, recorded as one receipt per unit — the office's own under the file's
path, each unit's under "<path>#<unit code>" — so each unit has its versions, outcome and
records as if it had sent them itself, and its provenance says which office relayed them.

A unit of the lower office's roster that the summary carries nothing of (the office returned it,
or it never reported) has a part too, without records: where the unit's latest version is its
part of an earlier summary of that office, that part no longer counts (judging.judge, L033)."""

from __future__ import annotations

from dataclasses import replace

from xlsxkit.cycle.ledger import Received

PART_MARK = "#"  # "<file>#<unit code>": a unit's part of a relayed summary


def relay_parts(label: str, received: Received) -> list[tuple[str, Received]]:
    """The receipts one received file makes: itself, or for a relayed summary the office's part
    (its own records, and the file's findings), one part per unit below it with records, and one
    without records per unit of the office's roster the summary carries nothing of."""
    office = received.relayed_by
    if office is None:
        return [(label, received)]
    own = tuple((sheet, record) for sheet, record in received.records if _unit(record) in (office, ""))
    parts = [(label, replace(received, records=own))]
    below: dict[str, list[tuple[str, dict[str, object]]]] = {}
    for sheet, record in received.records:
        code = _unit(record)
        if code not in (office, ""):
            below.setdefault(code, []).append((sheet, record))
    for code, records in below.items():
        unit = records[0][1].get("unit")
        name = str(unit.get("name") or "") if isinstance(unit, dict) else ""
        part = replace(received, unit_code=code, unit_name=name or None, records=tuple(records), findings=())
        parts.append((f"{label}{PART_MARK}{code}", part))
    for code, name in received.relay_roster:
        if code not in below and code not in (office, ""):
            part = replace(received, unit_code=code, unit_name=name or None, records=(), findings=())
            parts.append((f"{label}{PART_MARK}{code}", part))
    return parts


def part_of(label: str, received: Received) -> Received:
    """The part of a stored file that a receipt recorded (the whole file, unless a relayed summary)."""
    if received.relayed_by is None:
        return received
    bases = [label.rsplit(PART_MARK, 1)[0], label]  # a unit's part, else the office's own ("#" may be in a name)
    for base in bases:
        for part_label, part in relay_parts(base, received):
            if part_label == label:
                return part
    return replace(received, records=())  # the unit is no longer in the relay


def is_unit_part(received: Received) -> bool:
    """Whether a received part is a unit's below the office that relayed it (not the office's own)."""
    return received.relayed_by is not None and received.unit_code != received.relayed_by


def is_withdrawal(received: Received) -> bool:
    """Whether a received part is that of a unit the summary carries nothing of."""
    return is_unit_part(received) and not received.records


def is_relayed(path: str, unit_code: str) -> bool:
    """Whether a receipt's path is a unit's part of a relayed summary."""
    return path.endswith(f"{PART_MARK}{unit_code}")


def _unit(record: dict[str, object]) -> str:
    unit = record.get("unit")
    return str(unit.get("code") or "") if isinstance(unit, dict) else ""
