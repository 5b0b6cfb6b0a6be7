"""The built-in demonstration: the office's whole year on the shipped examples.

1. every built-in template generated for the example roster, blank and prefilled (forms/);
2. the Tangshan blanks sent out (outbox/), and simulated returns coming back (inbox/): most
   correct, one inside a .zip, one with typical errors, one unit missing, an Excel lock file;
3. collected into the ledger (returns.sqlite); then one unit resubmits a corrected return and
   the inbox is collected again (nothing doubled, the new version counts);
4. feedback for every unit whose latest return has findings (feedback/);
5. the summary workbook, records.jsonl and CSV exports (汇总表.xlsx, records.jsonl, exports/);
6. the rest of the year (demo_year, in year/): the targets approved (in a copy of the ledger, so
   that returns.sqlite stays undecided for the office to try its desk on), the 运行监控表 generated
   from them, filled, collected and consolidated (year/监控汇总.xlsx), then the 自评表 likewise
   (year/自评汇总.xlsx).
"""

from __future__ import annotations

import copy
import datetime as dt
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxkit.cycle.collect import CollectReport, collect
from xlsxkit.cycle.consolidate import Summary
from xlsxkit.cycle.demo_year import YearReport, run_year
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.office_steps import write_feedback, write_summary
from xlsxkit.form.errors import Problem
from xlsxkit.read.roster import read_roster
from xlsxkit.read.rules import REQUIRED_LEVEL1
from xlsxkit.template.load import builtin_template_dir, builtin_templates, find_template
from xlsxkit.template.model import Template
from xlsxkit.write.generate import GenerateReport, UnitRecords, generate_blank, generate_prefilled
from xlsxkit.write.records_file import read_record_groups

CYCLE_TEMPLATE = "tangshan"
PROJECTS_PER_UNIT = 3


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


@dataclass
class DemoReport:
    """What the demo made: the forms, each collection, the feedback workbooks and the summary."""

    out: Path
    forms: GenerateReport = field(default_factory=GenerateReport)
    collected: list[CollectReport] = field(default_factory=list)
    feedback: list[Path] = field(default_factory=list)
    summary: Summary | None = None
    year: YearReport | None = None

    @property
    def problems(self) -> list[Problem]:
        """Problems met while generating the forms (none, with the shipped examples)."""
        return self.forms.problems


def run_demo(out_dir: Path, *, year: int | None = None, generated_at: dt.datetime | None = None) -> DemoReport:
    """The office's whole cycle on the shipped examples, in `out_dir`: every template generated,
    simulated returns, two collections, feedback and the summary (see README)."""
    report = DemoReport(out_dir)
    roster = read_roster(examples_dir() / "units.csv")
    report.forms.problems += roster.problems
    _every_template(out_dir / "forms", roster.units, year, generated_at, report.forms)
    template = find_template(CYCLE_TEMPLATE)
    records = _records_by_unit(template, roster.units)
    year = records[roster.units[0]["code"]][0]["year"]
    outbox = generate_blank(template, roster.units, year, out_dir / "outbox", generated_at=generated_at)
    report.forms.files += outbox.files
    inbox = out_dir / "inbox"
    resubmission = _simulate_returns(template, roster.units, records, inbox, generated_at)
    with Ledger(out_dir / "returns.sqlite") as ledger:
        ledger.set_units(roster.units)
        report.collected.append(collect(inbox, ledger))
        resubmission()  # a unit sends its corrected return; the inbox is collected again
        report.collected.append(collect(inbox, ledger))
        report.feedback = write_feedback(ledger, out_dir / "feedback")
        report.summary = write_summary(
            ledger, out_dir / "汇总表.xlsx", jsonl=out_dir / "records.jsonl", csv_dir=out_dir / "exports"
        )
    report.year = run_year(out_dir / "returns.sqlite", roster.units, out_dir / "year", generated_at)
    return report


def _every_template(
    out: Path, units: list[dict[str, Any]], year: int | None, at: dt.datetime | None, report: GenerateReport
) -> None:
    for template in builtin_templates():
        blank = generate_blank(
            template, units, year or dt.date.today().year, out / "blank" / template.id, generated_at=at
        )
        groups, problems = example_record_groups(template)
        prefilled = generate_prefilled(template, groups, year, out / "prefilled" / template.id, generated_at=at)
        report.files += blank.files + prefilled.files
        report.problems += blank.problems + problems + prefilled.problems


def _records_by_unit(template: Template, units: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The template's example records shared out among the roster units, as if each unit had
    filled in some of those projects."""
    groups, _ = example_record_groups(template)
    required = {level for level in REQUIRED_LEVEL1 if template.taxonomy and level in template.taxonomy.level1}
    pool = [
        record
        for group in groups
        for record in group.records  # real forms that pass the checks
        if required <= {item["level1"] for item in record["indicators"]}
    ]
    shared: dict[str, list[dict[str, Any]]] = {}
    for number, unit in enumerate(units):
        picked = [copy.deepcopy(pool[(number * PROJECTS_PER_UNIT + i) % len(pool)]) for i in range(PROJECTS_PER_UNIT)]
        for record in picked:
            record["unit"] = {"code": unit["code"], "name": unit["name"]}
        shared[unit["code"]] = picked
    return shared


def _simulate_returns(
    template: Template,
    units: list[dict[str, Any]],
    records: dict[str, list[dict[str, Any]]],
    inbox: Path,
    at: dt.datetime | None,
) -> Callable[[], Path]:
    """Returns as units send them: the first correct, the second correct but zipped, the third
    with typical mistakes, the fourth missing, the fifth first wrong and later corrected (the
    correction is written when the returned function is called); plus an Excel lock file."""

    def send(unit: dict[str, Any], unit_records: list[dict[str, Any]], folder: Path) -> Path:
        made = generate_prefilled(template, [UnitRecords(unit, unit_records)], None, folder, generated_at=at)
        return made.files[0].path

    first, second, third, _missing, fifth = units[:5]  # the example roster's five units
    returned = send(first, records[first["code"]], inbox)
    (inbox / f"~${returned.name}").write_bytes(b"\x00" * 165)  # left behind while the file was open
    zipped = send(second, records[second["code"]], inbox / "tmp")
    with zipfile.ZipFile(inbox / f"{second['code']}-回执.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(zipped, zipped.name)
    zipped.unlink()
    (inbox / "tmp").rmdir()
    send(third, _with_mistakes(records[third["code"]]), inbox)
    wrong = _with_mistakes(records[fifth["code"]][:1]) + records[fifth["code"]][1:]
    send(fifth, wrong, inbox / "第一次报送")
    return lambda: send(fifth, records[fifth["code"]], inbox / "第二次报送")


def _with_mistakes(unit_records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Typical mistakes: a 三级 without 指标值, funds that do not add up, a 二级 under the wrong 一级."""
    wrong = copy.deepcopy(unit_records)
    first = wrong[0]
    first["indicators"][0]["value"] = None
    fiscal = first["funds"]["annual"]["fiscal"]
    if fiscal is not None:
        first["funds"]["annual"]["fiscal"] = str(Decimal(fiscal) - 10000)
    first["indicators"][-1]["level2"] = "数量指标"
    return wrong
