"""Records out as JSON Lines, JSON or CSV.

CSV has one row per indicator (per 分项目标 / 保障措施 for a department record) with the
record's own fields repeated, so a spreadsheet can filter and pivot it. CSV is UTF-8 with a
BOM (Excel then opens it as UTF-8), and a cell that would start a formula gets the OWASP
prefix, a single quote.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from xlsxkit.form.record import TABLE_COLUMNS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PARSED_KEYS = ("kind", "op", "number", "unit", "date")


def csv_safe(value: Any) -> Any:
    """A CSV cell that no spreadsheet will run: text starting like a formula gets a ' prefix."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested record part as dotted keys: {"funds.annual.total": "…"}; lists are left out."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flat(inner, f"{prefix}{key}."))
        return out
    if isinstance(value, list):
        return {}
    return {prefix.rstrip("."): value}


def table_rows(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One flat row per table line of a record (one row with the record alone if it has none)."""
    head = flat(record)
    form = record.get("form", "project")
    emitted = False
    for bind, columns in TABLE_COLUMNS.get(form, {}).items():
        for number, item in enumerate(record.get(bind) or [], start=1):
            row = {**head, "table": bind, "row": number}
            if isinstance(item, dict):
                row.update({key: item.get(key) for key in columns})
                if "parsed" in item:
                    parsed = item.get("parsed") or {}
                    row.update({f"parsed.{key}": parsed.get(key) for key in PARSED_KEYS})
            else:
                row["text"] = item
            emitted = True
            yield row
    if not emitted:
        yield head


def write_csv(rows: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """Rows as CSV (header from the union of keys, in first-seen order); returns the row count."""
    rows = list(rows)
    header: dict[str, None] = {}
    for row in rows:
        header.update(dict.fromkeys(row))
    writer = csv.DictWriter(stream, fieldnames=list(header), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: csv_safe(value) for key, value in row.items()})
    return len(rows)


def write_jsonl(items: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """Write each item as one line of JSON; the number written."""
    count = 0
    for item in items:
        stream.write(json.dumps(item, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_json(items: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """Write the items as one JSON array; the number written."""
    items = list(items)
    json.dump(items, stream, ensure_ascii=False, indent=2)
    stream.write("\n")
    return len(items)
