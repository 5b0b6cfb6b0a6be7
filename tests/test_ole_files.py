"""OLE2 compound files (.xls, .doc, .ppt, an encrypted .xlsx) as the guard tells them apart:
their directory read by olefile, and any file olefile cannot read — cut, damaged, hostile —
passed on to calamine as an .xls, as every OLE2 file not known to be something else is."""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import bad_files
from xlsxkit.form.errors import Code, ReturnFileError
from xlsxkit.read import ole_directory
from xlsxkit.read.ole_directory import MAX_OLE2_ENTRIES, ole2_entry_names
from xlsxkit.read.reader import read_return
from xlsxkit.read.safe_open import inspect_file

MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
NOSTREAM, ENDOFCHAIN, FATSECT, FREESECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
STREAM, STORAGE, ROOT = 2, 1, 5

Entry = tuple[str, int, int, int, int]  # name, type, left sibling, right sibling, child (NOSTREAM: none)


def directory_only(entries: list[Entry], sector_size: int = 512) -> bytes:
    """A compound file of nothing but a directory (every stream empty), its entries linked as
    given — entry 0 is the root — in CFB version 3 (512-byte sectors) or 4 (4096).

    Layout: header | FAT sectors | directory sectors."""
    per_sector = sector_size // 4
    directory = b"".join(
        (name.encode("utf-16-le") + b"\0\0").ljust(64, b"\0")
        + struct.pack("<HBB", len(name.encode("utf-16-le")) + 2, kind, 1)
        + struct.pack("<III", left, right, child)
        + bytes(36)
        + struct.pack("<IQ", ENDOFCHAIN, 0)
        for name, kind, left, right, child in entries
    )
    dir_sectors = -(-len(directory) // sector_size)
    fat_sectors = 1
    while fat_sectors * per_sector < fat_sectors + dir_sectors:
        fat_sectors += 1
    assert fat_sectors <= 109, "no DIFAT sectors here"
    fat = [FATSECT] * fat_sectors + [
        fat_sectors + i + 1 if i + 1 < dir_sectors else ENDOFCHAIN for i in range(dir_sectors)
    ]
    fat += [FREESECT] * (fat_sectors * per_sector - len(fat))
    version, shift = (3, 9) if sector_size == 512 else (4, 12)
    header = (
        MAGIC
        + bytes(16)
        + struct.pack("<HHHHH", 0x003E, version, 0xFFFE, shift, 6)
        + bytes(6)
        + struct.pack(
            "<IIIIIIIII",
            dir_sectors if version == 4 else 0,
            fat_sectors,
            fat_sectors,  # the directory starts after the FAT
            0,
            4096,
            ENDOFCHAIN,
            0,
            ENDOFCHAIN,
            0,
        )
        + struct.pack("<109I", *range(fat_sectors), *[FREESECT] * (109 - fat_sectors))
    )
    return (
        header.ljust(sector_size, b"\0")
        + struct.pack(f"<{len(fat)}I", *fat)
        + directory.ljust(dir_sectors * sector_size, b"\0")
    )


def root_with(names: list[str]) -> list[Entry]:
    """The root and its streams, each the right sibling of the one before (a chain, as the
    compound-file fixture makes them)."""
    entries: list[Entry] = [("Root Entry", ROOT, NOSTREAM, NOSTREAM, 1 if names else NOSTREAM)]
    for index, name in enumerate(names, start=1):
        entries.append((name, STREAM, NOSTREAM, index + 1 if index < len(names) else NOSTREAM, NOSTREAM))
    return entries


def balanced(count: int) -> list[Entry]:
    """The root and `count` streams in a balanced tree (entry i's siblings are 2i and 2i + 1)."""
    entries: list[Entry] = [("Root Entry", ROOT, NOSTREAM, NOSTREAM, 1)]
    for i in range(1, count + 1):
        left = 2 * i if 2 * i <= count else NOSTREAM
        right = 2 * i + 1 if 2 * i + 1 <= count else NOSTREAM
        entries.append((f"s{i:06d}", STREAM, left, right, NOSTREAM))
    return entries


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# --- what the directory holds ------------------------------------------------------------------


def test_the_streams_of_an_xls(tmp_path):
    data = bad_files.legacy_xls(tmp_path, ".xls").read_bytes()
    assert ole2_entry_names(data) == {"Workbook", "\x05SummaryInformation"}


def test_the_streams_of_an_encrypted_workbook(tmp_path):
    assert ole2_entry_names(bad_files.encrypted(tmp_path).read_bytes()) == {"EncryptionInfo", "EncryptedPackage"}


def test_a_compound_file_with_no_streams_has_no_names():
    assert ole2_entry_names(bad_files.compound_file({})) == frozenset()


def test_a_name_inside_a_stream_is_no_entry():
    text = "WordDocument".encode("utf-16-le") + b"\0\0"
    assert ole2_entry_names(bad_files.compound_file({"Workbook": text * 200})) == {"Workbook"}


@pytest.mark.parametrize("sector_size", [512, 4096])
def test_either_sector_size_is_read(sector_size):
    data = directory_only(root_with(["Workbook", "EncryptionInfo"]), sector_size)
    assert ole2_entry_names(data) == {"Workbook", "EncryptionInfo"}


def test_an_entry_inside_a_storage_is_not_the_files_own():
    """An .xls with an embedded Word document holds "WordDocument" inside a storage: the file is
    still a workbook, so only the root's entries say what the file is."""
    entries: list[Entry] = [
        ("Root Entry", ROOT, NOSTREAM, NOSTREAM, 1),
        ("Workbook", STREAM, NOSTREAM, 2, NOSTREAM),
        ("MBD0001", STORAGE, NOSTREAM, NOSTREAM, 3),
        ("WordDocument", STREAM, NOSTREAM, NOSTREAM, NOSTREAM),
    ]
    assert ole2_entry_names(directory_only(entries)) == {"Workbook", "MBD0001"}


# --- what the guard makes of them ---------------------------------------------------------------


def test_a_powerpoint_file_is_not_a_workbook(tmp_path):
    path = write(tmp_path, "slides.xlsx", bad_files.compound_file({"PowerPoint Document": b"\x0f\x00"}))
    with pytest.raises(ReturnFileError) as caught:
        inspect_file(path)
    assert caught.value.finding.code is Code.F_NOT_XLSX and "PowerPoint" in caught.value.finding.message


@pytest.mark.parametrize("sector_size", [512, 4096])
def test_an_encrypted_workbook_in_either_sector_size(tmp_path, sector_size):
    path = write(
        tmp_path, "locked.xlsx", directory_only(root_with(["EncryptionInfo", "EncryptedPackage"]), sector_size)
    )
    with pytest.raises(ReturnFileError) as caught:
        inspect_file(path)
    assert caught.value.finding.code is Code.F_ENCRYPTED


def test_an_encrypted_workbook_cut_after_its_directory_is_still_encrypted(tmp_path):
    data = bad_files.encrypted(tmp_path).read_bytes()
    cut = write(tmp_path, "cut.xlsx", data[:2048])  # header, FAT and directory; the streams gone
    with pytest.raises(ReturnFileError) as caught:
        inspect_file(cut)
    assert caught.value.finding.code is Code.F_ENCRYPTED


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:1024],  # cut inside the directory
        lambda data: data[:600],  # cut inside the FAT
        lambda _: MAGIC + bytes(100),  # nothing but the signature
        lambda data: data[:48] + struct.pack("<I", 10**6) + data[52:],  # the directory far past the end
        lambda data: data[:30] + struct.pack("<H", 40) + data[32:],  # sectors of 2**40 bytes
    ],
    ids=["cut-directory", "cut-fat", "signature-only", "directory-past-end", "sector-shift"],
)
def test_an_ole2_file_olefile_cannot_read_goes_to_calamine_as_before(tmp_path, damage):
    """olefile raises on it; the guard lets it pass as an .xls (as it let every OLE2 file whose
    directory named nothing else), and calamine's failure to read it is F_LEGACY_FORMAT."""
    data = damage(bad_files.legacy_xls(tmp_path, ".xls").read_bytes())
    assert ole2_entry_names(data) is None
    path = write(tmp_path, "damaged.xls", data)
    facts = inspect_file(path)
    assert facts.format == "xls" and [note.code for note in facts.notes] == [Code.F_OTHER_FORMAT]
    result = read_return(path)
    assert not result.readable
    assert [finding.code for finding in result.findings] == [Code.F_OTHER_FORMAT, Code.F_LEGACY_FORMAT]


def test_short_bytes_are_never_taken_for_a_file_name(tmp_path, monkeypatch):
    """olefile opens bytes shorter than 1536 as a path; the guard hands it a stream instead."""
    name = MAGIC + b"x"
    (tmp_path / os.fsdecode(name)).write_bytes(bad_files.legacy_xls(tmp_path, ".xls").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert ole2_entry_names(name) is None


# --- hostile directories -----------------------------------------------------------------------


def test_a_chain_deeper_than_the_recursion_limit_is_unreadable_not_a_crash(tmp_path):
    names = [f"s{i:05d}" for i in range(sys.getrecursionlimit() + 100)]
    data = directory_only(root_with(names))
    assert ole2_entry_names(data) is None
    assert inspect_file(write(tmp_path, "deep.xls", data)).format == "xls"


def test_a_sibling_loop_ends(tmp_path):
    entries = root_with(["Workbook", "Other"])
    name, kind, left, _, child = entries[2]
    entries[2] = (name, kind, left, 1, child)  # back to the first
    assert ole2_entry_names(directory_only(entries)) == {"Workbook", "Other"}


def test_entries_up_to_the_limit_are_read():
    data = directory_only(balanced(MAX_OLE2_ENTRIES - 1))  # and the root
    names = ole2_entry_names(data)
    assert names is not None and len(names) == MAX_OLE2_ENTRIES - 1


def test_more_entries_than_the_limit_are_not_loaded(monkeypatch):
    monkeypatch.setattr(ole_directory, "MAX_OLE2_ENTRIES", 100)
    assert ole2_entry_names(directory_only(balanced(99))) is not None
    assert ole2_entry_names(directory_only(balanced(100))) is None


def test_a_directory_of_a_hundred_thousand_entries_is_refused():
    data = directory_only(balanced(25 * MAX_OLE2_ENTRIES), sector_size=4096)  # 100,000 entries, 12.5 MiB
    assert ole2_entry_names(data) is None


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damaged_compound_files_give_facts_or_a_finding(tmp_path_factory, data):
    """Flip bytes in the header, the FAT or the directory, or cut the file: inspect_file
    returns facts or raises ReturnFileError, nothing else."""
    folder = tmp_path_factory.mktemp("ole")
    blob = bytearray(
        data.draw(
            st.sampled_from(
                [
                    bad_files.compound_file({"Workbook": b"\x09\x08", "\x05SummaryInformation": bytes(64)}),
                    bad_files.compound_file({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": bytes(64)}),
                    directory_only(balanced(40)),
                ]
            )
        )
    )
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(8, min(len(blob), 2048) - 1))  # past the signature
        blob[at] = data.draw(st.integers(0, 255))
    blob = blob[: data.draw(st.integers(8, len(blob)))]
    try:
        facts = inspect_file(write(folder, "fuzzed.xls", bytes(blob)))
    except ReturnFileError as error:
        assert error.finding.code in (Code.F_ENCRYPTED, Code.F_NOT_XLSX)
    else:
        assert facts.format == "xls"
