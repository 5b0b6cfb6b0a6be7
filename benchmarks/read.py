"""Benchmark: reading returns into checked records, against a bare calamine dump of the same files.

    python benchmarks/read.py                  # 1,000 returns; memory for 1,000 vs 10,000
    python benchmarks/read.py --count 100 --memory-counts 100 300   # a quick check
    python benchmarks/read.py --profile        # cProfile of the xlsxkit side only

Returns are generated and filled first (outside any timing): one workbook per unit, built-in
template tangshan, 3 project sheets each filled with a corpus record (examples/records.jsonl,
taken in turn), so each return is read into 3 records with every check run.

xlsxkit's side is `read_return(path)`: the guarded open (zip limits, inflating every part once
to count its bytes and look for DTDs), the identity stamp, calamine for every visible sheet,
locating labels and tables, converting values, understanding each 指标值, and all the rules.
The baseline opens each file with python-calamine and dumps every cell of every sheet with
`to_python()` — the least any reader has to do. Files are read in blocks, the two sides
alternating which goes first, so that drift and noise fall on both. Prints ms per return for
each side and their ratio (target ≤ 3×).

Memory: separate processes read N returns each (xlsxkit side) and report their peak resident
set size; the figure must not grow with N (results are not kept: a batch streams).
Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's xlsxkit, not an installed copy

import python_calamine

from xlsxkit.read.reader import read_return
from xlsxkit.read.safe_open import inspect_file
from xlsxkit.template.load import find_template
from xlsxkit.write.generate import UnitRecords, generate_prefilled

BLOCK = 50


def make_returns(folder: Path, count: int, passing_only: bool = False) -> list[Path]:
    """`count` filled returns of 3 project sheets each, one per unit; with `passing_only`, only
    records that pass the checks (real forms lacking a 满意度指标 are rejected when collected)."""
    template = find_template("tangshan")
    examples = [
        json.loads(line)
        for line in (ROOT / "examples" / "records.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    records = [r for r in examples if r["template"]["id"] == "tangshan"]
    if passing_only:
        records = [
            r for r in records if {"产出指标", "效益指标", "满意度指标"} <= {i["level1"] for i in r["indicators"]}
        ]
    groups = []
    for number in range(count):
        unit = {"code": f"{600000 + number}", "name": f"测试单位{number:05d}"}
        sheets = [dict(records[(number * 3 + i) % len(records)], unit=unit) for i in range(3)]
        groups.append(UnitRecords(unit, sheets))
    report = generate_prefilled(template, groups, None, folder)
    assert not report.problems, report.problems[:3]
    return [g.path for g in report.files]


def xlsxkit_side(paths: list[Path]) -> int:
    records = 0
    for path in paths:
        result = read_return(path)
        assert result.readable
        records += len(result.records)
    return records


def guard_side(paths: list[Path]) -> int:
    """The guarded open alone (part of the xlsxkit side), to show where the time goes."""
    return sum(inspect_file(path).size for path in paths)


def calamine_side(paths: list[Path]) -> int:
    cells = 0
    for path in paths:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False))
    return cells


def timed(paths: list[Path]) -> tuple[float, float]:
    ours, bare = [], []
    for start in range(0, len(paths), BLOCK):
        block = paths[start : start + BLOCK]
        sides = [(xlsxkit_side, ours), (calamine_side, bare)]
        if (start // BLOCK) % 2:
            sides.reverse()
        for side, times in sides:
            gc.collect()
            began = time.perf_counter()
            side(block)
            times.append((time.perf_counter() - began) / len(block))
    return statistics.fmean(ours) * 1000, statistics.fmean(bare) * 1000


def timed_alone(side, paths: list[Path]) -> float:
    gc.collect()
    began = time.perf_counter()
    side(paths)
    return (time.perf_counter() - began) / len(paths) * 1000


def peak_memory(count: int, folder: Path) -> float:
    """Peak RSS (MiB) of a fresh process reading `count` returns from `folder`."""
    code = (
        f"import sys, resource; sys.path.insert(0, {str(ROOT)!r})\n"
        "from pathlib import Path\n"
        "from benchmarks.read import xlsxkit_side\n"
        f"paths = sorted(Path({str(folder)!r}).glob('*.xlsx'))[:{count}]\n"
        f"assert len(paths) == {count}, len(paths)\n"
        "xlsxkit_side(paths)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return int(output.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="returns to time (default 1,000)")
    parser.add_argument(
        "--memory-counts",
        type=int,
        nargs="*",
        default=[1000, 10000],
        help="returns read by each memory process (default 1,000 and 10,000)",
    )
    parser.add_argument("--profile", action="store_true", help="profile the xlsxkit side instead of timing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        needed = max([args.count, *args.memory_counts])
        began = time.perf_counter()
        paths = make_returns(folder, needed)
        print(
            f"generated {len(paths)} returns in {time.perf_counter() - began:.1f} s "
            f"({sum(p.stat().st_size for p in paths[: args.count]) / args.count / 1024:.1f} KiB each)"
        )
        timing = paths[: args.count]
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(xlsxkit_side, timing)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            return
        xlsxkit_side(timing[:20]), calamine_side(timing[:20])  # warm caches (templates, layouts) on both sides
        ours, bare = timed(timing)
        guard = timed_alone(guard_side, timing)
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, python-calamine {metadata.version('python-calamine')}"
        )
        print(f"{args.count} returns × 3 project sheets, read into records with every check:")
        print(f"  xlsxkit read_return    {ours:7.2f} ms/return")
        print(f"  bare calamine dump     {bare:7.2f} ms/return")
        print(f"  ratio                  {ours / bare:7.2f}×  (target ≤ 3×)")
        print(
            f"  of which the guarded open (safe_open: zip limits, DTD scan, extents) {guard:.2f} ms/return;"
            f" without it {(ours - guard) / bare:.2f}×"
        )
        for count in args.memory_counts:
            print(f"  peak memory reading {count:>6} returns: {peak_memory(count, folder):7.1f} MiB")


if __name__ == "__main__":
    main()
