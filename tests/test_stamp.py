"""The identity stamp every generated workbook carries — template, unit, year, generation — in
its custom document properties and on the very hidden _xlsxkit sheet; read back from either,
refused when the two disagree or when it is damaged.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.packaging.custom import CustomPropertyList

from tests.helpers import FIXED_TIME
from tests.returns import TEMPLATES, blank_return, edited
from xlsxkit import __version__
from xlsxkit.form.errors import Code
from xlsxkit.form.excel import STAMP_SHEET
from xlsxkit.form.stamp import PROPERTY_PREFIX, Stamp, generation_time, make_stamp, read_stamp
from xlsxkit.read.reader import read_return

UNIT = {"code": "603001", "name": "唐山市住房公积金管理中心（参公）本级"}  # blank_return's unit
CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return blank_return("tangshan", tmp_path_factory.mktemp("stamp"))


def properties_in_file(path: Path) -> dict[str, str]:
    """docProps/custom.xml as written: each property's name and its text."""
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("docProps/custom.xml"))
    return {prop.get("name"): "".join(prop.itertext()) for prop in root.iter(f"{CUSTOM_NS}property")}


def expected_items() -> dict[str, str]:
    return {
        "template_id": "tangshan",
        "template_version": TEMPLATES["tangshan"].version,
        "template_hash": TEMPLATES["tangshan"].digest,
        "form": "project",
        "unit_code": UNIT["code"],
        "unit_name": UNIT["name"],
        "year": "2025",
        "generated_at": FIXED_TIME.isoformat(),
        "xlsxkit_version": __version__,
    }


def test_a_generated_workbook_carries_the_stamp_in_its_custom_properties(blank):
    properties = properties_in_file(blank)
    stamp = {k.removeprefix(PROPERTY_PREFIX): v for k, v in properties.items() if k.startswith(PROPERTY_PREFIX)}
    generation = stamp.pop("generation_id")
    assert stamp == expected_items()
    assert re.fullmatch(r"[0-9a-f]{16}", generation)


def test_and_on_a_very_hidden_sheet_with_the_same_values(blank):
    book = openpyxl.load_workbook(blank)
    sheet = book[STAMP_SHEET]
    assert sheet.sheet_state == "veryHidden"
    rows = dict(sheet.iter_rows(values_only=True))
    properties = properties_in_file(blank)
    assert {PROPERTY_PREFIX + key: value for key, value in rows.items()} == {
        key: value for key, value in properties.items() if key.startswith(PROPERTY_PREFIX)
    }


def test_the_reader_takes_the_stamp_as_written(blank):
    stamp = read_return(blank).stamp
    assert stamp is not None
    assert (stamp.template_id, stamp.unit_code, stamp.unit_name, stamp.year) == (
        "tangshan",
        "603001",
        UNIT["name"],
        2025,
    )
    assert (stamp.template_hash, stamp.generated_at) == (TEMPLATES["tangshan"].digest, FIXED_TIME)
    assert stamp.generation_id == properties_in_file(blank)["xlsxkit.generation_id"]


def test_the_generation_id_is_the_same_for_the_same_inputs_and_differs_otherwise():
    template = TEMPLATES["tangshan"]
    one = make_stamp(template, UNIT, 2025, {"records": []}, FIXED_TIME)
    assert make_stamp(template, dict(UNIT), 2025, {"records": []}, FIXED_TIME) == one
    others = [
        make_stamp(template, {**UNIT, "code": "603002"}, 2025, {"records": []}, FIXED_TIME),
        make_stamp(template, UNIT, 2026, {"records": []}, FIXED_TIME),
        make_stamp(template, UNIT, 2025, {"records": [1]}, FIXED_TIME),
        make_stamp(template, UNIT, 2025, {"records": []}, FIXED_TIME + dt.timedelta(seconds=1)),
        make_stamp(TEMPLATES["tianjin"], UNIT, 2025, {"records": []}, FIXED_TIME),
    ]
    assert len({one.generation_id, *(s.generation_id for s in others)}) == 6


@pytest.mark.parametrize("year", [26, 12345, 0, 1899, 2100, 2026.0, "2026", True])
def test_no_stamp_is_made_with_a_year_the_reader_would_not_accept(year):
    """read_stamp takes 1900–2099 only: a workbook stamped otherwise could never be identified."""
    with pytest.raises(ValueError, match="no budget year"):
        make_stamp(TEMPLATES["tangshan"], UNIT, year, {"records": []}, FIXED_TIME)


def test_the_same_generation_gives_the_same_bytes(tmp_path):
    first = blank_return("tangshan", tmp_path / "a")
    second = blank_return("tangshan", tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


def test_the_generation_time_is_whole_seconds_in_utc(monkeypatch):
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert generation_time(dt.datetime(2026, 1, 15, 17, 30, 5, 999, tzinfo=beijing)) == dt.datetime(
        2026, 1, 15, 9, 30, 5
    )
    assert generation_time(dt.datetime(2026, 1, 15, 9, 30, 5, 123456)) == dt.datetime(2026, 1, 15, 9, 30, 5)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1768469405")  # 2026-01-15 09:30:05 UTC
    assert generation_time() == dt.datetime(2026, 1, 15, 9, 30, 5)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs(generation_time() - now) < dt.timedelta(seconds=5) and generation_time().microsecond == 0


# --- reading a stamp: from either place, damaged, disagreeing --------------------------------------------


def _drop_properties(book) -> None:
    book.custom_doc_props = CustomPropertyList()


def _drop_sheet(book) -> None:
    del book[STAMP_SHEET]


def test_either_place_alone_is_enough(blank):
    """Some office suites drop custom properties; a unit may delete the hidden sheet."""
    only_sheet = read_return(edited(blank, _drop_properties, "only-sheet.xlsx"))
    only_properties = read_return(edited(blank, _drop_sheet, "only-properties.xlsx"))
    original = read_return(blank).stamp
    assert only_sheet.stamp == only_properties.stamp == original
    assert only_sheet.readable and only_properties.readable


def test_without_either_there_is_no_stamp(blank):
    def drop_both(book):
        _drop_properties(book)
        _drop_sheet(book)

    result = read_return(edited(blank, drop_both, "none.xlsx"))
    assert result.stamp is None and [f.code for f in result.findings] == [Code.R_NO_STAMP]


def test_a_sheet_stamp_changed_to_another_unit_disagrees_with_the_properties(blank):
    def other_unit(book):
        sheet = book[STAMP_SHEET]
        row = next(r for r in sheet.iter_rows() if r[0].value == "unit_code")
        row[1].value = "603002"

    result = read_return(edited(blank, other_unit, "tampered.xlsx"))
    assert not result.readable
    [finding] = result.findings
    assert finding.code is Code.R_STAMPS_DISAGREE
    assert "单位 603001" in finding.message and "单位 603002" in finding.message


def test_a_changed_unit_name_alone_is_no_disagreement(blank):
    """The stamp's identity is template, unit code, year and generation; a name may be corrected."""

    def renamed(book):
        row = next(r for r in book[STAMP_SHEET].iter_rows() if r[0].value == "unit_name")
        row[1].value = "新名称"

    result = read_return(edited(blank, renamed, "renamed.xlsx"))
    assert result.readable and result.stamp.unit_code == "603001"


def test_a_damaged_year_makes_that_stamp_unreadable_and_the_other_is_used(blank):
    def damaged(book):
        for prop in book.custom_doc_props.props:
            if prop.name == "xlsxkit.year":
                prop.value = "20250"

    result = read_return(edited(blank, damaged, "damaged.xlsx"))
    assert result.readable and result.stamp.year == 2025  # from the sheet


@pytest.mark.parametrize(
    ("change", "readable"),
    [
        ({}, True),
        ({"year": "二〇二五"}, False),
        ({"year": "12025"}, False),
        ({"year": " 2025 "}, True),
        ({"generated_at": "昨天"}, False),
        ({"template_id": None}, False),
        ({"template_version": None}, False),
        ({"template_hash": None, "form": None, "generation_id": None}, True),
    ],
)
def test_read_stamp_takes_the_rows_or_the_properties_and_refuses_damage(change, readable):
    rows = dict(expected_items(), generation_id="0123456789abcdef")
    for key, value in change.items():
        if value is None:
            del rows[key]
        else:
            rows[key] = value
    from_rows = read_stamp(rows)
    from_properties = read_stamp({PROPERTY_PREFIX + key: value for key, value in rows.items()})
    assert from_rows == from_properties
    assert (from_rows is not None) is readable
    if readable:
        assert isinstance(from_rows, Stamp) and from_rows.year == 2025 and from_rows.template_id == "tangshan"


def test_a_stamp_without_a_generation_time_reads_with_the_earliest_time():
    rows = {k: v for k, v in expected_items().items() if k != "generated_at"}
    assert read_stamp(rows).generated_at == dt.datetime.min


def test_a_stamp_lists_its_items_and_prefixed_properties_in_one_order():
    stamp = make_stamp(TEMPLATES["tangshan"], UNIT, 2025, None, FIXED_TIME)
    keys = [key for key, _ in stamp.items()]
    assert set(keys) == {*expected_items(), "generation_id"} and len(keys) == 10
    assert [key for key, _ in stamp.properties()] == [PROPERTY_PREFIX + key for key in keys]
    assert read_stamp(dict(stamp.properties())) == stamp
