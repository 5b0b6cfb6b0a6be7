"""Shared test data: the example roster and records shipped in examples/, a fixed time."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXED_TIME = dt.datetime(2026, 1, 15, 9, 30, 0)
# Yuan in one of a form's money units, written here and not taken from xlsxkit, so that a wrong factor
# in the code fails the tests: 1 万元 is 10,000 元.
YUAN_PER = {"元": Decimal(1), "万元": Decimal(10000)}


def example_records(template_id: str | None = None) -> list[dict[str, Any]]:
    """Every example record (corpus transcriptions), or those made with one template."""
    records = []
    for path in sorted(EXAMPLES.glob("records*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if template_id is None or record["template"]["id"] == template_id:
                    records.append(record)
    return records


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
