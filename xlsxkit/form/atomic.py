"""Write a file so that it is either whole or absent: into a temporary file beside it, then
rename over the target (a crash never leaves half a workbook or half an export)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path to write; renamed to `target` when the block ends without an error (its
    folder made where missing)."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=".partial-", suffix=target.suffix, dir=target.parent)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".partial-", suffix=target.suffix, dir=target.parent)
    os.close(handle)
    renamed = False
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~_UMASK)  # as a file written plainly would be (mkstemp makes it 0600)
        os.replace(temporary, target)
        renamed = True
    finally:
        if not renamed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


@contextmanager
def atomic_text(target: Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text stream whose content replaces `target` when the block ends without an error."""
    with atomic_path(target) as temporary, open(temporary, "w", encoding=encoding, newline="") as stream:
        yield stream
