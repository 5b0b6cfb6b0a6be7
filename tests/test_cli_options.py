"""Options with a fixed set of values are enums: a wrong one is refused by the command line
itself, naming the choices; the money unit carries its factor and number format."""

from __future__ import annotations

import json
from decimal import Decimal

from typer.testing import CliRunner

from tests.helpers import example_records
from tests.returns import filled_return
from xlsxkit.cli import app
from xlsxkit.form.money import MoneyUnit, money_unit_of
from xlsxkit.read.reader import read_return
from xlsxkit.template.load import builtin_templates

runner = CliRunner()


def test_a_money_unit_not_offered_is_refused_naming_the_choices(tmp_path):
    result = runner.invoke(app, ["consolidate", "--db", str(tmp_path / "x.sqlite"), "--money", "千元"])
    assert result.exit_code == 2
    assert "千元" in result.output and "万元" in result.output and "'元'" in result.output


def test_a_format_not_offered_is_refused_naming_the_choices(tmp_path):
    result = runner.invoke(app, ["read", str(tmp_path), "--format", "xml"])
    assert result.exit_code == 2
    assert "xml" in result.output and "jsonl" in result.output and "csv" in result.output


def test_money_units_carry_their_factor_and_number_format():
    assert MoneyUnit.wan.factor == Decimal(10000) and MoneyUnit.yuan.factor == Decimal(1)
    assert MoneyUnit.wan.number_format == "#,##0.00####" and MoneyUnit.yuan.number_format == "#,##0.00"
    assert MoneyUnit("万元") is MoneyUnit.wan and f"单位：{MoneyUnit.wan}" == "单位：万元"
    assert money_unit_of(None) is MoneyUnit.yuan


def test_a_template_money_unit_is_the_enum_and_a_record_holds_it_as_text(tmp_path):
    by_id = {t.id: t for t in builtin_templates()}
    assert by_id["tangshan"].money_unit is MoneyUnit.wan
    path = filled_return("tangshan", example_records("tangshan")[:1], tmp_path)
    read = read_return(path).records[0].record
    assert type(read["funds"]["source_unit"]) is str and read["funds"]["source_unit"] == "万元"
    assert json.loads(json.dumps(read))["funds"]["source_unit"] == "万元"
