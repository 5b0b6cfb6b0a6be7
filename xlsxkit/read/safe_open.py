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

import hashlib
import io
import itertools
import stat
import struct
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

from xlsxkit.form.errors import Code, Finding, ReturnFileError
from xlsxkit.read.formula_cells import FormulaCells
from xlsxkit.read.number_formats import PercentCells, percent_styles
from xlsxkit.read.ole_directory import ole2_entry_names
from xlsxkit.read.part_scans import CellExtent, CellScans, MarkerScan
from xlsxkit.read.sniff import looks_like, zip_looks_like
from xlsxkit.read.workbook_parts import (
    WORKBOOK,
    WORKBOOK_RELS,
    custom_properties,
    parse_part,
    parts_as_entries,
    sheet_parts_in,
    workbook_facts,
)

__all__ = [
    "FileFacts",
    "ZipLimits",
    "inspect_file",
    "read_file",
    "require_defusedxml",
    "shown_size",
]


def require_defusedxml() -> None:
    """openpyxl parses workbook XML with defusedxml only when it is installed (and not turned
    off with OPENPYXL_DEFUSEDXML=False); xlsxkit refuses to let openpyxl open a file without it.
    Called where openpyxl is first used on a file (the grid's streaming reader, feedback, the
    review sheet), not at import: a command that never needs openpyxl does not load it."""
    import openpyxl.xml

    if not openpyxl.xml.DEFUSEDXML:
        raise ImportError(
            "xlsxkit.read.safe_open: openpyxl is not using defusedxml, so it would parse return files "
            "without protection against XML entity attacks; install defusedxml (pip install defusedxml) "
            "and do not set OPENPYXL_DEFUSEDXML=False"
        )


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
    """What the guarded open learnt of a file before any reader touched it: hash, size, format, macros,
    date system, stamp properties, and per sheet its extent, percent cells and formulas without
    values."""

    path: Path
    sha256: str
    size: int
    macros: bool  # an .xlsm: macro-enabled content type, vbaProject.bin or macro sheets present
    date1904: bool  # xl/workbook.xml <workbookPr date1904="1"/> (or "true")
    custom_properties: dict[str, str] = field(default_factory=dict)  # docProps/custom.xml name → value text
    notes: tuple[Finding, ...] = ()  # info findings, e.g. F_MACROS
    # sheet name → (rows, cols) from A1 to the farthest cell holding something (a <c> element that
    # is not empty, as calamine counts them): what calamine would allocate for the sheet. A sheet
    # not named here was not measured (its part is no XML the guard could scan, or not where the
    # workbook says): it is never handed to calamine whole
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
CONTENT_TYPES = "[Content_Types].xml"
CUSTOM = "docProps/custom.xml"
STYLES = "xl/styles.xml"  # where calamine and openpyxl look for it, whatever the relationships say
KEPT_PARTS = {WORKBOOK, WORKBOOK_RELS, CONTENT_TYPES, CUSTOM, STYLES, "mimetype"}  # the parts read after inflating
LOCK_PREFIXES = ("~$", ".~lock.")  # Excel/WPS, LibreOffice


def inspect_file(path: Path | str, *, limits: ZipLimits = ZipLimits(), content: bytes | None = None) -> FileFacts:
    """Facts about a return that may be opened, or ReturnFileError saying why it may not. With
    `content`, those are the file's bytes and `path` only its name (nothing is read from disk)."""
    path = Path(path)
    if path.name.startswith(LOCK_PREFIXES):
        _fail(Code.F_LOCK_FILE)
    data = read_file(path, limits) if content is None else _given(content, limits)
    if data.startswith(OLE2_MAGIC):
        _ole2_verdict(data)
        return _other_format(path, data, "xls")
    if not data.startswith(b"PK"):
        _fail(Code.F_NOT_XLSX, detail=looks_like(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError, struct.error) as error:
        _fail(Code.F_BROKEN, detail="找不到完整的 ZIP 目录，文件可能不完整（下载或复制时被截断）", error=str(error))
    formulas: dict[str, FormulaCells] = {}
    kept, part_extents, percent, found_parts = _inflate_all(data, infos, limits, formulas)
    names = {info.filename for info in infos}
    if WORKBOOK not in kept:
        if kept.get("mimetype", b"").strip() == ODS_MIMETYPE:
            return replace(_other_format(path, data, "ods"), percent_cells=percent.by_table)
        _fail(Code.F_NOT_XLSX, detail=zip_looks_like(names, kept.get("mimetype", b"")))

    workbook = workbook_facts(kept[WORKBOOK])
    if workbook.strict:
        _fail(Code.F_STRICT_OOXML)
    content_types = kept.get(CONTENT_TYPES, b"").lower()
    if found_parts is not None:
        parts = found_parts
    else:
        parts = (
            parts_as_entries(sheet_parts_in(kept[WORKBOOK], kept[WORKBOOK_RELS]), names)
            if WORKBOOK_RELS in kept
            else {}
        )
    macros = b"macroenabled.main+xml" in content_types or any(
        n.lower().endswith("vbaproject.bin") or n.lower().startswith("xl/macrosheets/") for n in names
    )
    return FileFacts(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        macros=macros,
        date1904=workbook.date1904,
        custom_properties=custom_properties(parse_part(CUSTOM, kept[CUSTOM])) if CUSTOM in kept else {},
        notes=(Finding(Code.F_MACROS),) if macros else (),
        extents={name: part_extents[part] for name, part in parts.items() if part in part_extents},
        percent_cells={name: percent.by_part[part] for name, part in parts.items() if part in percent.by_part},
        formula_cells={
            name: frozenset(formulas[part].cells)
            for name, part in parts.items()
            if part in formulas and formulas[part].cells
        },
    )


def _other_format(path: Path, data: bytes, kind: str) -> FileFacts:
    """Facts about an .xls or .ods return: calamine reads it (from its bytes, whatever its name
    says), with a warning asking for .xlsx next time. Its sheets' extents are not measured here."""
    return FileFacts(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        macros=False,
        date1904=False,
        notes=(Finding(Code.F_OTHER_FORMAT, details={"format": OTHER_FORMATS[kind]}),),
        format=kind,
    )


def _fail(code: Code, **details: object) -> NoReturn:
    raise ReturnFileError(Finding(code, details=details))


def shown_size(n: int) -> str:
    """A size as people read it: 512 字节, 3.5 KiB, 60.0 MiB."""
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
        _fail(
            Code.F_ZIP_BOMB, detail=f"文件大小 {shown_size(len(content))} 超过上限 {shown_size(limits.max_file_bytes)}"
        )
    return content


def read_file(path: Path, limits: ZipLimits = ZipLimits()) -> bytes:
    """A return's bytes, read once (no larger than the limits allow), or ReturnFileError saying why
    they cannot be: what the guard vets and the readers then open are the same bytes, even where
    the file changes on disk meanwhile. A lock file is refused by its name, unread."""
    if path.name.startswith(LOCK_PREFIXES):
        _fail(Code.F_LOCK_FILE)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            _fail(Code.F_UNREADABLE, detail="这是一个文件夹，不是文件")
        if not stat.S_ISREG(info.st_mode):
            _fail(Code.F_UNREADABLE, detail="不是普通文件")
        if info.st_size > limits.max_file_bytes:
            _fail(
                Code.F_ZIP_BOMB,
                detail=f"文件大小 {shown_size(info.st_size)} 超过上限 {shown_size(limits.max_file_bytes)}",
            )
        with open(path, "rb") as handle:
            data = handle.read(info.st_size + 1)  # (asking for the limit would allocate all of it each time)
            if len(data) > info.st_size:  # it grew after the stat
                data += handle.read(limits.max_file_bytes + 1 - len(data))
    except FileNotFoundError:
        _fail(Code.F_UNREADABLE, detail="文件不存在")
    except PermissionError:
        _fail(Code.F_UNREADABLE, detail="没有读取该文件的权限")
    except OSError as error:
        _fail(Code.F_UNREADABLE, detail=error.strerror or str(error))
    if not data:
        _fail(Code.F_EMPTY)
    if len(data) > limits.max_file_bytes:  # it grew after the stat
        _fail(Code.F_ZIP_BOMB, detail=f"文件大小超过上限 {shown_size(limits.max_file_bytes)}")
    return data


def _ole2_verdict(data: bytes) -> None:
    """Refuse an OLE2 compound file that is not an .xls (BIFF) or WPS .et workbook: a
    password-protected .xlsx (EncryptionInfo stream), an old Word or PowerPoint file. One whose
    directory olefile cannot read passes, as any other: calamine then tries it as an .xls, and
    what it cannot read is F_LEGACY_FORMAT."""
    names = ole2_entry_names(data) or frozenset()
    if "EncryptionInfo" in names:
        _fail(Code.F_ENCRYPTED)
    if "WordDocument" in names:
        _fail(Code.F_NOT_XLSX, detail="这是旧版 Word 文档（.doc）")
    if "PowerPoint Document" in names:
        _fail(Code.F_NOT_XLSX, detail="这是旧版 PowerPoint 演示文稿（.ppt）")


# --- bounded inflation ------------------------------------------------------------------------


def _inflate_all(
    data: bytes,
    infos: list[zipfile.ZipInfo],
    limits: ZipLimits,
    formulas: dict[str, FormulaCells],
) -> tuple[dict[str, bytes], dict[str, tuple[int, int]], PercentCells, dict[str, str] | None]:
    """Inflate every entry within the limits, scanning XML parts for DTDs and entities. Back come
    the parts named in KEPT_PARTS, the cell extent of every sheet part that has cells, the
    percent-formatted cells of every sheet, and sheet name → part where the workbook names them.
    The styles part is inflated first (it tells which cell formats are percentages), then the
    workbook's other own parts (which tell which parts are sheets: only their cells are looked at;
    all of them where the workbook cannot tell)."""
    if len(infos) > limits.max_entries:
        _fail(Code.F_ZIP_BOMB, detail=f"压缩包含有 {len(infos)} 个条目，超过上限 {limits.max_entries}")
    seen: set[str] = set()
    for info in infos:
        if info.filename.casefold() in seen:  # readers disagree on which copy counts (some ignore case)
            _fail(Code.F_BROKEN, detail=f"压缩包中有两个同名条目 {info.filename}（不计大小写）")
        seen.add(info.filename.casefold())
    spans = sorted((info.header_offset, *_data_span(data, info), info.filename) for info in infos)
    for (_, _, end, name), (header, _, _, other) in itertools.pairwise(spans):
        if end > header:
            _fail(Code.F_ZIP_BOMB, detail=f"条目 {name} 与 {other} 的数据区重叠")

    spans_by_name = {name: (start, end) for _, start, end, name in spans}
    kept: dict[str, bytes] = {}
    extents: dict[str, tuple[int, int]] = {}
    budget = [limits.max_total_bytes]
    percent: PercentCells | None = None  # made once the styles part, inflated first, is read
    sheets: dict[str, str] | None = None  # sheet name → part, once the workbook's own parts are read
    sheets_known = False
    for info in sorted(infos, key=lambda info: (info.filename != STYLES, info.filename not in KEPT_PARTS)):
        if percent is None and info.filename != STYLES:
            percent = PercentCells(percent_styles(kept[STYLES]) if STYLES in kept else frozenset())
        if not sheets_known and info.filename not in KEPT_PARTS:
            sheets, sheets_known = _sheet_parts_if_readable(kept, spans_by_name), True
        start, end = spans_by_name[info.filename]
        pieces, extent = _inflate(
            info,
            memoryview(data)[start:end],
            limits,
            budget,
            keep=info.filename in KEPT_PARTS,
            cells=info.filename not in KEPT_PARTS and (sheets is None or info.filename in sheets.values()),
            percent=percent,
            formulas=formulas,
        )
        if pieces is not None:
            kept[info.filename] = b"".join(pieces)
        if extent is not None:
            extents[info.filename] = (extent.rows, extent.cols)
    if not sheets_known:  # no part but the workbook's own
        sheets = _sheet_parts_if_readable(kept, spans_by_name)
    percent = percent or PercentCells(frozenset())
    for name in KEPT_PARTS.intersection(sheets.values() if sheets is not None else KEPT_PARTS):
        if name in kept:  # a sheet the relationships lead to one of the workbook's own parts
            extent = _scan_cells(name, kept[name], percent, formulas)
            if extent is not None:
                extents[name] = (extent.rows, extent.cols)
    return kept, extents, percent, sheets


def _scan_cells(name: str, part: bytes, percent: PercentCells, formulas: dict[str, FormulaCells]) -> CellExtent | None:
    """A part inflated whole and kept, looked at as a sheet (None where it is no ASCII-compatible XML)."""
    scans = CellScans.of(MarkerScan.for_part(name, part), name, part, percent, formulas)
    if scans is None:
        return None
    scans.feed(part, last=True)
    scans.close()
    return scans.extent


def _sheet_parts_if_readable(kept: dict[str, bytes], names: Collection[str]) -> dict[str, str] | None:
    """Sheet name → part, as the workbook's relationships name them — the only parts whose cells
    are looked at — or None (every XML part looked at) where the workbook or its relationships are
    missing or unreadable: what is wrong with them is said after every part has been inflated."""
    if WORKBOOK not in kept or WORKBOOK_RELS not in kept:
        return None
    try:
        return parts_as_entries(sheet_parts_in(kept[WORKBOOK], kept[WORKBOOK_RELS]), names)
    except ReturnFileError:
        return None


def _data_span(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where an entry's compressed bytes lie, from its local header (checked against the directory)."""
    at = info.header_offset
    header = data[at : at + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        _fail(Code.F_BROKEN, detail=f"条目 {info.filename} 的文件头缺失或损坏")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw_name = data[at + 30 : at + 30 + name_length]
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if raw_name.decode(encoding, errors="replace") != info.orig_filename:
        _fail(Code.F_BROKEN, detail=f"条目 {info.filename} 的文件头与目录记录不一致")
    start = at + 30 + name_length + extra_length
    end = start + info.compress_size
    if end > len(data):
        _fail(Code.F_BROKEN, detail=f"条目 {info.filename} 的数据不完整，文件可能被截断")
    return start, end


def _inflate(
    info: zipfile.ZipInfo,
    compressed: memoryview,
    limits: ZipLimits,
    budget: list[int],
    keep: bool,
    cells: bool,
    percent: PercentCells | None,
    formulas: dict[str, FormulaCells],
) -> tuple[list[bytes] | None, CellExtent | None]:
    """Inflate one entry in CHUNK pieces, stopping at the first limit crossed; its pieces when
    `keep`, and, with `cells`, the extent of its cells when it is an XML part (whose
    percent-formatted cells go to `percent`, its formula cells without a value to `formulas`)."""
    name = info.filename
    if info.flag_bits & 0x1:
        _fail(Code.F_BROKEN, detail=f"条目 {name} 用 ZIP 密码加密，Excel 不会这样保存工作簿")
    chunks: Iterator[bytes | memoryview]
    if info.compress_type == zipfile.ZIP_STORED or not compressed:
        chunks = (compressed[i : i + CHUNK] for i in range(0, len(compressed), CHUNK))
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        chunks = _deflated_chunks(name, compressed)
    else:  # OPC (ECMA-376 part 2) allows only stored and deflated entries
        _fail(Code.F_BROKEN, detail=f"条目 {name} 使用了工作簿不允许的压缩方式（{info.compress_type}）")
    scan: MarkerScan | None = None
    scans: CellScans | None = None
    pieces: list[bytes] | None = [] if keep else None
    crc = 0
    count = 0
    for chunk in chunks:
        count += len(chunk)
        budget[0] -= len(chunk)
        if count > limits.max_entry_bytes:
            _fail(Code.F_ZIP_BOMB, detail=f"条目 {name} 解压后超过单个条目的上限 {shown_size(limits.max_entry_bytes)}")
        if budget[0] < 0:
            _fail(
                Code.F_ZIP_BOMB,
                detail=f"解压后的总大小超过上限 {shown_size(limits.max_total_bytes)}（在条目 {name} 处）",
            )
        if count > RATIO_FLOOR_BYTES and len(compressed) < count * limits.min_inflate_ratio:
            _fail(
                Code.F_ZIP_BOMB,
                detail=(
                    f"条目 {name} 的压缩比异常：{shown_size(len(compressed))} 解压出超过 {shown_size(count)}，"
                    f"压缩比低于下限 {limits.min_inflate_ratio}"
                ),
            )
        if count > info.file_size:
            _fail(Code.F_ZIP_BOMB, detail=f"条目 {name} 解压后超过目录中记录的大小 {shown_size(info.file_size)}")
        if count == len(chunk):  # the first chunk tells whether (and how) to scan
            scan = MarkerScan.for_part(name, chunk)
            scans = CellScans.of(scan, name, chunk, percent, formulas) if cells else None
        if scan is not None and scan.found(chunk):
            _fail(Code.F_XML_ENTITY, part=name)
        if scans is not None:
            scans.feed(chunk, last=count == info.file_size)  # (a stream going on past its size fails above)
        crc = zlib.crc32(chunk, crc)
        if pieces is not None:
            pieces.append(bytes(chunk))
    if count != info.file_size:
        _fail(Code.F_BROKEN, detail=f"条目 {name} 解压后只有 {count} 字节，目录记录为 {info.file_size} 字节")
    if crc != info.CRC:
        _fail(Code.F_BROKEN, detail=f"条目 {name} 的 CRC 校验失败，数据已损坏")
    if scans is None:
        return pieces, None
    scans.close()
    return pieces, scans.extent


def _deflated_chunks(name: str, compressed: memoryview) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending: bytes | memoryview = compressed
    try:
        while not inflater.eof:
            out = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            if out:
                yield out
            elif not pending and not inflater.eof:  # (an empty part deflated is a stream of no bytes)
                _fail(Code.F_BROKEN, detail=f"条目 {name} 的压缩数据不完整")
    except zlib.error as error:
        _fail(Code.F_BROKEN, detail=f"条目 {name} 的压缩数据损坏（{error}）")
