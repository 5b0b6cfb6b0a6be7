"""Excel serial dates read as the dates Excel shows: the 1900 system with its fictitious
1900-02-29 (serials 1–59 are not a day early), and the 1904 system. A record value the writer
accepts reads back as the same value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from xlsxkit.form.cell_values import CellValueError, from_cell, record_cell, to_cell
from xlsxkit.form.money import MoneyUnit
from xlsxkit.form.record import ValueType


def read_date(serial: float, date1904: bool = False) -> str:
    return from_cell(ValueType.date, serial, None, date1904=date1904)


@pytest.mark.parametrize(
    ("serial", "shown"),
    [
        (1, "1900-01-01"),
        (2, "1900-01-02"),
        (31, "1900-01-31"),
        (32, "1900-02-01"),
        (59, "1900-02-28"),
        (61, "1900-03-01"),
        (62, "1900-03-02"),
        (366, "1900-12-31"),
        (367, "1901-01-01"),
        (45000, "2023-03-15"),
        (46022, "2025-12-31"),
        (2958465, "9999-12-31"),
    ],
)
def test_a_serial_in_the_1900_system_is_the_day_excel_shows(serial, shown):
    assert read_date(serial) == shown
    assert read_date(float(serial)) == shown


def test_serial_60_the_day_that_never_was_reads_as_the_day_before():
    """Excel shows 60 as 1900-02-29, which does not exist; openpyxl (and so the reader) takes
    it as 1900-02-28, the day before 61 (1900-03-01)."""
    assert read_date(60) == "1900-02-28"


@pytest.mark.parametrize(
    ("serial", "shown"),
    [
        (1, "1904-01-02"),
        (59, "1904-02-29"),  # 1904 was a leap year: no fictitious day in this system
        (60, "1904-03-01"),
        (61, "1904-03-02"),
        (366, "1905-01-01"),
        (43538, "2023-03-15"),  # 1462 days less than in the 1900 system
        (2957003, "9999-12-31"),
    ],
)
def test_a_serial_in_the_1904_system(serial, shown):
    assert read_date(serial, date1904=True) == shown


def test_the_two_systems_are_1462_days_apart_after_february_1900():
    for serial in (1462 + 61, 30000, 45000, 2958465):
        assert read_date(serial) == read_date(serial - 1462, date1904=True)


def test_a_time_of_day_in_the_serial_is_dropped():
    assert read_date(45000.25) == "2023-03-15"
    assert read_date(45000.75, date1904=True) == "2027-03-16"
    assert read_date(1.5) == "1900-01-01"


@pytest.mark.parametrize("serial", [0, 0.5, -1, 2958466, 1e20, float("inf"), float("nan")])
def test_a_number_outside_excels_date_range_is_no_date(serial):
    with pytest.raises(CellValueError, match="不是日期"):
        read_date(serial)


@pytest.mark.parametrize("serial", [2957004, 2958465])
def test_a_1904_serial_past_9999_is_no_date_not_a_crash(serial):
    with pytest.raises(CellValueError, match="不是日期"):
        read_date(serial, date1904=True)


def test_true_and_false_are_no_dates():
    for value in (True, False):
        with pytest.raises(CellValueError):
            read_date(value)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize("date1904", [False, True])
def test_what_xlsxwriter_writes_for_a_date_reads_back_as_that_date(tmp_path: Path, date1904: bool):
    """xlsxwriter's own conversion writes the serials (stored as plain numbers: no date format),
    openpyxl reads them back raw, and each is the date written — across the start of either
    system, February 1900 included."""
    start = dt.date(1904, 1, 2) if date1904 else dt.date(1900, 1, 1)
    dates = [*days(start, start + dt.timedelta(days=70)), dt.date(2025, 12, 31), dt.date(9999, 12, 31)]
    path = tmp_path / f"dates-{date1904}.xlsx"
    with xlsxwriter.Workbook(path, {"date_1904": date1904}) as book:
        sheet = book.add_worksheet()
        for row, day in enumerate(dates):
            sheet.write_datetime(row, 0, day)  # a date: xlsxwriter takes datetime(1900, 1, 1) for a time of day
    serials = [row[0] for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]
    assert all(isinstance(serial, (int, float)) for serial in serials)
    assert [read_date(serial, date1904) for serial in serials] == [day.isoformat() for day in dates]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (ValueType.money, "964700.00"),
        (ValueType.money, "0.01"),
        (ValueType.money, "12345678901234.5"),
        (ValueType.percent, "33.3"),
        (ValueType.integer, 3),
        (ValueType.date, "1900-01-01"),
        (ValueType.date, "2025-12-31"),
        (ValueType.number, 8.5),
    ],
)
def test_a_record_value_the_writer_accepts_reads_back_as_the_same_value(kind, value):
    for unit in (MoneyUnit.yuan, MoneyUnit.wan):
        cell = record_cell(kind, value, unit)
        if isinstance(cell, dt.datetime):
            cell = cell.date()
        read = from_cell(kind, cell, unit)
        assert read == value or Decimal(read) == Decimal(value)  # money: "12345678901234.50"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", float("nan"), float("inf")])
def test_no_cell_is_written_for_a_number_that_is_not_finite(value):
    for kind in (ValueType.money, ValueType.percent, ValueType.integer, ValueType.number):
        with pytest.raises(CellValueError):
            to_cell(kind, value, MoneyUnit.wan)


@pytest.mark.parametrize("value", ["1899-12-31", "2025-06-30T12:00:00+08:00", 20250101])
def test_no_date_cell_is_written_for_a_date_excel_cannot_hold_or_that_is_not_an_iso_text(value):
    with pytest.raises(CellValueError):
        to_cell(ValueType.date, value, None)
