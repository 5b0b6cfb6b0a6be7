"""Benchmark: xlsxkit generation against bare xlsxwriter writing the same workbooks.

    python benchmarks/generate.py                 # 1,000 units, built-in template tangshan
    python benchmarks/generate.py --count 50      # a quick check
    python benchmarks/generate.py --profile       # cProfile of the xlsxkit side only

Every unit gets a prefilled workbook of `--projects` project sheets (3), each holding a
record whose tables have `--rows` rows (20 indicators): the template's example records
from examples/records*.jsonl, their tables padded with the other examples' items.

The baseline is the same work done with bare xlsxwriter. Before any timing, each unit's
workbook is generated once through a recording proxy that notes every xlsxwriter call
xlsxkit makes (add_worksheet, add_format and its properties, write_string/number/blank/
datetime, merge_range, data_validation, set_column/row, define_name, protect, page setup,
document properties …). The timed baseline replays that call list on a fresh
`xlsxwriter.Workbook`, formats re-created per workbook as xlsxkit does, so it writes the
same cells, formats, merges and validations; the two outputs of every unit are checked
to be byte-identical (outside the timing). The replay loop itself costs about 0.2 ms per
workbook (measured with no-op calls), about 1% of the baseline.

Both sides write files into subfolders of one temporary folder. Units are timed in blocks, the two
sides alternating which goes first, so that drift and noise from other processes fall
on both. Prints ms per workbook for each side and their ratio (target ≤ 1.15×). Nothing
here asserts on time.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's xlsxkit, not an installed copy

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

import xlsxkit.write.form_writer
from xlsxkit.read.roster import read_roster
from xlsxkit.template.load import find_template
from xlsxkit.template.model import Template
from xlsxkit.write.generate import UnitRecords, generate_prefilled

GENERATED_AT = dt.datetime(2025, 1, 6, 9, 0, 0)
YEAR = 2025
TARGET = 1.15


# --- the workload ---------------------------------------------------------------------------


def build_groups(template: Template, count: int, projects: int, rows: int) -> list[UnitRecords]:
    """`count` units, each with `projects` records whose tables have `rows` items."""
    examples = ROOT / "examples"
    records = [
        json.loads(line)
        for path in sorted(examples.glob("records*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    same_form = [r for r in records if r.get("form") == template.form]
    pool = [r for r in same_form if (r.get("template") or {}).get("id") == template.id] or same_form
    if not pool:
        raise SystemExit(f"examples/records*.jsonl have no {template.form} record to fill template {template.id} with")
    binds = [table.table for table in template.tables()]
    items_pool = {bind: [item for r in pool for item in (r.get(bind) or [])] for bind in binds}
    roster = read_roster(examples / "units.csv").units
    groups = []
    for u in range(count):
        base = roster[u % len(roster)]
        unit = {"code": f"{600000 + u:06d}", "name": f"{base['name']}{u // len(roster) + 1:04d}"}
        group = UnitRecords(unit=unit, records=[])
        for p in range(projects):
            serial = u * projects + p
            record = copy.deepcopy(pool[serial % len(pool)])
            record["unit"] = dict(unit)
            record["year"] = YEAR
            for bind in binds:
                record[bind] = _padded(template, record.get(bind) or [], items_pool[bind], rows, serial)
            group.records.append(record)
        groups.append(group)
    return groups


def _padded(template: Template, items: list[Any], pool: list[Any], rows: int, serial: int) -> list[Any]:
    """`rows` items: the record's own, then others from the pool; indicators in taxonomy
    order (一级, then 二级), as a filled-in form has them, so that merges happen."""
    items = [copy.deepcopy(item) for item in items[:rows]]
    for k in range(rows - len(items)):
        items.append(copy.deepcopy(pool[(serial * 7 + k) % len(pool)]) if pool else {})
    taxonomy = template.taxonomy
    if taxonomy is not None and all(isinstance(item, dict) for item in items):
        level1 = {name: i for i, name in enumerate(taxonomy.level1)}
        level2 = {name: i for name in taxonomy.level1 for i, name in enumerate(taxonomy.level2_of(name))}
        items.sort(key=lambda item: (level1.get(item.get("level1"), 99), level2.get(item.get("level2"), 99)))
    return items


# --- recording xlsxkit's xlsxwriter calls ---------------------------------------------------

WORKBOOK, ADD_SHEET, ADD_FORMAT, SHEET = range(4)


class Script:
    """Every xlsxwriter call one workbook is made of, replayable on a fresh Workbook."""

    def __init__(self, options: dict[str, Any] | None) -> None:
        self.options = copy.deepcopy(options)
        # (kind, sheet index, unbound function, args, kwargs, positions of format args)
        self.ops: list[tuple[int, int, Callable[..., Any], tuple[Any, ...], dict[str, Any], tuple[Any, ...]]] = []
        self.closed = False

    def __len__(self) -> int:
        return len(self.ops)


class _RecordedFormat:
    def __init__(self, real: Format, index: int) -> None:
        self.real, self.index = real, index

    def __getattr__(self, name: str) -> Any:  # reading a property (text_wrap …) is no call to record
        return getattr(self.real, name)


class _RecordingSheet:
    def __init__(self, real: Worksheet, index: int, script: Script) -> None:
        self._real, self._index, self._script = real, index, script

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if not callable(attr):
            return attr
        function = getattr(type(self._real), name)

        def call(*args: Any, **kwargs: Any) -> Any:
            stored_args, real_args, where = _unwrap(args, kwargs)
            self._script.ops.append((SHEET, self._index, function, *stored_args, where))
            return attr(*real_args[0], **real_args[1])

        return call


def _unwrap(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, Any], tuple[Any, Any], tuple[Any, ...]]:
    """(args with format indexes, args with real formats, where formats are)."""
    stored, real, where = list(args), list(args), []
    stored_kw, real_kw = dict(kwargs), dict(kwargs)
    for position, value in list(enumerate(args)) + list(kwargs.items()):
        if isinstance(value, _RecordedFormat):
            (stored if isinstance(position, int) else stored_kw)[position] = value.index
            (real if isinstance(position, int) else real_kw)[position] = value.real
            where.append(position)
        elif isinstance(value, (Format, _RecordingSheet)):
            raise TypeError(f"unexpected xlsxwriter object passed to a call: {value!r}")
    return (tuple(copy.deepcopy(stored)), copy.deepcopy(stored_kw)), (tuple(real), real_kw), tuple(where)


class _RecordingWorkbook:
    """Stands in for xlsxwriter's Workbook inside xlsxkit.write.form_writer: records, and delegates
    to a real Workbook (never closed: recording needs no file)."""

    scripts: ClassVar[list[Script]] = []

    def __init__(self, target: Any, options: dict[str, Any] | None = None) -> None:
        self._real = Workbook(target, options)
        self._script = Script(options)
        self._sheets: dict[int, _RecordingSheet] = {}
        self._formats = 0
        _RecordingWorkbook.scripts.append(self._script)

    def add_worksheet(self, *args: Any, **kwargs: Any) -> _RecordingSheet:
        real = self._real.add_worksheet(*args, **kwargs)
        self._script.ops.append(
            (ADD_SHEET, len(self._sheets), Workbook.add_worksheet, copy.deepcopy(args), copy.deepcopy(kwargs), ())
        )
        sheet = self._sheets[id(real)] = _RecordingSheet(real, len(self._sheets), self._script)
        return sheet

    def add_format(self, *args: Any, **kwargs: Any) -> _RecordedFormat:
        real = self._real.add_format(*args, **kwargs)
        self._script.ops.append((ADD_FORMAT, 0, Workbook.add_format, copy.deepcopy(args), copy.deepcopy(kwargs), ()))
        self._formats += 1
        return _RecordedFormat(real, self._formats - 1)

    def worksheets(self) -> list[_RecordingSheet]:
        return [self._sheets[id(real)] for real in self._real.worksheets()]

    def close(self) -> None:
        self._script.closed = True

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if not callable(attr):
            return attr
        function = getattr(Workbook, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            stored_args, real_args, where = _unwrap(args, kwargs)
            if where:
                raise RuntimeError(f"Workbook.{name} given a format: not replayable")
            self._script.ops.append((WORKBOOK, 0, function, *stored_args, where))
            return attr(*real_args[0], **real_args[1])

        return call


def record_scripts(template: Template, groups: list[UnitRecords], scratch: Path) -> list[Script]:
    """One Script per unit: the xlsxwriter calls xlsxkit makes for its workbook."""
    _RecordingWorkbook.scripts = []
    original = xlsxkit.write.form_writer.Workbook
    xlsxkit.write.form_writer.Workbook = _RecordingWorkbook  # type: ignore[misc,assignment]
    try:
        report = generate_prefilled(template, groups, YEAR, scratch, generated_at=GENERATED_AT)
    finally:
        xlsxkit.write.form_writer.Workbook = original  # type: ignore[misc]
    scripts = _RecordingWorkbook.scripts
    _RecordingWorkbook.scripts = []
    if len(scripts) != len(groups) or len(report.files) != len(groups) or not all(s.closed for s in scripts):
        raise SystemExit(
            f"recording made {len(scripts)} workbooks for {len(groups)} units "
            "(does xlsxkit.write.form_writer still use Workbook?)"
        )
    return scripts


def replay(target: str, script: Script) -> None:
    """Bare xlsxwriter: the recorded calls, on a fresh Workbook."""
    workbook = Workbook(target, script.options)
    sheets: list[Worksheet] = []
    formats: list[Format] = []
    for kind, index, function, args, kwargs, where in script.ops:
        if where:
            args, kwargs = list(args), dict(kwargs)
            for position in where:
                if isinstance(position, int):
                    args[position] = formats[args[position]]
                else:
                    kwargs[position] = formats[kwargs[position]]
        if kind == SHEET:
            function(sheets[index], *args, **kwargs)
        elif kind == ADD_FORMAT:
            formats.append(function(workbook, *args, **kwargs))
        elif kind == ADD_SHEET:
            sheets.append(function(workbook, *args, **kwargs))
        else:
            function(workbook, *args, **kwargs)
    workbook.close()


# --- the run --------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, xlsxwriter {xlsxwriter.__version__}, "
        f"{platform.system()} {platform.release()}"
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="units, one workbook each (default 1000)")
    parser.add_argument("--template", default="tangshan", help="built-in template id or YAML file (default tangshan)")
    parser.add_argument("--projects", type=int, default=3, help="project sheets per workbook (default 3)")
    parser.add_argument("--rows", type=int, default=20, help="indicator rows per project sheet (default 20)")
    parser.add_argument(
        "--block", type=int, default=10, help="units per timed block; sides alternate per block (default 10)"
    )
    parser.add_argument("--profile", action="store_true", help="instead: cProfile xlsxkit generating --count workbooks")
    args = parser.parse_args()

    started = time.perf_counter()
    template = find_template(args.template)
    groups = build_groups(template, args.count, args.projects, args.rows)
    work = Path(tempfile.mkdtemp(prefix="xlsxkit-bench-"))
    try:
        if args.profile:
            profile(template, groups, work)
            return
        print(
            f"xlsxkit vs bare xlsxwriter: {args.count} workbooks, template {template.id}, "
            f"{args.projects} project sheets of {args.rows} table rows (indicators)"
        )
        print(f"machine: {machine()}")
        scripts = record_scripts(template, groups, work / "recording")
        shutil.rmtree(work / "recording")
        calls = statistics.mean(len(s) for s in scripts)
        gc.collect()
        gc.freeze()  # the units and scripts stay put: no collection of either side walks them
        print(f"recorded {calls:.0f} xlsxwriter calls per workbook ({time.perf_counter() - started:.1f} s to prepare)")
        xk_dir, bare_dir = work / "xlsxkit", work / "bare"
        bare_dir.mkdir()
        written: dict[str, Path] = {}  # unit code → xlsxkit's workbook

        def run_xlsxkit(block: list[int]) -> None:
            report = generate_prefilled(template, [groups[i] for i in block], YEAR, xk_dir, generated_at=GENERATED_AT)
            if len(report.files) != len(block):
                raise SystemExit(f"xlsxkit wrote {len(report.files)} of {len(block)} workbooks: {report.problems[:3]}")
            written.update((generated.unit["code"], generated.path) for generated in report.files)

        def run_bare(block: list[int]) -> None:
            for i in block:
                replay(str(bare_dir / f"{groups[i].unit['code']}.xlsx"), scripts[i])

        # warm-up, untimed: imports, jinja2 compilation, layout caches
        warm = list(range(min(2, args.count)))
        run_xlsxkit(warm)
        run_bare(warm)
        _clear(xk_dir, bare_dir)

        blocks = [list(range(i, min(i + args.block, args.count))) for i in range(0, args.count, args.block)]
        wall = {"xlsxkit": 0.0, "bare": 0.0}
        cpu = {"xlsxkit": 0.0, "bare": 0.0}  # this process's CPU time, user + system: less hit by other load
        ratios = []
        timed_started = time.perf_counter()
        for number, block in enumerate(blocks):
            sides: list[tuple[str, Callable[[list[int]], None]]] = [("xlsxkit", run_xlsxkit), ("bare", run_bare)]
            if number % 2:
                sides.reverse()
            spent = {}
            for name, run in sides:
                w0, c0 = time.perf_counter(), time.process_time()
                run(block)
                spent[name] = time.perf_counter() - w0
                cpu[name] += time.process_time() - c0
                wall[name] += spent[name]
            ratios.append(spent["xlsxkit"] / spent["bare"])
            _check_identical(groups, block, written, bare_dir)
            _clear(xk_dir, bare_dir)
        timed = time.perf_counter() - timed_started

        def ms(seconds: float) -> float:
            return seconds * 1000 / args.count

        ratio = wall["xlsxkit"] / wall["bare"]
        print(f"all {args.count} workbooks byte-identical between the two sides")
        print(
            f"xlsxkit:          {ms(wall['xlsxkit']):8.2f} ms/workbook  "
            f"({wall['xlsxkit']:.2f} s; CPU {ms(cpu['xlsxkit']):.2f} ms/workbook)"
        )
        print(
            f"bare xlsxwriter:  {ms(wall['bare']):8.2f} ms/workbook  "
            f"({wall['bare']:.2f} s; CPU {ms(cpu['bare']):.2f} ms/workbook)"
        )
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        print(f"ratio:            {ratio:8.2f}x  target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'}")
        print(
            f"                  (CPU time {cpu['xlsxkit'] / cpu['bare']:.2f}x; per block of {args.block}: "
            f"median {statistics.median(ratios):.2f}x, quartiles {quartiles[0]:.2f}-{quartiles[2]:.2f}x)"
        )
        print(f"total time:       {time.perf_counter() - started:.1f} s ({timed:.1f} s timed part, incl. checks)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _clear(*folders: Path) -> None:
    for folder in folders:
        for path in folder.glob("*.xlsx"):
            path.unlink()


def _check_identical(groups: list[UnitRecords], block: list[int], written: dict[str, Path], bare_dir: Path) -> None:
    for i in block:
        code = groups[i].unit["code"]
        ours, bare = written.pop(code, None), bare_dir / f"{code}.xlsx"
        if ours is None or sha256(ours) != sha256(bare):
            raise SystemExit(
                f"unit {code}: the bare xlsxwriter workbook differs from xlsxkit's ({ours}, {bare}); "
                "the baseline would not be doing the same work"
            )


def profile(template: Template, groups: list[UnitRecords], work: Path) -> None:
    generate_prefilled(template, groups[:2], YEAR, work / "warm", generated_at=GENERATED_AT)
    profiler = cProfile.Profile()
    profiler.enable()
    generate_prefilled(template, groups, YEAR, work / "out", generated_at=GENERATED_AT)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
