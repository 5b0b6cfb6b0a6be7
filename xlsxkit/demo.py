"""The built-in demonstration: every built-in template generated for the example roster,
blank and, where example records exist for it, prefilled. (#4 extends it to the whole cycle.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .errors import Problem
from .generate import GenerateReport, UnitRecords, generate_blank, generate_prefilled, read_record_groups
from .load import builtin_template_dir, builtin_templates
from .roster import read_roster
from .template import Template


def examples_dir() -> Path:
    """`examples/` of a checkout, or the copy installed as xlsxkit/examples."""
    return builtin_template_dir().parent / "examples"


def example_record_groups(template: Template) -> tuple[list[UnitRecords], list[Problem]]:
    """The example records (examples/records*.jsonl) made with `template`, grouped by unit."""
    groups: list[UnitRecords] = []
    problems: list[Problem] = []
    for path in sorted(examples_dir().glob("records*.jsonl")):
        found, trouble = read_record_groups(path, template, only_template=template.id)
        groups += found
        problems += trouble
    return groups, problems


def run_demo(out_dir: Path, year: int | None = None, generated_at: dt.datetime | None = None) -> GenerateReport:
    roster = read_roster(examples_dir() / "units.csv")
    report = GenerateReport(problems=list(roster.problems))
    for template in builtin_templates():
        blank = generate_blank(template, roster.units, year or dt.date.today().year,
                               out_dir / "blank" / template.id, generated_at=generated_at)
        report.files += blank.files
        report.problems += blank.problems
        groups, problems = example_record_groups(template)
        prefilled = generate_prefilled(template, groups, year, out_dir / "prefilled" / template.id,
                                       generated_at=generated_at)
        report.files += prefilled.files
        report.problems += problems + prefilled.problems
    return report
