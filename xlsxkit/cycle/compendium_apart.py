"""汇编 in a workbook of its own, drawn by a second process while the summary is written.

A large collection's 汇编 (tens of thousands of forms) is as much work as every other sheet of
the summary together, and a workbook of that size is slow to open. Drawn apart, it goes beside
the summary ("汇总表-汇编.xlsx") and the two are written at once, on two cores: this process
places each form (CompilationPlan: where it goes, worked out without drawing) so that the
summary's rows link to it, and sends the record on; the other draws it (Compilation) in the
same order, so it lands exactly where the link says.

Records travel as their JSON text, in batches. The drawing process writes into the file it is
given (the caller's temporary file, renamed into place only when everything is complete) and
answers once at the end: done, or what went wrong. A failure on either side leaves no 汇编.
"""

from __future__ import annotations

import json
import multiprocessing
import tempfile
from multiprocessing.connection import Connection
from multiprocessing.context import ForkContext, SpawnContext
from pathlib import Path
from typing import Any

from xlsxwriter.workbook import Workbook

from xlsxkit.cycle.compendium import Compilation, CompilationPlan, FormPlace
from xlsxkit.cycle.outputs import COMPILATION, OUTPUT_PROPERTY, SUMMARY_PROPERTIES
from xlsxkit.template.model import Template
from xlsxkit.write.formats import TEXT_STAYS_TEXT

__all__ = ["CompilationApart", "CompilationFailed"]

BATCH = 64  # records per message to the drawing process
DONE = "done"


class CompilationFailed(RuntimeError):
    """The process drawing 汇编 could not finish it (its error, in its words)."""


class CompilationApart:
    """汇编 drawn into `path` by another process, fed one record at a time (`add`, which says where
    the form will be) until `end`; `finish` waits for it to be written whole, `discard` stops it."""

    def __init__(self, path: Path, *, link_file: str, template: Template | None = None) -> None:
        """Draw into `path`; the summary links to the workbook by the name `link_file` (its name
        once in place, beside the summary)."""
        self.link_file = link_file
        context: ForkContext | SpawnContext = (  # fork: the process starts at once, xlsxkit already imported
            multiprocessing.get_context("fork")
            if "fork" in multiprocessing.get_all_start_methods()
            else multiprocessing.get_context("spawn")
        )
        self.connection, theirs = context.Pipe()
        self.process = context.Process(
            target=_draw, args=(str(path), template, theirs), name="xlsxkit-汇编", daemon=True
        )
        self.process.start()
        theirs.close()
        self.plan = CompilationPlan(template=template)
        self.batch: list[str] = []
        self.ended = False

    def add(self, record: dict[str, Any], text: str | None = None) -> FormPlace:
        """Send one record (`text`: its JSON, where already made) to be drawn; where it will be."""
        place = self.plan.place(record).place
        self.batch.append(text if text is not None else json.dumps(record, ensure_ascii=False))
        if len(self.batch) >= BATCH:
            self._send(self.batch)
            self.batch = []
        return place

    def end(self) -> None:
        """No more records: send what is left, so the drawing process finishes its workbook while
        this one finishes the summary's."""
        if self.ended:
            return
        if self.batch:
            self._send(self.batch)
            self.batch = []
        self._send(None)
        self.ended = True

    def finish(self) -> None:
        """Wait until the workbook is written (ending the records first, if not yet done);
        CompilationFailed if it was not."""
        self.end()
        try:
            answer = self.connection.recv()
        except EOFError:
            answer = f"the drawing process ended without a word (exit code {self.process.exitcode})"
        finally:
            self.process.join()
            self.connection.close()
        if answer != DONE:
            raise CompilationFailed(f"汇编未能写完：{answer}")

    def discard(self) -> None:
        """Stop drawing (the caller removes the file)."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.connection.close()

    def _send(self, batch: list[str] | None) -> None:
        try:
            self.connection.send(batch)
        except OSError:  # the drawing process has stopped: say why, where it said
            reason = self.connection.recv() if self.connection.poll(5) else "the drawing process stopped"
            self.discard()
            raise CompilationFailed(f"汇编未能写完：{reason}") from None


def _draw(path: str, template: Template | None, connection: Connection) -> None:
    """The drawing process: every record received, drawn in order, then DONE (or the error)."""
    try:
        with tempfile.TemporaryDirectory(prefix="xlsxkit-rows-", ignore_cleanup_errors=True) as rows:
            workbook = Workbook(path, {**TEXT_STAYS_TEXT, "constant_memory": True, "tmpdir": rows})
            workbook.set_properties({"title": SUMMARY_PROPERTIES["title"], "author": SUMMARY_PROPERTIES["creator"]})
            workbook.set_custom_property(OUTPUT_PROPERTY, COMPILATION)  # collect skips it (O023)
            compilation = Compilation(workbook, template=template)
            while (batch := connection.recv()) is not None:
                for text in batch:
                    compilation.add(json.loads(text))
            compilation.finish()
            workbook.close()
        connection.send(DONE)
    except BaseException as error:  # every failure is told to the waiting process
        connection.send(f"{type(error).__name__}: {error}")
    finally:
        connection.close()
