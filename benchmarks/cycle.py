"""Benchmark: the office's cycle at scale — collect N returns into the ledger, then consolidate.

    python benchmarks/cycle.py                       # 1,000, 5,000 and 10,000 returns
    python benchmarks/cycle.py --counts 200 1000     # a quick check
    python benchmarks/cycle.py --workers 2           # collect with 2 reading processes

Returns are generated first (outside any timing): one workbook per unit, built-in template
tangshan, 3 project sheets each filled with corpus records that pass the checks (examples/
records.jsonl, in turn), so N returns are accepted and hold 3N project records. Each count runs
in a fresh process (so peak memory is that count's own) which: collects the inbox into a new
ledger, then consolidates the ledger into the summary workbook with every sheet, 汇编 (in its
own workbook, drawn by a second process, as consolidate does from 500 returns on) and the JSONL
and CSV exports. Prints seconds, milliseconds per return and peak resident memory (this process,
and the largest of its child processes: collect's readers, the 汇编 drawer) for each step.

Baseline, measured in the same run: bare xlsxwriter writing as many cells as the outputs hold
(counted in their sheets' XML; strings, numbers and bordered blanks, in constant_memory mode, as
consolidate writes) — the least any writer of these workbooks spends. Targets: 10,000 returns
collected and consolidated in under 45 s on a 2-core machine; time per return and memory flat in
the number of returns. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's xlsxkit, not an installed copy

from benchmarks.read import make_returns

ONE_RUN = """
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from xlsxkit.cycle.collect import collect
from xlsxkit.cycle.office_steps import write_summary
from xlsxkit.cycle.ledger import Ledger
from benchmarks.cycle import cells
inbox, out, count, workers = Path({inbox!r}), Path({out!r}), {count}, {workers}
paths = sorted(inbox.glob("*.xlsx"))[:count]
run = out / "inbox"
run.mkdir(parents=True)
for path in paths:  # hard links: collect skips symbolic links that lead out of the inbox
    os.link(path, run / path.name)
units = [{{"code": p.name.split("-")[0], "name": p.stem.split("-", 1)[1]}} for p in paths]
began = time.perf_counter()
with Ledger(out / "returns.sqlite") as ledger:
    ledger.set_units(units)
    report = collect(run, ledger, workers=workers)
    collected = time.perf_counter()
    collect_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary = write_summary(
        ledger, out / "summary.xlsx", jsonl=out / "records.jsonl", csv_dir=out / "exports", compilation_apart=True
    )
done = time.perf_counter()
print(json.dumps({{
    "accepted": sum(1 for _, o, _ in report.outcomes if o.value.startswith("accepted")),
    "projects": summary.projects, "indicators": summary.indicators,
    "collect_s": collected - began, "consolidate_s": done - collected,
    "collect_rss": collect_rss / 1024, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "children_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "summary_mb": (out / "summary.xlsx").stat().st_size / 2**20,
    "compilation_mb": summary.compilation.stat().st_size / 2**20,
    "cells": sum(cells(path) for path in (out / "summary.xlsx", summary.compilation)),
}}))
"""


CELL = re.compile(rb"<c[ >]")


def cells(workbook: Path) -> int:
    """The cells a workbook's sheets hold (their <c> elements), read in chunks."""
    count = 0
    with zipfile.ZipFile(workbook) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(name) as part:
                    tail = b""
                    while chunk := part.read(1 << 20):
                        text = tail + chunk
                        count += len(CELL.findall(text[: len(text) - 2])) if len(text) > 2 else 0
                        tail = text[-2:] if len(text) > 2 else text
                    count += len(CELL.findall(tail))
    return count


BARE = """
import sys, time, tempfile, os
import xlsxwriter
count = {count}
with tempfile.TemporaryDirectory() as folder:
    began = time.perf_counter()
    options = {{"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False, "tmpdir": folder}}
    book = xlsxwriter.Workbook(os.path.join(folder, "bare.xlsx"), options)
    sheet, fmt = None, book.add_format({{"border": 1, "text_wrap": True, "font_size": 10, "valign": "top"}})
    for n in range(count):
        if n % 1_000_000 == 0:
            sheet = book.add_worksheet()
        row, col = divmod(n % 1_000_000, 20)
        if col < 14:
            sheet.write_string(row, col, f"项目{{row}}指标{{col}}", fmt)
        elif col < 17:
            sheet.write_number(row, col, row * 1.5, fmt)
        else:
            sheet.write_blank(row, col, None, fmt)
    book.close()
    print(time.perf_counter() - began)
"""


def bare_xlsxwriter(count: int) -> float:
    """Seconds bare xlsxwriter takes to write `count` cells (20 a row: 14 strings, 3 numbers, 3 blanks)."""
    output = subprocess.run(
        [sys.executable, "-c", BARE.format(count=count)], check=True, capture_output=True, text=True
    )
    return float(output.stdout.split()[-1])


def run(count: int, inbox: Path, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        code = ONE_RUN.format(root=str(ROOT), inbox=str(inbox), out=out, count=count, workers=workers)
        output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 5000, 10000], help="returns per run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="reading processes for collect")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        inbox = Path(tmp)
        make_returns(inbox, max(args.counts), passing_only=True)
        print(f"generated {max(args.counts)} returns in {time.perf_counter() - began:.0f} s")
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"collect with {args.workers} worker(s)"
        )
        for count in args.counts:
            figures = run(count, inbox, args.workers)
            total = figures["collect_s"] + figures["consolidate_s"]
            bare = bare_xlsxwriter(figures["cells"])
            print(
                f"{count:>6} returns ({figures['projects']} projects, {figures['indicators']} indicators, "
                f"{figures['accepted']} accepted):"
            )
            collect_s, consolidate_s = figures["collect_s"], figures["consolidate_s"]
            print(
                f"    collect      {collect_s:7.1f} s  {collect_s / count * 1000:6.2f} ms/return  "
                f"peak {figures['collect_rss']:5.0f} MiB"
            )
            print(
                f"    consolidate  {consolidate_s:7.1f} s  {consolidate_s / count * 1000:6.2f} ms/return  "
                f"peak {figures['peak_rss']:5.0f} MiB, child processes {figures['children_rss']:5.0f} MiB  "
                f"(summary {figures['summary_mb']:.0f} MiB, 汇编 {figures['compilation_mb']:.0f} MiB)"
            )
            print(f"    whole cycle  {total:7.1f} s  {total / count * 1000:6.2f} ms/return  (target: 10,000 in < 45 s)")
            print(
                f"    baseline: bare xlsxwriter writing the outputs' {figures['cells']:,} cells: {bare:.1f} s in one "
                f"process ({bare / 2:.1f} s shared over two); consolidate {consolidate_s / bare:.2f}× the first"
            )


if __name__ == "__main__":
    main()
