"""`xlsxkit read` and `xlsxkit check` as a user runs them."""

from __future__ import annotations

import copy
import csv
import json

import openpyxl
import pytest
from openpyxl.packaging.custom import CustomPropertyList
from typer.testing import CliRunner

from tests.returns import corpus_record, filled_return, without_source
from xlsxkit.cli import app

runner = CliRunner()


@pytest.fixture
def returned(tmp_path):
    """A Tangshan return whose first project is right and whose second has a 三级 without 指标值
    and a formula-looking 三级 name."""
    good = corpus_record("tangshan")
    wrong = copy.deepcopy(good)
    wrong["project"]["code"] = "13020025P004M6910004G"  # a project of its own
    wrong["indicators"][0]["value"] = None
    wrong["indicators"][0]["parsed"] = None  # a blank 指标值 has parsed null
    wrong["indicators"][1]["level3"] = '=HYPERLINK("http://x")'
    return filled_return("tangshan", [good, wrong], tmp_path), [good, wrong]


def test_read_prints_one_canonical_record_per_project_sheet(returned):
    path, records = returned
    outcome = runner.invoke(app, ["read", str(path)])
    assert outcome.exit_code == 1  # the second project has an error
    lines = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [without_source(r) for r in lines] == [without_source(r) for r in records]
    assert [r["source"]["sheet"] for r in lines] == ["项目1", "项目2"]
    assert "项目2!F10" in outcome.stderr and "C013" in outcome.stderr


def test_read_as_json_with_findings(returned, tmp_path):
    path, _ = returned
    target = tmp_path / "out" / "records.json"
    runner.invoke(app, ["read", str(path), "--format", "json", "--with-findings", "-o", str(target)])
    items = json.loads(target.read_text(encoding="utf-8"))
    assert [len(item["findings"]) for item in items] == [0, 1]
    finding = items[1]["findings"][0]
    assert (finding["sheet"], finding["cell"], finding["code"], finding["severity"]) == (
        "项目2",
        "F10",
        "C013",
        "error",
    )
    assert finding["message"] == "三级指标「服务次数」没有填写指标值"


def test_read_as_csv_has_one_row_per_indicator_and_no_formula(returned, tmp_path):
    path, records = returned
    target = tmp_path / "indicators.csv"
    runner.invoke(app, ["read", str(path), "--format", "csv", "-o", str(target)])
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == sum(len(r["indicators"]) for r in records)
    assert rows[0]["project.name"] == "办公楼运转经费" and rows[0]["funds.annual.total"] == "585000.00"
    assert rows[0]["parsed.op"] == ">=" and rows[0]["parsed.number"] == "4"
    assert rows[len(records[0]["indicators"]) + 1]["level3"] == '\'=HYPERLINK("http://x")'


def test_check_prints_file_cell_severity_code_and_message(returned):
    path, _ = returned
    outcome = runner.invoke(app, ["check", str(path)])
    assert outcome.exit_code == 1
    assert outcome.stdout.splitlines() == [
        f"{path}  项目2!F10  error  C013  三级指标「服务次数」没有填写指标值 —— "
        "填写指标值；定量指标写明符号、数值和单位，如 ≥95%。"
    ]


def test_check_json_and_exit_zero_without_errors(tmp_path):
    path = filled_return("tangshan", [corpus_record("tangshan")], tmp_path)
    outcome = runner.invoke(app, ["check", str(path), "--json"])
    assert outcome.exit_code == 0
    assert json.loads(outcome.stdout) == [{"file": str(path), "readable": True, "records": 1, "findings": []}]


def test_a_foreign_workbook_is_read_with_the_template_given(tmp_path):
    path = filled_return("tangshan", [corpus_record("tangshan")], tmp_path)
    book = openpyxl.load_workbook(path)
    del book["_xlsxkit"]
    book.custom_doc_props = CustomPropertyList()
    foreign = tmp_path / "foreign.xlsx"
    book.save(foreign)
    refused = runner.invoke(app, ["read", str(foreign)])
    assert refused.exit_code == 2 and "R001" in refused.stderr and "--template" in refused.stderr
    outcome = runner.invoke(app, ["read", str(foreign), "--template", "tangshan"])
    assert outcome.exit_code == 0 and "R002" in outcome.stderr
    (record,) = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert record["indicators"] == corpus_record("tangshan")["indicators"]
