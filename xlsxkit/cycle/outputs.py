"""What xlsxkit writes, checked before anything is written, and the mark on what it wrote.

An output is refused (`OutputError`, every problem at once) when it would
- replace the ledger, or any SQLite database: every return collected would be lost;
- land in a folder of returns (an inbox a collection was collected from, a folder being read):
  the next collect or read would take it for a return, or it would replace one;
- replace a file the command reads;
- be a folder where a file is wanted, or a file where a folder is;
- replace an existing file xlsxkit did not write, unless `force` is given.

"Ours" — what may be replaced without `force` — is decided from the file itself: a workbook
carrying our output mark (custom document property `xlsxkit.output`, written on feedback
workbooks) or a summary workbook (its document title and author as consolidate writes them); a
JSONL, JSON or CSV file beginning as our exports begin (a canonical record, a `read` result, one
of our CSV headers); an empty file. A workbook xlsxkit generated for a unit (a form, a return) is
not an output: it is never ours to replace.

A feedback workbook also carries a digest of the project data it holds, so that one put in an
inbox is known when collected (`is_feedback_workbook`) while a unit's corrected copy of it,
sent back as it is asked to, is a return like any other.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from xlsxkit.cycle.ledger import Ledger
from xlsxkit.form.errors import Code, Problem, XlsxkitError
from xlsxkit.form.stamp import PROPERTY_PREFIX
from xlsxkit.read.safe_open import FileFacts
from xlsxkit.read.workbook_parts import custom_properties

__all__ = [
    "COMPILATION",
    "DATA_PROPERTY",
    "FEEDBACK",
    "OUTPUT_PROPERTY",
    "OutputError",
    "OutputGuard",
    "data_digest",
    "is_compilation_workbook",
    "is_feedback_workbook",
    "is_ours",
    "ledger_problem",
    "write_problem",
]

SQLITE_HEADER = b"SQLite format 3\x00"
OUTPUT_PROPERTY = PROPERTY_PREFIX + "output"  # which output of xlsxkit a workbook is: FEEDBACK, COMPILATION
FEEDBACK = "feedback"
COMPILATION = "compilation"  # 汇编 in a workbook of its own, beside the summary
DATA_PROPERTY = PROPERTY_PREFIX + "feedback_data"  # data_digest of the project sheets a feedback workbook holds
SUMMARY_PROPERTIES = {"title": "项目支出绩效目标汇总", "creator": "xlsxkit"}  # as consolidate sets them
# Keys of a record that say where it came from, or that collect fills in for a return without our
# stamp: left out of the digest, which is about what the unit typed.
IDENTITY_KEYS = frozenset({"source", "unit", "year"})
OUR_TEXT = re.compile(
    r"""\A(?:\{"(?:form|file)":\x20            # JSONL: a canonical record, or a read result with findings
        |\[\s*(?:\]|\{\s*"(?:form|file)":)     # JSON: a list of those
        |form,|source\.file,                    # read --format csv: a record's flat keys, or findings alone
        |单位代码,单位名称,项目编码,)            # consolidate's projects.csv and indicators.csv
    """,
    re.VERBOSE,
)
HEAD_BYTES = 4096
PART_LIMIT = 2**20  # a document-properties part larger than this is not ours
CORE = "docProps/core.xml"
CUSTOM = "docProps/custom.xml"
DC = "{http://purl.org/dc/elements/1.1/}"


class OutputError(XlsxkitError):
    """Outputs a command refuses to write; every problem is listed."""


@dataclass(frozen=True)
class OutputGuard:
    """What one command must never write over or into, and whether it may replace files that are
    not ours (`force`)."""

    ledger: Path | None = None
    folders_read: tuple[Path, ...] = ()  # inboxes collected from, folders being read: returns are there
    files_read: tuple[Path, ...] = ()
    force: bool = False

    @classmethod
    def for_ledger(cls, ledger: Ledger, *, force: bool = False) -> OutputGuard:
        """The guard of a command working from `ledger`: its file, and the inboxes it was collected from."""
        return cls(ledger=ledger.path, folders_read=tuple(ledger.inboxes()), force=force)

    def check(
        self, *, files: Sequence[tuple[Path | None, str]] = (), folders: Sequence[tuple[Path | None, str]] = ()
    ) -> None:
        """Raise OutputError listing every problem with the outputs about to be written: `files` and
        `folders` are (path, what it is, in Chinese) pairs; a path of None is an output not asked for."""
        problems: list[Problem] = []
        seen: dict[str, str] = {}
        for path, what in files:
            if path is None:
                continue
            key = _key(path)
            if key in seen:
                problems.append(Problem(Code.O_OUTPUT_TWICE, str(path), {"what": seen[key], "other": what}))
                continue
            seen[key] = what
            problems += self._file_problems(path, what)
        for path, what in folders:
            if path is not None:
                problems += self._folder_problems(path, what)
        if problems:
            raise OutputError(problems)

    def _file_problems(self, path: Path, what: str) -> list[Problem]:
        details = {"what": what}
        if (self.ledger is not None and _same(path, self.ledger)) or (path.is_file() and _is_sqlite(path)):
            return [Problem(Code.O_OUTPUT_IS_LEDGER, str(path), details)]
        within = self._folder_read_holding(path)
        if within is not None:
            return [Problem(Code.O_OUTPUT_IN_RETURNS, str(path), {**details, "folder": str(within)})]
        if any(_same(path, read) for read in self.files_read):
            return [Problem(Code.O_OUTPUT_IS_INPUT, str(path), details)]
        if path.is_dir():
            return [Problem(Code.O_OUTPUT_IS_FOLDER, str(path), details)]
        if path.exists() and not self.force and not is_ours(path):
            return [Problem(Code.O_OUTPUT_NOT_OURS, str(path), details)]
        return []

    def _folder_problems(self, path: Path, what: str) -> list[Problem]:
        if path.exists() and not path.is_dir():
            return [Problem(Code.O_OUTPUT_IS_FILE, str(path), {"what": what})]
        within = self._folder_read_holding(path)
        if within is not None:
            return [Problem(Code.O_OUTPUT_IN_RETURNS, str(path), {"what": what, "folder": str(within)})]
        return []

    def _folder_read_holding(self, path: Path) -> Path | None:
        """The folder of returns that `path` is, or lies in, if any."""
        return next((folder for folder in self.folders_read if lies_in(path, folder)), None)


def lies_in(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies below it, as the file system resolves both."""
    key, inside = _key(path), _key(folder)
    return key == inside or key.startswith(inside.rstrip(os.sep) + os.sep)


def write_problem(error: OSError, target: Path) -> OutputError:
    """An output that could not be written (a folder not writable, a disk full, a file held open)."""
    where = error.filename if error.filename is not None else target
    return OutputError([Problem(Code.O_OUTPUT_WRITE, str(where), {"detail": error.strerror or str(error)})])


# --- what a run killed half way left behind ------------------------------------------------------------

STALE_SECONDS = 6 * 3600  # a work file of ours untouched this long is no run's any more
PARTIAL_FILE = re.compile(r"\.partial-[a-z0-9_]{8}(\.[A-Za-z0-9]+)?")  # form/atomic's, beside an output
PARQUET_WORK = re.compile(r"xlsxkit-parquet-[a-z0-9_]{8}")  # parquet_export's, in the warehouse


def clear_leftovers(folder: Path, name: re.Pattern[str], *, now: float | None = None) -> list[Path]:
    """Remove what a run killed half way (kill -9, a power cut) left in `folder`: the files or
    folders named as ours (`name`, all of it) and untouched for STALE_SECONDS, so never those of a
    run still going. A link is never followed nor removed; what cannot be removed stays. The
    paths removed."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no folder yet, or not one to list
        return []
    for entry in entries:
        if not name.fullmatch(entry.name) or entry.is_symlink():
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime < STALE_SECONDS:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


# --- which files are ours --------------------------------------------------------------------------------


def is_ours(path: Path) -> bool:
    """Whether the existing file at `path` is an output xlsxkit writes (see the module's docstring),
    so that writing it again loses nothing that cannot be made again."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(HEAD_BYTES)
    except OSError:
        return False
    if head.startswith(b"PK"):
        return _is_our_workbook(path)
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    return not text.strip() or OUR_TEXT.match(text) is not None


def _is_our_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            custom = _part(archive, CUSTOM)
            core = _part(archive, CORE)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError):
        return False
    if custom is not None and custom_properties(custom).get(OUTPUT_PROPERTY) == FEEDBACK:
        return True
    return core is not None and all(core.findtext(DC + name) == value for name, value in SUMMARY_PROPERTIES.items())


def _part(archive: zipfile.ZipFile, name: str) -> Element | None:
    """A small XML part of the archive, parsed safely; None when absent, too large or not XML."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > PART_LIMIT:
        return None
    data = archive.read(info)  # never more than the size its directory records
    try:
        root: Element = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException):
        return None
    return root


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as stream:
            return stream.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _key(path: Path) -> str:
    """The path as the file system knows it (absolute, links followed), for comparing."""
    return os.path.normcase(str(Path(path).resolve()))


def _same(path: Path, other: Path) -> bool:
    if _key(path) == _key(other):
        return True
    try:
        return path.exists() and other.exists() and os.path.samefile(path, other)
    except OSError:
        return False


# --- feedback workbooks -------------------------------------------------------------------------------


def data_digest(records: Iterable[Mapping[str, Any]]) -> str:
    """A digest of what records say, without where they came from (IDENTITY_KEYS)."""
    data = [{key: value for key, value in record.items() if key not in IDENTITY_KEYS} for record in records]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def is_compilation_workbook(facts: FileFacts | None) -> bool:
    """Whether a workbook read as a return is a 汇编 workbook xlsxkit wrote beside a summary."""
    return facts is not None and facts.custom_properties.get(OUTPUT_PROPERTY) == COMPILATION


def is_feedback_workbook(
    facts_or_properties: FileFacts | Mapping[str, str] | None,
    records: Iterable[Mapping[str, Any]],
) -> bool:
    """Whether a workbook read as a return is a feedback workbook as xlsxkit wrote it: our mark is on
    it (its custom properties, or the FileFacts holding them; None for a file not opened) and
    `records` (those read from it) hold the very data it was written with. A unit's corrected copy
    of its feedback workbook (sent back, as it is asked to) has other data: False."""
    if facts_or_properties is None:
        return False
    properties = (
        facts_or_properties.custom_properties if isinstance(facts_or_properties, FileFacts) else facts_or_properties
    )
    return properties.get(OUTPUT_PROPERTY) == FEEDBACK and properties.get(DATA_PROPERTY) == data_digest(records)


# --- the ledger file ------------------------------------------------------------------------------------------

SQLITE_PROBLEMS = {  # SQLite's error name → what it means for a ledger
    "SQLITE_NOTADB": Code.O_LEDGER_NOT_LEDGER,
    "SQLITE_CORRUPT": Code.O_LEDGER_DAMAGED,
    "SQLITE_READONLY": Code.O_LEDGER_READ_ONLY,
}
SQLITE_MESSAGES = {  # the same by message, where Python (< 3.11) does not give the name
    "file is not a database": Code.O_LEDGER_NOT_LEDGER,
    "database disk image is malformed": Code.O_LEDGER_DAMAGED,
    "attempt to write a readonly database": Code.O_LEDGER_READ_ONLY,
}


def ledger_problem(path: Path, error: sqlite3.DatabaseError) -> Problem:
    """What is wrong with the ledger at `path`, on which SQLite failed with `error`."""
    if path.is_dir():
        return Problem(Code.O_LEDGER_FOLDER, str(path))
    detail = str(error)
    code = SQLITE_PROBLEMS.get(
        getattr(error, "sqlite_errorname", ""), SQLITE_MESSAGES.get(detail, Code.O_LEDGER_UNOPENABLE)
    )
    if code is Code.O_LEDGER_NOT_LEDGER:
        detail = "文件开头不是 SQLite 数据库"
    return Problem(code, str(path), {"detail": detail})
