"""Inspect a return file before any reader touches it.

`inspect_file` reads the file's bytes once and decides whether calamine and openpyxl may open
it: not a lock file, not an old .xls or an encrypted workbook in disguise, a ZIP that inflates
within limits (like Apache POI's ZipSecureFile), no DTD or entity declaration in any XML part,
a transitional (not Strict) workbook. Whatever is wrong is raised as one `ReturnFileError`
carrying a catalogued `Finding`; a file that passes comes back as `FileFacts`, with what the
reader needs from the package: date1904, the custom properties (the stamp), each sheet's
extent (how far its filled cells reach, which tells whether calamine may load it whole), and
each sheet's numbers shown as percentages (number_formats; the styles part is inflated first).

The ZIP entries are inflated here with zlib, not through `zipfile.ZipExtFile`: zipfile cuts
an entry's output at the size its directory records (and then reports a CRC error, or nothing
at all when the CRC was forged for the cut data), while other readers inflate the stream to its
end. Inflating ourselves lets us count what the stream really holds and reject an entry that
outgrows its recorded size. zipfile is used only to parse the central directory.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import itertools
import posixpath
import re
import stat
import struct
import xml.etree.ElementTree as FastET
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import openpyxl.xml
from defusedxml import DefusedXmlException

from .errors import Code, Finding, ReturnFileError
from .formula_cells import FormulaCells
from .number_formats import PartReader, PercentCells, percent_styles

__all__ = ["FileFacts", "ZipLimits", "inspect_file", "require_defusedxml"]


def require_defusedxml() -> None:
    """openpyxl parses workbook XML with defusedxml only when it is installed (and not turned
    off with OPENPYXL_DEFUSEDXML=False); xlsxkit refuses to run without it."""
    if not openpyxl.xml.DEFUSEDXML:
        raise ImportError(
            "xlsxkit.safe_open: openpyxl is not using defusedxml, so it would parse return files "
            "without protection against XML entity attacks; install defusedxml (pip install defusedxml) "
            "and do not set OPENPYXL_DEFUSEDXML=False"
        )


require_defusedxml()


@dataclass(frozen=True)
class ZipLimits:
    """How much a return may hold, checked while inflating (like Apache POI's ZipSecureFile)."""

    max_entries: int = 1000
    max_total_bytes: int = 200 * 2**20  # uncompressed, summed over entries, counted while inflating
    max_entry_bytes: int = 100 * 2**20
    min_inflate_ratio: float = 0.01  # compressed/uncompressed below this, for an entry past 1 MiB → bomb
    max_file_bytes: int = 50 * 2**20  # the file itself, before anything is read


@dataclass(frozen=True)
class FileFacts:
    path: Path
    sha256: str
    size: int
    macros: bool  # an .xlsm: macro-enabled content type, vbaProject.bin or macro sheets present
    date1904: bool  # xl/workbook.xml <workbookPr date1904="1"/> (or "true")
    custom_properties: dict[str, str] = field(default_factory=dict)  # docProps/custom.xml name → value text
    notes: tuple[Finding, ...] = ()  # info findings, e.g. F_MACROS
    # sheet name → (rows, cols) from A1 to the farthest cell holding something (a <c> element that
    # is not empty, as calamine counts them): what calamine would allocate for the sheet
    extents: dict[str, tuple[int, int]] = field(default_factory=dict)
    format: str = "xlsx"  # "xls" or "ods": read by calamine from the bytes, extents not measured
    # sheet name → its numeric cells shown as percentages, 0-based (row, col) from A1 (see
    # number_formats); a sheet not named here is not known (an .xls, a sheet part not scanned)
    percent_cells: dict[str, frozenset[tuple[int, int]]] = field(default_factory=dict)
    # sheet name → its cells holding a formula without a calculated value (formula_cells)
    formula_cells: dict[str, frozenset[tuple[int, int]]] = field(default_factory=dict)


CHUNK = 64 * 2**10
RATIO_FLOOR_BYTES = 2**20  # the inflate ratio is judged only for an entry past this size

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
OTHER_FORMATS = {"xls": "Excel 97-2003 工作簿（.xls）", "ods": "OpenDocument 表格（.ods）"}
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
WORKBOOK = "xl/workbook.xml"
CONTENT_TYPES = "[Content_Types].xml"
CUSTOM = "docProps/custom.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
STYLES = "xl/styles.xml"  # where calamine and openpyxl look for it, whatever the relationships say
KEPT_PARTS = {WORKBOOK, WORKBOOK_RELS, CONTENT_TYPES, CUSTOM, STYLES, "mimetype"}  # the parts read after inflating
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
XML_SUFFIXES = (".xml", ".rels", ".vml")
MARKERS = ("<!DOCTYPE", "<!ENTITY")
MARKERS_BY_ENCODING = {enc: tuple(m.encode(enc) for m in MARKERS) for enc in ("ascii", "utf-16-le", "utf-16-be")}
LOCK_PREFIXES = ("~$", ".~lock.")  # Excel/WPS, LibreOffice


def inspect_file(path: Path | str, limits: ZipLimits = ZipLimits(), *, content: bytes | None = None) -> FileFacts:
    """Facts about a return that may be opened, or ReturnFileError saying why it may not. With
    `content`, those are the file's bytes and `path` only its name (nothing is read from disk)."""
    path = Path(path)
    if path.name.startswith(LOCK_PREFIXES):
        _fail(Code.F_LOCK_FILE)
    data = _read(path, limits) if content is None else _given(content, limits)
    if data.startswith(OLE2_MAGIC):
        _ole2_verdict(data)
        return _other_format(path, data, "xls")
    if not data.startswith(b"PK"):
        _fail(Code.F_NOT_XLSX, detail=_looks_like(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError, struct.error) as error:
        _fail(Code.F_BROKEN, detail="找不到完整的 ZIP 目录，文件可能不完整（下载或复制时被截断）", error=str(error))
    formulas: dict[str, FormulaCells] = {}
    kept, part_extents, percent = _inflate_all(data, infos, limits, formulas)
    names = {info.filename for info in infos}
    if WORKBOOK not in kept:
        if kept.get("mimetype", b"").strip() == ODS_MIMETYPE:
            return replace(_other_format(path, data, "ods"), percent_cells=percent.by_table)
        _fail(Code.F_NOT_XLSX, detail=_zip_looks_like(names, kept.get("mimetype", b"")))

    workbook = _parse(WORKBOOK, kept[WORKBOOK])
    if workbook.tag.startswith("{" + STRICT_MAIN + "}"):
        _fail(Code.F_STRICT_OOXML)
    content_types = kept.get(CONTENT_TYPES, b"").lower()
    parts = _sheet_parts(workbook, _parse(WORKBOOK_RELS, kept[WORKBOOK_RELS])) if WORKBOOK_RELS in kept else {}
    macros = (
        b"macroenabled.main+xml" in content_types
        or any(n.lower().endswith("vbaproject.bin") or n.lower().startswith("xl/macrosheets/") for n in names)
    )
    return FileFacts(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        macros=macros,
        date1904=_date1904(workbook),
        custom_properties=_custom_properties(_parse(CUSTOM, kept[CUSTOM])) if CUSTOM in kept else {},
        notes=(Finding(Code.F_MACROS),) if macros else (),
        extents={name: part_extents.get(part, (0, 0)) for name, part in parts.items()},
        percent_cells={name: percent.by_part[part] for name, part in parts.items() if part in percent.by_part},
        formula_cells={name: frozenset(formulas[part].cells) for name, part in parts.items()
                       if part in formulas and formulas[part].cells},
    )


def _other_format(path: Path, data: bytes, kind: str) -> FileFacts:
    """Facts about an .xls or .ods return: calamine reads it (from its bytes, whatever its name
    says), with a warning asking for .xlsx next time. Its sheets' extents are not measured here."""
    return FileFacts(
        path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data), macros=False, date1904=False,
        notes=(Finding(Code.F_OTHER_FORMAT, details={"format": OTHER_FORMATS[kind]}),), format=kind,
    )


def _fail(code: Code, **details: object) -> NoReturn:
    raise ReturnFileError(Finding(code, details=details))


def _size(n: int) -> str:
    if n < 2**10:
        return f"{n} 字节"
    if n < 2**20:
        return f"{n / 2**10:.1f} KiB"
    return f"{n / 2**20:.1f} MiB"


# --- the bytes ------------------------------------------------------------------------------


def _given(content: bytes, limits: ZipLimits) -> bytes:
    if not content:
        _fail(Code.F_EMPTY)
    if len(content) > limits.max_file_bytes:
        _fail(Code.F_ZIP_BOMB, detail=f"文件大小 {_size(len(content))} 超过上限 {_size(limits.max_file_bytes)}")
    return content


def _read(path: Path, limits: ZipLimits) -> bytes:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            _fail(Code.F_UNREADABLE, detail="这是一个文件夹，不是文件")
        if not stat.S_ISREG(info.st_mode):
            _fail(Code.F_UNREADABLE, detail="不是普通文件")
        if info.st_size > limits.max_file_bytes:
            _fail(Code.F_ZIP_BOMB, detail=f"文件大小 {_size(info.st_size)} 超过上限 {_size(limits.max_file_bytes)}")
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except FileNotFoundError:
        _fail(Code.F_UNREADABLE, detail="文件不存在")
    except PermissionError:
        _fail(Code.F_UNREADABLE, detail="没有读取该文件的权限")
    except OSError as error:
        _fail(Code.F_UNREADABLE, detail=error.strerror or str(error))
    if not data:
        _fail(Code.F_EMPTY)
    if len(data) > limits.max_file_bytes:  # it grew after the stat
        _fail(Code.F_ZIP_BOMB, detail=f"文件大小超过上限 {_size(limits.max_file_bytes)}")
    return data


def _ole2_verdict(data: bytes) -> None:
    """Refuse an OLE2 compound file that is not an .xls (BIFF) or WPS .et workbook: a
    password-protected .xlsx (EncryptionInfo stream), an old Word or PowerPoint file."""
    if _has_ole2_entry(data, "EncryptionInfo"):
        _fail(Code.F_ENCRYPTED)
    if _has_ole2_entry(data, "WordDocument"):
        _fail(Code.F_NOT_XLSX, detail="这是旧版 Word 文档（.doc）")
    if _has_ole2_entry(data, "PowerPoint Document"):
        _fail(Code.F_NOT_XLSX, detail="这是旧版 PowerPoint 演示文稿（.ppt）")


def _has_ole2_entry(data: bytes, name: str) -> bool:
    """Whether the compound file's directory holds an entry so named.

    No FAT chain is followed: a directory entry is 128 bytes, its name UTF-16LE, NUL-terminated,
    at the entry's start, and its name length in bytes (with the NUL) at offset 64. Sectors start
    at (n + 1) × 512 or 4096 bytes, so every directory entry starts at a multiple of 128 in the
    file. A match there with the right length field is a directory entry; the same text inside
    a stream (a cell that says "EncryptionInfo") almost never lines up both ways.
    """
    encoded = name.encode("utf-16-le") + b"\0\0"
    length = struct.pack("<H", len(encoded))
    at = data.find(encoded, 512)
    while at != -1:
        if at % 128 == 0 and data[at + 64:at + 66] == length:
            return True
        at = data.find(encoded, at + 1)
    return False


def _looks_like(data: bytes) -> str:
    """What a file that is neither a ZIP nor an OLE2 file seems to be, for the F_NOT_XLSX message."""
    head = data[:4096]
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for magic, what in (
        (b"%pdf", "这是 PDF 文件"),
        (b"{\\rtf", "这是 RTF 文档"),
        (b"\x89png", "这是图片文件（PNG）"),
        (b"\xff\xd8\xff", "这是图片文件（JPEG）"),
        (b"gif8", "这是图片文件（GIF）"),
        (b"rar!\x1a\x07", "这是 RAR 压缩包"),
        (b"7z\xbc\xaf\x27\x1c", "这是 7z 压缩包"),
        (b"\x1f\x8b", "这是 gzip 压缩文件"),
    ):
        if lowered.startswith(magic):
            return what
    if lowered.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return "这是 Excel 2003 XML 表格"
    if lowered.startswith((b"<html", b"<!doctype html", b"<meta")) or b"<html" in lowered[:1024]:
        return "这是网页（HTML）文件，常见于从网上系统导出的“Excel”"
    if lowered.startswith(b"<?xml"):
        return "这是 XML 文件"
    if not head.strip(b"\0"):
        return "文件开头全是 0 字节，可能没有保存完整"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _decodes_as_text(head):
        return "这是文本文件（例如 CSV），不是工作簿"
    return "文件头不是 ZIP"


def _decodes_as_text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _zip_looks_like(names: set[str], mimetype: bytes) -> str:
    if "word/document.xml" in names:
        return "这是 Word 文档（.docx），不是工作簿"
    if "ppt/presentation.xml" in names:
        return "这是 PowerPoint 演示文稿（.pptx），不是工作簿"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "这是 OpenDocument 表格（.ods）"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return "这是 OpenDocument 文档，不是 Excel 工作簿"
    if "xl/workbook.bin" in names:
        return "这是 Excel 二进制工作簿（.xlsb）"
    return "这是一个 ZIP 压缩包，其中没有 xl/workbook.xml"


# --- bounded inflation ------------------------------------------------------------------------


def _inflate_all(
    data: bytes, infos: list[zipfile.ZipInfo], limits: ZipLimits, formulas: dict[str, FormulaCells],
) -> tuple[dict[str, bytes], dict[str, tuple[int, int]], PercentCells]:
    """Inflate every entry within the limits, scanning XML parts for DTDs and entities. Back come
    the parts named in KEPT_PARTS, the cell extent of every XML part that has cells, and the
    percent-formatted cells of every sheet (the styles part is inflated first: it tells which
    cell formats are percentages)."""
    if len(infos) > limits.max_entries:
        _fail(Code.F_ZIP_BOMB, detail=f"压缩包含有 {len(infos)} 个条目，超过上限 {limits.max_entries}")
    seen: set[str] = set()
    for info in infos:
        if info.filename in seen:  # readers disagree on which copy counts
            _fail(Code.F_BROKEN, detail=f"压缩包中有两个同名条目 {info.filename}")
        seen.add(info.filename)
    spans = sorted((info.header_offset, *_data_span(data, info), info.filename) for info in infos)
    for (_, _, end, name), (header, _, _, other) in itertools.pairwise(spans):
        if end > header:
            _fail(Code.F_ZIP_BOMB, detail=f"条目 {name} 与 {other} 的数据区重叠")

    spans_by_name = {name: (start, end) for _, start, end, name in spans}
    kept: dict[str, bytes] = {}
    extents: dict[str, tuple[int, int]] = {}
    budget = [limits.max_total_bytes]
    percent: PercentCells | None = None  # made once the styles part, inflated first, is read
    for info in sorted(infos, key=lambda info: info.filename != STYLES):
        if percent is None and info.filename != STYLES:
            percent = PercentCells(percent_styles(kept[STYLES]) if STYLES in kept else frozenset())
        start, end = spans_by_name[info.filename]
        pieces, extent = _inflate(
            info, memoryview(data)[start:end], limits, budget, keep=info.filename in KEPT_PARTS, percent=percent,
            formulas=formulas,
        )
        if pieces is not None:
            kept[info.filename] = b"".join(pieces)
        if extent is not None and extent.rows:
            extents[info.filename] = (extent.rows, extent.cols)
    return kept, extents, percent or PercentCells(frozenset())


def _data_span(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where an entry's compressed bytes lie, from its local header (checked against the directory)."""
    at = info.header_offset
    header = data[at:at + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        _fail(Code.F_BROKEN, detail=f"条目 {info.filename} 的文件头缺失或损坏")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw_name = data[at + 30:at + 30 + name_length]
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if raw_name.decode(encoding, errors="replace") != info.orig_filename:
        _fail(Code.F_BROKEN, detail=f"条目 {info.filename} 的文件头与目录记录不一致")
    start = at + 30 + name_length + extra_length
    end = start + info.compress_size
    if end > len(data):
        _fail(Code.F_BROKEN, detail=f"条目 {info.filename} 的数据不完整，文件可能被截断")
    return start, end


def _inflate(
    info: zipfile.ZipInfo, compressed: memoryview, limits: ZipLimits, budget: list[int], keep: bool,
    percent: PercentCells | None, formulas: dict[str, FormulaCells],
) -> tuple[list[bytes] | None, _CellExtent | None]:
    """Inflate one entry in CHUNK pieces, stopping at the first limit crossed; its pieces when
    `keep`, and the extent of its cells when it is an XML part (whose percent-formatted cells go
    to `percent`, its formula cells without a value to `formulas`)."""
    name = info.filename
    if info.flag_bits & 0x1:
        _fail(Code.F_BROKEN, detail=f"条目 {name} 用 ZIP 密码加密，Excel 不会这样保存工作簿")
    if info.compress_type == zipfile.ZIP_STORED or not compressed:
        chunks = (compressed[i:i + CHUNK] for i in range(0, len(compressed), CHUNK))
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        chunks = _deflated_chunks(name, compressed)
    else:  # OPC (ECMA-376 part 2) allows only stored and deflated entries
        _fail(Code.F_BROKEN, detail=f"条目 {name} 使用了工作簿不允许的压缩方式（{info.compress_type}）")
    scan: _MarkerScan | None = None
    extent: _CellExtent | None = None
    formats: PartReader | None = None
    formula: FormulaCells | None = None
    pieces: list[bytes] | None = [] if keep else None
    crc = 0
    count = 0
    for chunk in chunks:
        count += len(chunk)
        budget[0] -= len(chunk)
        if count > limits.max_entry_bytes:
            _fail(Code.F_ZIP_BOMB, detail=f"条目 {name} 解压后超过单个条目的上限 {_size(limits.max_entry_bytes)}")
        if budget[0] < 0:
            _fail(Code.F_ZIP_BOMB, detail=f"解压后的总大小超过上限 {_size(limits.max_total_bytes)}（在条目 {name} 处）")
        if count > RATIO_FLOOR_BYTES and len(compressed) < count * limits.min_inflate_ratio:
            _fail(Code.F_ZIP_BOMB, detail=(
                f"条目 {name} 的压缩比异常：{_size(len(compressed))} 解压出超过 {_size(count)}，"
                f"压缩比低于下限 {limits.min_inflate_ratio}"
            ))
        if count > info.file_size:
            _fail(Code.F_ZIP_BOMB, detail=f"条目 {name} 解压后超过目录中记录的大小 {_size(info.file_size)}")
        if count == len(chunk):  # the first chunk tells whether (and how) to scan
            scan = _MarkerScan.for_part(name, chunk)
            extent = _CellExtent() if scan is not None and scan.ascii else None
            formats = percent.reader(name, chunk) if extent is not None and percent is not None else None
            formula = formulas.setdefault(name, FormulaCells()) if extent is not None else None
        if scan is not None and scan.found(chunk):
            _fail(Code.F_XML_ENTITY, part=name)
        if extent is not None:
            extent.feed(chunk)
        if formats is not None:
            formats.feed(chunk)
        if formula is not None:
            formula.feed(chunk)
        crc = zlib.crc32(chunk, crc)
        if pieces is not None:
            pieces.append(bytes(chunk))
    if count != info.file_size:
        _fail(Code.F_BROKEN, detail=f"条目 {name} 解压后只有 {count} 字节，目录记录为 {info.file_size} 字节")
    if crc != info.CRC:
        _fail(Code.F_BROKEN, detail=f"条目 {name} 的 CRC 校验失败，数据已损坏")
    if formats is not None:
        formats.close()
    return pieces, extent


def _deflated_chunks(name: str, compressed: memoryview) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending: bytes | memoryview = compressed
    try:
        while not inflater.eof:
            out = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            if out:
                yield out
            elif not pending:
                _fail(Code.F_BROKEN, detail=f"条目 {name} 的压缩数据不完整")
    except zlib.error as error:
        _fail(Code.F_BROKEN, detail=f"条目 {name} 的压缩数据损坏（{error}）")


class _MarkerScan:
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
    def for_part(cls, name: str, first: bytes | memoryview) -> _MarkerScan | None:
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
        window = self.tail + bytes(chunk)
        if any(marker in window for marker in self.markers):
            return True
        self.tail = window[-self.keep:]
        return False


NEAR = (999, 26)  # the extent given for a sheet whose cells all lie within A1:Z999


class _CellExtent:
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

    def feed(self, chunk: bytes | memoryview) -> None:
        text = self.carry + bytes(chunk)
        cut = text.rfind(b"<")
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
            columns, rows = (set(refs) for refs in zip(*found))  # few distinct ones
            self.rows = max(self.rows, max(map(int, rows)))
            self.cols = max(self.cols, max(map(_column_number, columns)))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


# --- the XML parts --------------------------------------------------------------------------


def _parse(name: str, data: bytes) -> Element:
    """A small part we read ourselves. It has passed the DTD/entity scan while inflating, and
    without a DTD expat defines no entity, so the C parser is safe here — and five times
    faster than defusedxml's Python-level one. A part in another encoding (UTF-16: the scan
    matched its spelling of the markers too) still goes through defusedxml."""
    try:
        if data[:1] == b"<" or data[:3] == b"\xef\xbb\xbf":
            return FastET.fromstring(data)
        return SafeET.fromstring(data)
    except DefusedXmlException:
        _fail(Code.F_XML_ENTITY, part=name)
    except (ParseError, ValueError) as error:
        _fail(Code.F_BROKEN, detail=f"{name} 不是有效的 XML（{error}）")


def _date1904(workbook: Element) -> bool:
    namespace = workbook.tag[: workbook.tag.index("}") + 1] if workbook.tag.startswith("{") else ""
    properties = workbook.find(f"{namespace}workbookPr")
    if properties is None:
        return False
    return properties.get("date1904", "").strip().lower() in ("1", "true")


def _sheet_parts(workbook: Element, relationships: Element) -> dict[str, str]:
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


def _custom_properties(root: Element) -> dict[str, str]:
    """name → the text of the value element (vt:lpwstr, vt:i4, vt:bool, vt:filetime …)."""
    properties: dict[str, str] = {}
    for element in root:
        if element.tag.rpartition("}")[2] != "property" or element.get("name") is None:
            continue
        value = next(iter(element), None)
        properties[element.get("name")] = "".join(value.itertext()) if value is not None else ""
    return properties
