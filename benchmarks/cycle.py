"""Benchmark: the office's cycle at scale — collect N returns into the ledger, then consolidate.

    python benchmarks/cycle.py                       # 1,000 and 10,000 returns
    python benchmarks/cycle.py --counts 200 1000     # a quick check
    python benchmarks/cycle.py --workers 2           # collect with 2 reading processes

Returns are generated first (outside any timing): one workbook per unit, built-in template
tangshan, 3 project sheets each filled with corpus records that pass the checks (examples/
records.jsonl, in turn), so N returns are accepted and hold 3N project records. Each count runs
in a fresh process (so peak memory is that count's own) which: collects the inbox into a new
ledger, then consolidates the ledger into the summary workbook (all five sheets, 汇编 included)
with JSONL and CSV exports. Prints seconds, returns per second and peak resident memory for each
step. Targets: 10,000 returns consolidated
in under 60 s on a 2-core machine; memory flat in the number of returns. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
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
    summary = write_summary(ledger, out / "summary.xlsx", jsonl=out / "records.jsonl", csv_dir=out / "exports")
done = time.perf_counter()
print(json.dumps({{
    "accepted": sum(1 for _, o, _ in report.outcomes if o.value.startswith("accepted")),
    "projects": summary.projects, "indicators": summary.indicators,
    "collect_s": collected - began, "consolidate_s": done - collected,
    "collect_rss": collect_rss / 1024, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "summary_mb": (out / "summary.xlsx").stat().st_size / 2**20,
}}))
"""


def run(count: int, inbox: Path, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        code = ONE_RUN.format(root=str(ROOT), inbox=str(inbox), out=out, count=count, workers=workers)
        output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000], help="returns per run")
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
            print(
                f"{count:>6} returns ({figures['projects']} projects, {figures['indicators']} indicators, "
                f"{figures['accepted']} accepted):"
            )
            print(
                f"    collect      {figures['collect_s']:7.1f} s  {count / figures['collect_s']:7.0f} returns/s  "
                f"peak {figures['collect_rss']:6.0f} MiB"
            )
            print(
                f"    consolidate  {figures['consolidate_s']:7.1f} s  "
                f"{count / figures['consolidate_s']:7.0f} returns/s  "
                f"peak {figures['peak_rss']:6.0f} MiB  (summary {figures['summary_mb']:.0f} MiB)"
            )
            print(f"    whole cycle  {total:7.1f} s  (target: 10,000 consolidated in < 60 s)")


if __name__ == "__main__":
    main()
