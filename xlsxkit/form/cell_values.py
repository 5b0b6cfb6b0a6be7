"""Record values ↔ cell values, per value type.

Money is yuan in the record (a two-decimal string) and the form's unit in the cell;
percent is "50" in the record and 0.5 in a percent-formatted cell; dates are ISO strings
in the record and Excel dates in the cell. Conversions go through Decimal, never through
float arithmetic.

Reading, a number is taken as the cell shows it: whether its cell is percent-formatted (True,
False, or None where the reader cannot tell) decides between 0.95 and "95%".
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from xlsxkit.form.excel import MAX_CELL_TEXT
from xlsxkit.form.money import MoneyUnit
from xlsxkit.form.record import ValueType


class CellValueError(ValueError):
    """A record value that cannot be shown in a cell of its type."""


def to_cell(kind: ValueType, value: Any, money_unit: MoneyUnit | None) -> str | float | int | dt.datetime | None:
    """The value to write for a record value (None for a blank cell). Raises CellValueError for a
    value no cell can hold as its type: a number that is not finite, a date with a time zone or
    before 1900, a text that is not text (an object, a list, true: never their Python spelling)."""
    if value is None:
        return None
    try:
        if kind is ValueType.money:
            return float(_finite(value) / (money_unit or MoneyUnit.yuan).factor)
        if kind is ValueType.percent:
            return float(_finite(value) / 100)
        if kind is ValueType.integer:
            number = _finite(value)
            if number != number.to_integral_value():
                raise CellValueError(f"不是整数：{value}")
            return int(number)
        if kind is ValueType.date:
            return _cell_date(value)
        if kind is ValueType.coded_name:
            if isinstance(value, dict) and all(_is_text(value.get(k)) for k in ("code", "name")):
                return format_coded_name(value)
            return text_cell(value)
        if kind is ValueType.number:
            return record_number(_finite(value))
        if kind is ValueType.choices:
            if not isinstance(value, list) or not all(isinstance(choice, str) for choice in value):
                raise CellValueError("应为选项（文字）的列表")
            return CHOICE_SEPARATOR.join(value)
    except (InvalidOperation, ValueError) as error:
        raise CellValueError(str(error)) from None
    return text_cell(value)


def text_cell(value: Any) -> str:
    """The text a text cell shows for a record value: a text as it is, a whole number (a JSON
    integer such as a code) as its digits; anything else (true, an object, a list, 1.5e+20) is no
    text and raises CellValueError rather than being written as its Python spelling."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise CellValueError(f"应为文字，现为{_json_kind(value)}")


def _is_text(value: Any) -> bool:
    return value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _finite(value: Any) -> Decimal:
    """A record number as Decimal; NaN and infinities are no amount (xlsxwriter cannot write them)."""
    if isinstance(value, (bool, dict, list)):
        raise CellValueError(f"不是数字：{shown_value(value)}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise CellValueError(f"不是数字：{shown_value(value)}") from None
    if not number.is_finite():
        raise CellValueError(f"不是有限的数：{value}")
    return number


EARLIEST_DATE = dt.datetime(1900, 1, 1)  # Excel's first day: an earlier date is no date in a cell


def _cell_date(value: Any) -> dt.datetime:
    """A record's ISO date as the date to write: not before 1900 and without a time zone."""
    if not isinstance(value, str):
        raise CellValueError(f"不是日期：{shown_value(value)}")
    day = dt.datetime.fromisoformat(value)
    if day.tzinfo is not None:
        raise CellValueError(f"日期不能带时区：{value}")
    if day < EARLIEST_DATE:
        raise CellValueError(f"日期早于 1900-01-01，Excel 无法保存：{value}")
    return day


def _json_kind(value: Any) -> str:
    """What a JSON value is, in the words the office's messages use."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "数字"
    if isinstance(value, dict):
        return "JSON 对象"
    if isinstance(value, list):
        return "列表"
    return type(value).__name__


SHOWN_LENGTH = 60  # characters of a value quoted in a message


def shown_value(value: Any) -> str:
    """A value as a message quotes it: its JSON spelling, cut after SHOWN_LENGTH characters with the
    length said (a 40,000-character text is not repeated in a message)."""
    try:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) <= SHOWN_LENGTH:
        return text
    return f"{text[:SHOWN_LENGTH]}…（共 {len(text)} 个字符）"


def record_cell(kind: ValueType, value: Any, money_unit: MoneyUnit | None) -> Any:
    """`to_cell` for a record value from outside (a records file), refusing what the reader
    (`from_cell`) would refuse or read back differently: money finer than a cent, a number of more
    than the 15 significant digits Excel keeps, a text longer than an Excel cell holds.
    Raises CellValueError saying why."""
    cell = to_cell(kind, value, money_unit)
    if isinstance(cell, str):
        require_cell_length(cell)
    elif cell is not None and kind in (ValueType.money, ValueType.percent, ValueType.integer, ValueType.number):
        number = _finite(value)
        if number.adjusted() >= MAX_DIGITS:
            raise CellValueError(f"数字超出范围（Excel 只保存 {MAX_DIGITS} 位有效数字）：{value}")
        if len(number.normalize().as_tuple().digits) > MAX_DIGITS:
            raise CellValueError(f"有效数字多于 Excel 能保存的 {MAX_DIGITS} 位：{value}")
        if kind is ValueType.money and number != number.quantize(CENT):
            raise CellValueError(f"金额精确到分以下：{value} 元")
    return cell


def require_cell_length(text: str) -> None:
    """A text longer than an Excel cell holds raises CellValueError (xlsxwriter would cut it short
    without a word)."""
    if len(text) > MAX_CELL_TEXT:
        raise CellValueError(f"有 {len(text)} 个字符，超过 Excel 单元格的上限 {MAX_CELL_TEXT} 个")


def format_coded_name(value: Any) -> str:
    """A coded name as a cell shows it: "[079]六安市住房公积金中心", or the name alone without a code."""
    if isinstance(value, dict):
        code, name = value.get("code"), value.get("name") or ""
        return f"[{code}]{name}" if code else name
    return str(value)


CHOICE_SEPARATOR = "、"
# Several picks typed into one cell: "经费保障、人员保障", "经费保障，人员保障", "经费保障/人员保障" …
_CHOICE_SPLIT = re.compile(r"[、,，;；/／\s]+")
CODED_NAME = re.compile(r"^\s*[\[［【]\s*([^\]］】]*?)\s*[\]］】]\s*(.*?)\s*$", re.DOTALL)
CENT = Decimal("0.01")
MAX_DIGITS = 15  # Excel keeps 15 significant digits: a number past 10^15 in a form cell is no amount, year or share

# Numbers as people type them, after NFKC has made full-width digits and signs plain:
# "1,000,000.00", " 58.5 ", "58.5万元", "50%", "3年".
_NUMBER = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)\s*(万元|元|%|年)?$")
# Dates typed as text: 2025-12-31, 2025/12/31, 2025.12.31, 2025年12月31日 (time parts ignored).
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")


def from_cell(
    kind: ValueType,
    value: Any,
    money_unit: MoneyUnit | None,
    *,
    date1904: bool = False,
    percent: bool | None = None,
) -> Any:
    """The record value of a cell value, as our writer wrote it or as people type it:
    numbers stored as text, "1,000,000", full-width digits and signs, "58.5万元" (an amount's
    own unit wins over the form's), "50%", dates as serials or text. Blank → None; text trimmed.
    `percent` says whether the cell is percent-formatted (None: not known): a percentage is
    "50" for 0.5 in a percent-formatted cell (or one not known, as our own cells are), for 50
    in another; a text holds a percent-formatted number as shown, "95%".
    Raises CellValueError for a value that is not of the cell's type."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind is ValueType.money:
        number, unit = _number(value, allowed=("元", "万元"))
        yuan = number * (MoneyUnit(unit) if unit else money_unit or MoneyUnit.yuan).factor
        if yuan != yuan.quantize(CENT):
            raise CellValueError(f"金额精确到分以下：{yuan} 元")
        return str(yuan.quantize(CENT))
    if kind is ValueType.percent:
        number, _ = _number(value, allowed=("%",))
        # "50" or "50%" typed as text, or 50 in a cell not formatted as a percentage, means 50 %
        fraction = not isinstance(value, str) and percent is not False
        return _plain(number * 100 if fraction else number)
    if kind is ValueType.integer:
        number, _ = _number(value, allowed=("年",))
        if number != number.to_integral_value():
            raise CellValueError(f"不是整数：{value}")
        return int(number)
    if kind is ValueType.date:
        return _date(value, date1904)
    if kind is ValueType.number:
        number, _ = _number(value, allowed=("分",))
        return record_number(number)
    if kind is ValueType.choices:
        return [part for part in _CHOICE_SPLIT.split(text_of(value, percent=percent)) if part]
    if kind is ValueType.coded_name:
        text = text_of(value, percent=percent)
        match = CODED_NAME.match(text)
        if match:
            return {"code": match.group(1) or None, "name": match.group(2) or None}
        return {"code": None, "name": text}
    return text_of(value, percent=percent)


def record_number(number: Decimal) -> int | float:
    """A 分值 or 得分 as the record holds it, a JSON number: 10, 8.5."""
    return int(number) if number == number.to_integral_value() else float(number.normalize())


def text_of(value: Any, *, percent: bool | None = False) -> str:
    """A cell's text as the record keeps it: trimmed, line breaks as "\n", a whole number
    typed into a text cell without ".0", a date as its ISO date, and a number in a cell
    formatted as a percentage (`percent` True) as the percentage shown: 0.95 → "95%". Never
    raises, whatever the number (a text shows; what it may stand for is for the caller to judge)."""
    if type(value) is str and "\r" not in value:  # most cells: nothing but trimming to do
        return value.strip()
    if percent and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _percent_text(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, (dt.datetime, dt.date)):
        value = value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


SHOWN_DIGITS = Context(prec=15)  # Excel shows at most 15 significant digits of a number


def _percent_text(number: float) -> str:
    """A number in a percent-formatted cell as the percentage it stands for: 0.95 → "95%",
    0.955 → "95.5%". Every digit is kept, whatever places the format shows (0.12345 under "0%"
    shows "12%" but is "12.345%"), up to the 15 significant digits Excel keeps (0.1 + 0.2 → "30%")."""
    exact = Decimal(repr(number) if isinstance(number, float) else number)  # (no range check: only shown)
    return f"{_plain(SHOWN_DIGITS.plus(exact * 100))}%" if exact.is_finite() else str(number)


def _number(value: Any, allowed: tuple[str, ...]) -> tuple[Decimal, str | None]:
    """A cell number as Decimal — a float through its shortest repr, so 58.5 is 58.5, not
    58.4999… — and the unit typed after it, if any."""
    if isinstance(value, (bool, dt.date, dt.datetime)):
        raise CellValueError(f"不是数字：{text_of(value)}")
    if isinstance(value, (int, float)):
        number = Decimal(repr(value) if isinstance(value, float) else value)
        if not number.is_finite() or number.adjusted() > MAX_DIGITS:
            raise CellValueError(f"数字超出范围：{text_of(value)}")
        return number, None
    match = _NUMBER.match(unicodedata.normalize("NFKC", str(value)).strip())
    if not match or (match.group(2) and match.group(2) not in allowed):
        raise CellValueError(f"不是数字：{text_of(value)}")
    number = Decimal(match.group(1).replace(",", ""))
    if number.adjusted() > MAX_DIGITS:
        raise CellValueError(f"数字超出范围：{text_of(value)}")
    return number, match.group(2)


def _date(value: Any, date1904: bool) -> str:
    """The ISO date of a date cell: a date, a serial number or a date typed as text. A serial
    goes through openpyxl's from_excel, which knows Excel's fictitious 1900-02-29 (serials 1–59
    are 1900-01-01 … 1900-02-28; 60, the day that never was, reads as 1900-02-28 too) and the
    1904 date system; a time of day in the serial is dropped."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 2958466:  # Excel's serial range: 1900-01-01 … 9999-12-31 (0 is a time of day)
            raise CellValueError(f"不是日期：{text_of(value)}")
        try:
            day: dt.datetime = _from_excel(value, date1904)  # a datetime for any serial ≥ 1
        except OverflowError:  # past 9999-12-31: the 1904 system reaches it 1462 serials earlier
            raise CellValueError(f"不是日期：{text_of(value)}") from None
        return day.date().isoformat()
    match = _DATE_TEXT.match(unicodedata.normalize("NFKC", str(value)).strip())
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups())).isoformat()
        except ValueError:
            pass
    raise CellValueError(f"不是日期：{text_of(value)}")


def _plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 50, 33.3."""
    return format(number.normalize(), "f")


def _from_excel(serial: int | float, date1904: bool) -> dt.datetime:
    """openpyxl's from_excel in the workbook's date system (openpyxl loaded only for a date serial)."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    result: dt.datetime = from_excel(serial, CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900)
    return result
