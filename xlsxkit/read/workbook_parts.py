"""A workbook's own small XML parts, as the guard (safe_open) and the readers after it read them:
parsed safely, which part holds each sheet, the date system, the custom document properties.
Whatever is wrong with them is a ReturnFileError carrying its catalogued Finding."""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as FastET
import zipfile
from typing import NoReturn
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from xlsxkit.form.errors import Code, Finding, ReturnFileError

__all__ = [
    "MAIN_NS",
    "WORKBOOK",
    "WORKBOOK_RELS",
    "custom_properties",
    "date1904",
    "parse_part",
    "sheet_parts",
    "sheet_parts_of",
]

WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
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


def sheet_parts_of(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in a workbook that has passed the guard ({} without a workbook part
    or its relationships)."""
    names = set(archive.namelist())
    if WORKBOOK not in names or WORKBOOK_RELS not in names:
        return {}
    workbook = parse_part(WORKBOOK, archive.read(WORKBOOK))
    return sheet_parts(workbook, parse_part(WORKBOOK_RELS, archive.read(WORKBOOK_RELS)))


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
        part = targets.get(sheet.get(RELATIONSHIP_ID), "")
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
