"""Inspecting a return file before any reader touches it: every bad file gets its catalogued code."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl.xml
import pytest
import python_calamine
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import bad_files
from tests.helpers import ROOT
from xlsxkit.form.errors import Code, Finding, ReturnFileError, Severity
from xlsxkit.read import part_scans, safe_open
from xlsxkit.read.part_scans import NEAR
from xlsxkit.read.reader import read_return
from xlsxkit.read.safe_open import FileFacts, ZipLimits, inspect_file


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("returns")


@pytest.fixture(scope="module")
def good(folder) -> Path:
    return bad_files.good_workbook(folder)


def rejected(path: Path, code: Code, limits: ZipLimits | None = None) -> Finding:
    """The finding inspect_file raises for `path`, checked to be `code` about the whole file and
    fully written out (no placeholder left unfilled)."""
    with pytest.raises(ReturnFileError) as caught:
        inspect_file(path, limits=limits or ZipLimits())
    finding = caught.value.finding
    assert finding.code is code, str(finding)
    assert finding.sheet is None and finding.cell is None
    assert str(finding) == f"[{code.code}] {finding.message} —— {finding.fix}" == str(caught.value)
    assert "{" not in str(finding) and "}" not in str(finding)
    return finding


# --- a good workbook -----------------------------------------------------------------------------


def test_a_generated_workbook_passes_with_its_stamp(good):
    facts = inspect_file(good)
    data = good.read_bytes()
    assert isinstance(facts, FileFacts)
    assert facts.path == good
    assert facts.size == len(data) and facts.sha256 == hashlib.sha256(data).hexdigest()
    assert not facts.macros and not facts.date1904 and facts.notes == ()
    assert facts.custom_properties["xlsxkit.template_id"] == "tangshan"
    assert facts.custom_properties["xlsxkit.unit_code"] == "603001"
    assert facts.custom_properties["xlsxkit.year"] == "2026"


def test_a_path_may_be_given_as_text(good):
    assert inspect_file(str(good)).path == good


def test_date1904_is_read_from_a_workbook_saved_that_way(folder):
    for flag in (True, False):
        path = folder / f"xlsxwriter-1904-{flag}.xlsx"
        with xlsxwriter.Workbook(path, {"date_1904": flag}) as book:
            book.add_worksheet().write_number(0, 0, 1)
        facts = inspect_file(path)
        assert facts.date1904 is flag
        assert facts.custom_properties == {}  # no docProps/custom.xml


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("true", True), ("0", False), ("false", False), (None, False)]
)
def test_date1904_values(folder, good, value, expected):
    assert inspect_file(bad_files.date1904_variant(folder, good, value)).date1904 is expected


def test_what_is_read_from_a_workbook_part_is_its_own_and_an_unreadable_one_is_refused_each_time(folder, good):
    """The workbook part and its relationships are parsed once for each distinct pair (the
    returns of one template share theirs): another part gives its own facts, and a part that
    cannot be read is refused every time it is met."""
    assert inspect_file(good).date1904 is False
    assert inspect_file(bad_files.date1904_variant(folder, good, "1")).date1904 is True
    assert inspect_file(good).date1904 is False
    broken = bad_files.rewrite(good, folder / "broken-workbook.xml.xlsx", {"xl/workbook.xml": lambda d: d[:-20]})
    for _ in range(2):
        assert "不是有效的 XML" in rejected(broken, Code.F_BROKEN).message
    renamed = bad_files.rewrite(
        good,
        folder / "renamed-sheet.xlsx",
        {"xl/workbook.xml": lambda d: d.replace("项目1".encode(), "第一个项目".encode())},
    )
    assert "第一个项目" in inspect_file(renamed).extents and "项目1" in inspect_file(good).extents


def test_macros_are_a_note_not_a_rejection(folder, good):
    facts = inspect_file(bad_files.xlsm(folder, good))
    assert facts.macros
    assert [note.code for note in facts.notes] == [Code.F_MACROS]
    assert facts.notes[0].severity is Severity.info and "宏" in facts.notes[0].message
    assert facts.custom_properties["xlsxkit.template_id"] == "tangshan"


# --- sheet extents: what calamine would allocate ---------------------------------------------------


def test_extents_bound_what_calamine_sees(good):
    """A sheet whose cells all lie within Z999 (every form) is bounded by NEAR without measuring
    each cell; the bound covers what calamine reads."""
    book = python_calamine.CalamineWorkbook.from_path(str(good))
    seen = {
        name: (book.get_sheet_by_name(name).height, book.get_sheet_by_name(name).width) for name in book.sheet_names
    }
    extents = inspect_file(good).extents
    assert extents.keys() == seen.keys()
    assert all(extents[name] == NEAR and seen[name][0] <= NEAR[0] and seen[name][1] <= NEAR[1] for name in seen)
    assert seen["项目1"] == (15, 7)


def test_a_far_cell_counts_only_when_it_holds_something(folder):
    path = folder / "far.xlsx"
    with xlsxwriter.Workbook(path) as book:
        formatted = book.add_worksheet("formatted")
        formatted.write("A1", "x")
        formatted.write_blank("Z5000", None, book.add_format({"bold": True}))  # <c r="Z5000" s="1"/>
        filled = book.add_worksheet("filled")
        filled.write("A1", "x")
        filled.write("Z5000", "far")
    assert inspect_file(path).extents == {"formatted": (1, 1), "filled": (5000, 26)}
    calamine = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("formatted")
    assert (calamine.height, calamine.width) == (1, 1)


def test_a_cell_reference_is_found_whatever_its_spelling(folder, good):
    """Attribute order, single quotes, spaces around "=": the far cell still counts."""

    def far_cell(data: bytes) -> bytes:
        return data.replace(
            b"</sheetData>", b'<row r="1048576"><c t="n" r = \'XFD1048576\'><v>1</v></c></row></sheetData>'
        )

    path = bad_files.rewrite(good, folder / "far-spelling.xlsx", {"xl/worksheets/sheet2.xml": far_cell})
    assert inspect_file(path).extents["项目1"] == (1048576, 16384)


# Rows calamine reads, written as other writers (or a hostile hand) write them: references in
# lower case, not first among the attributes, prefixed tags, cells without a reference (placed
# after the cell before them), rows without a number. The guard's extent must cover calamine's.
ODD_ROWS = {
    "lower case": b'<row r="40"><c r="ab40"><v>1</v></c></row>',
    "reference not first": b'<row r="41"><c s="0" r="AC41"><v>1</v></c></row>',
    "prefixed cells": b'<row r="42"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' r="AD42"><x:v>1</x:v></x:c></row>',
    "cells without a reference": b'<row r="43">' + b"<c><v>1</v></c>" * 31 + b"</row>",
    "a far row of cells without a reference": b'<row r="1200"><c><v>1</v></c><c><v>2</v></c></row>',
    "rows without a number": b'<row r="998"><c r="A998"><v>1</v></c></row>' + b"<row><c><v>1</v></c></row>" * 3,
    "formatting only after cells without a reference": b'<row r="44"><c><v>1</v></c>' + b"<c/>" * 40 + b"</row>",
    "a '>' in an attribute's value": b'<row r="45"><c x="a>b" r="AE45"><v>1</v></c></row>',
}


@pytest.mark.parametrize("spelling", ODD_ROWS)
def test_the_extent_covers_what_calamine_reads_however_cells_are_written(folder, good, spelling):
    path = bad_files.rewrite(
        good,
        folder / f"odd-{spelling}.xlsx",
        {"xl/worksheets/sheet2.xml": lambda d: d.replace(b"</sheetData>", ODD_ROWS[spelling] + b"</sheetData>")},
    )
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("项目1")
    rows, cols = inspect_file(path).extents["项目1"]
    assert (sheet.height, sheet.width) > (15, 7) or spelling.startswith("formatting")  # the row did count
    assert rows >= sheet.height and cols >= sheet.width


@pytest.mark.parametrize(
    "row",
    [
        b'<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>',
        b'<row r="1048576">' + b"<c/>" * 16383 + b"<c><v>1</v></c></row>",
        b'<row r="5"><c r="B123456789"><v>1</v></c></row>',
        b'<row r="5"><c r="ZZZZ5"><v>1</v></c></row>',
        b'<row r="1048576"><c x="a>b" r="XFD1048576"><v>1</v></c></row>',
        b'<row r="1048576"><c x=" r=\'A1\'" r="XFD1048576"><v>1</v></c></row>',
    ],
    ids=[
        "lower case",
        "without references",
        "a nine-digit row",
        "a four-letter column",
        "a '>' in another attribute",
        "a reference-like value before the reference",
    ],
)
def test_a_cell_calamine_would_place_out_of_reach_is_measured_so(folder, good, row):
    """Each of these made calamine allocate the whole sheet and the process die (the guard had
    measured them within Z999): the extent must be past the cell budget."""
    path = bad_files.rewrite(
        good,
        folder / "far-odd.xlsx",
        {"xl/worksheets/sheet2.xml": lambda d: d.replace(b"</sheetData>", row + b"</sheetData>")},
    )
    rows, cols = inspect_file(path).extents["项目1"]
    assert rows * cols > 6_000_000


def test_a_cell_split_between_chunks_counts(folder, good):
    def far_cell(data: bytes) -> bytes:
        head, tail = data.split(b"</sheetData>")
        padding = bad_files.CHUNK - 6 - len(head) - len('<!----><row r="999">')  # the cell starts 6 bytes short of it
        return head + b"<!--" + b" " * padding + b'--><row r="999"><c r="AB999"><v>1</v></c></row></sheetData>' + tail

    path = bad_files.rewrite(
        good, folder / "far-straddle.xlsx", {"xl/worksheets/sheet2.xml": far_cell}, stored=["xl/worksheets/sheet2.xml"]
    )
    data = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml")
    assert data.index(b'<c r="AB999">') < bad_files.CHUNK < data.index(b'<c r="AB999">') + 13
    assert inspect_file(path).extents["项目1"] == (999, 28)


def test_a_sheet_is_found_through_an_absolute_relationship_target(folder, good):
    def absolute(data: bytes) -> bytes:
        return data.replace(b'Target="worksheets/sheet2.xml"', b'Target="/xl/worksheets/sheet2.xml"')

    path = bad_files.rewrite(good, folder / "absolute-target.xlsx", {"xl/_rels/workbook.xml.rels": absolute})
    assert inspect_file(path).extents == inspect_file(good).extents


FAR_ROW = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'


def far(data: bytes) -> bytes:
    return data.replace(b"</sheetData>", FAR_ROW)


def test_a_sheet_is_measured_where_its_relationship_names_the_part_in_other_letter_case(folder, good):
    """calamine finds xl/worksheets/sheet2.xml from "Worksheets/Sheet2.xml": so must the guard."""

    def other_case(data: bytes) -> bytes:
        return data.replace(b'Target="worksheets/sheet2.xml"', b'Target="Worksheets/Sheet2.xml"')

    path = bad_files.rewrite(
        good, folder / "target-case.xlsx", {"xl/_rels/workbook.xml.rels": other_case, "xl/worksheets/sheet2.xml": far}
    )
    assert inspect_file(path).extents["项目1"] == (1048576, 16384)


def test_two_entries_differing_only_in_letter_case_are_refused(folder, good):
    """The guard would measure one and calamine (ignoring case) might read the other."""
    sheet = zipfile.ZipFile(good).read("xl/worksheets/sheet2.xml")
    path = bad_files.rewrite(good, folder / "entry-case.xlsx", add=[("xl/worksheets/SHEET2.xml", far(sheet))])
    assert "同名条目" in rejected(path, Code.F_BROKEN).message


def test_a_sheet_naming_its_relationship_without_the_namespace_is_measured(folder, good):
    """<sheet id="rId2"> for <sheet r:id="rId2">: calamine takes either."""

    def plain_id(data: bytes) -> bytes:
        return data.replace(b'sheetId="2" r:id="rId2"', b'sheetId="2" id="rId2"')

    path = bad_files.rewrite(
        good, folder / "plain-id.xlsx", {"xl/workbook.xml": plain_id, "xl/worksheets/sheet2.xml": far}
    )
    assert b'id="rId2"' in zipfile.ZipFile(path).read("xl/workbook.xml")
    assert inspect_file(path).extents["项目1"] == (1048576, 16384)


def test_a_part_of_any_name_starting_with_white_space_is_scanned_as_xml(folder, good):
    def whitespace_then_dtd(data: bytes) -> bytes:
        return b" " * 100 + b'<!DOCTYPE worksheet [<!ENTITY e "x">]>' + data.split(b"?>", 1)[1]

    def renamed(data: bytes) -> bytes:
        return data.replace(b'Target="worksheets/sheet2.xml"', b'Target="worksheets/sheet2.dat"')

    sheet = zipfile.ZipFile(good).read("xl/worksheets/sheet2.xml")
    path = bad_files.rewrite(
        good,
        folder / "white-space-first.xlsx",
        {"xl/_rels/workbook.xml.rels": renamed},
        drop=["xl/worksheets/sheet2.xml"],
        add=[("xl/worksheets/sheet2.dat", whitespace_then_dtd(sheet))],
    )
    assert rejected(path, Code.F_XML_ENTITY).code is Code.F_XML_ENTITY


def test_a_sheet_the_guard_could_not_measure_is_never_read_whole(folder, good):
    """A sheet part in UTF-16 is no XML the guard scans for cells: it is left out of the extents
    (once taken as empty, so calamine was asked for every cell it reached) and read in a window."""

    def utf16(data: bytes) -> bytes:
        text = far(data).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
        return b"\xff\xfe" + text.encode("utf-16-le")

    path = bad_files.rewrite(good, folder / "utf16-sheet.xlsx", {"xl/worksheets/sheet2.xml": utf16})
    facts = inspect_file(path)
    assert "项目1" not in facts.extents and "项目2" in facts.extents
    result = read_return(path)  # in this process: were it read whole, calamine would abort it
    assert result.readable and "项目1" in {finding.sheet for finding in result.findings}


def test_an_empty_part_deflated_is_no_damage(folder, good):
    """zipfile (and Java) deflate an empty part into two bytes that inflate to nothing."""
    path = bad_files.rewrite(good, folder / "empty-deflated.xlsx", add=[("customXml/item1.xml", b"")])
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("customXml/item1.xml").compress_size == 2
    assert read_return(path).readable


def test_a_sheet_led_to_one_of_the_workbooks_own_parts_is_still_measured(folder, good):
    """The workbook's own parts are inflated first and not looked at for cells while inflating;
    a relationship leading a sheet to one of them (here the custom properties) has that part
    measured as a sheet all the same."""
    sheet = zipfile.ZipFile(good).read("xl/worksheets/sheet2.xml")
    far = sheet.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')

    def to_custom(data: bytes) -> bytes:
        return data.replace(b'Target="worksheets/sheet2.xml"', b'Target="/docProps/custom.xml"')

    path = bad_files.rewrite(
        good,
        folder / "sheet-in-own-part.xlsx",
        {"xl/_rels/workbook.xml.rels": to_custom, "docProps/custom.xml": lambda _: far},
    )
    assert inspect_file(path).extents["项目1"] == (1048576, 16384)


# --- files that are not there, empty, or lock files ------------------------------------------------


def test_a_missing_file_is_unreadable(folder):
    finding = rejected(folder / "nowhere.xlsx", Code.F_UNREADABLE)
    assert "文件不存在" in finding.message


def test_a_folder_is_unreadable(folder):
    (folder / "a-folder.xlsx").mkdir()
    assert "文件夹" in rejected(folder / "a-folder.xlsx", Code.F_UNREADABLE).message


def test_an_empty_file(folder):
    (folder / "empty.xlsx").write_bytes(b"")
    assert "0 字节" in rejected(folder / "empty.xlsx", Code.F_EMPTY).message


def test_a_lock_file_is_skipped_as_a_note(folder):
    path = bad_files.lock_file(folder)
    assert path.name.startswith("~$") and path.stat().st_size == 165
    finding = rejected(path, Code.F_LOCK_FILE)
    assert finding.severity is Severity.info and "锁文件" in finding.message


def test_a_lock_file_is_known_by_its_name_alone(folder):
    """Empty, or gone by the time it is inspected (Excel closed): still a lock file, not an error."""
    (folder / "~$empty.xlsx").write_bytes(b"")
    rejected(folder / "~$empty.xlsx", Code.F_LOCK_FILE)
    rejected(folder / "~$gone.xlsx", Code.F_LOCK_FILE)
    rejected(folder / ".~lock.603001.xlsx#", Code.F_LOCK_FILE)  # LibreOffice's


# --- not a ZIP ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("pdf", "PDF"),
        ("html", "网页"),
        ("csv", "文本文件"),
        ("png", "图片"),
        ("xml2003", "2003 XML"),
        ("zeros", "全是 0"),
    ],
)
def test_not_a_zip_says_what_it_looks_like(folder, kind, says):
    finding = rejected(bad_files.not_a_zip(folder, kind), Code.F_NOT_XLSX)
    assert says in finding.message and "另存为" in finding.fix


def test_unknown_bytes_are_not_a_zip(folder):
    (folder / "noise.xlsx").write_bytes(bytes(range(256)) * 4)
    assert "文件头不是 ZIP" in rejected(folder / "noise.xlsx", Code.F_NOT_XLSX).message


@pytest.mark.parametrize("suffix", [".xls", ".xlsx", ""])
def test_an_xls_whatever_its_name_is_passed_to_be_read_with_a_warning(folder, suffix):
    facts = inspect_file(bad_files.legacy_xls(folder, suffix=suffix))
    assert facts.format == "xls"
    assert [(n.code, n.severity) for n in facts.notes] == [(Code.F_OTHER_FORMAT, Severity.warning)]
    assert "Excel 97-2003 工作簿（.xls）" in facts.notes[0].message and ".xlsx" in facts.notes[0].fix


def test_an_xls_calamine_cannot_read_is_a_legacy_format_finding(folder):
    path = folder / "no-workbook-stream.xls"
    path.write_bytes(bad_files.compound_file({"Workbook": b"\xff" * 64}))
    result = read_return(path)
    assert not result.readable
    assert [f.code for f in result.findings] == [Code.F_OTHER_FORMAT, Code.F_LEGACY_FORMAT]
    assert "无法读取" in result.findings[1].message


def test_an_ods_is_passed_to_be_read_with_a_warning(folder):
    path = folder / "return.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<?xml version='1.0'?><office:document-content/>")
    facts = inspect_file(path)
    assert facts.format == "ods" and facts.notes[0].code is Code.F_OTHER_FORMAT


def test_the_compound_file_fixture_is_one_calamine_can_open(folder):
    """The hand-built CFB is a real compound file: calamine finds its Workbook stream."""
    path = bad_files.legacy_xls(folder, suffix=".xls")
    assert python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names == []


def test_an_encrypted_workbook(folder):
    finding = rejected(bad_files.encrypted(folder), Code.F_ENCRYPTED)
    assert "密码" in finding.message and "密码" in finding.fix


def test_encryptioninfo_inside_a_stream_is_not_a_directory_entry(folder):
    text = "EncryptionInfo".encode("utf-16-le") + b"\0\0"
    path = folder / "mentions-encryption.xls"
    path.write_bytes(bad_files.compound_file({"Workbook": text * 100}))
    assert inspect_file(path).format == "xls"


def test_an_old_word_document(folder):
    path = folder / "old-word.xlsx"
    path.write_bytes(bad_files.compound_file({"WordDocument": b"\xec\xa5"}))
    assert "Word" in rejected(path, Code.F_NOT_XLSX).message


# --- ZIPs that are not workbooks, or broken --------------------------------------------------------


def test_a_docx_is_not_a_workbook(folder):
    assert "Word" in rejected(bad_files.docx_like(folder), Code.F_NOT_XLSX).message


def test_a_plain_zip_is_not_a_workbook(folder):
    path = folder / "plain.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "xl/workbook.xml" in rejected(path, Code.F_NOT_XLSX).message


def test_a_strict_ooxml_workbook(folder, good):
    finding = rejected(bad_files.strict_ooxml(folder, good), Code.F_STRICT_OOXML)
    assert "Strict" in finding.message and "不要选 Strict" in finding.fix


def test_a_truncated_workbook_is_broken(folder, good):
    assert "截断" in rejected(bad_files.truncated(folder, good), Code.F_BROKEN).message


def test_a_workbook_with_a_wrong_crc_is_broken(folder, good):
    assert "CRC" in rejected(bad_files.bad_crc(folder, good), Code.F_BROKEN).message


def test_two_entries_of_one_name_are_broken(folder, good):
    assert "同名" in rejected(bad_files.duplicate_entry(folder, good), Code.F_BROKEN).message


def test_a_compression_method_ooxml_does_not_allow_is_broken(folder, good):
    path = bad_files.rewrite(good, folder / "bzip2.xlsx")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/media/image1.png", b"\x89PNG" * 100, compress_type=zipfile.ZIP_BZIP2)
    assert "压缩方式" in rejected(path, Code.F_BROKEN).message


def test_a_zip_version_zipfile_cannot_read_is_broken(folder, good):
    """zipfile raises NotImplementedError (not BadZipFile) for a "version needed" above 6.3."""
    data = bytearray(good.read_bytes())
    first = data.index(b"PK\x01\x02")
    data[first + 6 : first + 8] = (89).to_bytes(2, "little")
    path = folder / "version.xlsx"
    path.write_bytes(bytes(data))
    rejected(path, Code.F_BROKEN)


def test_damaged_deflate_data_is_broken(folder, good):
    data = bytearray(good.read_bytes())
    info = zipfile.ZipFile(good).getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename)
    data[start : start + 64] = b"\xff" * 64
    path = folder / "damaged.xlsx"
    path.write_bytes(bytes(data))
    rejected(path, Code.F_BROKEN)


# --- ZIP bombs -------------------------------------------------------------------------------


def test_a_high_ratio_entry_is_a_bomb(folder, good):
    finding = rejected(bad_files.zip_bomb_ratio(folder, good), Code.F_ZIP_BOMB)
    assert "压缩比" in finding.message and "xl/media/image1.png" in finding.message


def test_too_many_entries_is_a_bomb(folder, good):
    finding = rejected(bad_files.zip_bomb_entries(folder, good), Code.F_ZIP_BOMB)
    assert "2016 个条目" in finding.message and "上限 1000" in finding.message


@pytest.mark.parametrize("crc_of", ["full", "prefix"])
def test_an_entry_larger_than_its_header_says_is_a_bomb(folder, good, crc_of):
    finding = rejected(bad_files.zip_bomb_lying_header(folder, good, crc_of), Code.F_ZIP_BOMB)
    assert "xl/worksheets/sheet2.xml" in finding.message and "记录的大小" in finding.message


def test_what_zipfile_itself_does_with_a_lying_header(folder, good):
    """zipfile stops inflating at the recorded size: with the CRC of the whole data it then
    reports a bad CRC; with a CRC forged for the cut data it silently returns the cut data,
    which another reader (inflating to the stream's end) would not see. Hence our own inflation."""
    full = bad_files.zip_bomb_lying_header(folder, good, "full")
    with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
        zipfile.ZipFile(full).read("xl/worksheets/sheet2.xml")
    prefix = bad_files.zip_bomb_lying_header(folder, good, "prefix")
    assert len(zipfile.ZipFile(prefix).read("xl/worksheets/sheet2.xml")) == 1000


def test_overlapping_entries_are_a_bomb(folder, good):
    assert "重叠" in rejected(bad_files.overlapping_entries(folder, good), Code.F_ZIP_BOMB).message


# --- DTDs and entities -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"part": "xl/worksheets/sheet2.xml"},
        {"part": "xl/_rels/workbook.xml.rels"},
        {"utf16": True},
        {"straddle": True},
    ],
    ids=["sharedStrings", "sheet", "rels", "utf16", "straddling-chunks"],
)
def test_a_dtd_or_entity_declaration_is_refused(folder, good, options):
    finding = rejected(bad_files.xml_entity(folder, good, **options), Code.F_XML_ENTITY)
    assert options.get("part", "xl/sharedStrings.xml") in finding.message


def test_an_xml_part_under_another_name_is_scanned_too(folder, good):
    """A relationship may point a sheet at any name; a part that starts like XML is scanned."""
    path = bad_files.rewrite(
        good, folder / "entity-odd-name.xlsx", add=[("xl/worksheets/sheet9.dat", bad_files.billion_laughs().encode())]
    )
    assert "sheet9.dat" in rejected(path, Code.F_XML_ENTITY).message


@pytest.mark.parametrize("marker", [b"<!DOCTYPE", b"<!ENTITY"])
def test_a_marker_is_found_wherever_the_chunks_split_it(marker):
    data = b'<?xml version="1.0"?>' + marker + b" x>"
    for cut in range(len(data) + 1):
        scan = part_scans.MarkerScan.for_part("a.xml", data[:cut] or data)
        assert scan.found(data[:cut]) or scan.found(data[cut:]), cut


def test_binary_parts_are_not_scanned(folder, good):
    picture = b"\x89PNG\r\n\x1a\n" + b"<!ENTITY" * 10
    facts = inspect_file(bad_files.rewrite(good, folder / "picture.xlsx", add=[("xl/media/image1.png", picture)]))
    assert not facts.macros


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


def test_safe_open_refuses_to_load_without_defusedxml(monkeypatch):
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    with pytest.raises(ImportError, match="install defusedxml"):
        safe_open.require_defusedxml()


@pytest.mark.parametrize(
    "code",
    [
        "from xlsxkit.read.grid import grid_from_openpyxl; grid_from_openpyxl('x.xlsx', 'Sheet1', 1, 1)",
        "import xlsxkit.cycle.annotate",  # feedback opens the units' workbooks with openpyxl
    ],
)
def test_openpyxl_never_opens_a_file_without_defusedxml(code):
    environment = {**os.environ, "OPENPYXL_DEFUSEDXML": "False"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0 and "install defusedxml" in done.stderr


# --- limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "says"),
    [
        (ZipLimits(max_total_bytes=20_000), "总大小"),
        (ZipLimits(max_entry_bytes=5_000), "单个条目"),
        (ZipLimits(max_entries=5), "个条目"),
        (ZipLimits(max_file_bytes=10_000), "文件大小"),
    ],
)
def test_limits_are_configurable(good, limits, says):
    assert says in rejected(good, Code.F_ZIP_BOMB, limits).message


def test_default_limits_leave_room_for_a_real_return(good):
    facts = inspect_file(good, limits=ZipLimits(max_total_bytes=200_000, max_entries=50, max_file_bytes=100_000))
    assert facts.custom_properties["xlsxkit.template_id"] == "tangshan"


# --- anything at all ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_bytes_give_a_finding_never_a_crash(good, tmp_path, data):
    """Flip bytes (anywhere, or in the local headers and central directory) or cut the file:
    inspect_file returns facts or raises ReturnFileError, nothing else."""
    blob = bytearray(good.read_bytes())
    headers = [info.header_offset + i for info in zipfile.ZipFile(good).infolist() for i in range(30)]
    anywhere = st.integers(0, len(blob) - 1)
    directory = st.integers(len(blob) - 1600, len(blob) - 1)
    for _ in range(data.draw(st.integers(1, 4))):
        blob[data.draw(anywhere | directory | st.sampled_from(headers))] = data.draw(st.integers(0, 255))
    blob = blob[: data.draw(st.integers(1, len(blob)))]
    path = tmp_path / "fuzzed.xlsx"
    path.write_bytes(bytes(blob))
    try:
        inspect_file(path)
    except ReturnFileError as error:
        assert error.finding.code.code.startswith("F")


def test_two_sheets_of_one_name_are_refused_not_read_twice(folder):
    good = bad_files.good_workbook(folder)
    finding = rejected(bad_files.duplicate_sheet_name(folder, good), Code.F_BROKEN)
    assert "两张名为「项目1」的工作表" in finding.message
