"""Any record a template can hold is rendered so that reading the workbook back gives the
record again — for every built-in template (hypothesis)."""

from __future__ import annotations

import copy
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXED_TIME
from xlsxkit.form.indicator_values import parse_value
from xlsxkit.form.record import FUND_KEYS, SPENDING_MONTHS, TABLE_COLUMNS, ValueType, blank_record
from xlsxkit.read.reader import read_return
from xlsxkit.read.sheet_record import ITEM_NUMBERING
from xlsxkit.template.layout import compile_layout
from xlsxkit.template.load import builtin_templates
from xlsxkit.template.model import Template
from xlsxkit.write.generate import UnitRecords, generate_prefilled

# The seed layouts; the forms that follow the targets (monitor, self-evaluation) hold copied, computed
# and proposed cells a random record cannot fill: tests/test_follow_on.py round-trips them.
TEMPLATES = [t for t in builtin_templates() if t.form in ("project", "department")]
UNIT = {"code": "603001", "name": "唐山市住房公积金管理中心（参公）本级"}

# Text as units type it: Chinese, digits, units and operators, formula-looking starts, line breaks.
CHARACTERS = st.sampled_from(
    list("产出效益满意度指标服务次数率完成万元人个≥≤＞＜%％()（）0123456789.,，。、 =+-@\nabcXYZ")
)
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
    others = ("description", "value", "overall_value", "basis", "note")  # every row has a 三级: it is an indicator
    texts = st.fixed_dictionaries(
        {"level3": TEXT, **{key: MAYBE_TEXT if key in columns else st.none() for key in others}}
    )
    return st.tuples(level, texts).map(lambda t: {"level1": t[0][0], "level2": t[0][1], **t[1]})


def item(bind: str) -> st.SearchStrategy[Any]:
    if bind == "measures":
        return TEXT
    heading = TEXT.filter(lambda text: not ITEM_NUMBERING.match(text))  # record titles carry no （一） numbering
    return st.fixed_dictionaries(
        {key: (st.none() | heading) if key == "title" else MAYBE_TEXT for key in TABLE_COLUMNS["department"][bind]}
    ).filter(lambda item: any(item.values()))


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
def test_any_record_survives_render_and_read(template: Template) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=records(template))
    def check(record: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory() as out:
            report = generate_prefilled(
                template, [UnitRecords(UNIT, [record])], 2026, Path(out), generated_at=FIXED_TIME
            )
            assert not report.problems, report.problems
            result = read_return(report.files[0].path)
            assert result.readable and len(result.records) == 1, [str(f) for f in result.all_findings()]
            read = result.records[0].record
            read.pop("source")
            assert read == _expected(template, record)

    check()


def _expected(template: Template, record: dict[str, Any]) -> dict[str, Any]:
    """The record as the reader gives it back: identity from the stamp, every key of a part the
    form has (null where it has no cell), money with two decimals, each 指标值 understood."""
    expected = copy.deepcopy(record)
    expected.pop("source")
    expected.update(template={"id": template.id, "version": template.version}, year=2026, unit=UNIT)
    if template.form == "project":
        funds = expected["funds"]
        funds["source_unit"] = template.money_unit
        for period in ("annual", "overall"):
            if funds.get(period) is not None:
                funds[period] = {key: _cents(funds[period].get(key)) for key in FUND_KEYS}
        if expected.get("spending_plan") is not None:
            expected["spending_plan"] = {month: expected["spending_plan"].get(month) for month in SPENDING_MONTHS}
        expected["indicators"] = [{**row, "parsed": parse_value(row["value"], 2026)} for row in expected["indicators"]]
    return expected


def _cents(value: str | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))
