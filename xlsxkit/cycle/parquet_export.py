"""Projects and indicators as typed Parquet, for analysts who query across years and regions with
DuckDB, Spark or Trino: money as decimal(18,2) yuan (exact, as the record holds it), dates as dates,
the finding counts of each unit's counted return and the provenance columns (source file, sheet,
hash, the offices a relayed record came through), partitioned by year (hive style:
`projects/year=2026/<office>.parquet`), so several years' exports sit in one folder and are read as
one table. A consolidation writes one file per table and year, replacing its own earlier file (named
by the collection's office) and nothing else; each file appears whole or not at all.

pyarrow is an optional extra (`pip install 'xlsxkit[parquet]'`): imported only when asked for."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import shutil
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import ModuleType
from typing import Any

from xlsxkit.cycle.outputs import PARQUET_WORK, clear_leftovers
from xlsxkit.form.errors import Code, InputError, Problem
from xlsxkit.form.record import FUND_KEYS

BATCH = 10_000  # rows buffered per table before they are written as a row group
MONEY = (18, 2)  # decimal(18,2): yuan with cents, up to 10^16 yuan


def _arrow() -> tuple[ModuleType, ModuleType]:
    try:
        return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise InputError([Problem(Code.O_PARQUET_MISSING, "--parquet")]) from None


def _schemas(pa: ModuleType) -> dict[str, Any]:
    money = pa.decimal128(*MONEY)
    provenance = [
        ("source_file", pa.string()),
        ("source_sheet", pa.string()),
        ("source_sha256", pa.string()),
        ("via", pa.list_(pa.string())),
    ]
    projects = [
        ("unit_code", pa.string()),
        ("unit_name", pa.string()),
        ("template_id", pa.string()),
        ("project_code", pa.string()),
        ("project_name", pa.string()),
        ("project_attribute", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        *((f"annual_{key}", money) for key in FUND_KEYS),
        ("overall_total", money),
        ("indicators", pa.int32()),
        ("errors", pa.int32()),
        ("warnings", pa.int32()),
        *provenance,
    ]
    indicators = [
        ("unit_code", pa.string()),
        ("project_code", pa.string()),
        ("project_name", pa.string()),
        ("number", pa.int32()),
        ("level1", pa.string()),
        ("level2", pa.string()),
        ("level3", pa.string()),
        ("value", pa.string()),
        ("kind", pa.string()),
        ("op", pa.string()),
        ("target", pa.float64()),
        ("target_unit", pa.string()),
        ("deadline", pa.date32()),
        *provenance,
    ]
    return {"projects": pa.schema(projects), "indicators": pa.schema(indicators)}


class ParquetExport:
    """The Parquet files of one consolidation, fed one record at a time (project records only:
    a department or later form has other columns), written whole at `finish`."""

    def __init__(
        self,
        folder: Path,
        *,
        name: str,
        counts: dict[str, tuple[int, int]] | None = None,
        year: int | None = None,
    ) -> None:
        self.pa, self.pq = _arrow()
        self.folder = Path(folder)
        self.name = _file_name(name)
        self.year = year  # the collection's year: this office's files of that year are replaced whole
        self.counts = counts or {}  # unit code → (errors, warnings) of its counted return
        self.schemas = _schemas(self.pa)
        self.folder.mkdir(parents=True, exist_ok=True)  # the work folder beside the files, to rename from
        clear_leftovers(self.folder, PARQUET_WORK)  # work folders of runs killed half way
        self.work = Path(tempfile.mkdtemp(prefix="xlsxkit-parquet-", dir=self.folder))
        self.rows: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
        self.writers: dict[tuple[str, int | None], Any] = {}

    def add(self, record: dict[str, Any]) -> None:
        """One project record's row and its indicators' rows."""
        if record.get("form") != "project":
            return
        year = record.get("year") if isinstance(record.get("year"), int) else None
        unit = record.get("unit") or {}
        project = record.get("project") or {}
        source = record.get("source") or {}
        provenance = {
            "source_file": source.get("file"),
            "source_sheet": source.get("sheet"),
            "source_sha256": source.get("sha256"),
            "via": [str(hop.get("office")) for hop in source.get("via") or [] if isinstance(hop, dict)],
        }
        funds = record.get("funds") or {}
        annual = funds.get("annual") or {}
        overall = funds.get("overall") or {}
        indicators = [item for item in record.get("indicators") or [] if isinstance(item, dict)]
        errors, warnings = self.counts.get(str(unit.get("code")), (None, None))
        self._row(
            "projects",
            year,
            {
                "unit_code": unit.get("code"),
                "unit_name": unit.get("name"),
                "template_id": (record.get("template") or {}).get("id"),
                "project_code": project.get("code"),
                "project_name": project.get("name"),
                "project_attribute": project.get("attribute"),
                "start_date": _date(project.get("start_date")),
                "end_date": _date(project.get("end_date")),
                **{f"annual_{key}": _money(annual.get(key)) for key in FUND_KEYS},
                "overall_total": _money(overall.get("total")),
                "indicators": len(indicators),
                "errors": errors,
                "warnings": warnings,
                **provenance,
            },
        )
        for number, item in enumerate(indicators, start=1):
            parsed = item.get("parsed") or {}
            self._row(
                "indicators",
                year,
                {
                    "unit_code": unit.get("code"),
                    "project_code": project.get("code"),
                    "project_name": project.get("name"),
                    "number": number,
                    "level1": item.get("level1"),
                    "level2": item.get("level2"),
                    "level3": item.get("level3"),
                    "value": item.get("value"),
                    "kind": parsed.get("kind"),
                    "op": parsed.get("op"),
                    "target": float(parsed["number"]) if isinstance(parsed.get("number"), (int, float)) else None,
                    "target_unit": parsed.get("unit"),
                    "deadline": _date(parsed.get("date")),
                    **provenance,
                },
            )

    def _row(self, table: str, year: int | None, row: dict[str, Any]) -> None:
        rows = self.rows.setdefault((table, year), [])
        rows.append(row)
        if len(rows) >= BATCH:
            self._flush(table, year)

    def _flush(self, table: str, year: int | None) -> None:
        rows = self.rows.pop((table, year), [])
        if not rows:
            return
        key = (table, year)
        if key not in self.writers:
            path = self._path(self.work, table, year)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.writers[key] = self.pq.ParquetWriter(str(path), self.schemas[table])
        self.writers[key].write_table(self.pa.Table.from_pylist(rows, schema=self.schemas[table]))

    def _path(self, root: Path, table: str, year: int | None) -> Path:
        return root / table / f"year={year if year is not None else '__HIVE_DEFAULT_PARTITION__'}" / self.name

    def finish(self) -> list[Path]:
        """Write what is buffered, then move every file into place; the files written."""
        for table, year in list(self.rows):
            self._flush(table, year)
        for writer in self.writers.values():
            writer.close()
        written = []
        for table, year in self.writers:
            target = self._path(self.folder, table, year)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._path(self.work, table, year), target)
            written.append(target)
        if self.year is not None:  # what this office wrote of its year before and has no rows now
            for table in self.schemas:
                if (table, self.year) not in self.writers:
                    self._path(self.folder, table, self.year).unlink(missing_ok=True)
        shutil.rmtree(self.work, ignore_errors=True)
        return written

    def discard(self) -> None:
        """Remove the work folder (after a failure, with whatever was begun)."""
        for writer in self.writers.values():
            with contextlib.suppress(Exception):  # closing what is thrown away
                writer.close()
        self.writers.clear()
        shutil.rmtree(self.work, ignore_errors=True)


def _file_name(name: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name).strip("_") or "summary"
    return f"{safe}.parquet"


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
