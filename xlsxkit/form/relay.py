"""A summary workbook as a return to the next level up (转报): its records, losslessly, on a very
hidden sheet (RELAY_SHEET), with the collection they belong to. The rows, in order:

    xlsxkit.relay | 1
    template_id | tangshan          (and template_version, year, office_code, office_name …)
    unit | 6011 | 某县某单位 | 6010   (each unit of the lower office's roster, with its parent)
    record | {"form": …            (one record per row: its canonical JSON, in 30,000-character parts)
    end | <records> | <sha256 of the records' JSON, one per line>

Cells hold text only (an office suite keeps text as it is through a re-save; a JSON part never
starts with "="). The end row is written last: a sheet cut short, or a record changed by hand,
no longer matches it, and the reader refuses the relay rather than count part of it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

MARK = "xlsxkit.relay"
VERSION = "1"
PART = 30_000  # characters of a record's JSON per cell (Excel's limit is 32,767)
HEADER_KEYS = ("template_id", "template_version", "year", "office_code", "office_name", "generated_at")


@dataclass(frozen=True)
class RelayHeading:
    """Which collection a relayed summary belongs to, and the lower office's roster."""

    template_id: str
    template_version: str
    year: int | None
    office_code: str
    office_name: str
    generated_at: str
    units: tuple[tuple[str, str, str | None], ...] = ()  # (code, name, parent)

    def rows(self) -> list[list[str]]:
        """The rows before the records."""
        values = (self.template_id, self.template_version, self.year, self.office_code, self.office_name)
        rows = [[MARK, VERSION]]
        rows += [
            [key, "" if value is None else str(value)]
            for key, value in zip(HEADER_KEYS, (*values, self.generated_at), strict=True)
        ]
        rows += [["unit", code, name, parent or ""] for code, name, parent in self.units]
        return rows


@dataclass
class RelayRecords:
    """The record rows of a relay as they are written, and the end row that seals them."""

    count: int = 0
    _digest: Any = field(default_factory=hashlib.sha256)

    def row(self, record: dict[str, Any]) -> list[str]:
        """One record's row."""
        text = record_json(record)
        self._digest.update(text.encode("utf-8") + b"\n")
        self.count += 1
        return ["record", *(text[i : i + PART] for i in range(0, len(text), PART))]

    def end(self) -> list[str]:
        """The last row: how many records, and their hash."""
        return ["end", str(self.count), self._digest.hexdigest()]


def record_json(record: dict[str, Any]) -> str:
    """A record as the relay keeps it: canonical JSON (keys sorted, no spaces)."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Relay:
    """A relay read back: its heading and records."""

    heading: RelayHeading
    records: list[dict[str, Any]]


class RelayDamaged(ValueError):
    """A relay sheet that is not whole: cut short, changed by hand, or of an unknown version."""


def read_relay(rows: Iterable[Iterable[Any]]) -> Relay:
    """The relay on a sheet's rows (cells as text); RelayDamaged where it is not whole."""
    header: dict[str, str] = {}
    units: list[tuple[str, str, str | None]] = []
    records: list[dict[str, Any]] = []
    digest = hashlib.sha256()
    end: list[str] | None = None
    lines = iter(_texts(rows))
    first = next(lines, [])
    if first[:2] != [MARK, VERSION]:
        raise RelayDamaged(f"不是第 {VERSION} 版的转报记录")
    for cells in lines:
        kind = cells[0] if cells else ""
        if kind == "record":
            text = "".join(cells[1:])
            digest.update(text.encode("utf-8") + b"\n")
            try:
                record = json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                raise RelayDamaged(f"第 {len(records) + 1} 条记录不是完整的 JSON") from None
            if not isinstance(record, dict) or not isinstance(record.get("unit"), dict):
                raise RelayDamaged(f"第 {len(records) + 1} 条记录不是一个单位的记录")
            records.append(record)
        elif kind == "unit" and len(cells) >= 3:
            units.append((cells[1], cells[2], (cells[3] if len(cells) > 3 else "") or None))
        elif kind == "end":
            end = cells
            break
        elif kind in HEADER_KEYS and len(cells) >= 2:
            header[kind] = cells[1]
    if end is None or len(end) < 3:
        raise RelayDamaged("缺少结束行（工作表不完整）")
    if end[1] != str(len(records)) or end[2] != digest.hexdigest():
        raise RelayDamaged(f"记录与结束行不符（应有 {end[1]} 条，读到 {len(records)} 条，或内容被改动）")
    try:
        heading = RelayHeading(
            template_id=header["template_id"],
            template_version=header.get("template_version", ""),
            year=int(header["year"]) if header.get("year") else None,
            office_code=header["office_code"],
            office_name=header.get("office_name", ""),
            generated_at=header.get("generated_at", ""),
            units=tuple(units),
        )
    except (KeyError, ValueError):
        raise RelayDamaged("缺少模板、年度或报送单位") from None
    return Relay(heading, records)


def _texts(rows: Iterable[Iterable[Any]]) -> Iterator[list[str]]:
    """Each row's cells as text, trailing blanks dropped."""
    for row in rows:
        cells = [_text(cell) for cell in row]
        while cells and cells[-1] == "":
            cells.pop()
        yield cells


def _text(cell: Any) -> str:
    """A cell as the text written into it (an office suite may have stored "2025" as a number)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)
