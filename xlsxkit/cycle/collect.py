"""Collect an inbox of returns into the ledger: read each file (and each file inside a .zip
there), attribute it to a roster unit, judge it, record it with its outcome.

Every file ends with exactly one outcome: accepted, accepted_with_warnings, rejected (it could
not be read, it has errors, it is of another year or template, it is another unit's, it belongs
to no unit on the roster) or skipped (a lock file, or the same bytes as its unit's latest
version). A workbook without our stamp (a sheet copied into a new workbook, an .xls or .ods) is
read with the collection's template and attributed by the unit code, else the unit name, in its
file or folder name — said in a warning.

The collection (template and year) is given the first time, or taken from the stamped returns
of the first batch read, and kept in the ledger. A file recorded before — the same path with the
same bytes — is left alone, unless its outcome depended on the roster, its name or a template
not known then: such a file is judged again, so fixes take. `recheck` judges every recorded
file again from its stored bytes. Reading runs in `workers` processes; the ledger is written in
inbox order by this one.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from xlsxkit.cycle.inbox import InboxItem, inbox_paths, items_of, refused_item, whole_item
from xlsxkit.cycle.judging import judge, wants_a_template
from xlsxkit.cycle.ledger import Evaluation, Ledger, Outcome, Receipt, Received
from xlsxkit.cycle.office_records import Collection
from xlsxkit.cycle.outputs import is_compilation_workbook, is_feedback_workbook
from xlsxkit.cycle.relay_receipts import (
    PART_MARK,
    is_relayed,
    is_withdrawal,
    part_of,
    relay_parts,
)
from xlsxkit.form.errors import Code, Finding, InputError, Problem
from xlsxkit.read.reader import read_return
from xlsxkit.template.load import builtin_template, parse_template
from xlsxkit.template.model import Template

if TYPE_CHECKING:
    from typing_extensions import Self

BATCH = 64  # files read (in parallel with workers) before they are recorded
HELD = 8 * BATCH  # files held back, at most, while the collection waits for a stamped return
WATCH_SECONDS = 0.5  # how often a reading worker looks whether its collect is still there
# Outcomes that depend on the roster, the file's name or a template not known when judged:
# `collect` judges such a file again when it meets it once more.
JUDGED_AGAIN = frozenset(
    {Code.L_NOT_ON_ROSTER.code, Code.L_OTHER_UNIT.code, Code.L_UNATTRIBUTED.code, Code.R_NO_STAMP.code}
)


@dataclass
class CollectReport:
    """What one collect or recheck did: each new file with its outcome and reason, and how many
    were already recorded."""

    outcomes: list[tuple[str, Outcome, str]] = field(default_factory=list)  # (label, outcome, reason)
    unchanged: int = 0  # files recorded before, their outcome unchanged

    def count(self) -> Counter[Outcome]:
        """How many files had each outcome."""
        return Counter(outcome for _, outcome, _ in self.outcomes)

    @property
    def all_accepted(self) -> bool:
        """Every file accepted (warnings allowed) or skipped on purpose."""
        return all(outcome is not Outcome.rejected for _, outcome, _ in self.outcomes)


Now = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def collect(
    inbox: Path,
    ledger: Ledger,
    *,
    template: Template | None = None,
    template_yaml: str | None = None,
    year: int | None = None,
    workers: int = 1,
    now: Now = _now,
    progress: Callable[[list[Path]], Iterable[Path]] = lambda paths: paths,
) -> CollectReport:
    """Read every new file of `inbox` into `ledger`. `template` (with the YAML it was loaded
    from, where it is not built in) and `year` say what the collection is: needed once, kept in
    the ledger. Files stream through in batches, so memory does not grow with the inbox."""
    settle_collection(ledger, template, year, template_yaml=template_yaml)
    ledger.remember_inbox(inbox)  # outputs are never written into it
    report = CollectReport()
    paths = inbox_paths(inbox)
    with _Readers(workers) as readers:
        items = _batches(_to_judge(inbox, progress(paths), ledger, report), BATCH)
        for item, whole in _read(readers, items, ledger):
            for label, received in relay_parts(item.label, whole):
                receipt_id = item.receipt_id if label == item.label else ledger.receipt_id(label, whole.sha256)
                if receipt_id is None and item.receipt_id is not None and is_withdrawal(received):
                    continue  # a summary judged again withdraws nothing: it did so, or not, when it arrived
                evaluation, received = judge(label, received, ledger, before=receipt_id)
                if receipt_id is None and is_withdrawal(received) and not evaluation.counts:
                    continue  # a unit the summary carries nothing of, and nothing of it to withdraw
                if receipt_id is None:
                    if ledger.record(label, received, evaluation, now(), file_time=item.modified) is None:
                        report.unchanged += 1
                        continue
                elif evaluation != _current(ledger, receipt_id):
                    ledger.reevaluate(receipt_id, received, evaluation, now())
                else:
                    report.unchanged += 1
                    continue
                report.outcomes.append((label, evaluation.outcome, evaluation.reason))
    return report


def recheck(
    ledger: Ledger,
    *,
    template: Template | None = None,
    template_yaml: str | None = None,
    year: int | None = None,
    workers: int = 1,
    now: Now = _now,
) -> CollectReport:
    """Judge every recorded file again, from its stored bytes, with the ledger's current roster,
    template and rules; each gets a new evaluation (the earlier ones are kept)."""
    settle_collection(ledger, template, year, template_yaml=template_yaml)
    report = CollectReport()
    items = (_stored(ledger, receipt) for receipt in ledger.receipts())
    with _Readers(workers) as readers:
        for batch in _batches(items, BATCH):
            for item, whole in zip(batch, _read_batch(readers, batch, ledger), strict=True):
                assert item.receipt_id is not None
                received = part_of(item.label, whole)
                evaluation, received = judge(item.label, received, ledger, before=item.receipt_id)
                ledger.reevaluate(item.receipt_id, received, evaluation, now())
                report.outcomes.append((item.label, evaluation.outcome, evaluation.reason))
    return report


def _stored(ledger: Ledger, receipt: Receipt) -> InboxItem:
    """A recorded file as it was received: its stored bytes, or the reason it was not read then
    (a file refused unread was not stored)."""
    content = ledger.content_of_receipt(receipt.id)
    name = PurePosixPath(receipt.path).name
    if receipt.unit_code and is_relayed(name, receipt.unit_code):  # a unit's part: read as the file it came in
        name = name.removesuffix(f"{PART_MARK}{receipt.unit_code}")
    if content is None:
        why = ledger.findings_of(ledger.evaluation_of(receipt.id))[0]
        return refused_item(receipt.path, name, why, digest=receipt.sha256).recorded_as(receipt.id)
    return whole_item(receipt.path, name, content).recorded_as(receipt.id)


def _current(ledger: Ledger, receipt_id: int) -> Evaluation:
    return ledger.history(receipt_id)[-1]


# --- the collection: template and year --------------------------------------------------------


def settle_collection(
    ledger: Ledger, template: Template | None, year: int | None, *, template_yaml: str | None = None
) -> None:
    """Record the template and year given, where the ledger has none yet; refuse another one."""
    current = ledger.collection()
    problems = []
    if template is not None and current.template_id not in (None, template.id):
        problems.append(
            Problem(
                Code.L_COLLECTION_CHANGED,
                str(ledger.path),
                {"what": "模板", "current": current.template_id, "given": template.id},
            )
        )
    if year is not None and current.year not in (None, year):
        problems.append(
            Problem(
                Code.L_COLLECTION_CHANGED, str(ledger.path), {"what": "年度", "current": current.year, "given": year}
            )
        )
    if problems:
        raise InputError(problems)
    if template is not None and current.template_id is None:
        builtin = builtin_template(template.id) == template
        ledger.set_collection(template_id=template.id, template_yaml=None if builtin else template_yaml)
    if year is not None and current.year is None:
        ledger.set_collection(year=year)


def collection_template(collection: Collection) -> Template | None:
    """The collection's template, from the built-in ones or from the YAML the ledger keeps."""
    if collection.template_id is None:
        return None
    if collection.template_yaml:
        return parse_template(collection.template_yaml, f"ledger:{collection.template_id}")
    return builtin_template(collection.template_id)


def _settle_from_stamps(ledger: Ledger, received: list[Received]) -> bool:
    """Where the ledger does not know its template or year yet, take the most common among the
    stamped returns read (of the same template, the latest year on a tie); True when anything
    became known."""
    current = ledger.collection()
    stamped = [(r.template_id, r.year) for r in received if r.stamped and r.template_id]
    if not stamped:
        return False
    template_id = current.template_id
    if template_id is None:
        template_id = Counter(t for t, _ in stamped).most_common(1)[0][0]
        if builtin_template(template_id) is None:
            return False
        ledger.set_collection(template_id=template_id)
    years = Counter(y for t, y in stamped if t == template_id and y is not None)
    if current.year is None and years:
        ledger.set_collection(year=max(years.items(), key=lambda pair: (pair[1], pair[0]))[0])
    return ledger.collection() != current


def _read(
    readers: _Readers, batches: Iterable[list[InboxItem]], ledger: Ledger
) -> Iterator[tuple[InboxItem, Received]]:
    """Each item with what it turned out to be, in inbox order. While the collection is not
    settled, what is read is held back (up to HELD) until a stamped return settles it, so the
    returns without a stamp that came first are read with its template too, not refused (R001)."""
    held: list[tuple[InboxItem, Received]] = []
    template = None
    for batch in batches:
        if not held and _settled(ledger.collection()):
            yield from zip(batch, _read_batch(readers, batch, ledger), strict=True)
            continue
        template = collection_template(ledger.collection())
        held += zip(batch, readers.read(batch, template), strict=True)
        if _settle_from_stamps(ledger, [received for _, received in held]) or len(held) >= HELD:
            yield from _read_again(readers, held, template, ledger)
            held = []
    yield from _read_again(readers, held, template, ledger)


def _read_again(
    readers: _Readers, held: list[tuple[InboxItem, Received]], template: Template | None, ledger: Ledger
) -> list[tuple[InboxItem, Received]]:
    """The returns without a stamp read again, where the template became known since they were read."""
    now = collection_template(ledger.collection())
    if template is not None or now is None:
        return held
    unstamped = [i for i, (_, received) in enumerate(held) if wants_a_template(received)]
    again = readers.read([held[i][0] for i in unstamped], now)
    for i, received in zip(unstamped, again, strict=True):
        held[i] = (held[i][0], received)
    return held


def _settled(collection: Collection) -> bool:
    return collection.template_id is not None and collection.year is not None


def _read_batch(readers: _Readers, batch: list[InboxItem], ledger: Ledger) -> Iterable[Received]:
    """The batch read, streamed; where the collection is not settled yet, read whole first, the
    collection taken from its stamped returns, and the returns without a stamp read again with it."""
    collection = ledger.collection()
    template = collection_template(collection)
    if template is not None and collection.year is not None:
        return readers.read(batch, template)
    results = list(readers.read(batch, template))
    if _settle_from_stamps(ledger, results) and template is None:
        template = collection_template(ledger.collection())
        unstamped = [i for i, r in enumerate(results) if wants_a_template(r)]
        for i, again in zip(unstamped, readers.read([batch[i] for i in unstamped], template), strict=True):
            results[i] = again
    return results


# --- the inbox ------------------------------------------------------------------------------


def _to_judge(inbox: Path, paths: Iterable[Path], ledger: Ledger, report: CollectReport) -> Iterator[InboxItem]:
    """New files, and files recorded before whose outcome may change now."""
    for path in paths:
        for item in items_of(inbox, path):
            receipt_id = ledger.receipt_id(item.label, item.sha256)
            if receipt_id is None:
                yield item
            elif _current(ledger, receipt_id).reason in JUDGED_AGAIN or ledger.parts_with_reasons(
                item.label, item.sha256, JUDGED_AGAIN
            ):  # the file, or a unit's part of it (a relayed summary), may be judged otherwise now
                yield item.recorded_as(receipt_id)
            else:
                report.unchanged += 1


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
        self.pool = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_die_with, initargs=(os.getpid(),))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def read(self, batch: list[InboxItem], template: Template | None) -> Iterator[Received]:
        """What each item of the batch turned out to be, in batch order, as each is read."""
        tasks = [(i.name, i.content, i.sha256, template) for i in batch if i.content is not None]
        if self.pool is None:
            results: Iterator[Received] = (receive(*task) for task in tasks)
        else:
            results = self.pool.map(_receive_task, tasks, chunksize=max(1, len(tasks) // 8))
        for one in batch:
            yield unread(one) if one.content is None else next(results)


def _die_with(parent: int) -> None:
    """In a reading worker: end when the collect that started it ends, even by kill -9 (a worker
    left behind would go on holding its memory)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="xlsxkit-watch-parent", daemon=True).start()


def unread(one: InboxItem) -> Received:
    """A file refused before it was read: its bytes are not stored, its hash and size are."""
    assert one.refused is not None
    return not_a_return(one.sha256, one.size, None, one.refused)


def not_a_return(sha256: str, size: int, content: bytes | None, why: dict[str, Any]) -> Received:
    """A file that is no one's return, for the reason `why` (a finding, as a dict)."""
    return Received(
        sha256=sha256,
        size=size,
        content=content,
        unit_code=None,
        unit_name=None,
        year=None,
        template_id=None,
        template_version=None,
        readable=False,
        stamped=False,
        findings=(why,),
        records=(),
    )


# --- reading one file -------------------------------------------------------------------------


def _receive_task(task: tuple[str, bytes, str, Template | None]) -> Received:
    return receive(*task)


def receive(name: str, content: bytes, sha256: str, template: Template | None) -> Received:
    """Read one file's bytes into what the ledger records; `template` reads a workbook without a
    stamp. Nothing is written to disk (a worker killed half way leaves nothing behind)."""
    result = read_return(name, fallback=template, content=content)  # from the bytes: no temporary file
    stamp = result.stamp
    records = [r.record for r in result.records]
    if is_feedback_workbook(result.facts, records):  # our own feedback, unchanged: no return
        return not_a_return(sha256, len(content), content, Finding(Code.O_FEEDBACK_COLLECTED).as_dict())
    if is_compilation_workbook(result.facts):  # the 汇编 beside a summary: forms drawn again, no return
        return not_a_return(sha256, len(content), content, Finding(Code.O_COMPILATION_COLLECTED).as_dict())
    relay = result.relay
    if relay is not None:  # a lower office's summary: the return of that office and of its units
        unit_code, unit_name, year = relay.office_code or None, relay.office_name or None, relay.year
    else:
        unit_code = (stamp.unit_code or None) if stamp else None
        unit_name = (stamp.unit_name or None) if stamp else None
        year = stamp.year if stamp else next((r["year"] for r in records if r.get("year")), None)
    return Received(
        sha256=sha256,
        size=len(content),
        content=content,
        unit_code=unit_code,
        unit_name=unit_name,
        year=year,
        template_id=result.template.id if result.template else None,
        template_version=result.template.version if result.template else None,
        readable=result.readable,
        stamped=stamp is not None or relay is not None,
        findings=tuple(f.as_dict() for f in result.all_findings()),
        records=tuple((r.sheet, r.record) for r in result.records),
        relayed_by=relay.office_code if relay is not None else None,
        relay_roster=tuple((code, name) for code, name, _ in relay.units) if relay is not None else (),
    )
