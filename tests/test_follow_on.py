"""The rest of the year: the 运行监控表 and the 自评表 generated from approved target records, filled
as units fill them (openpyxl, and a clerk in LibreOffice), read back and checked. Expected values —
the target hash, time shares and scores — are computed here from the spec's formulas, never by
calling xlsxkit's."""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.clerk import field_cell, table_cell
from tests.helpers import write_jsonl
from tests.libreoffice import Office
from tests.returns import TEMPLATES, corpus_records
from xlsxkit.cli import app
from xlsxkit.form.errors import Code, Severity
from xlsxkit.form.excel import STAMP_SHEET
from xlsxkit.read.reader import ReadResult, read_return

runner = CliRunner()
MONITOR, EVALUATION = TEMPLATES["monitor"], TEMPLATES["self-evaluation"]


def targets() -> list[dict[str, Any]]:
    """Three approved Tangshan target records of one unit (the corpus transcriptions)."""
    return [r for r in corpus_records() if r["template"]["id"] == "tangshan"][:3]


def spec_sha256(record: dict[str, Any]) -> str:
    """sha256 of the record's canonical JSON: keys sorted, no spaces, UTF-8."""
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def generated(form: str, tmp_path: Path, *extra: str) -> Path:
    records = write_jsonl(tmp_path / "targets.jsonl", targets())
    out = tmp_path / form
    result = runner.invoke(app, ["generate", form, "--records", str(records), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    (path,) = out.glob("*.xlsx")
    return path


def findings(result: ReadResult, sheet: str) -> dict[Code, list[Any]]:
    found: dict[Code, list[Any]] = {}
    for finding in result.all_findings():
        if finding.sheet == sheet:
            found.setdefault(finding.code, []).append(finding)
    return found


def hundredth(number: Decimal) -> Decimal:
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- generated from the targets ---------------------------------------------------------------------


def test_a_monitoring_form_copies_every_target_cell_locked_and_links_each_sheet_to_its_target(tmp_path):
    path = generated("monitor", tmp_path, "--as-of", "2025-06")
    book = openpyxl.load_workbook(path)
    stamp = {row[0].value: row[1].value for row in book[STAMP_SHEET].iter_rows()}
    assert stamp["as_of"] == "2025-06"
    for index, target in enumerate(targets(), start=1):
        sheet = book[f"项目{index}"]
        assert sheet.protection.sheet
        assert "1-6月" in sheet["A1"].value
        name = sheet[field_cell(MONITOR, "project.name")]
        assert name.value == target["project"]["name"] and name.protection.locked
        budget = sheet[field_cell(MONITOR, "funds.budget")]
        assert Decimal(str(budget.value)) * 10000 == Decimal(target["funds"]["annual"]["total"])
        assert budget.protection.locked
        assert not sheet[field_cell(MONITOR, "funds.executed")].protection.locked  # the unit's
        for i, indicator in enumerate(target["indicators"]):
            for key in ("level3", "value"):
                cell = sheet[table_cell(MONITOR, "indicators", i, key)]
                assert cell.value == indicator[key] and cell.protection.locked
            assert not sheet[table_cell(MONITOR, "indicators", i, "actual")].protection.locked
        link = json.loads(stamp[f"target:项目{index}"])
        assert link["sha256"] == spec_sha256(target)
    result = read_return(path)
    for read, target in zip(result.records, targets(), strict=True):
        record = read.record
        assert record["target"] == {"sha256": spec_sha256(target), "template": target["template"]}
        assert record["as_of"] == "2025-06"
        assert record["project"]["name"] == target["project"]["name"]
        assert record["funds"]["budget"] == target["funds"]["annual"]["total"]
        assert record["goals"]["annual"] == target["goals"]["annual"]
        copied = [{k: i[k] for k in ("level1", "level2", "level3", "value")} for i in record["indicators"]]
        assert copied == [{k: i[k] for k in ("level1", "level2", "level3", "value")} for i in target["indicators"]]


def test_generate_from_the_ledger_takes_each_units_approved_targets(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = targets()[:1]
    records = write_jsonl(tmp_path / "first.jsonl", first)
    made = runner.invoke(app, ["generate", "tangshan", "--records", str(records), "--out", str(inbox)])
    assert made.exit_code == 0, made.output
    db = tmp_path / "returns.sqlite"
    roster = tmp_path / "units.csv"
    roster.write_text(f"code,name\n603001,{first[0]['unit']['name']}\n", encoding="utf-8")
    collected = runner.invoke(app, ["collect", str(inbox), "--db", str(db), "--roster", str(roster)])
    assert collected.exit_code in (0, 1), collected.output  # 1: findings to show
    assert runner.invoke(app, ["review", "--db", str(db), "--unit", "603001", "--approve"]).exit_code == 0
    out = tmp_path / "monitor"
    result = runner.invoke(app, ["generate", "monitor", "--from-db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (path,) = out.glob("*.xlsx")
    (read,) = read_return(path).records
    assert read.record["project"]["name"] == first[0]["project"]["name"]
    assert read.record["as_of"] == f"{first[0]['year']}-07"  # July unless told


# --- read and checked ------------------------------------------------------------------------------


def fill_monitor(sheet: Any, count: int) -> None:
    sheet[field_cell(MONITOR, "funds.executed")] = 20.0  # of 58.5 万元
    sheet[field_cell(MONITOR, "funds.forecast")] = 58.5
    sheet[field_cell(MONITOR, "goals.progress")] = "按计划推进。"
    for i in range(count):
        sheet[table_cell(MONITOR, "indicators", i, "actual")] = "进行中"
        sheet[table_cell(MONITOR, "indicators", i, "likelihood")] = "确定能"


def test_a_changed_copied_cell_a_missing_cause_and_a_late_budget_are_found(tmp_path):
    path = generated("monitor", tmp_path, "--as-of", "2025-07")
    target = targets()[0]
    book = openpyxl.load_workbook(path)
    sheet = book["项目1"]
    sheet.protection.sheet = False  # the unit takes the protection off …
    fill_monitor(sheet, len(target["indicators"]))
    sheet[table_cell(MONITOR, "indicators", 0, "value")] = "≥2次"  # … and lowers a target
    sheet[table_cell(MONITOR, "indicators", 1, "likelihood")] = "有可能"  # no 偏差原因 given
    sheet[table_cell(MONITOR, "indicators", 2, "causes")] = "人员保障、经费保障"  # a cause, no 原因说明
    book.save(path)
    found = findings(read_return(path), "项目1")
    (changed,) = found[Code.C_COPIED_CHANGED]
    assert changed.cell == table_cell(MONITOR, "indicators", 0, "value")
    assert target["indicators"][0]["value"] in changed.message and "≥2次" in changed.message
    (cause,) = found[Code.C_CAUSES_REQUIRED]
    assert cause.cell == table_cell(MONITOR, "indicators", 1, "causes") and "有可能" in cause.message
    (reason,) = found[Code.C_ROW_VALUE_MISSING]
    assert reason.cell == table_cell(MONITOR, "indicators", 2, "reason")
    (late,) = found[Code.C_RATE_BELOW_SCHEDULE]  # 20 / 58.5 = 34.19 % < 7/12 = 58.33 %
    assert late.severity is Severity.warning
    assert "34.19%" in late.message and "58.33%" in late.message
    read = read_return(path).records[0].record
    assert read["indicators"][2]["causes"] == ["人员保障", "经费保障"]
    assert read["funds"]["rate"] == "34.19"


def test_a_sheet_that_lost_its_link_says_so(tmp_path):
    path = generated("monitor", tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["项目1"]
    sheet.title = "改名"
    sheet.protection.sheet = False
    sheet[field_cell(MONITOR, "project.name")] = "另一个项目"
    book.save(path)
    result = read_return(path)
    (lost,) = findings(result, "改名")[Code.R_TARGET_LINK_LOST]
    assert lost.severity is Severity.warning
    renamed = next(r.record for r in result.records if r.sheet == "改名")
    assert renamed["target"] is None


def test_self_evaluation_scores_follow_the_national_rules(tmp_path):
    path = generated("self-evaluation", tmp_path)
    target = targets()[0]
    indicators = target["indicators"]
    book = openpyxl.load_workbook(path)
    sheet = book["项目1"]
    sheet[field_cell(EVALUATION, "funds.rows.total.adjusted")] = 60.0
    sheet[field_cell(EVALUATION, "funds.rows.total.executed")] = 51.0  # 85 %: below 90 %
    sheet[field_cell(EVALUATION, "goals.achieved")] = "基本完成。"
    actuals = {}
    for i, indicator in enumerate(indicators):
        parsed = indicator["parsed"]
        if parsed["kind"] == "quantitative":
            actual = f"{Decimal(str(parsed['number'])) * Decimal('0.8')}{parsed['unit'] or ''}"
        else:
            actual = "已完成"
        actuals[i] = actual
        sheet[table_cell(EVALUATION, "indicators", i, "actual")] = actual
        sheet[table_cell(EVALUATION, "indicators", i, "score")] = 5
        sheet[table_cell(EVALUATION, "indicators", i, "reason")] = "原因与改进措施。"
    quantitative = next(i for i, item in enumerate(indicators) if item["parsed"]["kind"] == "quantitative")
    sheet[table_cell(EVALUATION, "indicators", quantitative, "reason")] = None  # short of target, no reason
    sheet[table_cell(EVALUATION, "indicators", quantitative, "score")] = 30  # above its 分值
    book.save(path)
    result = read_return(path)
    record = result.records[0].record
    # the spec's rules, computed here: the 分值 proposed (产出 50, 效益 30, 满意度 10, split evenly)
    shares = {"产出指标": Decimal(50), "效益指标": Decimal(30), "满意度指标": Decimal(10)}
    count = {level: sum(1 for i in indicators if i["level1"] == level) for level in shares}
    expected_scores = []
    for i, indicator in enumerate(indicators):
        weight = Decimal(str(record["indicators"][i]["weight"]))
        assert weight == hundredth(shares[indicator["level1"]] / count[indicator["level1"]]) or i == len(indicators) - 1
        parsed = indicator["parsed"]
        if parsed["kind"] != "quantitative":
            expected_scores.append(None)
            continue
        target_number, reached = Decimal(str(parsed["number"])), Decimal(str(parsed["number"])) * Decimal("0.8")
        ratio = target_number / reached if parsed["op"] in ("<=", "<") else reached / target_number
        expected_scores.append(hundredth(weight * min(Decimal(1), ratio)))
    computed = record["computed"]
    got = [None if s is None else Decimal(str(s)) for s in computed["scores"]]
    assert got == expected_scores
    assert Decimal(str(computed["funds_score"])) == hundredth(Decimal(10) * Decimal(51) / Decimal(60))
    assert record["funds"]["rate"] == "85"
    unit_scores = [Decimal(5)] * len(indicators)
    unit_scores[quantitative] = Decimal(30)
    total = Decimal(str(computed["funds_score"])) + sum(
        (s if s is not None else unit_scores[i]) for i, s in enumerate(expected_scores)
    )
    assert Decimal(str(computed["total_score"])) == total
    assert Decimal(str(record["total_score"])) == Decimal(str(computed["funds_score"])) + sum(unit_scores)
    found = findings(result, "项目1")
    assert [f.cell for f in found[Code.C_SCORE_OUT_OF_RANGE]] == [
        table_cell(EVALUATION, "indicators", quantitative, "score")
    ]
    differs = {f.cell for f in found[Code.C_SCORE_DIFFERS]}
    assert differs == {
        table_cell(EVALUATION, "indicators", i, "score")
        for i, s in enumerate(expected_scores)
        if s is not None and abs(unit_scores[i] - s) > Decimal("0.5")
    }
    assert all(f.severity is Severity.warning for f in found[Code.C_SCORE_DIFFERS])
    assert [f.cell for f in found[Code.C_REASON_REQUIRED]] == [
        table_cell(EVALUATION, "indicators", quantitative, "reason")
    ]
    assert found[Code.C_RATE_BELOW_SCHEDULE][0].severity is Severity.warning
    assert Code.C_WEIGHTS_NOT_100 not in found  # the proposed 分值 add up to 100


def test_weights_that_do_not_add_up_to_100_are_an_error(tmp_path):
    path = generated("self-evaluation", tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["项目1"]
    sheet[field_cell(EVALUATION, "funds.weight")] = 20
    book.save(path)
    (wrong,) = findings(read_return(path), "项目1")[Code.C_WEIGHTS_NOT_100]
    assert wrong.cell == field_cell(EVALUATION, "funds.weight") and "110" in wrong.message


def test_an_indicator_without_its_actual_value_is_an_error(tmp_path):
    path = generated("self-evaluation", tmp_path)
    result = read_return(path)
    missing = {f.cell for f in findings(result, "项目1")[Code.C_ROW_VALUE_MISSING]}
    assert table_cell(EVALUATION, "indicators", 0, "actual") in missing


# --- a clerk in LibreOffice --------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_a_clerk_fills_the_monitoring_form_in_libreoffice(office: Office, tmp_path: Path) -> None:
    path = generated("monitor", tmp_path, "--as-of", "2025-07")
    target = targets()[0]
    count = len(target["indicators"])
    with office.open(path) as book:
        texts: dict[str, str | None] = {
            field_cell(MONITOR, "funds.executed"): "40",
            field_cell(MONITOR, "funds.forecast"): "58.5",
            field_cell(MONITOR, "goals.progress"): "上半年完成主要工作。",
        }
        for i in range(count):
            texts[table_cell(MONITOR, "indicators", i, "actual")] = "3次" if i == 0 else "进行中"
            texts[table_cell(MONITOR, "indicators", i, "likelihood")] = "确定能"
        texts[table_cell(MONITOR, "indicators", 1, "likelihood")] = "完全不可能"  # and no 偏差原因
        book.type_cells("项目1", texts)
        assert book.invalid_cells("项目1") == []  # every dropdown value is one LibreOffice accepts
        book.sheet("项目1").unprotect("")  # a unit that takes the protection off …
        book.type_text("项目1", table_cell(MONITOR, "indicators", 0, "level3"), "改过的指标")  # … and edits
        book.save_as_xlsx(tmp_path / "returned.xlsx")
    result = read_return(tmp_path / "returned.xlsx")
    record = result.records[0].record
    assert record["funds"]["executed"] == "400000.00"
    assert Decimal(record["funds"]["rate"]) == hundredth(Decimal(40) / Decimal("58.5") * 100)
    assert [i["value"] for i in record["indicators"]] == [i["value"] for i in target["indicators"]]
    found = findings(result, "项目1")
    (changed,) = found[Code.C_COPIED_CHANGED]
    assert target["indicators"][0]["level3"] in changed.message
    (cause,) = found[Code.C_CAUSES_REQUIRED]
    assert cause.cell == table_cell(MONITOR, "indicators", 1, "causes")
    assert Code.C_RATE_BELOW_SCHEDULE not in found  # 40 / 58.5 = 68 % ≥ 7/12


@pytest.mark.libreoffice
def test_libreoffice_computes_the_proposed_scores_the_reader_computes(office: Office, tmp_path: Path) -> None:
    path = generated("self-evaluation", tmp_path)
    target = targets()[0]
    quantitative = [i for i, item in enumerate(target["indicators"]) if item["parsed"]["kind"] == "quantitative"]
    with office.open(path) as book:
        texts: dict[str, str | None] = {
            field_cell(EVALUATION, "funds.rows.total.adjusted"): "58.5",
            field_cell(EVALUATION, "funds.rows.total.executed"): "58.5",
        }
        for i in quantitative:
            parsed = target["indicators"][i]["parsed"]
            texts[table_cell(EVALUATION, "indicators", i, "actual")] = f"{parsed['number']}{parsed['unit'] or ''}"
        book.type_cells("项目1", texts)
        shown = {i: book.get_string("项目1", table_cell(EVALUATION, "indicators", i, "score")) for i in quantitative}
        book.save_as_xlsx(tmp_path / "returned.xlsx")
    record = read_return(tmp_path / "returned.xlsx").records[0].record
    for i in quantitative:  # a target reached in full: the proposal is the whole 分值
        weight = Decimal(str(record["indicators"][i]["weight"]))
        assert Decimal(shown[i]) == weight
        assert Decimal(str(record["indicators"][i]["score"])) == Decimal(str(record["computed"]["scores"][i]))
    assert Decimal(str(record["funds"]["score"])) == Decimal(10)


# --- the demo's year ------------------------------------------------------------------------------


def test_the_demo_goes_on_through_the_year(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    year = tmp_path / "year"
    for form, report, sheets in (
        ("monitor", "监控汇总.xlsx", ["填报情况", "监控汇总", "汇编-monitor"]),
        ("self-evaluation", "自评汇总.xlsx", ["填报情况", "自评汇总", "自评统计", "汇编-self-evaluation"]),
    ):
        returned = sorted(path.name for path in (year / f"{form}-inbox").glob("*.xlsx"))
        assert len(returned) == 3  # the three units whose targets were accepted
        careless = read_return(year / f"{form}-inbox" / returned[0])
        assert careless.count(Severity.error) > 0  # the unit that forgot a 偏差原因
        assert all(read_return(year / f"{form}-inbox" / name).count(Severity.error) == 0 for name in returned[1:])
        shown = [name for name in openpyxl.load_workbook(year / report).sheetnames if not name.startswith("_")]
        assert shown == sheets  # and the hidden records for the office above
    standings = {
        db: [
            unit["standing"]
            for unit in json.loads(runner.invoke(app, ["status", "--db", str(db), "--json"]).stdout)["units"]
        ]
        for db in (tmp_path / "returns.sqlite", year / "targets.sqlite")
    }
    assert "approved" not in standings[tmp_path / "returns.sqlite"]  # left undecided for the office to try
    assert standings[year / "targets.sqlite"].count("approved") == 3
