"""The command line as a supervising office uses it."""

from __future__ import annotations

import json

import openpyxl
import pytest
from typer.testing import CliRunner

from cli import app
from tests.helpers import EXAMPLES, example_records, write_jsonl
from xlsxkit.load import builtin_templates

runner = CliRunner()
TIME = ["--generated-at", "2026-01-15T09:30:00"]


def test_templates_lists_every_built_in_template_with_version_and_title():
    result = runner.invoke(app, ["templates", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {"tangshan"} <= {r["id"] for r in rows}
    assert all(r["version"] and r["title"] for r in rows)
    plain = runner.invoke(app, ["templates"]).stdout
    assert "tangshan" in plain and "唐山市项目支出绩效目标表" in plain


def test_generate_from_the_example_roster_reports_encoding_and_files(tmp_path):
    result = runner.invoke(app, ["generate", "tangshan", "--roster", str(EXAMPLES / "units.csv"),
                                 "--year", "2026", "--out", str(tmp_path), *TIME])
    assert result.exit_code == 0, result.output
    assert "encoding utf-8" in result.stderr
    assert len(list(tmp_path.glob("*.xlsx"))) == 5


def test_generate_prefilled_goes_on_past_a_bad_line_and_exits_1(tmp_path):
    records = example_records("tangshan")[:2]
    path = write_jsonl(tmp_path / "last-year.jsonl", records)
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    result = runner.invoke(app, ["generate", "tangshan", "--records", str(path), "--year", "2026",
                                 "--out", str(tmp_path / "out"), *TIME])
    assert result.exit_code == 1
    assert f"{path}:3: [G010]" in result.stderr
    (book_path,) = (tmp_path / "out").glob("*.xlsx")
    book = openpyxl.load_workbook(book_path)
    assert book["项目1"]["A1"].value == "1.办公楼运转经费绩效目标表"
    assert book["项目2"]["A1"].value.startswith("2.")


def test_generate_json_output_lists_files_and_problems(tmp_path):
    result = runner.invoke(app, ["generate", "tangshan", "--roster", str(EXAMPLES / "units.csv"),
                                 "--out", str(tmp_path), "--json", *TIME])
    data = json.loads(result.stdout)
    assert len(data["files"]) == 5 and data["problems"] == []


def test_unknown_template_exits_2_with_a_suggestion(tmp_path):
    result = runner.invoke(app, ["generate", "tangshen", "--roster", str(EXAMPLES / "units.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "T070" in result.stderr and "tangshan" in result.stderr


def test_generate_needs_exactly_one_of_roster_or_records(tmp_path):
    assert runner.invoke(app, ["generate", "tangshan", "--out", str(tmp_path)]).exit_code == 2


def test_demo_generates_every_template_blank_and_prefilled(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--year", "2026"])
    assert result.exit_code == 0, result.output
    forms = tmp_path / "forms"
    assert all((forms / kind / t.id).is_dir() for kind in ("blank", "prefilled") for t in builtin_templates())


@pytest.mark.parametrize("template_id", [t.id for t in builtin_templates()])
def test_generate_works_for_every_built_in_template_from_roster_and_records(template_id, tmp_path):
    blank = runner.invoke(app, ["generate", template_id, "--roster", str(EXAMPLES / "units.csv"),
                                "--out", str(tmp_path / "blank"), *TIME])
    assert blank.exit_code == 0, blank.output
    assert len(list((tmp_path / "blank").glob("*.xlsx"))) == 5
    records = example_records(template_id)
    assert records, f"no example records for {template_id}"
    path = write_jsonl(tmp_path / "records.jsonl", records)
    prefilled = runner.invoke(app, ["generate", template_id, "--records", str(path), "--out", str(tmp_path / "pre"), *TIME])
    assert prefilled.exit_code == 0, prefilled.output
    (book,) = (tmp_path / "pre").glob("*.xlsx")
    assert len([n for n in openpyxl.load_workbook(book).sheetnames if not n.startswith(("_", "填报说明"))]) == len(records)


def test_templates_lists_the_seven_built_in_templates():
    ids = {r["id"] for r in json.loads(runner.invoke(app, ["templates", "--json"]).stdout)}
    assert ids == {"tianjin", "tangshan", "tangshan-department", "shanghai", "luan", "qiannan", "mof"}
