"""Any record a template can hold is rendered so that reading its cells back through the same
Layout gives the record again — for every built-in template (hypothesis)."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXED_TIME
from tests.test_layout_places import shown
from xlsxkit.cell_values import from_cell
from xlsxkit.generate import UnitRecords, generate_prefilled
from xlsxkit.layout import compile_layout
from xlsxkit.load import builtin_templates
from xlsxkit.record import TABLE_COLUMNS, ValueType, blank_record, get_path
from xlsxkit.template import Template

TEMPLATES = builtin_templates()
UNIT = {"code": "603001", "name": "唐山市住房公积金管理中心（参公）本级"}

# Text as units type it: Chinese, digits, units and operators, formula-looking starts, line breaks.
CHARACTERS = st.sampled_from(list("产出效益满意度指标服务次数率完成万元人个≥≤＞＜%％()（）0123456789.,，。、 =+-@\nabcXYZ"))
TEXT = st.text(CHARACTERS, min_size=1, max_size=60).map(str.strip).filter(bool)
MAYBE_TEXT = st.none() | TEXT


def money(unit: str | None) -> st.SearchStrategy[str]:
    """Yuan with cents; on a 万元 form any cent amount is still exact (at most six decimals)."""
    return st.integers(0, 10**11).map(lambda cents: str(Decimal(cents) / 100))


def value_of(kind: ValueType, template: Template, list_name: str | None) -> st.SearchStrategy[Any]:
    if kind is ValueType.money:
        return money(template.money_unit)
    if kind is ValueType.percent:
        return st.integers(0, 1000).map(lambda tenths: format((Decimal(tenths) / 10).normalize(), "f"))
    if kind is ValueType.integer:
        return st.integers(0, 50)
    if kind is ValueType.date:
        return st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat)
    if kind is ValueType.coded_name:
        return st.fixed_dictionaries({"code": st.none() | st.from_regex(r"[0-9]{3,6}", fullmatch=True), "name": TEXT})
    if list_name is not None:
        return st.sampled_from(template.lists[list_name])
    return TEXT


def indicator(template: Template, columns: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    """An indicator row with text in the columns the form has (None in the others)."""
    taxonomy = template.taxonomy
    assert taxonomy is not None
    level = st.sampled_from([(a, b) for a in taxonomy.level1 for b in taxonomy.level2_of(a)])
    others = ("level3", "description", "value", "overall_value", "basis", "note")
    texts = st.fixed_dictionaries({key: MAYBE_TEXT if key in columns else st.none() for key in others})
    return st.tuples(level, texts).map(lambda t: {"level1": t[0][0], "level2": t[0][1], **t[1]})


def item(bind: str) -> st.SearchStrategy[Any]:
    if bind == "measures":
        return TEXT
    return st.fixed_dictionaries({key: MAYBE_TEXT for key in TABLE_COLUMNS["department"][bind]})


@st.composite
def records(draw: st.DrawFn, template: Template) -> dict[str, Any]:
    """A record holding a value in every cell the template has (or none where that is allowed)."""
    layout = compile_layout(template).sheet()
    record = blank_record(template.form)
    for place in layout.fields:
        value = draw(st.none() | value_of(place.type, template, place.list))
        _set(record, place.key, value)
    for table in layout.tables:
        columns = {column.key for column in table.columns}
        strategy = indicator(template, columns) if table.bind == "indicators" else item(table.bind)
        rows = draw(st.lists(strategy, min_size=1, max_size=8))
        if table.bind == "indicators":  # as forms have them: grouped by 一级, then 二级
            order = {name: i for i, name in enumerate(template.taxonomy.level1)}
            rows.sort(key=lambda r: order[r["level1"]])
        record[table.bind] = rows
    return record


def _set(record: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    target = record
    for part in parts[:-1]:
        if target.get(part) is None:
            target[part] = {}
        target = target[part]
    target[parts[-1]] = value


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.id for t in TEMPLATES])
def test_any_record_survives_render_and_read_through_the_layout(template: Template) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=records(template))
    def check(record: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory() as out:
            report = generate_prefilled(template, [UnitRecords(UNIT, [record])], 2026, Path(out), generated_at=FIXED_TIME)
            assert not report.problems, report.problems
            sheet = openpyxl.load_workbook(report.files[0].path).worksheets[1]
            placed = compile_layout(template).sheet({t.table: len(record[t.table]) for t in template.tables()})
            for place in placed.fields:
                cell = shown(sheet, place.box.row + 1, place.box.col + 1)
                assert from_cell(place.type, cell, template.money_unit) == _expected(record, place.key), place.key
            for table in placed.tables:
                for i, row in enumerate(record[table.bind]):
                    for column in table.columns:
                        expected = row if isinstance(row, str) else row[column.key]
                        assert shown(sheet, table.first_row + i + 1, column.col + 1) == expected, (i, column.key)

    check()


def _expected(record: dict[str, Any], key: str) -> Any:
    value = get_path(record, key)
    if isinstance(value, str) and key.startswith("funds."):
        return str(Decimal(value).quantize(Decimal("0.01")))  # the record's two decimals
    if isinstance(value, dict):  # a coded name without code reads back as such
        return {"code": value["code"], "name": value["name"]}
    return value
