"""Levels and relay (转报): a city office whose roster is a tree — two county offices, each over three
units, and one unit reporting to the city directly. Each county collects and consolidates its units;
its summary workbook is its return to the city, which collects the two county summaries and the
direct unit's return. The city's summary must equal a single-level collection of all the units'
returns: the same records, the same 合计, the same 小计 per county."""

from __future__ import annotations

import copy
import csv
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.helpers import FIXED_TIME, example_records
from tests.libreoffice import Office
from xlsxkit.cli import app
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.ledger_schema import DECISIONS, SCHEMA_V2
from xlsxkit.cycle.office_steps import summarised_evaluations
from xlsxkit.form.errors import Code
from xlsxkit.form.relay import MARK, VERSION, RelayDamaged, RelayRecords, read_relay
from xlsxkit.read.reader import read_return
from xlsxkit.read.roster import read_roster
from xlsxkit.template.load import builtin_template
from xlsxkit.write.generate import UnitRecords, generate_prefilled

runner = CliRunner()
CITY = ("5000", "某市住房公积金管理中心", "")
COUNTIES = {"5100": "甲县管理部", "5200": "乙县管理部"}
UNITS = {  # code: (name, parent)
    "5101": ("甲县一所", "5100"),
    "5102": ("甲县二所", "5100"),
    "5103": ("甲县三所", "5100"),
    "5201": ("乙县一所", "5200"),
    "5202": ("乙县二所", "5200"),
    "5203": ("乙县三所", "5200"),
    "5300": ("丙区直属所", "5000"),
}


def roster(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["单位代码", "单位名称", "上级单位代码"])
        writer.writerows(rows)
    return path


def city_roster(path: Path) -> Path:
    counties = [(code, name, CITY[0]) for code, name in COUNTIES.items()]
    units = [(code, name, parent) for code, (name, parent) in UNITS.items()]
    return roster(path, [CITY, *counties, *units])


def county_roster(path: Path, county: str) -> Path:
    units = [(code, name, parent) for code, (name, parent) in UNITS.items() if parent == county]
    return roster(path, [(county, COUNTIES[county], ""), *units])


def cli(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    """Each unit's return: two Tangshan projects of the examples, as its own."""
    out = tmp_path_factory.mktemp("returns")
    required = {"产出指标", "效益指标", "满意度指标"}  # the Tangshan form's 一级: real forms that pass the checks
    pool = [r for r in example_records("tangshan") if required <= {i["level1"] for i in r["indicators"]}]
    made = {}
    for number, (code, (name, _)) in enumerate(UNITS.items()):
        records = [copy.deepcopy(pool[(2 * number + i) % len(pool)]) for i in range(2)]
        for record in records:
            record["unit"] = {"code": code, "name": name}
        report = generate_prefilled(
            builtin_template("tangshan"),
            [UnitRecords({"code": code, "name": name}, records)],
            None,
            out / code,
            generated_at=FIXED_TIME,
        )
        assert not report.problems
        made[code] = report.files[0].path
    return made


def county_summary(work: Path, county: str, returns: dict[str, Path]) -> Path:
    inbox = work / county / "inbox"
    inbox.mkdir(parents=True)
    for code, (_, parent) in UNITS.items():
        if parent == county:
            shutil.copy(returns[code], inbox)
    db = work / county / "returns.sqlite"
    code, out = cli("collect", inbox, "--db", db, "--roster", county_roster(work / county / "units.csv", county))
    assert code == 0 and "rejected" not in out, out
    summary = work / county / f"{county}-{COUNTIES[county]}-汇总表.xlsx"
    code, _ = cli("consolidate", "--db", db, "--out", summary)
    assert code == 0
    return summary


def summarised(db: Path) -> list[dict[str, Any]]:
    with Ledger(db) as ledger:
        return list(ledger.records_of(summarised_evaluations(ledger)))


def without_provenance(record: dict[str, Any]) -> dict[str, Any]:
    source = {key: value for key, value in (record.get("source") or {}).items() if key != "via"}
    return {**record, "source": source}


def project_rows(workbook: Path) -> list[tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(workbook)["项目汇总"]
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows(min_row=4) if row[0].value or row[3].value]


def city_round(work: Path, returns: dict[str, Path], counties: dict[str, Path]) -> Path:
    inbox = work / "city" / "inbox"
    inbox.mkdir(parents=True)
    for summary in counties.values():
        shutil.copy(summary, inbox)
    shutil.copy(returns["5300"], inbox)
    db = work / "city" / "returns.sqlite"
    code, _ = cli("collect", inbox, "--db", db, "--roster", city_roster(work / "city" / "units.csv"))
    assert code == 0
    return db


def flat_round(work: Path, returns: dict[str, Path]) -> Path:
    inbox = work / "flat" / "inbox"
    inbox.mkdir(parents=True)
    for path in returns.values():
        shutil.copy(path, inbox)
    db = work / "flat" / "returns.sqlite"
    code, _ = cli("collect", inbox, "--db", db, "--roster", city_roster(work / "flat" / "units.csv"))
    assert code == 0
    return db


def test_a_city_collecting_two_county_summaries_equals_collecting_every_unit(tmp_path, returns):
    counties = {county: county_summary(tmp_path, county, returns) for county in COUNTIES}
    city, flat = city_round(tmp_path, returns, counties), flat_round(tmp_path, returns)
    relayed, direct = summarised(city), summarised(flat)
    assert [without_provenance(r) for r in relayed] == direct  # the same records, in the same order
    via = {r["unit"]["code"]: [hop["office"] for hop in r["source"].get("via", [])] for r in relayed}
    assert via == {code: ([parent] if parent != CITY[0] else []) for code, (_, parent) in UNITS.items()}
    for db in (city, flat):
        assert cli("consolidate", "--db", db, "--out", db.parent / "汇总表.xlsx")[0] == 0
    rows, expected = project_rows(city.parent / "汇总表.xlsx"), project_rows(flat.parent / "汇总表.xlsx")
    assert rows == expected
    labels = [row[3] for row in rows if isinstance(row[3], str) and row[3].startswith("小计：")]
    assert labels == ["小计：甲县管理部及下属单位（6 个项目）", "小计：乙县管理部及下属单位（6 个项目）"]
    total = next(row for row in rows if row[0] == "合计")
    county_totals = [next(r for r in project_rows(s) if r[0] == "合计") for s in counties.values()]
    direct_unit = [row for row in rows if row[0] == "5300" and str(row[3]).startswith("小计（")]
    assert total[5] == pytest.approx(sum(t[5] for t in county_totals) + direct_unit[0][5])


def test_status_and_the_summary_show_each_level(tmp_path, returns):
    counties = {county: county_summary(tmp_path, county, returns) for county in COUNTIES}
    city = city_round(tmp_path, returns, counties)
    _, out = cli("status", "--db", city, "--json")
    levels = {level["code"]: level for level in json.loads(out)["levels"]}
    assert (levels["5100"]["units"], levels["5100"]["returned"], levels["5100"]["missing"]) == (3, 3, 0)
    assert (levels["5000"]["units"], levels["5000"]["returned"]) == (9, 9)
    assert cli("consolidate", "--db", city, "--out", tmp_path / "city.xlsx")[0] == 0
    sheet = openpyxl.load_workbook(tmp_path / "city.xlsx")["分级填报情况"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4) if row[0].value]
    assert [row[:5] for row in rows] == [
        ["5000", CITY[1], 1, 9, 9],
        ["5100", COUNTIES["5100"], 2, 3, 3],
        ["5200", COUNTIES["5200"], 2, 3, 3],
    ]


def test_a_unit_both_direct_and_relayed_is_reported_and_counted_once(tmp_path, returns):
    counties = {county: county_summary(tmp_path, county, returns) for county in COUNTIES}
    city = city_round(tmp_path, returns, counties)
    shutil.copy(returns["5101"], city.parent / "inbox" / "5101-直接报送.xlsx")
    cli("collect", city.parent / "inbox", "--db", city)
    with Ledger(city) as ledger:
        latest = ledger.latest_returns()["5101"]
        findings = [f["code"] for f in ledger.findings_of(latest.evaluation_id)]
    assert Code.L_DIRECT_AND_RELAYED.code in findings
    records = summarised(city)
    assert sum(1 for r in records if r["unit"]["code"] == "5101") == 2  # its two projects, once


def test_a_relay_changed_by_hand_is_refused_whole(tmp_path, returns):
    summary = county_summary(tmp_path, "5100", returns)
    book = openpyxl.load_workbook(summary)
    sheet = book["_xlsxkit_relay"]
    row = next(r for r in sheet.iter_rows() if r[0].value == "record")
    row[1].value = row[1].value.replace("办公楼", "办公室", 1)
    book.save(tmp_path / "changed.xlsx")
    result = read_return(tmp_path / "changed.xlsx")
    assert not result.readable and result.findings[-1].code is Code.R_RELAY_DAMAGED


@pytest.mark.libreoffice
def test_county_summaries_still_relay_after_a_libreoffice_resave(office: Office, tmp_path, returns) -> None:
    counties = {county: county_summary(tmp_path, county, returns) for county in COUNTIES}
    resaved = {}
    for county, summary in counties.items():
        with office.open(summary) as book:
            resaved[county] = book.save_as_xlsx(tmp_path / "resaved" / summary.name)
    city, flat = city_round(tmp_path, returns, resaved), flat_round(tmp_path, returns)
    assert [without_provenance(r) for r in summarised(city)] == summarised(flat)


# --- the roster's levels -----------------------------------------------------------------------------


def test_a_parent_not_on_the_roster_or_going_round_in_a_cycle_is_reported_and_dropped(tmp_path):
    path = roster(
        tmp_path / "units.csv",
        [
            CITY,
            ("5100", "甲县管理部", "5000"),
            ("5101", "甲县一所", "9999"),
            ("5102", "乙", "5103"),
            ("5103", "丙", "5102"),
        ],
    )
    read = read_roster(path)
    problems = {(p.code, p.details.get("code")) for p in read.problems}
    assert (Code.G_ROSTER_PARENT_UNKNOWN, "5101") in problems
    assert {(Code.G_ROSTER_PARENT_CYCLE, "5102"), (Code.G_ROSTER_PARENT_CYCLE, "5103")} <= problems
    parents = {unit["code"]: unit.get("parent") for unit in read.units}
    assert parents == {"5000": None, "5100": "5000", "5101": None, "5102": None, "5103": None}


def test_a_ledger_of_the_release_before_levels_is_migrated_and_takes_parents(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as old:  # the schema of version 3, as the release before wrote it
        old.executescript(SCHEMA_V2 + DECISIONS)
        old.execute("PRAGMA user_version = 3")
        old.execute("INSERT INTO units (code, name, position) VALUES ('5101', '甲县一所', 0)")
    with Ledger(db) as ledger:
        assert ledger.parents() == {"5101": None}
        ledger.set_units(
            [{"code": "5100", "name": "甲县管理部"}, {"code": "5101", "name": "甲县一所", "parent": "5100"}]
        )
        assert ledger.parents() == {"5100": None, "5101": "5100"}
        assert ledger.contacts() == {"5100": {}, "5101": {}}  # the parent is no contact column


def test_an_offices_own_summary_in_its_own_inbox_is_no_return(tmp_path, returns):
    summary = county_summary(tmp_path, "5100", returns)
    shutil.copy(summary, tmp_path / "5100" / "inbox")
    db = tmp_path / "5100" / "returns.sqlite"
    code, out = cli("collect", tmp_path / "5100" / "inbox", "--db", db)
    assert code == 1 and "rejected  L030" in out
    assert len(summarised(db)) == 6  # its units' returns, each once
    with Ledger(db) as ledger:
        assert Code.L_OWN_SUMMARY.code in {r.reason for r in ledger.receipts()}


def test_recheck_judges_each_part_of_a_relay_again(tmp_path, returns):
    counties = {county: county_summary(tmp_path, county, returns) for county in COUNTIES}
    (tmp_path / "renamed").mkdir()
    shutil.copy(counties["5100"], tmp_path / "renamed" / "甲县#第1次报送.xlsx")  # a "#" in the file's own name
    city = city_round(tmp_path, returns, {"5200": counties["5200"]})
    cli("collect", tmp_path / "renamed", "--db", city)
    before = summarised(city)
    code, _ = cli("recheck", "--db", city)
    assert code in (0, 1)
    after = summarised(city)
    assert len(before) == 14, [r["unit"]["code"] for r in before]  # 7 units × 2 projects, each once
    assert [r["unit"]["code"] for r in after] == [r["unit"]["code"] for r in before]
    assert after == before


def test_a_relay_of_things_that_are_no_records_is_refused_even_when_sealed(tmp_path):
    rows = [
        [MARK, VERSION],
        ["template_id", "tangshan"],
        ["year", "2025"],
        ["office_code", "5100"],
    ]
    sealed = RelayRecords()
    rows.append(sealed.row([1, 2, 3]))  # type: ignore[arg-type]  # a JSON list, hash and all
    rows.append(sealed.end())
    with pytest.raises(RelayDamaged, match="不是一个单位的记录"):
        read_relay(rows)


def test_a_relay_carrying_a_value_no_summary_can_write_is_refused(tmp_path, returns):
    """A record sealed as it should be, but with a number for a project's name: accepted, it made
    the city's consolidate fail while drawing its 汇编; it is refused where it arrives (R020)."""
    summary = county_summary(tmp_path, "5100", returns)
    book = openpyxl.load_workbook(summary)
    sheet = book["_xlsxkit_relay"]
    rows = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    records = [json.loads("".join(row[1:])) for row in rows if row and row[0] == "record"]
    records[0]["project"]["name"] = 1.5
    sealed = RelayRecords()
    remade = [row for row in rows if row and row[0] not in ("record", "end")]
    remade += [sealed.row(record) for record in records] + [sealed.end()]
    book.remove(sheet)
    again = book.create_sheet("_xlsxkit_relay")
    for row in remade:
        again.append([str(cell) for cell in row])
    book.save(summary)
    result = read_return(summary)
    assert not result.readable and result.findings[-1].code is Code.R_RELAY_DAMAGED
    assert "project.name" in result.findings[-1].message


# --- a county's summaries over time: sent again, withdrawing a unit, judged again ---------------------


@pytest.mark.parametrize("county_on_the_roster", [True, False], ids=["county on the roster", "county not on it"])
def test_a_county_summary_mailed_again_does_not_undo_a_units_direct_return(tmp_path, returns, county_on_the_roster):
    """Also where the county's own part does not count at the city (not on its roster: L001)."""
    summary = county_summary(tmp_path, "5100", returns)
    if county_on_the_roster:
        city = city_round(tmp_path, returns, {"5100": summary})
    else:
        city = tmp_path / "city" / "returns.sqlite"
        (tmp_path / "city" / "inbox").mkdir(parents=True)
        shutil.copy(summary, tmp_path / "city" / "inbox")
        units = [(code, name, "") for code, (name, parent) in UNITS.items() if parent == "5100"]
        cli("collect", city.parent / "inbox", "--db", city, "--roster", roster(city.parent / "units.csv", units))
    inbox = city.parent / "inbox"
    (inbox / "直接").mkdir()
    shutil.copy(returns["5101"], inbox / "直接" / "5101-甲县一所.xlsx")  # the unit's own return, after the relay
    cli("collect", inbox, "--db", city)
    (inbox / "重发").mkdir()
    shutil.copy(summary, inbox / "重发")  # the county mails the same summary again
    _, out = cli("collect", inbox, "--db", city)
    assert f"重发/{summary.name}#5101  skipped  L003" in out
    with Ledger(city) as ledger:
        latest = ledger.latest_returns()
        assert latest["5101"].path == "直接/5101-甲县一所.xlsx"  # still the unit's own return
        assert (latest["5101"].versions, latest["5102"].versions) == (2, 1)  # nothing new from anyone


def test_a_county_summary_without_a_unit_it_returned_withdraws_that_units_part(tmp_path, returns):
    summary = county_summary(tmp_path, "5100", returns)
    city = city_round(tmp_path, returns, {"5100": summary})
    county = tmp_path / "5100" / "returns.sqlite"
    assert cli("review", "--db", county, "--unit", "5102", "--return", "资金测算不实")[0] == 0
    newer = tmp_path / "5100" / "第二次" / summary.name
    assert cli("consolidate", "--db", county, "--out", newer)[0] == 0  # now without 5102
    inbox = city.parent / "inbox"
    (inbox / "第二次").mkdir()
    shutil.copy(newer, inbox / "第二次")
    _, out = cli("collect", inbox, "--db", city)
    assert f"第二次/{summary.name}#5102  rejected  L033" in out
    assert out.count("rejected") == 1  # the units it still carries count as before
    assert {r["unit"]["code"] for r in summarised(city)} == {"5101", "5103", "5300"}
    with Ledger(city) as ledger:
        latest = ledger.latest_returns()["5102"]
        (finding,) = ledger.findings_of(latest.evaluation_id)
    assert finding["code"] == "L033" and "5100（甲县管理部）" in finding["message"]
    assert f"{summary.name}#5102" in finding["message"]  # the part that no longer counts
    assert cli("recheck", "--db", city)[0] in (0, 1)
    assert "5102" not in {r["unit"]["code"] for r in summarised(city)}  # recheck comes to the same
    (inbox / "第三次").mkdir()
    shutil.copy(newer, inbox / "第三次")  # the same summary again: nothing more to withdraw
    _, out = cli("collect", inbox, "--db", city)
    assert "#5102" not in out
    (inbox / "直接").mkdir()
    shutil.copy(returns["5102"], inbox / "直接" / "5102-甲县二所.xlsx")  # the unit reports directly later
    cli("collect", inbox, "--db", city)
    assert sum(1 for r in summarised(city) if r["unit"]["code"] == "5102") == 2


def test_a_summary_missing_a_unit_that_never_came_through_it_changes_nothing_for_that_unit(tmp_path, returns):
    summary = county_summary(tmp_path, "5100", returns)
    inbox = tmp_path / "city" / "inbox"
    inbox.mkdir(parents=True)
    shutil.copy(returns["5102"], inbox / "5102-甲县二所.xlsx")  # 5102 reports to the city directly
    db = tmp_path / "city" / "returns.sqlite"
    cli("collect", inbox, "--db", db, "--roster", city_roster(tmp_path / "city" / "units.csv"))
    county = tmp_path / "5100" / "returns.sqlite"
    assert cli("review", "--db", county, "--unit", "5102", "--return", "资金测算不实")[0] == 0
    assert cli("consolidate", "--db", county, "--out", summary)[0] == 0  # without 5102
    shutil.copy(summary, inbox)
    _, out = cli("collect", inbox, "--db", db)
    assert "#5102" not in out
    with Ledger(db) as ledger:
        assert ledger.latest_returns()["5102"].path == "5102-甲县二所.xlsx"


def test_a_unit_of_a_relay_is_judged_again_by_collect_once_the_roster_has_it(tmp_path, returns):
    summary = county_summary(tmp_path, "5100", returns)
    inbox = tmp_path / "city" / "inbox"
    inbox.mkdir(parents=True)
    shutil.copy(summary, inbox)
    db = tmp_path / "city" / "returns.sqlite"
    units = [CITY, *((c, n, CITY[0]) for c, n in COUNTIES.items()), *((c, n, p) for c, (n, p) in UNITS.items())]
    without = roster(tmp_path / "without-5103.csv", [u for u in units if u[0] != "5103"])
    _, out = cli("collect", inbox, "--db", db, "--roster", without)
    assert f"{summary.name}#5103  rejected  L001" in out
    _, out = cli("collect", inbox, "--db", db, "--roster", city_roster(tmp_path / "units.csv"))
    assert f"{summary.name}#5103  accepted" in out  # like any file whose outcome depended on the roster
    assert sum(1 for r in summarised(db) if r["unit"]["code"] == "5103") == 2


def test_an_earlier_summary_judged_again_withdraws_nothing_a_later_one_carries(tmp_path, returns):
    county = tmp_path / "5100"
    (county / "inbox").mkdir(parents=True)
    for code in ("5101", "5103"):  # 5102 has not reported to the county yet
        shutil.copy(returns[code], county / "inbox")
    db = county / "returns.sqlite"
    cli("collect", county / "inbox", "--db", db, "--roster", county_roster(county / "units.csv", "5100"))
    city = tmp_path / "city"
    for number in (1, 2):
        summary = city / "inbox" / str(number) / f"5100-{COUNTIES['5100']}-汇总表.xlsx"
        assert cli("consolidate", "--db", db, "--out", summary)[0] == 0
        shutil.copy(returns["5102"], county / "inbox")  # the second summary carries 5102 too
        cli("collect", county / "inbox", "--db", db)
    units = [CITY, *((c, n, CITY[0]) for c, n in COUNTIES.items()), *((c, n, p) for c, (n, p) in UNITS.items())]
    without = roster(tmp_path / "without-5103.csv", [u for u in units if u[0] != "5103"])
    cli("collect", city / "inbox", "--db", city / "r.sqlite", "--roster", without)
    _, out = cli("collect", city / "inbox", "--db", city / "r.sqlite", "--roster", city_roster(tmp_path / "u.csv"))
    assert "#5103  accepted" in out and "#5102" not in out  # the first summary judged again, 5102 left alone
    assert sum(1 for r in summarised(city / "r.sqlite") if r["unit"]["code"] == "5102") == 2
