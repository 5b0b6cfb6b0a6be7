"""Collect an inbox of returns into the ledger: read each file (and each file inside a .zip
there), judge it against the roster, record it with its outcome.

Every file ends with exactly one outcome: accepted, accepted_with_warnings, rejected (it could
not be read, it has errors, it is another unit's or a unit not on the roster) or skipped (a
lock file, or bytes already received under another name). A file recorded before — the same
path with the same bytes — is left alone, so collecting twice changes nothing, and a collect
killed half way and run again ends with the same ledger. Reading runs in `workers` processes;
the ledger is written in inbox order by this one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .errors import Code, Finding, Severity
from .ledger import Ledger, Outcome, Received
from .load import find_template
from .read import read_return
from .safe_open import ZipLimits

if TYPE_CHECKING:
    from typing_extensions import Self

ARCHIVE_SUFFIX = ".zip"
ARCHIVE_LIMITS = ZipLimits()
BATCH = 64  # files read (in parallel with workers) before they are recorded
LEADING_CODE = re.compile(r"^\s*([0-9A-Za-z]+)")


@dataclass(frozen=True)
class InboxItem:
    """One file to collect: where it is shown (its inbox path; "a.zip/b.xlsx" inside an archive)
    and its bytes."""

    label: str
    name: str
    content: bytes

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class CollectReport:
    outcomes: list[tuple[str, Outcome, str]] = field(default_factory=list)  # (label, outcome, reason)
    unchanged: int = 0  # files recorded before

    def count(self) -> Counter[Outcome]:
        return Counter(outcome for _, outcome, _ in self.outcomes)


def collect(
    inbox: Path, ledger: Ledger, *, template: str | None = None, workers: int = 1,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now().replace(microsecond=0),
    progress: Callable[[list[Path]], Iterable[Path]] = lambda paths: paths,
) -> CollectReport:
    """Read every new file of `inbox` into `ledger`. `template` reads workbooks without a stamp.
    Files stream through in batches, so memory does not grow with the size of the inbox."""
    report = CollectReport()
    roster = {unit["code"]: unit["name"] for unit in ledger.units()}
    paths = inbox_paths(inbox)
    with _Readers(workers) as readers:
        for batch in _batches(_fresh(inbox, progress(paths), ledger, report), BATCH):
            for item, one in zip(batch, readers.read(batch, template)):
                verdict = judge(item, one, roster, ledger)
                one = replace(one, unit_code=verdict.unit or one.unit_code,
                              findings=one.findings + tuple(f.as_dict() for f in verdict.findings))
                ledger.record(item.label, one, verdict.outcome, verdict.reason, now(), verdict.counts)
                report.outcomes.append((item.label, verdict.outcome, verdict.reason))
    return report


def _fresh(inbox: Path, paths: Iterable[Path], ledger: Ledger, report: CollectReport) -> Iterator[InboxItem]:
    for path in paths:
        for item in items_of(inbox, path):
            if ledger.seen(item.label, item.sha256):
                report.unchanged += 1
            else:
                yield item


def _batches(items: Iterable[InboxItem], size: int) -> Iterator[list[InboxItem]]:
    batch: list[InboxItem] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Readers:
    """Read returns here, or in worker processes."""

    def __init__(self, workers: int) -> None:
        self.pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def read(self, batch: list[InboxItem], template: str | None) -> Iterable[Received]:
        tasks = [(item.name, item.content, item.sha256, template) for item in batch]
        if self.pool is None:
            return (receive(*task) for task in tasks)
        return self.pool.map(_receive_task, tasks, chunksize=max(1, len(tasks) // 8))


def inbox_paths(inbox: Path) -> list[Path]:
    """Every file below `inbox`, in name order."""
    return sorted(p for p in Path(inbox).rglob("*") if p.is_file())


def items_of(inbox: Path, path: Path) -> list[InboxItem]:
    """The file to collect at `path`; for a .zip archive, the files inside it."""
    label = path.relative_to(inbox).as_posix()
    content = path.read_bytes()
    if path.suffix.lower() == ARCHIVE_SUFFIX:
        return _archive_items(label, content)
    return [InboxItem(label, path.name, content)]


def _archive_items(label: str, content: bytes, limits: ZipLimits = ARCHIVE_LIMITS) -> list[InboxItem]:
    """The files in a mailed .zip, within the same limits as a workbook's own parts (zipfile
    never inflates a member past its declared size). An archive that cannot be opened whole is
    one item itself: reading it says what it is."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [m for m in archive.infolist() if not m.is_dir()]
        if any(m.filename == "[Content_Types].xml" for m in members):  # a workbook named .zip: read as one
            return [InboxItem(label, PurePosixPath(label).name, content)]
        if len(members) > limits.max_entries or sum(m.file_size for m in members) > limits.max_total_bytes:
            raise zipfile.BadZipFile("too many entries or too large")
        return [InboxItem(f"{label}/{_member_name(m)}", PurePosixPath(_member_name(m)).name, archive.read(m))
                for m in members]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return [InboxItem(label, PurePosixPath(label).name, content)]


def _member_name(member: zipfile.ZipInfo) -> str:
    """A member's name as written: zips made on Chinese Windows store GBK without saying so."""
    if member.flag_bits & 0x800:
        return member.filename
    try:
        return member.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return member.filename


def _receive_task(task: tuple[str, bytes, str, str | None]) -> Received:
    return receive(*task)


def receive(name: str, content: bytes, sha256: str, template: str | None) -> Received:
    """Read one file's bytes (under its own name, so lock files and suffixes are seen) into
    what the ledger records."""
    with tempfile.TemporaryDirectory(prefix="xlsxkit-") as folder:
        path = Path(folder) / (name or "return.xlsx")
        path.write_bytes(content)
        result = read_return(path, find_template(template) if template else None)
    stamp = result.stamp
    return Received(
        sha256=sha256, size=len(content), content=content,
        unit_code=stamp.unit_code if stamp else None, unit_name=stamp.unit_name if stamp else None,
        year=stamp.year if stamp else _year_of(result.records),
        template_id=result.template.id if result.template else None,
        template_version=result.template.version if result.template else None,
        readable=result.readable,
        findings=tuple(f.as_dict() for f in result.all_findings()),
        records=tuple((r.sheet, r.record) for r in result.records),
    )


def _year_of(records: list) -> int | None:
    return next((r.record.get("year") for r in records if r.record.get("year")), None)


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str  # the code that decided it ("" when accepted)
    counts: bool  # a version of its unit's return
    unit: str | None = None  # the unit it is from
    findings: tuple[Finding, ...] = ()  # what the collector itself found (L codes)


def judge(item: InboxItem, received: Received, roster: dict[str, str], ledger: Ledger) -> Verdict:
    """The outcome of one file read from the inbox."""
    errors = [f["code"] for f in received.findings if f["severity"] == Severity.error.value]
    if not received.readable:
        if not errors:  # skipped on purpose (an Excel lock file)
            return Verdict(Outcome.skipped, received.findings[0]["code"], False)
        return Verdict(Outcome.rejected, errors[0], False)
    first = ledger.first_receipt_of(received.sha256)
    if first is not None:
        return Verdict(Outcome.skipped, Code.L_DUPLICATE.code, False, findings=(Finding(Code.L_DUPLICATE, details={"first": first}),))
    named = _named_unit(item.label, roster)
    unit = received.unit_code or named  # a workbook without a stamp is the unit its name says
    if unit is None or unit not in roster:
        finding = Finding(Code.L_NOT_ON_ROSTER, details={"unit": unit or "（未知）", "name": received.unit_name or ""})
        return Verdict(Outcome.rejected, finding.code.code, False, unit, (finding,))
    if named is not None and named != unit:
        details = {"named": named, "stamped": unit, "stamped_name": received.unit_name or roster.get(unit, "")}
        finding = Finding(Code.L_OTHER_UNIT, details=details)
        return Verdict(Outcome.rejected, finding.code.code, False, unit, (finding,))
    if errors:
        return Verdict(Outcome.rejected, errors[0], True, unit)
    if received.count(Severity.warning.value):
        return Verdict(Outcome.accepted_with_warnings, "", True, unit)
    return Verdict(Outcome.accepted, "", True, unit)


def _named_unit(label: str, roster: dict[str, str]) -> str | None:
    """The roster unit a file's name or folder names ("603001-唐山….xlsx", "603001/…"), if any."""
    for part in reversed(PurePosixPath(label).parts):
        match = LEADING_CODE.match(part)
        if match and match.group(1) in roster:
            return match.group(1)
    return None
