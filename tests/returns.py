"""Returns made by the tests: a generated workbook, filled from records, optionally edited the way
a unit would (with openpyxl), then read back."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from tests.helpers import FIXED_TIME, ROOT
from xlsxkit.read.reader import ReadResult, read_return
from xlsxkit.template.load import builtin_templates
from xlsxkit.write.generate import UnitRecords, generate_blank, generate_prefilled

TEMPLATES = {t.id: t for t in builtin_templates()}
CORPUS = ROOT / "tests" / "corpus"  # ../shared/corpus/records, copied


def corpus_records() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*.json"))]


def without_source(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "source"}


def filled_return(template_id: str, records: list[dict[str, Any]], out: Path) -> Path:
    """The workbook a unit returns when it filled in exactly these records (one sheet each)."""
    report = generate_prefilled(
        TEMPLATES[template_id], [UnitRecords(records[0]["unit"], records)], None, out, generated_at=FIXED_TIME
    )
    assert not report.problems, report.problems
    return report.files[0].path


def blank_return(template_id: str, out: Path, year: int = 2025) -> Path:
    unit = {"code": "603001", "name": "唐山市住房公积金管理中心（参公）本级"}
    report = generate_blank(TEMPLATES[template_id], [unit], year, out, generated_at=FIXED_TIME)
    return report.files[0].path


def edited(path: Path, edit: Callable[[openpyxl.Workbook], None], name: str = "edited.xlsx") -> Path:
    """A copy of a return after `edit` changed it in openpyxl (as a unit's office suite would)."""
    book = openpyxl.load_workbook(path)
    edit(book)
    target = path.with_name(name)
    book.save(target)
    return target


def read_one(
    template_id: str, record: dict[str, Any], out: Path, edit: Callable[[openpyxl.Workbook], None] | None = None
) -> ReadResult:
    """Fill one record in, let `edit` change the workbook, read it back."""
    path = filled_return(template_id, [record], out)
    if edit is not None:
        path = edited(path, edit)
    return read_return(path)


def corpus_record(template_id: str) -> dict[str, Any]:
    """A deep copy of the first corpus record of a template."""
    return copy.deepcopy(next(r for r in corpus_records() if r["template"]["id"] == template_id))
