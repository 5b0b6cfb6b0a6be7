"""Scans the guard (safe_open) runs over each XML part while inflating it, chunk by chunk: DTD
and entity markers in any encoding, and, in a sheet part, how far its cells reach (what calamine
would allocate for it), its percent cells and its formulas without values (CellScans)."""

from __future__ import annotations

import re

from xlsxkit.read.formula_cells import FormulaCells
from xlsxkit.read.number_formats import PartReader, PercentCells

__all__ = ["MARKERS_BY_ENCODING", "NEAR", "CellExtent", "CellScans", "MarkerScan"]

XML_SUFFIXES = (".xml", ".rels", ".vml")
MARKERS = ("<!DOCTYPE", "<!ENTITY")
MARKERS_BY_ENCODING = {enc: tuple(m.encode(enc) for m in MARKERS) for enc in ("ascii", "utf-16-le", "utf-16-be")}
XML_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*(?:<|\Z)")  # XML, or white space as far as seen
BANG = b"!"  # in every marker, in every one of these encodings


class MarkerScan:
    """Finds "<!DOCTYPE" or "<!ENTITY" in a part given chunk by chunk, also where a marker
    straddles two chunks. The encoding (ASCII-compatible or UTF-16) is judged from the start.

    Scanned: parts named *.xml, *.rels, *.vml, and any other part that starts like XML, after any
    white space (a part may be named anything and still be parsed as a sheet when a relationship
    points to it).
    Not scanned: parts that start otherwise (images, vbaProject.bin, embedded objects).
    """

    def __init__(self, markers: tuple[bytes, ...]) -> None:
        self.markers = markers
        self.ascii = markers == MARKERS_BY_ENCODING["ascii"]
        self.keep = max(len(m) for m in markers) - 1
        self.tail = b""

    @classmethod
    def for_part(cls, name: str, first: bytes | memoryview) -> MarkerScan | None:
        """A scanner for a part that starts with these bytes, or None for a part that is not XML."""
        start = bytes(first[:4])
        if start.startswith(b"\xff\xfe") or start[:2] == b"<\0":
            return cls(MARKERS_BY_ENCODING["utf-16-le"])
        if start.startswith(b"\xfe\xff") or start[:2] == b"\0<":
            return cls(MARKERS_BY_ENCODING["utf-16-be"])
        if name.lower().endswith(XML_SUFFIXES) or XML_START.match(first):
            return cls(MARKERS_BY_ENCODING["ascii"])
        return None

    def found(self, chunk: bytes | memoryview) -> bool:
        """Whether a marker (a DTD, an entity) appears in this chunk or across its edge with the last.
        Every marker holds the byte of "!", rare in XML (full-width ！ is other bytes): where a
        stretch has none, it holds no marker, and that is the one quick search most parts need."""
        data = chunk if type(chunk) is bytes else bytes(chunk)
        if self.tail:
            edge = self.tail + data[: self.keep]
            if BANG in edge and any(marker in edge for marker in self.markers):
                return True
        if BANG in data and any(marker in data for marker in self.markers):
            return True
        self.tail = data[-self.keep :] if len(data) >= self.keep else (self.tail + data)[-self.keep :]
        return False


NEAR = (999, 26)  # the extent given for a sheet whose cells all lie within A1:Z999


class CellExtent:
    """The farthest row and column of the non-empty cells in a sheet given chunk by chunk, placed
    as calamine places them — an upper bound, NEAR, when no cell can lie beyond Z999 (most
    forms), so that the common case costs two quick searches instead of a look at every cell.

    A cell is placed by its r attribute ("A1", in either case, any attribute order, quotes or
    spacing), and one without (which calamine places after the cell before it, in the row its
    <row> says, or the row after the last) by position. The quick searches look for anything that
    may lie beyond Z999 (a cell not led by a reference within it); where they find one, every row
    and cell of the chunk is placed. A self-closing cell (<c r="Z9" s="1"/>: formatting only) is
    not counted — calamine leaves such cells out of a sheet's range — though it takes its place.
    A tag split between two chunks is carried over to the next.
    """

    # Anything that may lie beyond Z999, in two searches (literal-led, so quick): a cell not led by
    # a reference within Z999 as common writers write it (<c r="A1"), and a cell of a prefixed
    # tag (<x:c>). A reference elsewhere places nothing: a row's number only places the cells
    # without one, and those are found by the first search.
    SUSPECT = (
        re.compile(rb"""<c(?=[\s/>])(?! r="[A-Za-z][0-9]{1,3}")"""),
        re.compile(rb""":c(?=[\s/>])"""),
    )
    TAG = re.compile(rb"""<(?:[\w.-]+:)?(row|c)(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*)>""")  # ">" may be in a value
    REFERENCE = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*([A-Za-z]*)([0-9]*)""")

    def __init__(self) -> None:
        self.rows = 0
        self.cols = 0
        self.carry = b""
        self.row = 0  # where the last row and cell placed lie (an upper bound after a quick chunk)
        self.col = 0

    def feed(self, chunk: bytes | memoryview, last: bool = False) -> None:
        """Take the next chunk of the sheet part (`last`: the part ends with it)."""
        text = self.carry + bytes(chunk)
        cut = -1 if last else text.rfind(b"<")
        if cut != -1 and text.find(b">", cut) == -1:  # a tag still open at the chunk's end
            text, self.carry = text[:cut], text[cut:]
        else:
            self.carry = b""
        if not any(suspect.search(text) for suspect in self.SUSPECT):  # within Z999: bounded, not placed
            if b"<c" in text:
                self.rows, self.cols = max(self.rows, NEAR[0]), max(self.cols, NEAR[1])
                self.row, self.col = self.rows, self.cols
            return
        self._place(text)

    def _place(self, text: bytes) -> None:
        """Place every row and cell of `text` as calamine does — or farther: where a tag holds
        more than one thing like a reference (one in another attribute's value), or one behind the
        place the cells before give, the farthest counts — and widen the extent to them."""
        for tag in self.TAG.finditer(text):
            references = self.REFERENCE.findall(tag[2])
            if tag[1] == b"row":
                self.row, self.col = max([self.row + 1, *(int(digits) for _, digits in references if digits)]), 0
                continue
            self.col = max([self.col + 1, *(_column(letters) for letters, _ in references if letters)])
            self.row = max([self.row, *(int(digits) for letters, digits in references if letters and digits)])
            if not tag[2].endswith(b"/"):
                self.rows, self.cols = max(self.rows, self.row), max(self.cols, self.col)


def _column(letters: bytes) -> int:
    """The 1-based column of letters in either case, however far ("AAAA" too: calamine would try)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + letter - 64
    return index


class CellScans:
    """What is learnt of a sheet part's cells as it is given chunk by chunk: how far they reach,
    which numbers are shown as percentages (into `percent`), which formulas have no value (into
    `formulas`)."""

    def __init__(
        self, name: str, first: bytes | memoryview, percent: PercentCells | None, formulas: dict[str, FormulaCells]
    ) -> None:
        self.extent = CellExtent()
        self.formats: PartReader | None = percent.reader(name, first) if percent is not None else None
        self.formula = formulas.setdefault(name, FormulaCells())

    @classmethod
    def of(
        cls,
        scan: MarkerScan | None,
        name: str,
        first: bytes | memoryview,
        percent: PercentCells | None,
        formulas: dict[str, FormulaCells],
    ) -> CellScans | None:
        """The scans of a part that starts with `first`, or None where it is no ASCII-compatible XML."""
        return cls(name, first, percent, formulas) if scan is not None and scan.ascii else None

    def feed(self, chunk: bytes | memoryview, last: bool) -> None:
        """Take the next chunk (`last`: the part ends with it)."""
        self.extent.feed(chunk, last)
        if self.formats is not None:
            self.formats.feed(chunk, last)
        self.formula.feed(chunk, last)

    def close(self) -> None:
        """The part has been read whole."""
        if self.formats is not None:
            self.formats.close()
