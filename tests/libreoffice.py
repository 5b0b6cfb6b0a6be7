"""A small harness around a headless LibreOffice, driven over UNO.

One `Office` (one soffice process, its own throw-away profile, listening on a free local
port) serves a whole test session or tool run. Through it a workbook is opened hidden, cells
are set as a user would type them, LibreOffice's own validity check (Tools ▸ Detective ▸ Mark
Invalid Data, i.e. `XSheetAuditing.showInvalid`) lists the cells it rejects, and sheets are
exported to PDF as LibreOffice prints them.

The project's Python is often not the system one, so `uno` (python3-uno) is imported from the
system's directories on demand. The import is kept tidy: the directories are taken off
`sys.path` again and pyuno's replacement of `builtins.__import__` is undone (this module
creates UNO structs with `uno.createUnoStruct`, it needs no `from com.sun.star… import`).
"""

from __future__ import annotations

import builtins
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from xlsxwriter.utility import xl_rowcol_to_cell

if TYPE_CHECKING:
    from typing_extensions import Self

UNO_DIRS = ("/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program")
SOFFICE_CANDIDATES = ("soffice", "libreoffice", "/usr/lib/libreoffice/program/soffice")

# File ▸ Save As: the filter LibreOffice writes each file format with.
SAVE_FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "xls": "MS Excel 97", "ods": "calc8"}

# The detective draws its circle around a cell's rectangle widened by these margins
# (1/100 mm; sc/source/ui/docshell/detfunc.cxx, ScDetectiveFunc::DrawCircle).
_CIRCLE_MARGIN_X = 250
_CIRCLE_MARGIN_Y = 70

_uno: ModuleType | None = None


def soffice_path() -> str | None:
    for candidate in SOFFICE_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def import_uno() -> ModuleType:
    """The `uno` module (python3-uno), imported without leaving traces on sys.path or builtins."""
    global _uno
    if _uno is not None:
        return _uno
    if "uno" in sys.modules:
        _uno = sys.modules["uno"]
        return _uno
    saved_path, saved_import = list(sys.path), builtins.__import__
    sys.path.extend(d for d in UNO_DIRS if d not in sys.path)
    try:
        import uno
    finally:
        sys.path[:] = saved_path
        builtins.__import__ = saved_import
    _uno = uno
    return uno


PDF_TOOLS = ("pdfinfo", "pdftotext", "pdftoppm")


def missing(pdf_tools: bool = False) -> str | None:
    """Why LibreOffice cannot be driven here (or, with `pdf_tools`, its PDFs not inspected),
    or None when all is there."""
    if soffice_path() is None:
        return "LibreOffice (soffice) is not installed"
    try:
        import_uno()
    except ImportError as error:
        return f"python3-uno cannot be imported ({error})"
    absent = [tool for tool in PDF_TOOLS if pdf_tools and shutil.which(tool) is None]
    if absent:
        return f"poppler-utils ({', '.join(absent)}) is not installed"
    return None


def skip_unless_available(pdf_tools: bool = False) -> None:
    """Skip the calling test when LibreOffice is missing, but fail when the environment
    variable CI is set: CI installs LibreOffice and must run these tests."""
    import pytest

    reason = missing(pdf_tools)
    if reason is None:
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI is set, so the LibreOffice tests must run, but {reason}", pytrace=False)
    pytest.skip(reason)


def a1(row: int, col: int) -> str:
    """Excel's name of a 0-based (row, col): (0, 0) → A1."""
    return xl_rowcol_to_cell(row, col)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _props(**values: Any) -> tuple[Any, ...]:
    uno = import_uno()
    props = []
    for name, value in values.items():
        prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        prop.Name, prop.Value = name, value
        props.append(prop)
    return tuple(props)


class OfficeError(RuntimeError):
    pass


class Office:
    """One headless soffice process and the UNO connection to it."""

    def __init__(self, process: subprocess.Popen[bytes], profile: Path, context: Any, desktop: Any) -> None:
        self.process = process
        self.profile = profile
        self.context = context
        self.desktop = desktop

    @classmethod
    def start(cls, timeout: float = 90, fonts: dict[str, str] | None = None) -> Office:
        """Start soffice with a fresh profile. `fonts` maps a font name to the font printed
        in its place (Tools ▸ Options ▸ Fonts, "Always"), e.g. {"宋体": "Noto Serif CJK SC"}
        where 宋体 is not installed."""
        reason = missing()
        if reason:
            raise OfficeError(reason)
        uno = import_uno()
        profile = Path(tempfile.mkdtemp(prefix="xlsxkit-lo-profile-"))
        if fonts:
            _write_font_replacements(profile, fonts)
        port = _free_port()
        accept = f"socket,host=127.0.0.1,port={port};urp;"
        process = subprocess.Popen(
            [
                soffice_path(),
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                "--nodefault",
                "--nolockcheck",
                f"-env:UserInstallation={profile.as_uri()}",
                f"--accept={accept}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    context = resolver.resolve(f"uno:{accept}StarOffice.ComponentContext")
                    break
                except Exception as error:  # NoConnectException until soffice listens
                    if process.poll() is not None:
                        raise OfficeError(f"soffice exited with code {process.returncode} before accepting") from error
                    if time.monotonic() > deadline:
                        raise OfficeError(f"soffice did not accept connections within {timeout:.0f} s") from error
                    time.sleep(0.1)
            desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except BaseException:
            _stop_process(process, wait=0)
            shutil.rmtree(profile, ignore_errors=True)
            raise
        return cls(process, profile, context, desktop)

    def open(self, path: Path | str) -> Workbook:
        """Open a workbook hidden, as a user's LibreOffice would (macros off, read-write)."""
        url = Path(path).resolve().as_uri()
        doc = self.desktop.loadComponentFromURL(url, "_blank", 0, _props(Hidden=True, MacroExecutionMode=0))
        if doc is None or not hasattr(doc, "Sheets"):
            raise OfficeError(f"LibreOffice could not open {path} as a spreadsheet")
        return Workbook(doc, Path(path))

    def new_workbook(self) -> Workbook:
        """A new, empty spreadsheet document (File ▸ New ▸ Spreadsheet), hidden; its `path` is
        LibreOffice's title for it ("Untitled 1") until it is saved somewhere."""
        doc = self.desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, _props(Hidden=True))
        return Workbook(doc, Path(doc.Title))

    def stop(self) -> None:
        """Close every document, terminate the desktop, wait for soffice; kill it if it hangs."""
        uno = import_uno()
        with contextlib.suppress(
            uno.getClass("com.sun.star.uno.RuntimeException")
        ):  # the bridge drops as soffice exits
            components = self.desktop.Components.createEnumeration()
            while components.hasMoreElements():
                components.nextElement().close(True)
            self.desktop.terminate()
        _stop_process(self.process)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _write_font_replacements(profile: Path, fonts: dict[str, str]) -> None:
    """LibreOffice reads its font replacement table at start-up, from the profile."""

    def value(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    pairs = "".join(
        f'<node oor:name="xlsxkit{n}" oor:op="replace">'
        f'<prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
        f'<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
        f'<prop oor:name="ReplaceFont" oor:op="fuse"><value>{value(name)}</value></prop>'
        f'<prop oor:name="SubstituteFont" oor:op="fuse"><value>{value(replacement)}</value></prop></node>'
        for n, (name, replacement) in enumerate(fonts.items())
    )
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
        '<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>\n'
        f'<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">{pairs}</item>\n'
        "</oor:items>\n",
        encoding="utf-8",
    )


def _stop_process(process: subprocess.Popen[bytes], wait: float = 20) -> None:
    """Give soffice `wait` seconds to exit by itself, then terminate it, then kill it."""
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Workbook:
    """A spreadsheet document loaded in LibreOffice."""

    def __init__(self, doc: Any, path: Path) -> None:
        self.doc = doc
        self.path = path

    @property
    def sheet_names(self) -> list[str]:
        return list(self.doc.Sheets.ElementNames)

    def sheet(self, name: str) -> Any:
        return self.doc.Sheets.getByName(name)

    def visible(self, name: str) -> bool:
        return bool(self.sheet(name).IsVisible)

    def cell(self, sheet: str, name: str) -> Any:
        return self.sheet(sheet).getCellRangeByName(name)

    def set_string(self, sheet: str, name: str, text: str) -> None:
        """Put text in a cell as typed text (validation is not enforced, as on paste)."""
        self.cell(sheet, name).setString(text)

    def get_string(self, sheet: str, name: str) -> str:
        return self.cell(sheet, name).getString()

    def invalid_cells(self, sheet: str) -> list[str]:
        """The cells LibreOffice's validity check rejects (Detective ▸ Mark Invalid Data), as
        A1 names; a merged cell is named by its top-left cell."""
        target = self.sheet(sheet)
        target.clearArrows()
        target.showInvalid()
        page = target.DrawPage
        circles = [page.getByIndex(i) for i in range(page.Count)]
        circles = [s for s in circles if s.ShapeType == "com.sun.star.drawing.EllipseShape"]
        if not circles:
            return []
        cursor = target.createCursor()
        cursor.gotoEndOfUsedArea(False)
        end = cursor.RangeAddress
        cols = [_span(target.Columns.getByIndex(c), "X", "Width") for c in range(end.EndColumn + 1)]
        rows = [_span(target.Rows.getByIndex(r), "Y", "Height") for r in range(end.EndRow + 1)]
        found = []
        for circle in circles:
            x0 = circle.Position.X + _CIRCLE_MARGIN_X
            x1 = circle.Position.X + circle.Size.Width - _CIRCLE_MARGIN_X
            y0 = circle.Position.Y + _CIRCLE_MARGIN_Y
            y1 = circle.Position.Y + circle.Size.Height - _CIRCLE_MARGIN_Y
            inside_cols = [c for c, (start, width) in enumerate(cols) if width and x0 <= start + width / 2 <= x1]
            inside_rows = [r for r, (start, height) in enumerate(rows) if height and y0 <= start + height / 2 <= y1]
            if not inside_cols or not inside_rows:
                raise OfficeError(
                    f"a validity circle on {sheet} at {circle.Position.X},{circle.Position.Y} covers no cell"
                )
            found.append((inside_rows[0], inside_cols[0]))
        target.clearArrows()
        return [a1(r, c) for r, c in sorted(set(found))]

    def alert_style(self, sheet: str, name: str) -> str:
        """How the cell's validation treats a wrong entry: "STOP" (refused when typed),
        "WARNING" or "INFO" (the user may keep it), or "MACRO"."""
        return self.cell(sheet, name).Validation.ErrorAlertStyle.value

    def export_pdf(self, target: Path | str, sheets: Sequence[str] | None = None) -> Path:
        """Print to PDF as LibreOffice does (page setup, print areas, fit to width). With
        `sheets`, only those sheets are printed (the others are hidden in this open copy)."""
        target = Path(target)
        if sheets is not None:
            unknown = set(sheets) - set(self.sheet_names)
            if unknown:
                raise OfficeError(f"no sheet {sorted(unknown)} in {self.path.name}")
            for name in self.sheet_names:  # show the wanted ones first: one sheet must stay visible
                if name in sheets:
                    self.sheet(name).IsVisible = True
            for name in self.sheet_names:
                if name not in sheets:
                    self.sheet(name).IsVisible = False
        uno = import_uno()
        data = uno.Any("[]com.sun.star.beans.PropertyValue", _props(ExportNotes=False))
        self.doc.storeToURL(target.resolve().as_uri(), _props(FilterName="calc_pdf_Export", FilterData=data))
        return target

    def save_as_xlsx(self, target: Path | str) -> Path:
        """Save a copy as .xlsx the way `soffice --convert-to xlsx` does (filter "Calc MS Excel 2007 XML")."""
        target = Path(target)
        self.doc.storeToURL(target.resolve().as_uri(), _props(FilterName="Calc MS Excel 2007 XML", Overwrite=True))
        return target

    def save_as(self, target: Path | str, file_format: str | None = None) -> Path:
        """File ▸ Save As a copy (the open document stays as it is): `file_format` is "xlsx",
        "xls" or "ods" (SAVE_FILTERS), by default the one the target's suffix names; any file
        name will do, e.g. "年报(终稿).xls" saved as "xlsx"."""
        target = Path(target)
        file_format = file_format or target.suffix.lstrip(".").lower()
        if file_format not in SAVE_FILTERS:
            raise OfficeError(f"cannot save as {file_format!r}: choose one of {', '.join(SAVE_FILTERS)}")
        self.doc.storeToURL(target.resolve().as_uri(), _props(FilterName=SAVE_FILTERS[file_format], Overwrite=True))
        return target

    def type_text(self, sheet: str, name: str, text: str) -> None:
        """Type `text` into one cell and press Enter (see `type_cells`)."""
        self.type_cells(sheet, {name: text})

    def type_cells(self, sheet: str, texts: Mapping[str, str | None]) -> None:
        """Type each text into its cell (A1 name), in order, and press Enter. LibreOffice reads
        it as it reads the keyboard (the cell's FormulaLocal, in the document's locale): "58.5"
        and "1,234.5" become numbers, "50%" becomes 0.5 (a General cell also gets a percent
        format), "2025-12-31" a date, "=…" a formula — except in a cell formatted as text (@),
        which keeps exactly what was typed. None selects the cell and presses Delete: its
        content goes, its format and validity stay. The validity check is not applied (as on
        paste: see `invalid_cells`). A locked cell of a protected sheet raises OfficeError,
        where LibreOffice would refuse the keystrokes (the UNO calls themselves would silently
        leave the cell as it is)."""
        target = self.sheet(sheet)
        protected = target.isProtected()
        for name, text in texts.items():
            cell = target.getCellRangeByName(name)
            if protected and cell.CellProtection.IsLocked:
                raise OfficeError(f"{sheet}!{name} is a locked cell of a protected sheet: it cannot be typed into")
            if text is None:
                cell.clearContents(_contents_flags())
            else:
                cell.FormulaLocal = text

    def insert_rows(self, sheet: str, before_row: int, count: int) -> None:
        """Select `count` rows from the 0-based `before_row` down, right-click ▸ Insert Rows
        Above: new rows formatted as the row above them; a validity range or merge that spans
        the place grows over them. A protected sheet allows it only where its protection
        allows inserting rows, as generated sheets do (else LibreOffice raises)."""
        self.sheet(sheet).Rows.insertByIndex(before_row, count)

    def copy_sheet_from(self, source: Workbook, sheet: str) -> str:
        """Copy a sheet of another open workbook, with its content, formats, merges and
        protection, to the end of this one (Sheet ▸ Move or Copy Sheet ▸ Copy); returns the
        name it has here."""
        position = self.doc.Sheets.Count
        self.doc.Sheets.importSheet(source.doc, sheet, position)
        return str(self.doc.Sheets.getByIndex(position).Name)

    def remove_sheet(self, name: str) -> None:
        """Sheet ▸ Delete Sheet."""
        self.doc.Sheets.removeByName(name)

    def close(self) -> None:
        """Close without saving."""
        if self.doc is not None:
            with contextlib.suppress(Exception):
                self.doc.close(True)
            self.doc = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _contents_flags() -> int:
    """The CellFlags of what the Delete key removes: values, dates, text and formulas."""
    constant = import_uno().getConstantByName
    return sum(constant(f"com.sun.star.sheet.CellFlags.{kind}") for kind in ("VALUE", "DATETIME", "STRING", "FORMULA"))


def _span(band: Any, axis: str, extent: str) -> tuple[int, int]:
    """(start, size) of a column or row in 1/100 mm; a hidden one has size 0."""
    return getattr(band.Position, axis), getattr(band.Size, extent)


# --- PDF inspection (poppler-utils) -------------------------------------------------------

A4_POINTS = (595.28, 841.89)


def pdf_page_sizes(path: Path | str) -> list[tuple[float, float]]:
    """(width, height) in points of every page, from `pdfinfo`."""
    pages = _pdf_page_count(path)
    out = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(pages), str(path)], capture_output=True, text=True, check=True
    ).stdout
    sizes = []
    for line in out.splitlines():
        if line.startswith("Page") and " size:" in line:
            numbers = line.split("size:")[1].split("pts")[0].split("x")
            sizes.append((float(numbers[0]), float(numbers[1])))
    return sizes


def _pdf_page_count(path: Path | str) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return next(int(line.split()[-1]) for line in out.splitlines() if line.startswith("Pages:"))


def pdf_page_texts(path: Path | str) -> list[str]:
    """The text of every page (`pdftotext -layout`), one string per page."""
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def is_a4(size: tuple[float, float], tolerance: float = 1.0) -> bool:
    width, height = size
    portrait = abs(width - A4_POINTS[0]) <= tolerance and abs(height - A4_POINTS[1]) <= tolerance
    landscape = abs(width - A4_POINTS[1]) <= tolerance and abs(height - A4_POINTS[0]) <= tolerance
    return portrait or landscape


def pdf_to_png(pdf: Path | str, png: Path | str, resolution: int = 70) -> Path:
    """The first page of a PDF as a PNG (`pdftoppm -singlefile`)."""
    png = Path(png)
    stem = png.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", str(resolution), "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf), str(stem)],
        check=True,
        capture_output=True,
    )
    return stem.with_suffix(".png")
