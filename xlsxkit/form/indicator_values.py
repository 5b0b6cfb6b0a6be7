"""Understand one 指标值 (indicator target value) as written on a form: the record's `parsed`.

    parse_value("≥95 (%)", 2025)        → quantitative  >=  95        unit "%"
    parse_value("500万元以内", 2025)     → quantitative  <=  500       unit "万元"
    parse_value("2025年12月31日前", 2025) → deadline      <=  2025-12-31
    parse_value("年底前", 2025)          → deadline      <=  2025-12-31 (the form's year)
    parse_value("有效保障", 2025)        → qualitative

See the record spec (docs/record.md), "parsed". The readings, in order:

* deadline — the value starts with a date (after an optional 不晚于, ≤ or =): a full date, a month or a year,
  then an optional bound (前, 之前, 内 … → "<=") and words without digits (完成, 完成验收). A bare month ("12月")
  is a date only with a bound, a bare year ("2025年") only with a bound or alone. A date that cannot be
  resolved (no form year for 年底前, 2月30日) makes the value qualitative.
* quantitative — the value starts with a number (after an optional operator); the unit is the text after it,
  less a suffix operator (以上, 以内 …) and wrapping brackets. Text before the number (每月10日前) or a second
  number after it (7*24, 90%-100%) makes the value qualitative: no single target can be read from it.
* qualitative — anything else.

Full-width ASCII (０-９ ％ ， ． （ ） ＞ ＝ …) reads as its plain form; "1,000,000" is one number; a leading
"-" is a minus sign ("-5%" → = -5). Never raises on a string.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple, TypedDict


class Parsed(TypedDict):
    """A 指标值 understood: its kind (quantitative, deadline, qualitative), operator, number or date, and unit."""

    kind: str  # one of KINDS
    op: str | None
    number: int | float | None
    unit: str | None
    date: str | None


KINDS = ("quantitative", "deadline", "qualitative")

# Full-width ASCII U+FF01-FF5E (０-９ ％ ， ． （ ） ＜ ＞ ＝ ＋ －) and the minus sign read as plain ASCII, one
# character for one, so that an index into the folded text is an index into the text as written.
FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {ord("−"): ord("-"), ord("\u3000"): ord(" ")}
UNIT_FOLD = {ord("％"): ord("%")}  # the unit keeps its own text (（等候区除外）) except the percent sign
TRAILING_PUNCTUATION = "。.．;；,，、"

# Operators written before the number, after folding (so ＞＝ is >=, ＝ is =).
PREFIX_OPERATORS: Mapping[str, str] = {
    "≥": ">=",
    "≧": ">=",
    "⩾": ">=",
    ">=": ">=",
    "不低于": ">=",
    "不少于": ">=",
    "至少": ">=",
    "不小于": ">=",
    "大于等于": ">=",
    "≤": "<=",
    "≦": "<=",
    "⩽": "<=",
    "<=": "<=",
    "不高于": "<=",
    "不超过": "<=",
    "不大于": "<=",
    "不多于": "<=",
    "小于等于": "<=",
    "=": "=",
    ">": ">",
    "高于": ">",
    "超过": ">",
    "大于": ">",
    "多于": ">",
    "<": "<",
    "低于": "<",
    "少于": "<",
    "小于": "<",
}
# Operators written after the number and its unit: 95%以上, 500万元以内, 24小时内.
SUFFIX_OPERATORS: Mapping[str, str] = {
    "及以上": ">=",
    "以上": ">=",
    "及以下": "<=",
    "以下": "<=",
    "以内": "<=",
    "之内": "<=",
    "内": "<=",
}
BRACKETS: tuple[tuple[str, str], ...] = (("(", ")"), ("（", "）"), ("[", "]"), ("［", "］"), ("【", "】"), ("〔", "〕"))

# Words before a date: 不晚于2025年12月31日, ≤2025年底; and bounds after it: 2025年12月31日前, 年内完成.
DEADLINE_PREFIXES: Mapping[str, str] = {"不晚于": "<=", "不迟于": "<="} | {
    spelling: op for spelling, op in PREFIX_OPERATORS.items() if op in ("<=", "=")
}
DEADLINE_BOUNDS: Mapping[str, str] = {"之前": "<=", "以前": "<=", "前": "<=", "以内": "<=", "之内": "<=", "内": "<="}


class DateForm(NamedTuple):
    """A way of writing a date; y, m and d left out mean the form's year, December, the month's last day."""

    pattern: re.Pattern[str]
    alone: bool  # a date even without a bound after it
    words_after: bool  # … and with words after it (2025年12月31日完成)


def _form(pattern: str, alone: bool = True, words_after: bool = True) -> DateForm:
    return DateForm(re.compile(pattern), alone, words_after)


# Matched against the folded text with all white space removed, first match that fits wins.
DATE_FORMS = (
    _form(r"(?P<y>[0-9]{4})[./-](?P<m>[0-9]{1,2})[./-](?P<d>[0-9]{1,2})[日号]?"),  # 2025.12.31 2025-12-31
    _form(r"(?P<y>[0-9]{4})年(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})[日号]"),  # 2025年12月31日
    _form(r"(?P<y>[0-9]{4})年(?P<m>[0-9]{1,2})月(?:份|底|末)?"),  # 2025年6月, 2025年6月底
    _form(r"(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})[日号]"),  # 12月31日
    _form(r"(?P<m>[0-9]{1,2})月(?:底|末)"),  # 12月底
    _form(r"(?P<m>[0-9]{1,2})月份?", alone=False),  # 6月前 (but 12月 alone is twelve months)
    _form(r"(?P<y>[0-9]{4})年度?(?:底|末)"),  # 2025年底
    _form(r"(?P<y>[0-9]{4})年度?", words_after=False),  # 2025年, 2025年内完成验收
    _form(r"(?:当|本)?年度?(?:底|末)"),  # 年底前, 年末前完成
    _form(r"(?:当|本)?年度?", alone=False),  # 年内
)

NUMBER = re.compile(r"[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
DIGIT = re.compile(r"[0-9]")
WHITE_SPACE = re.compile(r"\s+")


def parse_value(value: str | None, year: int | None) -> Parsed | None:
    """The `parsed` dict for a 指标值 on a form of budget year `year`; None for a blank value."""
    if value is None or not value.strip():
        return None
    return Parsed(**_understood(value, year))  # a fresh dict: callers may keep or change it


@functools.lru_cache(maxsize=8192)
def _understood(value: str, year: int | None) -> Parsed:
    """Units write the same values again and again (≥95%, 100%, 年底前): each is understood once."""
    text = value.strip().rstrip(TRAILING_PUNCTUATION).strip()
    return _deadline(text, year) or _quantity(text) or _parsed("qualitative")


def _parsed(
    kind: str, op: str | None = None, number: float | None = None, unit: str | None = None, date: str | None = None
) -> Parsed:
    return {"kind": kind, "op": op, "number": number, "unit": unit, "date": date}


def _leading(text: str, table: Mapping[str, str]) -> tuple[str | None, str]:
    """The operator a text starts with (longest spelling wins) and the text after it."""
    found = _spellings(table, "^").match(text)
    spelling = found.group() if found else ""
    return table.get(spelling), text[len(spelling) :]


def _trailing(text: str, table: Mapping[str, str]) -> tuple[str | None, str]:
    """The operator a text ends with (longest spelling wins) and the text before it."""
    found = _spellings(table, "$").search(text)
    spelling = found.group() if found else ""
    return table.get(spelling), text[: len(text) - len(spelling)]


_SPELLINGS: dict[tuple[int, str], re.Pattern[str]] = {}


def _spellings(table: Mapping[str, str], anchor: str) -> re.Pattern[str]:
    """One pattern for a table's spellings, longest first, anchored at the start (^) or end ($)."""
    key = (id(table), anchor)
    pattern = _SPELLINGS.get(key)
    if pattern is None:
        alternatives = "|".join(map(re.escape, sorted(table, key=len, reverse=True)))
        pattern = _SPELLINGS[key] = re.compile(f"(?:{alternatives})$" if anchor == "$" else f"(?:{alternatives})")
    return pattern


def _deadline(text: str, year: int | None) -> Parsed | None:
    """A deadline, a qualitative value for a date that cannot be resolved, or None when no date is written."""
    prefix_op, text = _leading(WHITE_SPACE.sub("", text.translate(FOLD)), DEADLINE_PREFIXES)
    for form in DATE_FORMS:
        match = form.pattern.match(text)
        if not match:
            continue
        bound_op, words = _leading(text[match.end() :], DEADLINE_BOUNDS)
        if DIGIT.search(words) or not (bound_op or (form.alone and (form.words_after or not words))):
            continue
        parts = match.groupdict()
        date = _date(int(parts["y"]) if parts.get("y") else year, int(parts.get("m") or 12), parts.get("d"))
        if date is None:
            return _parsed("qualitative")
        op = "<=" if "<=" in (prefix_op, bound_op) else "="
        return _parsed("deadline", op=op, date=date)
    return None


def _date(year: int | None, month: int, day: str | None) -> str | None:
    """The ISO date, the month's last day when no day is given; None when there is no such date."""
    if year is None:
        return None
    try:
        return dt.date(year, month, int(day) if day else calendar.monthrange(year, month)[1]).isoformat()
    except (ValueError, OverflowError):
        return None


def _quantity(text: str) -> Parsed | None:
    """A quantitative reading of a text that starts with one number (after an operator), else None."""
    folded = text.translate(FOLD)
    op, after_op = _leading(folded, PREFIX_OPERATORS)
    start = len(folded) - len(after_op.lstrip())
    number = NUMBER.match(folded, start)
    if not number:
        return None
    suffix_op, unit = _trailing(text[number.end() :].strip(), SUFFIX_OPERATORS)
    unit = _unwrapped(unit.strip())
    if DIGIT.search(unit.translate(FOLD)):
        return None
    amount = _number(number.group())
    if amount is None:
        return None
    return _parsed("quantitative", op=op or suffix_op or "=", number=amount, unit=unit.translate(UNIT_FOLD) or None)


def _unwrapped(unit: str) -> str:
    """(%) → %, 【次】 → 次; 平方米（等候区除外） and (个)(件) stay as written."""
    for opening, closing in BRACKETS:
        inner = unit[1:-1]
        if unit[:1] == opening and unit[-1:] == closing and opening not in inner and closing not in inner:
            return inner.strip()
    return unit


MAX_EXPONENT = 300  # beyond it a number is out of a float's range (writing it to a workbook fails)


def _number(written: str) -> int | float | None:
    """100.00 → 100, 942.3 → 942.3, 1,000,000 → 1000000; None for what no float can hold (a
    number of 400 digits is no target: the value is read as written, qualitative)."""
    amount = Decimal(written.replace(",", ""))
    if not amount.is_finite() or amount.adjusted() >= MAX_EXPONENT:
        return None
    if amount == amount.to_integral_value():
        return int(amount)
    number = float(amount)
    return number if math.isfinite(number) else None
