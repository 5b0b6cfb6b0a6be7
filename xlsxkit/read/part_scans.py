"""Scans the guard (safe_open) runs over each XML part while inflating it, chunk by chunk: DTD
and entity markers in any encoding, and, in a sheet part, how far its cells reach (what calamine
would allocate for it), its percent cells and its formulas without values (CellScans)."""

from __future__ import annotations

import re

from xlsxkit.form.excel import column_index
from xlsxkit.read.formula_cells import FormulaCells
from xlsxkit.read.number_formats import PartReader, PercentCells

__all__ = ["MARKERS_BY_ENCODING", "NEAR", "CellExtent", "CellScans", "MarkerScan"]

XML_SUFFIXES = (".xml", ".rels", ".vml")
MARKERS = ("<!DOCTYPE", "<!ENTITY")
MARKERS_BY_ENCODING = {enc: tuple(m.encode(enc) for m in MARKERS) for enc in ("ascii", "utf-16-le", "utf-16-be")}
BANG = b"!"  # in every marker, in every one of these encodings


class MarkerScan:
    """Finds "<!DOCTYPE" or "<!ENTITY" in a part given chunk by chunk, also where a marker
    straddles two chunks. The encoding (ASCII-compatible or UTF-16) is judged from the start.

    Scanned: parts named *.xml, *.rels, *.vml, and any other part that starts like XML (a part
    may be named anything and still be parsed as a sheet when a relationship points to it).
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
        if name.lower().endswith(XML_SUFFIXES) or bytes(first[:64]).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
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
    """The farthest row and column of the non-empty cells in a sheet given chunk by chunk — an
    upper bound, NEAR, when every cell reference lies within Z999 (most forms), so that the
    common case costs one quick search instead of a look at every cell.

    A cell is known by its r attribute ("A1"), whatever the attribute order, quotes or spacing;
    only cell references have letters and digits in an r attribute (rows have digits alone). A
    self-closing tag (<c r="Z9" s="1"/>: formatting only) is not counted: calamine leaves such
    cells out of a sheet's range. Cells without an r attribute, which no common writer omits, are
    not counted. A tag split between two chunks is carried over to the next.
    """

    CELL = re.compile(rb"""r\s*=\s*["']([A-Z]{1,3})([0-9]{1,7})["'][^>]*?(?<!/)>""")
    FAR = re.compile(rb"""r\s*=\s*["'](?:[A-Z]{2,3}[0-9]|[A-Z][0-9]{4})""")  # a reference beyond Z999

    def __init__(self) -> None:
        self.rows = 0
        self.cols = 0
        self.carry = b""

    def feed(self, chunk: bytes | memoryview, last: bool = False) -> None:
        """Take the next chunk of the sheet part (`last`: the part ends with it)."""
        text = self.carry + bytes(chunk)
        cut = -1 if last else text.rfind(b"<")
        if cut != -1 and text.find(b">", cut) == -1:  # a tag still open at the chunk's end
            text, self.carry = text[:cut], text[cut:]
        else:
            self.carry = b""
        if self.FAR.search(text) is None:  # every cell within Z999: bounded without measuring each one
            if b"<c" in text:
                self.rows, self.cols = max(self.rows, NEAR[0]), max(self.cols, NEAR[1])
            return
        found = self.CELL.findall(text)
        if found:
            columns, rows = (set(refs) for refs in zip(*found, strict=True))  # few distinct ones
            self.rows = max(self.rows, max(map(int, rows)))
            self.cols = max(self.cols, max(column_index(letters.decode()) for letters in columns))


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
