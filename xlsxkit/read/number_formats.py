"""Which numbers in a return are shown as percentages.

calamine hands over a number as it is stored — 0.95 for a cell that shows "95%" — and says
nothing about its number format. This module tells which numeric cells of each sheet are
percent-formatted, so that the reader can take them as a person sees them:

- .xlsx: the styles part (xl/styles.xml, where calamine and openpyxl look) says which cell
  formats (cellXfs, by index) have a percent number format — built-in 9 "0%" and 10 "0.00%", or
  a custom code with a % that is not a literal — and each cell of a sheet names its format
  (<c r="B7" s="12"><v>0.95</v></c>);
- .ods: content.xml marks each such cell itself (office:value-type="percentage").

The sheets are read chunk by chunk while the guard (safe_open) inflates the package, so no part
is inflated twice. Cells are 0-based (row, col) from A1, as in a Grid. What cannot be told —
a part not scanned, a default cell format that is a percentage, more percent cells than
MAX_PERCENT_CELLS — is left out, and a reader takes a sheet left out as unknown.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Protocol

from xlsxkit.form.excel import column_index

__all__ = ["MAX_PERCENT_CELLS", "PartReader", "PercentCells", "is_percent_format", "percent_styles"]

BUILTIN_PERCENT = {9: "0%", 10: "0.00%"}  # ECMA-376 §18.8.30, the built-in formats with a %
MAX_PERCENT_CELLS = 100_000  # in one workbook: past this, the sheet being read is left unknown
ODS_CONTENT = "content.xml"
ROOT_WITHIN = 1024  # a part's first bytes, which name its root element
MAX_TAG = 2**16  # bytes in one tag, at most, that a reader carries from chunk to chunk

Cell = tuple[int, int]


def is_percent_format(code: str) -> bool:
    """Whether a number format code shows a number as a percentage (× 100, with a %): it has a
    % that is not a literal — not in quotes (0"%" shows 95 as "95%"), not escaped (0\\%), not
    the character after _ (a space as wide) or * (a fill), not inside [] (a colour, condition
    or locale). Any section counts (0%;[Red]-0%)."""
    at = 0
    while at < len(code):
        char = code[at]
        if char in '"[':
            end = code.find('"' if char == '"' else "]", at + 1)
            if end == -1:
                return False
            at = end + 1
        elif char in "\\_*":
            at += 2
        elif char == "%":
            return True
        else:
            at += 1
    return False


# The styles part is searched, not parsed: the two sections that matter are a small part of it
# (Excel's runs to tens of kilobytes), and a parser would build every element of it.
_NUMBER_FORMAT = re.compile(rb"""<(?:[\w.-]+:)?numFmt(?=[\s/>])([^<>]*)>""")
_FORMAT_ID = re.compile(rb"""\snumFmtId\s*=\s*["']([0-9]{1,9})["']""")
_FORMAT_CODE = re.compile(rb"""\sformatCode\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XF_FORMAT_ID = re.compile(rb"""<(?:[\w.-]+:)?xf(?=[\s/>])(?:[^<>]*?\snumFmtId\s*=\s*["']([0-9]{1,9}))?""")


@functools.lru_cache(maxsize=64)
def percent_styles(styles: bytes) -> frozenset[int] | None:
    """The indices of the cell formats (cellXfs) with a percent number format, from the styles
    part (which has passed the guard's DTD and entity scan); None when that cannot be told: a
    part not in an ASCII-compatible encoding, or a default format (index 0, which a cell
    without s has) that is a percentage, as such cells cannot be told from their tags. Each
    distinct styles part is read once (the returns of one template and office suite share it)."""
    if b"\0" in styles[:4]:  # UTF-16
        return None
    if b"<!--" in styles:
        styles = _without_comments(styles)
    codes = {**BUILTIN_PERCENT}
    for element in _NUMBER_FORMAT.finditer(_section(styles, b"numFmts")):
        number, code = _FORMAT_ID.search(element.group(1)), _FORMAT_CODE.search(element.group(1))
        if number is not None:
            codes[int(number.group(1))] = _text(code.group(1) or code.group(2)) if code else ""
    percent = {number for number, code in codes.items() if is_percent_format(code)}
    formats = _XF_FORMAT_ID.findall(_section(styles, b"cellXfs"))  # b"" where an xf names none: 0
    found = frozenset(index for index, number in enumerate(formats) if int(number or 0) in percent)
    return None if 0 in found else found


def _without_comments(xml: bytes) -> bytes:
    """The XML without its comments (an unclosed one runs to the end)."""
    pieces, at = [], 0
    while (start := xml.find(b"<!--", at)) != -1:
        pieces.append(xml[at:start])
        end = xml.find(b"-->", start + 4)
        if end == -1:
            return b"".join(pieces)
        at = end + 3
    pieces.append(xml[at:])
    return b"".join(pieces)


def _section(styles: bytes, name: bytes) -> bytes:
    """What lies inside the element so named (the first; its name appears nowhere before it)."""
    start = styles.find(name)
    opened = styles.find(b">", start)
    if start == -1 or opened == -1 or styles[opened - 1 : opened] == b"/":
        return b""
    closed = styles.find(name + b">", opened)
    return styles[opened + 1 : closed] if closed != -1 else b""


def _text(attribute: bytes) -> str:
    """An attribute's text, its character and entity references resolved."""
    return html.unescape(attribute.decode("utf-8", "replace"))


class PartReader(Protocol):
    """Reads one part's XML, given chunk by chunk; `close` once the part has been read whole."""

    def feed(self, chunk: bytes | memoryview, last: bool = False) -> None:
        """Take the next chunk of the part (`last`: the part ends with it)."""

    def close(self) -> None:
        """The part has been read whole."""


class PercentCells:
    """The percent-formatted numeric cells of one workbook, gathered part by part: `reader`
    gives what to feed a part's XML to, chunk by chunk, while it is inflated.

    Results: `by_part`, an .xlsx sheet part → its cells, and `by_table`, an .ods table name →
    its cells; a part or table not in them is not known. `styles` are the percent cell formats
    of an .xlsx (`percent_styles`; None: not known)."""

    def __init__(self, styles: frozenset[int] | None) -> None:
        self.by_part: dict[str, frozenset[Cell]] = {}
        self.by_table: dict[str, frozenset[Cell]] = {}
        self.room = MAX_PERCENT_CELLS
        self._style = _style_attribute(styles) if styles else None
        self._styles_known = styles is not None

    def reader(self, part: str, first: bytes | memoryview) -> PartReader | None:
        """What reads the part's XML (ASCII-compatible), given its first chunk (or any of its
        first ROOT_WITHIN bytes, which name its root element); None when nothing is to be learnt
        from it: it is not a worksheet (shared strings, a theme …), or the styles are not known."""
        if part == ODS_CONTENT:
            return _OdsReader(self)
        if not self._styles_known or not _is_worksheet(bytes(first[:ROOT_WITHIN])):
            return None
        return _SheetReader(self, part, self._style)

    def take(self, count: int) -> bool:
        """Room for `count` more cells, taken; False when there is not."""
        if count > self.room:
            return False
        self.room -= count
        return True


def _is_worksheet(head: bytes) -> bool:
    """Whether a part's first bytes open a worksheet element (<worksheet …>, <x:worksheet …>)."""
    at = head.find(b"worksheet", 1)
    while at != -1:
        if head[at - 1] in b"<:" and head[at + 9 : at + 10] in (b" ", b">", b"\n", b"\r", b"\t"):
            return True
        at = head.find(b"worksheet", at + 9)
    return False


def _style_attribute(styles: frozenset[int]) -> re.Pattern[bytes]:
    """An s attribute naming one of `styles` (s="12", as every writer spells it: no spaces around
    the =). Searched for as a literal, it is ten times quicker to find than a cell tag."""
    numbers = b"|".join(str(index).encode() for index in sorted(styles))
    return re.compile(rb"""s=["'](?:""" + numbers + rb""")["']""")


class _Chunks:
    """XML given chunk by chunk, handed on in whole tags: a tag still open at a chunk's end is
    carried over to the next — up to MAX_TAG bytes: a longer "tag" is no cell's, and is dropped
    (carrying it on would copy it again with every chunk). Every < handed on has its >."""

    def __init__(self) -> None:
        self.carry = b""

    def whole(self, chunk: bytes | memoryview, last: bool) -> bytes:
        text = self.carry + bytes(chunk)
        cut = -1 if last else text.rfind(b"<")
        if cut != -1 and text.find(b">", cut) == -1:
            text, self.carry = text[:cut], text[cut:]
            if len(self.carry) > MAX_TAG:
                self.carry = b""
        else:
            self.carry = b""
        return text


# A number cell's tag (<c …> or <x:c …>, not <col …>), without t or with t="n", and its reference.
_NUMBER_CELL = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?c(?=\s)"""  # the tag's name
    rb"""(?![^>]*\st\s*=\s*["'](?!n["']))"""  # no t, or t="n"
    rb"""[^>]*\sr\s*=\s*["']([A-Z]{1,3})([0-9]{1,7})["']"""  # r="B7"
)
WHITE_SPACE = frozenset(b" \t\r\n")
SLASH = ord("/")


class _SheetReader(_Chunks):
    """The cells of an .xlsx sheet part with a percent cell format and a number in them: no
    t attribute, or t="n" (not a shared, inline or formula string, a boolean, an error or an
    ISO date), and not self-closing (empty)."""

    def __init__(self, owner: PercentCells, part: str, style: re.Pattern[bytes] | None) -> None:
        super().__init__()
        self.owner, self.part, self.style = owner, part, style
        self.cells: set[Cell] | None = set()  # None: too many to keep

    def feed(self, chunk: bytes | memoryview, last: bool = False) -> None:
        if self.style is None or self.cells is None:
            return
        text = self.whole(chunk, last)
        seen = 0  # where the last tag looked at ends: each tag is looked at once, whatever it holds
        for match in self.style.finditer(text):
            at = match.start()
            if at < seen or text[at - 1] not in WHITE_SPACE:  # in a tag seen; part of another attribute
                continue
            start, end = text.rfind(b"<", seen, at), text.find(b">", at)
            if end == -1:  # in the text after the last tag
                break
            seen, tag = end, text[start:end]
            if start == -1 or text[end - 1] == SLASH or b">" in tag:  # text, not a tag; an empty cell
                continue
            cell = _NUMBER_CELL.match(tag)
            if cell is None:  # a row's style; a string, boolean, error or date
                continue
            if not self.owner.take(1):
                self.owner.room += len(self.cells)
                self.cells = None
                return
            self.cells.add((int(cell.group(2)) - 1, column_index(cell.group(1).decode()) - 1))

    def close(self) -> None:
        if self.cells is not None:
            self.owner.by_part[self.part] = frozenset(self.cells)


_ODS_TAG = re.compile(rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^<>]*?)(/?)>")
_ODS_NAME = re.compile(rb"""\stable:name\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ODS_PERCENTAGE = re.compile(rb"""\soffice:value-type\s*=\s*["']percentage["']""")
_ODS_REPEATED = {
    b"table-row": re.compile(rb"""\stable:number-rows-repeated\s*=\s*["']([0-9]{1,7})["']"""),
    b"table-cell": re.compile(rb"""\stable:number-columns-repeated\s*=\s*["']([0-9]{1,5})["']"""),
}
_ODS_REPEATED[b"covered-table-cell"] = _ODS_REPEATED[b"table-cell"]


class _OdsReader(_Chunks):
    """The cells of an .ods content.xml whose value type is percentage, per table, counting rows
    and cells as calamine does (repeated rows and cells, covered cells of merged ranges)."""

    def __init__(self, owner: PercentCells) -> None:
        super().__init__()
        self.owner = owner
        self.tables: dict[str, set[Cell]] | None = {}  # None: too many to keep
        self.cells: set[Cell] | None = None  # the current table's
        self.row = self.rows = self.col = 0  # the current row, how many times it repeats, the next cell's column

    def feed(self, chunk: bytes | memoryview, last: bool = False) -> None:
        if self.tables is None:
            return
        for closing, kind, attributes, empty in _ODS_TAG.findall(self.whole(chunk, last)):
            if kind == b"table":
                self._table(closing, attributes)
            elif self.cells is None:
                continue
            elif kind == b"table-row":
                if not closing:
                    self.rows, self.col = _repeated(kind, attributes), 0
                if closing or empty:
                    self.row += self.rows
            elif not closing:
                columns = _repeated(kind, attributes)
                if kind == b"table-cell" and _ODS_PERCENTAGE.search(attributes) and not self._add(columns):
                    return
                self.col += columns

    def _table(self, closing: bytes, attributes: bytes) -> None:
        assert self.tables is not None
        self.cells, self.row = None, 0
        name = _ODS_NAME.search(attributes)
        if not closing and name is not None:
            self.cells = self.tables.setdefault(_text(name.group(1) or name.group(2)), set())

    def _add(self, columns: int) -> bool:
        """The current cell, repeated; False (and nothing kept) when there is no room."""
        assert self.cells is not None and self.tables is not None
        if not self.owner.take(self.rows * columns):
            self.owner.room += sum(len(cells) for cells in self.tables.values())
            self.tables = self.cells = None
            return False
        self.cells.update((self.row + r, self.col + c) for r in range(self.rows) for c in range(columns))
        return True

    def close(self) -> None:
        if self.tables is not None:
            self.owner.by_table = {name: frozenset(cells) for name, cells in self.tables.items()}


def _repeated(kind: bytes, attributes: bytes) -> int:
    match = _ODS_REPEATED[kind].search(attributes)
    return max(1, int(match.group(1))) if match else 1
