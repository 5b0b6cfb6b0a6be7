"""Bad returns in a batch: each gets one clear finding naming the file and the fix, and the
batch goes on (the checks on the file itself are in test_safe_open.py)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import bad_files
from tests.returns import corpus_record, filled_return, without_source
from xlsxkit.cli import app
from xlsxkit.form.errors import Code, Severity
from xlsxkit.read.reader import read_return

runner = CliRunner()


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    """A folder of returns as an office receives them: one good, and one of every bad kind."""
    folder = tmp_path_factory.mktemp("inbox")
    good = filled_return("tangshan", [corpus_record("tangshan")], folder)
    bad = folder / "bad"
    bad.mkdir()
    bad_files.not_a_zip(bad)
    bad_files.encrypted(bad)
    bad_files.lock_file(bad)
    bad_files.strict_ooxml(bad, good)
    bad_files.truncated(bad, good)
    bad_files.zip_bomb_ratio(bad, good, megabytes=20)
    bad_files.zip_bomb_entries(bad, good)
    bad_files.xml_entity(bad, good)
    bad_files.xlsm(bad, good)
    return folder


EXPECTED = {
    Code.F_NOT_XLSX,
    Code.F_ENCRYPTED,
    Code.F_LOCK_FILE,
    Code.F_STRICT_OOXML,
    Code.F_BROKEN,
    Code.F_ZIP_BOMB,
    Code.F_XML_ENTITY,
}


def test_each_bad_file_gets_one_finding_and_no_record(inbox):
    results = [read_return(path) for path in sorted((inbox / "bad").iterdir()) if not path.name.endswith(".xlsm")]
    assert {r.findings[0].code for r in results} == EXPECTED
    for result in results:
        assert not result.readable and not result.records and len(result.findings) == 1
        assert result.findings[0].sheet is None  # about the whole file


def test_an_xlsm_is_read_and_its_macros_noted(inbox):
    (path,) = (inbox / "bad").glob("*.xlsm")
    result = read_return(path)
    assert result.readable and len(result.records) == 1
    assert [(f.code, f.severity) for f in result.findings] == [(Code.F_MACROS, Severity.info)]
    assert without_source(result.records[0].record) == without_source(corpus_record("tangshan"))


def test_check_lists_every_bad_file_and_goes_on(inbox):
    outcome = runner.invoke(app, ["check", str(inbox)])
    assert outcome.exit_code == 2  # some file could not be read at all
    lines = outcome.stdout.splitlines()
    for code in EXPECTED:
        assert any(f"  {code.code}  " in line for line in lines), code
    lock = next(line for line in lines if " F007 " in line)
    assert lock.startswith(str(inbox / "bad" / "~$")) and "  -  info  F007  " in lock


def test_read_writes_the_good_records_and_says_what_it_could_not_read(inbox, tmp_path):
    target = tmp_path / "records.jsonl"
    outcome = runner.invoke(app, ["read", str(inbox), "-o", str(target)])
    assert outcome.exit_code == 2
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2  # the good return and the .xlsm
    assert "F009" in outcome.stderr and "另存为" in outcome.stderr


def test_a_sheet_reaching_the_last_cell_is_read_within_a_window_and_never_accepted_cut(tmp_path):
    """A stray value at XFD1048576 would make calamine allocate the whole sheet; the sheet is
    streamed by openpyxl instead, the form read, and the unit told — as an error: what lies
    beyond the window was not read, and a cut return is never accepted."""
    path = filled_return("tangshan", [corpus_record("tangshan")], tmp_path)
    far = _with_far_cell(path, "xl/worksheets/sheet2.xml")
    result = read_return(far)
    assert [(f.code, f.sheet, f.severity) for f in result.findings] == [
        (Code.R_SHEET_TOO_LARGE, "项目1", Severity.error)
    ]
    assert "XFD1048576" in result.findings[0].message and "没有完整读取" in result.findings[0].message
    assert without_source(result.records[0].record) == without_source(corpus_record("tangshan"))


def _with_far_cell(path: Path, part: str) -> Path:
    target = path.with_name("far.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == part:
                far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row></sheetData>'
                data = data.replace(b"</sheetData>", far)
            out.writestr(item, data)
    return target


def test_a_bug_met_in_one_return_is_a_finding_not_a_stopped_batch(tmp_path, monkeypatch):
    path = filled_return("tangshan", [corpus_record("tangshan")], tmp_path)

    def broken_rule(*args):
        raise KeyError("level9")

    monkeypatch.setattr("xlsxkit.read.reader.check_record", broken_rule)
    result = read_return(path)
    assert not result.readable and not result.records
    assert [f.code for f in result.findings] == [Code.R_INTERNAL]
    assert "KeyError" in result.findings[0].message


@pytest.mark.parametrize("stored", ["1E+30", "1e999", "inf", "-inf", "nan"])
def test_money_no_form_can_mean_is_a_finding_at_its_cell_not_a_stopped_file(tmp_path, stored):
    import openpyxl

    path = filled_return("tangshan", [corpus_record("tangshan")], tmp_path)
    book = openpyxl.load_workbook(path)
    book["项目1"]["C4"] = 123456.789  # a placeholder, then the number as the sheet's XML stores it
    book.save(path)
    patched = bad_files.rewrite(
        path,
        tmp_path / "patched.xlsx",
        {
            "xl/worksheets/sheet2.xml": lambda data: data.replace(b"<v>123456.789</v>", f"<v>{stored}</v>".encode()),
        },
    )
    result = read_return(patched)
    assert result.readable
    assert [(f.code, f.cell) for f in result.all_findings() if f.code is Code.R_WRONG_TYPE] == [
        (Code.R_WRONG_TYPE, "C4")
    ]


def test_a_value_of_thousands_of_digits_is_read_as_written(tmp_path):
    record = corpus_record("tangshan")
    record["indicators"][0]["value"] = "≥" + "9" * 5000 + "次"
    result = read_return(filled_return("tangshan", [record], tmp_path))
    assert result.readable
    indicator = result.records[0].record["indicators"][0]
    assert indicator["value"] == "≥" + "9" * 5000 + "次" and indicator["parsed"]["kind"] == "qualitative"


def test_a_return_of_80000_indicator_rows_is_read_whole(tmp_path):
    """The adversarial pass's return that was cut to 4,991 rows and accepted."""
    record = corpus_record("tangshan")
    prepared = record["indicators"]
    record["indicators"] = [
        {**prepared[n % len(prepared)], "level3": f"{prepared[n % len(prepared)]['level3']}{n}"} for n in range(80_000)
    ]
    result = read_return(filled_return("tangshan", [record], tmp_path))
    assert result.readable and Code.R_SHEET_TOO_LARGE not in {f.code for f in result.all_findings()}
    assert result.records[0].record["indicators"] == record["indicators"]


def test_a_formula_without_a_calculated_value_is_said_to_be_one(tmp_path):
    """Saved by openpyxl (which never calculates), 预算数 =58.5 and a 指标值 formula have no result."""
    import openpyxl

    record = corpus_record("tangshan")
    path = filled_return("tangshan", [record], tmp_path)
    book = openpyxl.load_workbook(path)
    book["项目1"]["C4"] = "=E4"
    book["项目1"]["F10"] = '="≥"&"95%"'
    book.save(path)
    result = read_return(path)
    formulas = [(f.code, f.cell) for f in result.all_findings() if f.code is Code.R_FORMULA_NO_VALUE]
    assert formulas == [(Code.R_FORMULA_NO_VALUE, "C4"), (Code.R_FORMULA_NO_VALUE, "F10")]
    assert "公式没有计算结果" in result.all_findings()[0].message
    assert Code.C_REQUIRED not in {f.code for f in result.all_findings()}


def test_a_formula_without_a_value_in_a_cell_that_may_stay_blank_is_said_too(tmp_path):
    """其中：财政资金 (E4) and 6月底 支出计划 (C7) may be left blank; a formula there without a result
    is still a value the unit meant, and not known: said, never read as blank in silence."""
    import openpyxl

    path = filled_return("tangshan", [corpus_record("tangshan")], tmp_path)
    book = openpyxl.load_workbook(path)
    book["项目1"]["E4"] = "=C4"
    book["项目1"]["C7"] = "=0.5"
    book.save(path)
    findings = read_return(path).records[0].findings
    said = {(f.cell, f.message) for f in findings if f.code is Code.R_FORMULA_NO_VALUE}
    assert {cell for cell, _ in said} == {"E4", "C7"}
    assert any("「6月底」是公式" in message for _, message in said)
