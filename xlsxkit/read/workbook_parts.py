"""A workbook's own small XML parts, as the guard (safe_open) and the readers after it read them:
parsed safely, which part holds each sheet, the date system, the custom document properties.
Whatever is wrong with them is a ReturnFileError carrying its catalogued Finding."""

from __future__ import annotations

import functools
import posixpath
import xml.etree.ElementTree as FastET
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from typing import NoReturn
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from xlsxkit.form.errors import Code, Finding, ReturnFileError

__all__ = [
    "MAIN_NS",
    "STRICT_MAIN",
    "WORKBOOK",
    "WORKBOOK_RELS",
    "WorkbookFacts",
    "custom_properties",
    "date1904",
    "parse_part",
    "parts_as_entries",
    "sheet_parts",
    "sheet_parts_in",
    "sheet_parts_of",
    "workbook_facts",
]

WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _fail(code: Code, **details: object) -> NoReturn:
    raise ReturnFileError(Finding(code, details=details))


def parse_part(name: str, data: bytes) -> Element:
    """A small part we read ourselves. It has passed the DTD/entity scan while inflating, and
    without a DTD expat defines no entity, so the C parser is safe here — and five times
    faster than defusedxml's Python-level one. A part in another encoding (UTF-16: the scan
    matched its spelling of the markers too) still goes through defusedxml."""
    try:
        if data[:1] == b"<" or data[:3] == b"\xef\xbb\xbf":
            return FastET.fromstring(data)  # noqa: S314 (scanned for DTDs and entities while inflating)
        return SafeET.fromstring(data)
    except DefusedXmlException:
        _fail(Code.F_XML_ENTITY, part=name)
    except (ParseError, ValueError) as error:
        _fail(Code.F_BROKEN, detail=f"{name} 不是有效的 XML（{error}）")


def date1904(workbook: Element) -> bool:
    """Whether the workbook counts its dates from 1904 (<workbookPr date1904="1"/>, or "true")."""
    namespace = workbook.tag[: workbook.tag.index("}") + 1] if workbook.tag.startswith("{") else ""
    properties = workbook.find(f"{namespace}workbookPr")
    if properties is None:
        return False
    return properties.get("date1904", "").strip().lower() in ("1", "true")


@dataclass(frozen=True)
class WorkbookFacts:
    """What the guard takes from xl/workbook.xml."""

    strict: bool  # a Strict OOXML workbook (its main namespace is ISO's, not the transitional one)
    date1904: bool


# The returns of one template share their workbook part and its relationships (the sheets, their
# names and parts), while each parse costs 30–60 µs: each distinct pair of parts is parsed once.
# Only what is read from them is kept, never the parsed elements; a part that cannot be read is
# parsed (and refused) again each time.
@functools.lru_cache(maxsize=64)
def workbook_facts(workbook: bytes) -> WorkbookFacts:
    """Whether the workbook part is Strict OOXML, and its date system."""
    root = parse_part(WORKBOOK, workbook)
    return WorkbookFacts(strict=root.tag.startswith("{" + STRICT_MAIN + "}"), date1904=date1904(root))


def sheet_parts_in(workbook: bytes, relationships: bytes) -> dict[str, str]:
    """Sheet name → its part, from the workbook part and its relationships (`sheet_parts`)."""
    return dict(_sheet_parts_in(workbook, relationships))


@functools.lru_cache(maxsize=64)
def _sheet_parts_in(workbook: bytes, relationships: bytes) -> tuple[tuple[str, str], ...]:
    return tuple(sheet_parts(parse_part(WORKBOOK, workbook), parse_part(WORKBOOK_RELS, relationships)).items())


def sheet_parts_of(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in a workbook that has passed the guard ({} without a workbook part
    or its relationships)."""
    names = set(archive.namelist())
    if WORKBOOK not in names or WORKBOOK_RELS not in names:
        return {}
    return sheet_parts_in(archive.read(WORKBOOK), archive.read(WORKBOOK_RELS))


def parts_as_entries(parts: dict[str, str], names: Collection[str]) -> dict[str, str]:
    """Sheet name → part, each part named as its entry in `names` is: a relationship may name it
    in other letter case, and calamine still finds it (entries differing in case alone are refused)."""
    if all(part in names for part in parts.values()):
        return parts
    entries = {name.casefold(): name for name in names}
    return {name: entries.get(part.casefold(), part) for name, part in parts.items()}


def sheet_parts(workbook: Element, relationships: Element) -> dict[str, str]:
    """Sheet name → its part, following workbook.xml.rels ("" where no relationship leads)."""
    targets = {}
    for relationship in relationships:
        target = relationship.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
        targets[relationship.get("Id")] = part
    parts: dict[str, str] = {}
    for sheet in workbook.iter(f"{{{MAIN_NS}}}sheet"):
        name = sheet.get("name")
        if name is None:
            continue
        part = targets.get(sheet.get(RELATIONSHIP_ID, sheet.get("id")), "")  # calamine takes either
        if name.casefold() in (known.casefold() for known in parts):  # readers disagree on which one counts
            _fail(Code.F_BROKEN, detail=f"工作簿中有两张名为「{name}」的工作表")
        if part and part in parts.values():
            _fail(Code.F_BROKEN, detail=f"工作表「{name}」与另一张工作表指向同一部分 {part}")
        parts[name] = part
    return parts


def custom_properties(root: Element) -> dict[str, str]:
    """name → the text of the value element (vt:lpwstr, vt:i4, vt:bool, vt:filetime …)."""
    properties: dict[str, str] = {}
    for element in root:
        name = element.get("name")
        if element.tag.rpartition("}")[2] != "property" or name is None:
            continue
        value = next(iter(element), None)
        properties[name] = "".join(value.itertext()) if value is not None else ""
    return properties
