"""Benchmark: how long a command takes as a process, against starting Python and importing
python-calamine (what any reader of xlsx in Python pays before its first cell).

    python benchmarks/startup.py [--runs 15]

Measured, each the median of `--runs` processes, the sides alternating run by run:
- baseline: `python -c "import python_calamine"`;
- `xlsxkit check one.xlsx` (a filled Tangshan return, generated first, outside any timing);
- `xlsxkit --help`.
xlsxkit is run as its installed console script next to this Python (not through a shim such as
pyenv's, which adds a shell of its own), with bytecode caching on (PYTHONDONTWRITEBYTECODE, set on
some machines, is dropped for the runs: an installed package has its .pyc) and one warm-up run of
each command first. Prints each median and the ratio to the baseline (target ≤ 10×). Nothing here
asserts on time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xlsxkit.template.load import find_template
from xlsxkit.write.generate import UnitRecords, generate_prefilled

BASELINE = [sys.executable, "-c", "import python_calamine"]


def one_return(folder: Path) -> Path:
    """A filled Tangshan return of three projects (the example records)."""
    import json

    lines = (ROOT / "examples" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    tangshan = [r for r in records if r["template"]["id"] == "tangshan"][:3]
    report = generate_prefilled(find_template("tangshan"), [UnitRecords(tangshan[0]["unit"], tangshan)], None, folder)
    return report.files[0].path


ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENVIRONMENT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = Path(sys.executable).parent / "xlsxkit"
    if not script.exists():
        raise SystemExit(f"{script}: install xlsxkit first (pip install .)")
    with tempfile.TemporaryDirectory() as work:
        path = one_return(Path(work))
        commands = {
            "python + import python_calamine": BASELINE,
            "xlsxkit check one.xlsx": [str(script), "check", str(path)],
            "xlsxkit --help": [str(script), "--help"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            seconds(command)  # warm-up: bytecode written, files in the page cache
        for run in range(args.runs):
            order = list(commands.items())
            for name, command in order if run % 2 == 0 else reversed(order):
                times[name].append(seconds(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["python + import python_calamine"]
    print(f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {args.runs} runs")
    for name, median in medians.items():
        print(f"{name:34} {median * 1000:7.0f} ms  {median / base:5.1f}×")


if __name__ == "__main__":
    main()
