"""A real collection round, point by point: unused sheets, returns without a stamp, another
year or template, fixes that take (recheck), exit codes. Returns are made here with openpyxl;
tests/test_clerk_round.py builds a whole round the way clerks do, in LibreOffice."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import openpyxl
from openpyxl.packaging.custom import CustomPropertyList
from typer.testing import CliRunner

import xlsxkit.cycle.collect as collecting
from tests.helpers import FIXED_TIME
from tests.returns import TEMPLATES, corpus_records
from xlsxkit.cli import app
from xlsxkit.cycle.collect import collect, recheck
from xlsxkit.cycle.ledger import Ledger, Outcome
from xlsxkit.cycle.status import Standing, unattributed_files, unit_statuses
from xlsxkit.form.errors import Code
from xlsxkit.form.record import blank_record
from xlsxkit.write.generate import UnitRecords, generate_prefilled

runner = CliRunner()
UNITS = [
    {"code": f"60300{n}", "name": name}
    for n, name in enumerate(["本级", "丰南分中心", "丰润分中心", "开平分中心"], start=1)
]
TANGSHAN = [r for r in corpus_records() if r["template"]["id"] == "tangshan"]
YEAR = TANGSHAN[0]["year"]
CLOCK = dt.datetime(2026, 3, 1, 9, 0, 0)


def send(
    unit: dict, folder: Path, records: list[dict] | None = None, year: int | None = None, template: str = "tangshan"
) -> Path:
    """A unit's return with its projects filled in (one corpus record by default), and two
    project sheets left as generated (unused)."""
    chosen = copy.deepcopy(records if records is not None else TANGSHAN[:1])
    chosen += [blank_record(TEMPLATES[template].form) for _ in range(2)]
    for record in chosen:
        record["unit"] = dict(unit)
        record["template"] = {"id": template, "version": TEMPLATES[template].version}
        record["year"] = year or record.get("year") or YEAR
    made = generate_prefilled(TEMPLATES[template], [UnitRecords(unit, chosen)], None, folder, generated_at=FIXED_TIME)
    return made.files[0].path


def without_stamp(path: Path, target: Path) -> Path:
    """The return as a sheet copied into a new workbook: no stamp sheet, no document properties."""
    book = openpyxl.load_workbook(path)
    del book["_xlsxkit"]
    book.custom_doc_props = CustomPropertyList()
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    path.unlink()
    return target


def ledger_with_roster(path: Path, units: list[dict] = UNITS) -> Ledger:
    ledger = Ledger(path)
    ledger.set_units(units)
    return ledger


def outcomes(ledger: Ledger) -> dict[str, tuple[str, str, str | None]]:
    return {r.path: (r.outcome.value, r.reason, r.unit_code) for r in ledger.receipts()}


def test_a_unit_with_one_project_is_accepted_and_counts_one_project(tmp_path):
    inbox = tmp_path / "inbox"
    send(UNITS[0], inbox)
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        report = collect(inbox, ledger, now=lambda: CLOCK)
        status = unit_statuses(ledger)[0]
        findings = ledger.findings_of(ledger.latest_returns()["603001"].evaluation_id)
    assert report.outcomes == [("603001-本级.xlsx", Outcome.accepted, "")]
    assert (status.standing, status.projects) == (Standing.accepted, 1)
    assert [(f["code"], f["sheet"], f["severity"]) for f in findings] == [
        ("R014", "项目2", "info"),
        ("R014", "项目3", "info"),
    ]


def test_the_collection_takes_its_template_and_year_from_the_stamped_returns(tmp_path):
    inbox = tmp_path / "inbox"
    send(UNITS[0], inbox)
    send(UNITS[1], inbox)
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger)
        collection = ledger.collection()
    assert (collection.template_id, collection.year) == ("tangshan", YEAR)


def test_returns_without_a_stamp_before_the_first_stamped_one_are_read_with_the_template_it_settles(
    tmp_path, monkeypatch
):
    """A first collect without --template: more unstamped returns than one batch come before the
    stamped one that settles the collection; none of them is refused for want of a template."""
    monkeypatch.setattr(collecting, "BATCH", 2)
    inbox = tmp_path / "inbox"
    for unit in UNITS[1:4]:  # arrived before the stamped one of 603001
        os.utime(without_stamp(send(unit, tmp_path / "out"), inbox / f"{unit['code']} 项目表.xlsx"), (1, 1))
    send(UNITS[0], inbox)
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger, now=lambda: CLOCK)
        got = outcomes(ledger)
        history = [ledger.history(r.id) for r in ledger.receipts()]
    assert sorted(got.values()) == [
        ("accepted", "", "603001"),
        ("accepted_with_warnings", "", "603002"),
        ("accepted_with_warnings", "", "603003"),
        ("accepted_with_warnings", "", "603004"),
    ]
    assert all(len(evaluations) == 1 for evaluations in history)  # judged once, with the template


def test_a_return_without_a_stamp_is_read_with_the_collection_template_and_attributed_by_its_name(tmp_path):
    inbox = tmp_path / "inbox"
    send(UNITS[0], inbox)
    without_stamp(send(UNITS[1], tmp_path / "out"), inbox / "603002 项目表.xlsx")
    without_stamp(
        send(UNITS[2], tmp_path / "out"), inbox / "丰润分中心" / "绩效目标.xlsx"
    )  # the unit's name, as a folder
    without_stamp(send(UNITS[3], tmp_path / "out"), inbox / "绩效目标表（终稿）.xlsx")  # names no unit
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger, now=lambda: CLOCK)
        got = outcomes(ledger)
        statuses = {s.code: s for s in unit_statuses(ledger)}
        records = list(ledger.records_of([ledger.latest_returns()["603002"].evaluation_id]))
        findings = ledger.findings_of(ledger.latest_returns()["603003"].evaluation_id)
        strays = [r.path for r in unattributed_files(ledger)]
    assert got == {
        "603001-本级.xlsx": ("accepted", "", "603001"),
        "603002 项目表.xlsx": ("accepted_with_warnings", "", "603002"),
        "丰润分中心/绩效目标.xlsx": ("accepted_with_warnings", "", "603003"),
        "绩效目标表（终稿）.xlsx": ("rejected", "L005", None),
    }
    assert statuses["603002"].projects == 1 and statuses["603004"].standing is Standing.missing
    assert records[0]["unit"] == {"code": "603002", "name": "丰南分中心"} and records[0]["year"] == YEAR
    attributed = next(f for f in findings if f["code"] == Code.L_ATTRIBUTED_BY_NAME.code)
    assert "文件夹「丰润分中心」" in attributed["message"] and "603003" in attributed["message"]
    assert strays == ["绩效目标表（终稿）.xlsx"]


def test_a_file_renamed_as_its_fix_asks_leaves_the_unattributed_files(tmp_path):
    """未识别文件 can be cleared: renamed (or removed) from the inbox, a file no longer keeps
    status failing; the ledger still holds what was received."""
    inbox = tmp_path / "inbox"
    stray = without_stamp(send(UNITS[1], tmp_path / "out"), inbox / "绩效目标表（终稿）.xlsx")
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        ledger.set_collection(template_id="tangshan", year=YEAR)
        collect(inbox, ledger, now=lambda: CLOCK)
        before = [r.path for r in unattributed_files(ledger)]
        stray.rename(inbox / "603002-绩效目标表（终稿）.xlsx")
        collect(inbox, ledger, now=lambda: CLOCK)
        after = [r.path for r in unattributed_files(ledger)]
        kept = [r.path for r in unattributed_files(ledger, every=True)]
        statuses = {s.code: s.standing for s in unit_statuses(ledger)}
    assert before == kept == ["绩效目标表（终稿）.xlsx"] and after == []
    assert statuses["603002"] is Standing.warnings


def test_last_years_workbook_and_another_form_are_rejected_saying_which(tmp_path):
    inbox = tmp_path / "inbox"
    send(UNITS[0], inbox)
    send(UNITS[1], inbox / "去年", year=YEAR - 1)
    other = copy.deepcopy(next(r for r in corpus_records() if r["template"]["id"] == "tianjin"))
    send(UNITS[2], inbox / "别的表", [other], year=YEAR, template="tianjin")
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        ledger.set_collection(template_id="tangshan", year=YEAR)
        collect(inbox, ledger)
        got = outcomes(ledger)
        statuses = {s.code: s.standing for s in unit_statuses(ledger)}
        year_finding = next(
            f for f in ledger.findings_of(ledger.latest_returns()["603002"].evaluation_id) if f["code"] == "L006"
        )
    assert got["去年/603002-丰南分中心.xlsx"] == ("rejected", "L006", "603002")
    assert got["别的表/603003-丰润分中心.xlsx"] == ("rejected", "L007", "603003")
    assert f"{YEAR - 1} 年度" in year_finding["message"] and f"{YEAR} 年度" in year_finding["message"]
    assert statuses["603002"] is Standing.errors and statuses["603003"] is Standing.errors


def test_recheck_after_a_roster_change_a_rename_and_a_late_template_keeps_the_history(tmp_path):
    inbox = tmp_path / "inbox"
    send(UNITS[0], inbox)
    send(UNITS[3], inbox)  # a unit the first roster forgot
    (inbox / "603001-补充").mkdir(parents=True)
    send(UNITS[1], tmp_path / "out").rename(inbox / "603001-补充" / "报表.xlsx")  # filed in another unit's folder
    without_stamp(send(UNITS[2], tmp_path / "out"), inbox / "603003.xlsx")  # no stamp, before any template is known
    db = tmp_path / "r.sqlite"
    with ledger_with_roster(db, UNITS[:3]) as ledger:
        collect(inbox, ledger)  # the inbox's only stamped returns name no year the ledger knows
        first = outcomes(ledger)
    assert first["603004-开平分中心.xlsx"] == ("rejected", "L001", "603004")
    assert first["603001-补充/报表.xlsx"] == ("rejected", "L002", "603002")
    assert first["603003.xlsx"][0:2] == ("accepted_with_warnings", "")  # the template came from the stamped ones

    (inbox / "603001-补充" / "报表.xlsx").rename(inbox / "603002-丰南分中心.xlsx")
    with ledger_with_roster(db) as ledger:  # the office adds the forgotten unit
        report = recheck(ledger, now=lambda: CLOCK)
        again = outcomes(ledger)
        history = {r.path: [e.reason for e in ledger.history(r.id)] for r in ledger.receipts()}
        collect(inbox, ledger)  # the renamed file
        renamed = outcomes(ledger)["603002-丰南分中心.xlsx"]
    assert len(report.outcomes) == 4
    assert again["603004-开平分中心.xlsx"] == ("accepted", "", "603004")
    assert history["603004-开平分中心.xlsx"] == ["L001", ""]
    assert renamed == ("accepted", "", "603002")


def test_a_template_given_late_reads_the_returns_without_a_stamp(tmp_path):
    inbox = tmp_path / "inbox"
    without_stamp(send(UNITS[0], tmp_path / "out"), inbox / "603001.xlsx")
    db = tmp_path / "r.sqlite"
    with ledger_with_roster(db) as ledger:
        collect(inbox, ledger)
        before = outcomes(ledger)["603001.xlsx"]
        collect(inbox, ledger, template=TEMPLATES["tangshan"])
        after = outcomes(ledger)["603001.xlsx"]
    assert before == ("rejected", "R001", "603001")
    assert after == ("accepted_with_warnings", "", "603001")


def test_the_latest_received_version_counts_whatever_bytes_it_has(tmp_path):
    inbox = tmp_path / "inbox"
    first = send(UNITS[0], tmp_path / "v1")
    second = send(UNITS[0], tmp_path / "v2", TANGSHAN[1:2])
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        for n, version in enumerate((first, second, first), start=1):
            (inbox / f"第{n}次").mkdir(parents=True)
            shutil.copy(version, inbox / f"第{n}次" / version.name)
            collect(inbox, ledger)
        (inbox / "重复").mkdir()
        shutil.copy(first, inbox / "重复" / first.name)  # the same file mailed twice
        collect(inbox, ledger)
        latest = ledger.latest_returns()["603001"]
        records = list(ledger.records_of([latest.evaluation_id]))
        got = outcomes(ledger)
    assert latest.versions == 3 and latest.path == f"第3次/{first.name}"
    assert records[0]["project"]["name"] == TANGSHAN[0]["project"]["name"]
    assert got[f"重复/{first.name}"] == ("skipped", "L003", "603001")


def test_collect_exits_0_only_when_every_file_is_accepted(tmp_path):
    inbox = tmp_path / "inbox"
    send(UNITS[0], inbox)
    roster = tmp_path / "units.csv"
    roster.write_text("code,name\n" + "".join(f"{u['code']},{u['name']}\n" for u in UNITS), encoding="gbk")
    db = str(tmp_path / "r.sqlite")
    accepted = runner.invoke(app, ["collect", str(inbox), "--db", db, "--roster", str(roster)])
    (inbox / "未命名.xlsx").write_text("请查收", encoding="utf-8")  # named as a workbook, no unit's
    rejected = runner.invoke(app, ["collect", str(inbox), "--db", db])
    nothing = runner.invoke(app, ["collect", str(tmp_path / "no-inbox"), "--db", db])
    status = runner.invoke(app, ["status", "--db", db, "--json"])
    assert (accepted.exit_code, rejected.exit_code, nothing.exit_code) == (0, 1, 2)
    assert status.exit_code == 1
    assert [f["path"] for f in json.loads(status.stdout)["unattributed"]] == ["未命名.xlsx"]


def status_of_roster(folder: Path, names: list[str]) -> str:
    """What `xlsxkit status` prints, 80 columns wide, for a roster of units so named (nothing collected)."""
    units = [{"code": str(603002 + i), "name": name} for i, name in enumerate(names)]
    with ledger_with_roster(folder / "r.sqlite", units):
        pass
    return runner.invoke(app, ["status", "--db", str(folder / "r.sqlite")], terminal_width=80).stdout


def test_status_shows_whole_names_that_share_a_prefix(tmp_path):
    names = ["唐山市住房公积金管理中心丰南分中心", "唐山市住房公积金管理中心丰润分中心"]
    shown = status_of_roster(tmp_path, names)
    assert all(name in shown for name in names)


def test_status_shows_names_as_they_are_brackets_and_colons_included(tmp_path):
    """A unit's name is text, never markup or an emoji code for the table it is printed in."""
    names = ["[bold]丰南分中心[/bold]", "[079]六安市中心 :smile:"]
    shown = status_of_roster(tmp_path, names)
    assert all(name in shown for name in names)


def test_a_collection_refuses_another_template_or_year(tmp_path):
    inbox = tmp_path / "inbox"
    send(UNITS[0], inbox)
    db = str(tmp_path / "r.sqlite")
    roster = tmp_path / "units.csv"
    roster.write_text("code,name\n603001,本级\n", encoding="utf-8")
    runner.invoke(app, ["collect", str(inbox), "--db", db, "--roster", str(roster), "--template", "tangshan"])
    other = runner.invoke(app, ["collect", str(inbox), "--db", db, "--template", "tianjin"])
    assert other.exit_code == 2 and "L009" in other.stderr and "tangshan" in other.stderr


def _restamped(path: Path, **changes: str) -> Path:
    """The return with its document properties changed (the hidden stamp sheet left as it is)."""
    book = openpyxl.load_workbook(path)
    for prop in book.custom_doc_props.props:
        key = prop.name.removeprefix("xlsxkit.")
        if key in changes:
            prop.value = changes[key]
    book.save(path)
    return path


def test_a_changed_unit_code_in_the_properties_does_not_pass_as_another_unit(tmp_path):
    inbox = tmp_path / "inbox"
    _restamped(send(UNITS[0], inbox), unit_code="603002")
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger)
        (receipt,) = ledger.receipts()
        finding = ledger.findings_of(ledger.evaluation_of(receipt.id))[0]
    assert (receipt.outcome, receipt.reason, receipt.unit_code) == (
        Outcome.rejected,
        Code.R_STAMPS_DISAGREE.code,
        "603001",
    )
    assert "603002" in finding["message"] and "603001" in finding["message"]


def test_a_year_of_twenty_digits_is_a_damaged_stamp_not_a_crash(tmp_path):
    inbox = tmp_path / "inbox"
    path = send(UNITS[0], inbox)
    book = openpyxl.load_workbook(path)
    for prop in book.custom_doc_props.props:
        if prop.name == "xlsxkit.year":
            prop.value = "9" * 20
    sheet = book["_xlsxkit"]
    for row in sheet.iter_rows():
        if row[0].value == "year":
            row[1].value = "9" * 20
    book.save(path)
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger, template=TEMPLATES["tangshan"])
        assert outcomes(ledger) == {path.name: ("accepted_with_warnings", "", "603001")}  # read as unstamped


def test_a_stamped_name_that_is_not_the_rosters_is_a_warning(tmp_path):
    inbox = tmp_path / "inbox"
    send({"code": "603001", "name": "旧名称"}, inbox)
    with ledger_with_roster(tmp_path / "r.sqlite") as ledger:
        collect(inbox, ledger)
        (receipt,) = ledger.receipts()
        codes = [f["code"] for f in ledger.findings_of(ledger.evaluation_of(receipt.id))]
    assert receipt.outcome is Outcome.accepted_with_warnings and Code.L_NAME_DIFFERS.code in codes


def test_a_roster_that_drops_units_with_returns_is_refused_unless_asked(tmp_path):
    inbox = tmp_path / "inbox"
    send(UNITS[0], inbox)
    db = str(tmp_path / "r.sqlite")
    first = tmp_path / "units.csv"
    first.write_text("code,name\n" + "".join(f"{u['code']},{u['name']}\n" for u in UNITS), encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_text("code,name\n603002,丰南分中心\n603009,新单位\n", encoding="utf-8")
    runner.invoke(app, ["collect", str(inbox), "--db", db, "--roster", str(first)])
    refused = runner.invoke(app, ["collect", str(inbox), "--db", db, "--roster", str(other)])
    assert refused.exit_code == 2 and "L010" in refused.stderr and "603001（本级）" in refused.stderr
    with Ledger(Path(db)) as ledger:
        assert [u["code"] for u in ledger.units()] == [u["code"] for u in UNITS]  # kept
    taken = runner.invoke(app, ["collect", str(inbox), "--db", db, "--roster", str(other), "--drop-units"])
    assert taken.exit_code == 0 and "新增 1 个单位，移除 3 个" in taken.stderr
