"""The command line as a supervising office uses it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from tests.helpers import EXAMPLES, example_records, write_jsonl
from xlsxkit.cli import app
from xlsxkit.template.load import builtin_templates

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
    result = runner.invoke(
        app,
        [
            "generate",
            "tangshan",
            "--roster",
            str(EXAMPLES / "units.csv"),
            "--year",
            "2026",
            "--out",
            str(tmp_path),
            *TIME,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "encoding utf-8" in result.stderr
    assert len(list(tmp_path.glob("*.xlsx"))) == 5


def test_generate_prefilled_goes_on_past_a_bad_line_and_exits_1(tmp_path):
    records = example_records("tangshan")[:2]
    path = write_jsonl(tmp_path / "last-year.jsonl", records)
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    result = runner.invoke(
        app, ["generate", "tangshan", "--records", str(path), "--year", "2026", "--out", str(tmp_path / "out"), *TIME]
    )
    assert result.exit_code == 1
    assert f"{path}:3: [G010]" in result.stderr
    (book_path,) = (tmp_path / "out").glob("*.xlsx")
    book = openpyxl.load_workbook(book_path)
    assert book["项目1"]["A1"].value == "1.办公楼运转经费绩效目标表"
    assert book["项目2"]["A1"].value.startswith("2.")


def test_generate_json_output_lists_files_and_problems(tmp_path):
    result = runner.invoke(
        app, ["generate", "tangshan", "--roster", str(EXAMPLES / "units.csv"), "--out", str(tmp_path), "--json", *TIME]
    )
    data = json.loads(result.stdout)
    assert len(data["files"]) == 5 and data["problems"] == []


def test_unknown_template_exits_2_with_a_suggestion(tmp_path):
    result = runner.invoke(
        app, ["generate", "tangshen", "--roster", str(EXAMPLES / "units.csv"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "T070" in result.stderr and "tangshan" in result.stderr


def test_generate_needs_a_roster_or_records(tmp_path):
    result = runner.invoke(app, ["generate", "tangshan", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--roster" in result.stderr


def _stamped_year(path: Path) -> str:
    return {row[0].value: row[1].value for row in openpyxl.load_workbook(path)["_xlsxkit"].iter_rows()}["year"]


def _project_sheets(path: Path) -> list[str]:
    return [n for n in openpyxl.load_workbook(path).sheetnames if not n.startswith(("_", "填报说明"))]


def test_generate_with_roster_and_records_prefills_units_with_records_and_blanks_the_rest(tmp_path):
    records = example_records("tangshan")[:2]  # both of unit 603001
    path = write_jsonl(tmp_path / "last-year.jsonl", records)
    out = tmp_path / "outbox"
    result = runner.invoke(
        app,
        [
            "generate",
            "tangshan",
            "--roster",
            str(EXAMPLES / "units.csv"),
            "--records",
            str(path),
            "--year",
            "2026",
            "--out",
            str(out),
            "--json",
            *TIME,
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [f["unit"] for f in data["files"]] == ["603001", "603002", "603003", "603004", "603005"]
    assert [f["sheets"] for f in data["files"]] == [2, 3, 3, 3, 3]
    assert data["problems"] == []
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(f["path"]).name for f in data["files"])
    prefilled = Path(data["files"][0]["path"])
    book = openpyxl.load_workbook(prefilled)
    assert book["项目1"]["A1"].value == "1.办公楼运转经费绩效目标表"
    assert openpyxl.load_workbook(data["files"][1]["path"])["项目1"]["A1"].value == "2026年度项目支出绩效目标表"
    assert {_stamped_year(Path(f["path"])) for f in data["files"]} == {"2026"}


def test_generate_with_roster_reports_records_of_a_unit_not_on_it_and_makes_no_workbook_for_them(tmp_path):
    stranger = {**example_records("tangshan")[0], "unit": {"code": "699999", "name": "已撤并的分中心"}}
    path = write_jsonl(tmp_path / "last-year.jsonl", [example_records("tangshan")[0], stranger])
    out = tmp_path / "outbox"
    result = runner.invoke(
        app,
        [
            "generate",
            "tangshan",
            "--roster",
            str(EXAMPLES / "units.csv"),
            "--records",
            str(path),
            "--year",
            "2026",
            "--out",
            str(out),
            *TIME,
        ],
    )
    assert result.exit_code == 1
    assert f"{path}:2: [G015]" in result.stderr and "699999" in result.stderr
    assert len(list(out.glob("*.xlsx"))) == 5 and not list(out.glob("699999*"))


def test_generate_with_roster_gives_a_record_without_unit_code_the_code_of_its_named_roster_unit(tmp_path):
    record = example_records("tangshan")[0]
    nameless = {**record, "unit": {"name": " 唐山市住房公积金管理中心丰南分中心 "}}
    unknown = {**record, "unit": {"name": "不在名单上的单位"}}
    path = write_jsonl(tmp_path / "last-year.jsonl", [nameless, unknown])
    out = tmp_path / "outbox"
    result = runner.invoke(
        app,
        [
            "generate",
            "tangshan",
            "--roster",
            str(EXAMPLES / "units.csv"),
            "--records",
            str(path),
            "--year",
            "2026",
            "--out",
            str(out),
            "--json",
            *TIME,
        ],
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(p["where"], p["code"]) for p in data["problems"]] == [(f"{path}:2", "G011")]
    sheets = {f["unit"]: f["sheets"] for f in data["files"]}
    assert sheets["603002"] == 1 and sheets["603001"] == 3
    alone = runner.invoke(
        app, ["generate", "tangshan", "--records", str(path), "--out", str(tmp_path / "alone"), *TIME]
    )
    assert alone.exit_code == 1 and f"{path}:1: [G011]" in alone.stderr and f"{path}:2: [G011]" in alone.stderr


def test_generate_year_with_records_overrides_the_records_year_and_defaults_to_it(tmp_path):
    path = write_jsonl(tmp_path / "last-year.jsonl", example_records("tangshan")[:1])
    for args, year in ((["--year", "2026"], "2026"), ([], "2025")):
        out = tmp_path / f"out{year}"
        assert (
            runner.invoke(
                app, ["generate", "tangshan", "--records", str(path), "--out", str(out), *args, *TIME]
            ).exit_code
            == 0
        )
        (book,) = out.glob("*.xlsx")
        assert _stamped_year(book) == year


def test_generate_with_roster_and_records_and_no_year_puts_this_year_on_every_form(tmp_path):
    path = write_jsonl(tmp_path / "last-year.jsonl", example_records("tangshan")[:1])
    out = tmp_path / "outbox"
    result = runner.invoke(
        app,
        [
            "generate",
            "tangshan",
            "--roster",
            str(EXAMPLES / "units.csv"),
            "--records",
            str(path),
            "--out",
            str(out),
            *TIME,
        ],
    )
    assert result.exit_code == 0, result.output
    assert {_stamped_year(book) for book in out.glob("*.xlsx")} == {str(dt.date.today().year)}


@pytest.mark.parametrize("year", ["0", "26", "12345", "2100"])
@pytest.mark.parametrize("command", ["generate", "demo"])
def test_a_year_the_reader_would_not_accept_is_refused_before_anything_is_written(tmp_path, command, year):
    """A stamp's year is 1900–2099 (what the reader accepts); --year 26 gave workbooks no return of
    which could be identified, and --year 0 silently became this year."""
    out = tmp_path / "out"
    args = ["tangshan", "--roster", str(EXAMPLES / "units.csv")] if command == "generate" else []
    result = runner.invoke(app, [command, *args, "--year", year, "--out", str(out), *TIME[: 2 if args else 0]])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"--year {int(year)}: [G028] 预算年度 {int(year)} 不可用：须为 1900 至 2099 之间的四位年份 —— "
        "给出四位的预算年度，如 --year 2026。"
    ]
    assert not out.exists()


@pytest.mark.parametrize("command", ["collect", "recheck", "read", "check"])
def test_collect_recheck_read_and_check_refuse_such_a_year_too(tmp_path, command):
    """--year 26 kept in a ledger reached make_stamp through generate --from-db as a traceback."""
    (tmp_path / "inbox").mkdir()
    db = ["--db", str(tmp_path / "returns.sqlite")]
    args = {
        "collect": [str(tmp_path / "inbox"), *db, "--roster", str(EXAMPLES / "units.csv")],
        "recheck": db,
        "read": [str(tmp_path / "inbox")],
        "check": [str(tmp_path / "inbox")],
    }[command]
    result = runner.invoke(app, [command, *args, "--year", "26"])
    assert result.exit_code == 2 and "[G028]" in result.stderr
    assert not (tmp_path / "returns.sqlite").exists()


@pytest.mark.parametrize("year", ["2026年", 2026.0, True, 26, "2026"])
@pytest.mark.parametrize("template", ["tangshan", "monitor"])
def test_a_record_whose_year_the_reader_would_not_accept_is_reported_by_line_and_the_rest_generated(
    tmp_path, template, year
):
    records = example_records("tangshan")[:2]
    bad = {**records[1], "unit": {"code": "999", "name": "乙"}, "year": year}
    path = write_jsonl(tmp_path / "targets.jsonl", [records[0], bad])
    out = tmp_path / "out"
    result = runner.invoke(app, ["generate", template, "--records", str(path), "--out", str(out), *TIME])
    assert result.exit_code == 1, result.output
    assert f"{path}:2: [G014] 第 2 行 year 的值 {year!r} 无法写入：预算年度须为 1900 至 2099" in result.stderr
    (book,) = out.glob("*.xlsx")
    assert _stamped_year(book) == str(records[0]["year"])


COMMANDS = sorted(typer.main.get_group(app).commands)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_shows_flags_as_flags_without_a_type(command):
    result = runner.invoke(app, [command, "--help"] if command else ["--help"])
    assert result.exit_code == 0, result.output
    assert "--help" in result.stdout
    assert "<bool>" not in result.stdout


def test_demo_generates_every_template_blank_and_prefilled(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--year", "2026"])
    assert result.exit_code == 0, result.output
    forms = tmp_path / "forms"
    assert all((forms / kind / t.id).is_dir() for kind in ("blank", "prefilled") for t in builtin_templates())


@pytest.mark.parametrize("template_id", [t.id for t in builtin_templates()])
def test_generate_works_for_every_built_in_template_from_roster_and_records(template_id, tmp_path):
    blank = runner.invoke(
        app, ["generate", template_id, "--roster", str(EXAMPLES / "units.csv"), "--out", str(tmp_path / "blank"), *TIME]
    )
    assert blank.exit_code == 0, blank.output
    assert len(list((tmp_path / "blank").glob("*.xlsx"))) == 5
    records = example_records(template_id)
    assert records, f"no example records for {template_id}"
    path = write_jsonl(tmp_path / "records.jsonl", records)
    prefilled = runner.invoke(
        app, ["generate", template_id, "--records", str(path), "--out", str(tmp_path / "pre"), *TIME]
    )
    assert prefilled.exit_code == 0, prefilled.output
    (book,) = (tmp_path / "pre").glob("*.xlsx")
    assert len([n for n in openpyxl.load_workbook(book).sheetnames if not n.startswith(("_", "填报说明"))]) == len(
        records
    )


def test_templates_lists_the_seven_seed_layouts_and_the_two_forms_that_follow_the_targets():
    ids = {r["id"] for r in json.loads(runner.invoke(app, ["templates", "--json"]).stdout)}
    seeds = {"tianjin", "tangshan", "tangshan-department", "shanghai", "luan", "qiannan", "mof"}
    assert ids == seeds | {"monitor", "self-evaluation"}


def test_generate_into_an_out_that_is_a_file_is_one_error_before_anything_is_generated(tmp_path):
    out = tmp_path / "outbox"
    out.write_text("not a folder", encoding="utf-8")
    roster = EXAMPLES / "units.csv"
    result = runner.invoke(app, ["generate", "tangshan", "--roster", str(roster), "--out", str(out)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    problems = [line for line in result.stderr.splitlines() if "[" in line]
    assert len(problems) == 1 and "[O006]" in problems[0] and str(out) in problems[0]
    assert out.read_text(encoding="utf-8") == "not a folder"
