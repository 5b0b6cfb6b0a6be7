"""Records out of xlsxkit: JSON Lines and JSON that read back to the same records, and CSV a
spreadsheet opens safely — UTF-8 with a BOM, one row per indicator (per 分项目标 / 保障措施 of a
department record), and no cell that a spreadsheet would run as a formula (the OWASP prefix, a
single quote, before = + - @ tab and carriage return).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from tests.returns import corpus_record, corpus_records, filled_return
from xlsxkit.cli import app
from xlsxkit.cycle.export import csv_safe, flat, table_rows, write_csv, write_json, write_jsonl


@pytest.mark.parametrize(
    "text", ["=1+1", '=HYPERLINK("http://x","点我")', "+86 123", "-5", "@SUM(A1:A2)", "\tx", "\rx"]
)
def test_text_that_starts_like_a_formula_gets_a_single_quote(text):
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["办公楼运转经费", "≥95%", "1+1", "a=b", " =1", "'=1", "", None, -5, 0.5, True])
def test_anything_else_is_left_as_it_is(value):
    assert csv_safe(value) == value


def test_a_csv_row_holds_each_value_under_its_header_and_formulas_are_defused():
    rows = [
        {"project.name": "=cmd|' /C calc'!A0", "level3": "服务次数", "row": 1},
        {"project.name": "办公楼", "level3": "+1", "extra": "@x", "row": 2},
        {"project.name": "-2+3", "level3": "\t=1", "row": 3},
    ]
    stream = io.StringIO()
    assert write_csv(rows, stream) == 3
    text = stream.getvalue()
    assert text.splitlines()[0] == "project.name,level3,row,extra"  # every key, in first-seen order
    assert "\r\n" in text  # as spreadsheets write CSV
    read = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["project.name"] for r in read] == ["'=cmd|' /C calc'!A0", "办公楼", "'-2+3"]
    assert [r["level3"] for r in read] == ["服务次数", "'+1", "'\t=1"]
    assert [r["extra"] for r in read] == ["", "'@x", ""]
    assert [r["row"] for r in read] == ["1", "2", "3"]


def test_a_project_record_is_one_row_per_indicator_with_its_own_fields_repeated():
    record = corpus_record("tangshan")
    rows = list(table_rows(record))
    assert len(rows) == len(record["indicators"]) == 6
    assert [row["row"] for row in rows] == [1, 2, 3, 4, 5, 6] and {row["table"] for row in rows} == {"indicators"}
    assert {row["project.name"] for row in rows} == {record["project"]["name"]}
    assert {row["funds.annual.total"] for row in rows} == {record["funds"]["annual"]["total"]}
    first = record["indicators"][0]
    assert (rows[0]["level3"], rows[0]["value"]) == (first["level3"], first["value"])
    assert {key: rows[0][f"parsed.{key}"] for key in first["parsed"]} == first["parsed"]
    assert "indicators" not in rows[0]  # the list itself is not a cell


def test_a_department_record_is_one_row_per_item_and_per_measure():
    record = corpus_record("tangshan-department")
    rows = list(table_rows(record))
    items, measures = record["items"], record["measures"]
    assert [row["table"] for row in rows] == ["items"] * len(items) + ["measures"] * len(measures)
    assert rows[0]["title"] == items[0]["title"] and rows[0]["indicator"] == items[0]["indicator"]
    assert rows[len(items)]["text"] == measures[0] and rows[-1]["row"] == len(measures)
    assert {row["goals.overall"] for row in rows} == {record["goals"]["overall"]}


def test_a_record_without_table_lines_is_one_row_of_its_own_fields():
    record = corpus_record("tangshan")
    record["indicators"] = []
    [row] = table_rows(record)
    assert row["project.name"] == record["project"]["name"] and "table" not in row


def test_nested_parts_become_dotted_keys():
    assert flat({"funds": {"annual": {"total": "1.00"}}, "year": 2025, "indicators": [1]}) == {
        "funds.annual.total": "1.00",
        "year": 2025,
    }


def test_jsonl_and_json_read_back_to_the_same_records_with_chinese_as_written():
    records = corpus_records()
    stream = io.StringIO()
    assert write_jsonl(records, stream) == len(records)
    text = stream.getvalue()
    assert text.count("\n") == len(records) and "唐山市" in text  # not \u escapes
    assert [json.loads(line) for line in text.splitlines()] == records
    stream = io.StringIO()
    assert write_json(iter(records), stream) == len(records)
    assert json.loads(stream.getvalue()) == records


def test_the_read_command_writes_csv_with_a_bom_and_defused_cells(tmp_path):
    record = corpus_record("tangshan")
    record["project"]["name"] = "=1+1"
    record["indicators"][0]["level3"] = "@SUM(A1)"
    record["indicators"][1]["value"] = "-5"  # a 指标值 may start with a minus
    path = filled_return("tangshan", [record], tmp_path)
    target = tmp_path / "out.csv"
    runner = CliRunner()
    result = runner.invoke(app, ["read", str(path), "--format", "csv", "-o", str(target)])
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and not raw[3:].startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == 6
    assert {row["project.name"] for row in rows} == {"'=1+1"}
    assert rows[0]["level3"] == "'@SUM(A1)" and rows[1]["value"] == "'-5"


def test_the_read_command_writes_jsonl_that_reads_back_to_the_record(tmp_path):
    record = corpus_record("tangshan")
    path = filled_return("tangshan", [record], tmp_path)
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["read", str(path), "-o", str(target)])
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    [read] = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert {k: v for k, v in read.items() if k != "source"} == {k: v for k, v in record.items() if k != "source"}
