"""The built-in demonstration: every built-in template generated for the example roster,
blank and, where example records exist for it, prefilled. (#4 extends it to the whole cycle.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem
from .generate import Generated, generate_blank, generate_prefilled, read_record_groups
from .load import builtin_template_dir, builtin_templates
from .roster import read_roster


def examples_dir() -> Path:
    """`examples/` of a checkout, or the copy installed as xlsxkit/examples."""
    return builtin_template_dir().parent / "examples"


@dataclass
class DemoReport:
    files: list[Generated] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def run_demo(out_dir: Path, year: int | None = None, generated_at: dt.datetime | None = None) -> DemoReport:
    examples = examples_dir()
    roster = read_roster(examples / "units.csv")
    report = DemoReport(problems=list(roster.problems))
    for template in builtin_templates():
        blank = generate_blank(template, roster.units, year or dt.date.today().year,
                               out_dir / "blank" / template.id, generated_at=generated_at)
        report.files += blank.files
        report.problems += blank.problems
        for records in sorted(examples.glob("records*.jsonl")):
            groups, problems = read_record_groups(records, template, only_template=template.id)
            if groups or problems:
                prefilled = generate_prefilled(template, groups, year, out_dir / "prefilled" / template.id,
                                               generated_at=generated_at)
                report.files += prefilled.files
                report.problems += problems + prefilled.problems
    return report
