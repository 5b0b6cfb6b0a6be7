"""The names in an OLE2 compound file's directory (.xls, encrypted .xlsx, .doc, .ppt), read with
olefile, within a bound.

The one place xlsxkit relies on a library internal: olefile has no public way to stop loading a
directory of millions of entries, so `_BoundedOleFile` counts them in olefile's
`OleFileIO._load_direntry`. The olefile versions this is tested with are pinned in pyproject.toml;
tests/test_ole_files.py::test_more_entries_than_the_limit_are_not_loaded fails when the
internal changes.
"""

from __future__ import annotations

import io

import olefile

MAX_OLE2_ENTRIES = 4096  # directory entries olefile may load: an .xls has a few dozen


class _BoundedOleFile(olefile.OleFileIO):  # type: ignore[misc]  # olefile ships no type hints
    """olefile's reader, stopped once it has loaded MAX_OLE2_ENTRIES directory entries: it keeps
    an object of about 1 KiB for each, so a hostile 50 MiB file of nothing but entries would
    otherwise cost some 400 MiB."""

    _entries_loaded = 0

    def _load_direntry(self, sid: int) -> olefile.OleDirectoryEntry:
        self._entries_loaded += 1
        if self._entries_loaded > MAX_OLE2_ENTRIES:
            raise olefile.OleFileError(f"more than {MAX_OLE2_ENTRIES} directory entries")
        return super()._load_direntry(sid)


def ole2_entry_names(data: bytes) -> frozenset[str] | None:
    """The names of the streams and storages at the root of an OLE2 compound file's directory
    (those say what the file is: an embedded document's lie in a storage of their own), or None
    when olefile cannot read the directory — a damaged or cut file, a tree deeper than Python's
    recursion limit, more than MAX_OLE2_ENTRIES entries. A name inside a stream (a cell that says
    "EncryptionInfo") is no entry."""
    try:
        # a BytesIO always: olefile takes bytes shorter than 1536 for a file name to open
        with _BoundedOleFile(io.BytesIO(data)) as compound:
            paths = compound.listdir(streams=True, storages=True)
    except Exception:  # olefile parses untrusted bytes and may fail in any way on them
        return None
    return frozenset(path[0] for path in paths if len(path) == 1)
