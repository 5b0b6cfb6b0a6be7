"""The targets the later forms of the year are generated from: each unit's target records as the
office consolidated them — its approved return (held against any later file), else its latest
accepted one, never one the office returned."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.office_steps import summarised_evaluations


def approved_targets(ledger: Ledger) -> Iterator[dict[str, Any]]:
    """The project records of each unit's counted target return, in unit-code order."""
    for record in ledger.records_of(summarised_evaluations(ledger)):
        if record.get("form") == "project":
            yield record
