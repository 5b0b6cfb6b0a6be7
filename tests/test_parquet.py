"""consolidate --parquet: projects and indicators as typed Parquet, partitioned by year, read back
with pyarrow and with DuckDB to exactly the records' values (Decimal sums equal)."""

from __future__ import annotations

import copy
import importlib
import json
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.helpers import example_records
from xlsxkit.cli import app
from xlsxkit.cycle import parquet_export
from xlsxkit.cycle.consolidate import consolidate
from xlsxkit.form.errors import Code, InputError

runner = CliRunner()


def projects_of(year: int) -> list[dict[str, Any]]:
    """The example project records, as the collection of `year` (amounts changed by year)."""
    records = []
    for number, record in enumerate(r for r in example_records() if r["form"] == "project"):
        copied = copy.deepcopy(record)
        copied["year"] = year
        total = copied["funds"]["annual"]["total"]
        if total is not None:
            copied["funds"]["annual"]["total"] = str(Decimal(total) + Decimal(year - 2000) + Decimal("0.07") * number)
        copied["source"] = {"file": f"{copied['unit']['code']}.xlsx", "sheet": f"项目{number}", "sha256": "ab" * 32}
        records.append(copied)
    return records


def yuan_sum(records: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(r["funds"]["annual"]["total"]) for r in records if r["funds"]["annual"]["total"]), Decimal(0))


def export(folder: Path, records: list[dict[str, Any]], tmp_path: Path) -> None:
    year = records[0]["year"]
    summary = consolidate(iter(records), [], tmp_path / f"汇总-{year}.xlsx", parquet=folder, compilation=False)
    assert [p.relative_to(folder).as_posix() for p in summary.parquet] == [
        f"projects/year={year}/summary.parquet",
        f"indicators/year={year}/summary.parquet",
    ]


def test_two_years_of_parquet_read_back_exactly_with_pyarrow_and_duckdb(tmp_path):
    folder = tmp_path / "parquet"
    years = {2025: projects_of(2025), 2026: projects_of(2026)}
    for records in years.values():
        export(folder, records, tmp_path)
    export(folder, years[2026], tmp_path)  # the same collection again: its files replaced, nothing doubled

    table = pq.read_table(folder / "projects")
    assert table.schema.field("annual_total").type == pa.decimal128(18, 2)
    assert table.schema.field("start_date").type == pa.date32()
    by_year: dict[int, Decimal] = {}
    for row in table.to_pylist():
        if row["annual_total"] is not None:
            by_year[int(row["year"])] = by_year.get(int(row["year"]), Decimal(0)) + row["annual_total"]
    assert by_year == {year: yuan_sum(records) for year, records in years.items()}
    assert table.num_rows == sum(len(records) for records in years.values())

    sums = duckdb.sql(
        f"SELECT year, sum(annual_total) AS total, count(*) AS projects "
        f"FROM read_parquet('{folder.as_posix()}/projects/*/*.parquet', hive_partitioning = true) "
        f"GROUP BY year ORDER BY year"
    ).fetchall()
    assert sums == [(year, yuan_sum(records), len(records)) for year, records in years.items()]
    indicators = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{folder.as_posix()}/indicators/*/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert indicators == [(sum(len(r["indicators"]) for records in years.values() for r in records),)]
    first = table.filter(pa.compute.equal(table["year"], 2025)).to_pylist()[0]
    record = years[2025][0]
    assert (first["unit_code"], first["project_name"], first["source_file"]) == (
        record["unit"]["code"],
        record["project"]["name"],
        record["source"]["file"],
    )


def test_consolidate_writes_parquet_with_each_units_finding_counts(tmp_path):
    out = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "--out", str(out)]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "consolidate",
            "--db",
            str(out / "returns.sqlite"),
            "--out",
            str(tmp_path / "s.xlsx"),
            "--parquet",
            str(tmp_path / "pq"),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = pq.read_table(tmp_path / "pq" / "projects").to_pylist()
    warned = {row["unit_code"]: row["warnings"] for row in rows}
    status = runner.invoke(app, ["status", "--db", str(out / "returns.sqlite"), "--json"])
    expected = {u["code"]: u["warnings"] for u in json.loads(status.stdout)["units"] if u["code"] in warned}
    assert warned == expected


def test_without_pyarrow_the_office_is_told_what_to_install_and_nothing_is_written(tmp_path, monkeypatch):
    real = importlib.import_module

    def without_pyarrow(name: str, *args: Any) -> Any:
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(parquet_export.importlib, "import_module", without_pyarrow)
    with pytest.raises(InputError) as refused:
        consolidate(iter(projects_of(2025)), [], tmp_path / "s.xlsx", parquet=tmp_path / "pq")
    assert refused.value.problems[0].code is Code.O_PARQUET_MISSING
    assert "xlsxkit[parquet]" in refused.value.problems[0].fix
    assert not (tmp_path / "s.xlsx").exists() and not (tmp_path / "pq").exists()


def test_one_file_per_office_and_year_relayed_or_not_never_another_offices(tmp_path):
    out = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "--out", str(out)]).exit_code == 0
    db, folder = str(out / "returns.sqlite"), tmp_path / "pq"
    base = ["consolidate", "--db", db, "--out", str(tmp_path / "s.xlsx"), "--parquet", str(folder)]
    for extra in ([], ["--no-relay"], ["--no-relay", "--office-code", "999001"]):
        assert runner.invoke(app, [*base, *extra]).exit_code == 0
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))
    office = sorted({p.rsplit("/", 1)[1] for p in files})
    assert len(office) == 2 and "999001.parquet" in office and "summary.parquet" not in office
    assert len(files) == 2 * len({p.rsplit("/", 1)[0] for p in files})  # each table and year: one file per office


def test_an_office_consolidated_again_without_records_leaves_no_file_of_its_year(tmp_path):
    folder = tmp_path / "pq"
    records = projects_of(2026)
    consolidate(iter(records), [], tmp_path / "a.xlsx", parquet=folder, parquet_name="603001", year=2026)
    consolidate(iter(records), [], tmp_path / "b.xlsx", parquet=folder, parquet_name="603002", year=2026)
    consolidate(iter([]), [], tmp_path / "c.xlsx", parquet=folder, parquet_name="603001", year=2026)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet")) == [
        "indicators/year=2026/603002.parquet",
        "projects/year=2026/603002.parquet",
    ]


def test_what_a_consolidate_killed_half_way_left_is_cleared_at_the_next_run_once_old(tmp_path):
    warehouse, out = tmp_path / "warehouse", tmp_path / "out"
    warehouse.mkdir()
    out.mkdir()
    day_ago = time.time() - 24 * 3600
    old = [out / ".partial-k9x_2abc.xlsx", out / ".partial-k9x_2abd.jsonl", warehouse / "xlsxkit-parquet-k9x_2abc"]
    running = [out / ".partial-n0w1abcd.xlsx", warehouse / "xlsxkit-parquet-n0w1abcd"]  # a run still going
    others = [out / ".partial-notes.txt", out / "说明.xlsx", warehouse / "xlsxkit-parquet-mine-keep"]
    for path in old + running + others:
        if path.name.startswith("xlsxkit-parquet-"):
            path.mkdir()
            (path / "projects").mkdir()
        else:
            path.write_bytes(b"")
    for path in old + others:
        os.utime(path, (day_ago, day_ago))
    records = projects_of(2025)
    consolidate(iter(records), [], out / "汇总表.xlsx", parquet=warehouse, jsonl=out / "r.jsonl", compilation=False)
    assert [path for path in old if path.exists()] == []
    assert all(path.exists() for path in running + others)
