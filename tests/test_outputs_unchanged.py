"""Optimisations change nothing a user gets: for a small set made as the benchmarks make theirs
(Tangshan returns of three projects each, generated at a fixed time), the bytes of every generated
workbook, the records and findings read from them, and the JSONL and CSV exports of their
consolidation hash to the values kept in tests/golden/outputs.json.

After an intended change of output, rewrite the hashes with
    XLSXKIT_UPDATE_GOLDEN=1 python -m pytest tests/test_outputs_unchanged.py
(which fails, saying so) and review why they changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXED_TIME, example_records
from xlsxkit.cycle.consolidate import consolidate
from xlsxkit.read.reader import read_return
from xlsxkit.template.load import builtin_template
from xlsxkit.write.generate import UnitRecords, generate_prefilled

HASHES = Path(__file__).parent / "golden" / "outputs.json"
RETURNS = 12


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")


def outputs(folder: Path) -> dict[str, str]:
    """The hash of each output of the benchmark-like set made in `folder`."""
    records = [r for r in example_records("tangshan") if r["form"] == "project"]
    groups = []
    for number in range(RETURNS):
        unit = {"code": f"{600000 + number}", "name": f"测试单位{number:05d}"}
        sheets = [dict(records[(number * 3 + i) % len(records)], unit=unit) for i in range(3)]
        groups.append(UnitRecords(unit, sheets))
    report = generate_prefilled(builtin_template("tangshan"), groups, None, folder / "returns", generated_at=FIXED_TIME)
    assert not report.problems
    paths = [g.path for g in report.files]
    read = [read_return(path) for path in paths]
    found = [[f.as_dict() for f in result.all_findings()] for result in read]
    read_records = [r.record for result in read for r in result.records]
    consolidate(
        iter(read_records),
        [],
        folder / "summary.xlsx",
        jsonl=folder / "records.jsonl",
        csv_dir=folder / "csv",
        compilation=False,
        date=dt.date(2026, 1, 15),
    )
    return {
        "workbooks": digest(b"".join(digest(path.read_bytes()).encode() for path in paths)),
        "records": digest(canonical(read_records)),
        "findings": digest(canonical(found)),
        "jsonl": digest((folder / "records.jsonl").read_bytes()),
        "csv": digest(b"".join((folder / "csv" / name).read_bytes() for name in ("projects.csv", "indicators.csv"))),
    }


def test_the_benchmark_sets_outputs_are_unchanged(tmp_path):
    made = outputs(tmp_path)
    kept = json.loads(HASHES.read_text(encoding="utf-8")) if HASHES.is_file() else {}
    if made != kept and os.environ.get("XLSXKIT_UPDATE_GOLDEN"):
        HASHES.write_text(json.dumps(made, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        pytest.fail(f"{HASHES.name} rewritten: review why the outputs changed, then run again without the switch")
    assert made == kept
