"""Reading a 指标值 as the record's `parsed`: the transcribed records agree, the hard cases, and no text breaks it."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import ROOT, example_records
from xlsxkit.form.indicator_values import DEADLINE_BOUNDS, KINDS, PREFIX_OPERATORS, SUFFIX_OPERATORS, parse_value

# The transcribers' ground truth: ../shared/corpus/records, copied into the tests.
CORPUS_RECORDS = ROOT / "tests" / "corpus"


def corpus_records() -> list[tuple[str, dict[str, Any]]]:
    """(a name for test ids, the record): the corpus records by file, the example records by template and number."""
    named = [
        (path.stem, json.loads(path.read_text(encoding="utf-8"))) for path in sorted(CORPUS_RECORDS.glob("*.json"))
    ]
    seen: Counter[str] = Counter()
    for record in example_records():
        seen[record["template"]["id"]] += 1
        named.append((f"example-{record['template']['id']}-{seen[record['template']['id']]}", record))
    return named


def indicators() -> list[tuple[str, int | None, dict[str, Any]]]:
    """(test id, the form's year, the indicator) for every indicator of those records."""
    return [
        (f"{name} indicator {row}", record["year"], indicator)
        for name, record in corpus_records()
        for row, indicator in enumerate(record.get("indicators") or [], start=1)
    ]


def recorded_indicators() -> list[Any]:
    """One case per indicator with a written value: (value, year, the parsed the transcriber recorded)."""
    return [
        pytest.param(indicator["value"], year, indicator["parsed"], id=name)
        for name, year, indicator in indicators()
        if indicator["value"] is not None
    ]


# The transcribers record no `parsed` for a 中期指标值. Where it is written as the annual 指标值 it must read as
# the annual one was recorded; where it is written otherwise, it is read by hand here.
MID_TERM_READINGS = {
    "100%": {"kind": "quantitative", "op": "=", "number": 100, "unit": "%", "date": None},  # luan-01, indicator 7
}


def overall_values() -> list[Any]:
    """One case per written 中期指标值: (value, year, how it must read)."""
    cases = []
    for name, year, indicator in indicators():
        value = indicator.get("overall_value")
        if value is None:
            continue
        if value == indicator["value"]:
            expected = indicator["parsed"]
        else:
            assert value in MID_TERM_READINGS, f"{name}: read the 中期指标值 {value!r} by hand into MID_TERM_READINGS"
            expected = MID_TERM_READINGS[value]
        cases.append(pytest.param(value, year, expected, id=name))
    return cases


def parsed(
    kind: str, op: str | None = None, number: float | None = None, unit: str | None = None, date: str | None = None
) -> dict[str, Any]:
    return {"kind": kind, "op": op, "number": number, "unit": unit, "date": date}


def assert_same(got: dict[str, Any] | None, expected: dict[str, Any] | None) -> None:
    """Equal, and a number is the same JSON type (4, never 4.0 or "4")."""
    assert got == expected
    if got is not None and expected is not None:
        assert type(got["number"]) is type(expected["number"])


@pytest.mark.parametrize(("value", "year", "recorded"), recorded_indicators())
def test_every_transcribed_indicator_value_parses_as_the_transcriber_recorded(value, year, recorded):
    assert_same(parse_value(value, year), recorded)


@pytest.mark.parametrize(("value", "year", "expected"), overall_values())
def test_every_transcribed_mid_term_value_reads_like_the_annual_value_written_the_same(value, year, expected):
    assert_same(parse_value(value, year), expected)


def test_the_corpus_has_mid_term_values_some_written_unlike_the_annual_ones():
    """The test above is not vacuous: the corpus has 中期指标值, and the hand-read ones are among them."""
    written = [case.values[0] for case in overall_values()]
    assert len(written) >= 50
    assert set(MID_TERM_READINGS) <= set(written)


QUANTITATIVE = [
    # operator spellings before the number, after it, and none
    ("≥95%", ">=", 95, "%"),
    ("≧95%", ">=", 95, "%"),
    (">=95%", ">=", 95, "%"),
    ("＞＝95%", ">=", 95, "%"),
    ("⩾95%", ">=", 95, "%"),
    ("不低于95%", ">=", 95, "%"),
    ("不少于10人", ">=", 10, "人"),
    ("至少3次", ">=", 3, "次"),
    ("95%以上", ">=", 95, "%"),
    ("60分及以上", ">=", 60, "分"),
    ("≤5万元", "<=", 5, "万元"),
    ("≦5万元", "<=", 5, "万元"),
    ("<=5万元", "<=", 5, "万元"),
    ("＜＝5万元", "<=", 5, "万元"),
    ("不高于5%", "<=", 5, "%"),
    ("不超过500万元", "<=", 500, "万元"),
    ("500万元以内", "<=", 500, "万元"),
    ("3%以下", "<=", 3, "%"),
    ("24小时内", "<=", 24, "小时"),
    ("=100%", "=", 100, "%"),
    ("＝100%", "=", 100, "%"),
    ("100%", "=", 100, "%"),
    (">2个", ">", 2, "个"),
    ("＞2个", ">", 2, "个"),
    ("高于2个", ">", 2, "个"),
    ("超过2个", ">", 2, "个"),
    ("<24小时", "<", 24, "小时"),
    ("＜24小时", "<", 24, "小时"),
    ("低于1%", "<", 1, "%"),
    ("少于2次", "<", 2, "次"),
    # full-width digits and symbols, thousands commas
    ("≥９５％", ">=", 95, "%"),
    ("１００．５％", "=", 100.5, "%"),
    ("1,000,000条", "=", 1000000, "条"),
    ("≥1,000,000条", ">=", 1000000, "条"),
    ("１，０００条", "=", 1000, "条"),
    # the unit: text after the number, wrapping brackets removed, anything else kept as written
    ("≥95 (%)", ">=", 95, "%"),
    ("95（%）", "=", 95, "%"),
    ("≥4【次】", ">=", 4, "次"),
    ("≥95（％）", ">=", 95, "%"),
    ("45 元/次", "=", 45, "元/次"),
    ("≥4次", ">=", 4, "次"),
    ("90", "=", 90, None),
    ("100以内", "<=", 100, None),
    ("≥210 平方米（等候区除外）", ">=", 210, "平方米（等候区除外）"),
    ("0.5 个月部署", "=", 0.5, "个月部署"),
    # decimals: int when integral, float otherwise; a leading minus is a sign, not an operator
    ("=100.00(%)", "=", 100, "%"),
    ("≤942.3 万元", "<=", 942.3, "万元"),
    ("0.5万元", "=", 0.5, "万元"),
    ("-5%", "=", -5, "%"),
    ("≥-0.5℃", ">=", -0.5, "℃"),
    ("－5%", "=", -5, "%"),
    # white space and line breaks around the parts
    ("  ≥ 95 %\n", ">=", 95, "%"),
    ("\n≥95\n%\n", ">=", 95, "%"),
    ("≥95%。", ">=", 95, "%"),
]


@pytest.mark.parametrize(("value", "op", "number", "unit"), QUANTITATIVE, ids=[case[0] for case in QUANTITATIVE])
def test_a_written_number_is_quantitative_with_its_operator_and_unit(value, op, number, unit):
    assert_same(parse_value(value, 2025), parsed("quantitative", op, number, unit))


DEADLINES = [
    ("2025年12月31日前", 2025, "<=", "2025-12-31"),
    ("2025年12月31日之前", 2025, "<=", "2025-12-31"),
    ("2025年12月31日以前", 2025, "<=", "2025-12-31"),
    ("2025.12.31前", 2025, "<=", "2025-12-31"),
    ("２０２５．１２．３１前", 2025, "<=", "2025-12-31"),
    ("2025 年 12 月 31 日前", 2025, "<=", "2025-12-31"),
    ("年底前", 2025, "<=", "2025-12-31"),
    ("年底前", 2023, "<=", "2023-12-31"),
    ("年末前完成", 2022, "<=", "2022-12-31"),
    ("年内", 2025, "<=", "2025-12-31"),
    ("2025年底前", 2026, "<=", "2025-12-31"),
    ("2022 年内完成验收", 2022, "<=", "2022-12-31"),
    ("12月底前", 2025, "<=", "2025-12-31"),
    ("12月31日前", 2024, "<=", "2024-12-31"),
    ("6月前", 2025, "<=", "2025-06-30"),
    ("2025年6月前", 2025, "<=", "2025-06-30"),
    ("2025年6月底前", 2025, "<=", "2025-06-30"),
    ("2024年2月底前", 2025, "<=", "2024-02-29"),
    ("不晚于2025年12月31日", 2025, "<=", "2025-12-31"),
    ("≤2025年底", 2025, "<=", "2025-12-31"),
    # no bound written: the date itself
    ("2025-12-31", 2025, "=", "2025-12-31"),
    ("2025/12/31", 2025, "=", "2025-12-31"),
    ("2025.12.31", 2025, "=", "2025-12-31"),
    ("2025年12月31日", 2025, "=", "2025-12-31"),
    ("2024年10月22日", 2025, "=", "2024-10-22"),
    ("2025年12月31日完成", 2025, "=", "2025-12-31"),
    ("2025年底", 2025, "=", "2025-12-31"),
    ("2025年6月", 2025, "=", "2025-06-30"),
    ("2025年", 2025, "=", "2025-12-31"),
    ("12月31日", 2025, "=", "2025-12-31"),
]


@pytest.mark.parametrize(("value", "year", "op", "date"), DEADLINES, ids=[f"{c[0]} ({c[1]})" for c in DEADLINES])
def test_a_date_or_date_like_limit_is_a_deadline_with_the_forms_year_where_none_is_written(value, year, op, date):
    assert parse_value(value, year) == parsed("deadline", op, date=date)


QUALITATIVE = [
    "有效保障",
    "及时",
    "准确",
    "尽量降低成本",
    "按时完成",
    "不低于市最低工资标准",
    "大专学历及以上",
    "每年至少一次",
    # text before the number, or a second number: no single target to read
    "每月10日前",
    "拟实现 7*24 业务服务要求",
    "约100人",
    "7*24小时",
    "90%-100%",
    "≥95%（2025年）",
    # a date that cannot be resolved
    "2025年2月30日",
    "2025年13月底前",
]


@pytest.mark.parametrize("value", QUALITATIVE)
def test_anything_else_is_qualitative(value):
    assert parse_value(value, 2025) == parsed("qualitative")


@pytest.mark.parametrize("value", ["年底前", "12月底前", "12月31日前", "年内"])
def test_a_date_that_needs_the_forms_year_is_qualitative_without_one(value):
    assert parse_value(value, None) == parsed("qualitative")


@pytest.mark.parametrize(("value", "number", "unit"), [("12月", 12, "月"), ("≤1625月", 1625, "月"), ("30年", 30, "年")])
def test_a_month_or_a_short_year_count_without_a_bound_is_a_quantity_not_a_date(value, number, unit):
    assert parse_value(value, 2025)["number"] == number
    assert parse_value(value, 2025)["unit"] == unit


@pytest.mark.parametrize("value", [None, "", "  ", "\n\t", "\u3000"])
def test_a_blank_value_has_no_parsed(value):
    assert parse_value(value, 2025) is None


# Text made of the pieces the parser looks for, so that the property reaches every reading, not only qualitative.
FORM_PIECES = [
    *"0123456789０１２３４５６７８９.,-+%％，．（）()【】[] \n年月日号底末当本度份前之以内上下及元次个*/",
    *PREFIX_OPERATORS,
    *SUFFIX_OPERATORS,
    *DEADLINE_BOUNDS,
    "不晚于",
    "有效",
    "2025",
    "12",
    "31",
]
FORM_TEXT = st.lists(st.sampled_from(FORM_PIECES), max_size=12).map("".join)


@given(value=st.text() | FORM_TEXT, year=st.none() | st.integers())
def test_no_text_makes_it_raise_and_every_answer_has_the_five_keys(value, year):
    result = parse_value(value, year)
    if not value.strip():
        assert result is None
        return
    assert list(result) == ["kind", "op", "number", "unit", "date"]
    assert result["kind"] in KINDS
    assert json.loads(json.dumps(result)) == result
    if result["kind"] == "quantitative":
        assert result["op"] in (">=", "<=", ">", "<", "=") and isinstance(result["number"], int | float)
    elif result["kind"] == "deadline":
        assert result["op"] in ("<=", "=") and len(result["date"]) == 10
    else:
        assert set(result.values()) == {"qualitative", None}
