"""An inbox as `collect` sees it: every file below a folder, and every file inside a mailed .zip
there, each as an `InboxItem` — its bytes, or the reason it was not read.

Nothing here raises for one file: a file that cannot be read (no permission, removed after it
was listed, a link out of the inbox, too large, a password-protected zip member) is an item
with a `refused` finding, so it still ends with an outcome. Sizes are checked before anything
is loaded; a file over the limit is hashed as a stream and never held whole. Names are shown as
people wrote them: a GBK name as `unzip` leaves it on disk, or inside a zip made on Chinese
Windows, is decoded; anything still unprintable is escaped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from xlsxkit.form.errors import Code, Finding
from xlsxkit.read.safe_open import ZipLimits, shown_size

ARCHIVE_SUFFIX = ".zip"
LIMITS = ZipLimits()
CHUNK = 1 << 20
ARCHIVE_MARKERS = ("[Content_Types].xml", "mimetype")  # a workbook (xlsx, ods) named .zip: read as one
# Files an operating system leaves beside the ones people put there (a Mac's resource forks and
# folder settings, Windows' thumbnails): skipped unread, like Excel's lock files.
SYSTEM_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", ".localized"})
SYSTEM_FOLDERS = frozenset({"__macosx"})


@dataclass(frozen=True)
class InboxItem:
    """One file to collect: where it is shown (its inbox path; "a.zip/b.xlsx" inside an archive),
    its file name, its bytes (None when `refused`), their SHA-256 and size; and its receipt,
    when it was recorded before."""

    label: str
    name: str
    content: bytes | None
    sha256: str
    size: int
    refused: dict[str, Any] | None = None  # Finding.as_dict(): why it was not read
    receipt_id: int | None = None
    modified: dt.datetime | None = None  # the file's modification time (a zip's members: the zip's)

    def recorded_as(self, receipt_id: int) -> InboxItem:
        """This item, now that the ledger holds it as receipt `receipt_id`."""
        return replace(self, receipt_id=receipt_id)


def whole_item(label: str, name: str, content: bytes) -> InboxItem:
    """An item read whole."""
    return InboxItem(label, name, content, hashlib.sha256(content).hexdigest(), len(content))


def refused_item(
    label: str, name: str, finding: Finding | dict[str, Any], *, digest: str = "", size: int = 0
) -> InboxItem:
    """An item not read: `finding` says why; its hash is of what could be hashed (or of its label)."""
    sha = digest or hashlib.sha256(b"unread:" + label.encode("utf-8")).hexdigest()
    return InboxItem(
        label, name, None, sha, size, refused=finding.as_dict() if isinstance(finding, Finding) else finding
    )


def inbox_paths(inbox: Path) -> list[Path]:
    """Every file below `inbox` (and every link there), in the order they arrived — by their
    modification time, the name deciding between files of the same time; links are not
    followed into folders."""
    found = []
    for folder, folders, files in os.walk(inbox, followlinks=False):
        base = Path(folder)
        found += [base / name for name in files]
        found += [base / name for name in folders if (base / name).is_symlink()]
    return sorted(found, key=lambda p: (_mtime_ns(p), _shown(str(p.relative_to(inbox)))))


def _mtime_ns(path: Path) -> int:
    try:
        return path.lstat().st_mtime_ns
    except OSError:  # gone meanwhile: reading it says so
        return 0


def modified_at(path: Path) -> dt.datetime | None:
    """A file's modification time, local and to the second (None where it cannot be known)."""
    try:
        return dt.datetime.fromtimestamp(path.lstat().st_mtime).replace(microsecond=0)
    except (OSError, OverflowError, ValueError):
        return None


def items_of(inbox: Path, path: Path, *, limits: ZipLimits | None = None) -> list[InboxItem]:
    """The file to collect at `path`; for a .zip archive, the files inside it (within `limits`,
    by default LIMITS)."""
    limits = limits or LIMITS
    modified = modified_at(path)
    return [replace(item, modified=modified) for item in _items(inbox, path, limits)]


def _items(inbox: Path, path: Path, limits: ZipLimits) -> list[InboxItem]:
    label = _shown(path.relative_to(inbox).as_posix())
    name = PurePosixPath(label).name
    if is_system_file(label):
        return [_system_item(label, name)]
    try:
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(inbox.resolve()) or not target.is_file():
                return [
                    refused_item(label, name, Finding(Code.F_LINK_OUTSIDE, details={"target": _shown(str(target))}))
                ]
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return [refused_item(label, name, Finding(Code.F_UNREADABLE, details={"detail": "不是普通文件"}))]
        if info.st_size > limits.max_file_bytes:
            detail = f"文件大小 {shown_size(info.st_size)} 超过上限 {shown_size(limits.max_file_bytes)}，没有读取和保存"
            return [
                refused_item(
                    label,
                    name,
                    Finding(Code.F_ZIP_BOMB, details={"detail": detail}),
                    digest=_streamed_hash(path),
                    size=info.st_size,
                )
            ]
        with open(path, "rb") as handle:
            content = handle.read(limits.max_file_bytes + 1)
    except FileNotFoundError:
        return [
            refused_item(label, name, Finding(Code.F_UNREADABLE, details={"detail": "文件在收取过程中被移走或删除"}))
        ]
    except PermissionError:
        return [refused_item(label, name, Finding(Code.F_UNREADABLE, details={"detail": "没有读取该文件的权限"}))]
    except OSError as error:
        return [refused_item(label, name, Finding(Code.F_UNREADABLE, details={"detail": error.strerror or str(error)}))]
    if len(content) > limits.max_file_bytes:  # it grew after the stat
        detail = f"文件大小超过上限 {shown_size(limits.max_file_bytes)}，没有读取和保存"
        return [refused_item(label, name, Finding(Code.F_ZIP_BOMB, details={"detail": detail}))]
    if path.suffix.lower() == ARCHIVE_SUFFIX:
        return _archive_items(label, content, limits)
    return [whole_item(label, name, content)]


def _archive_items(label: str, content: bytes, limits: ZipLimits) -> list[InboxItem]:
    """The files in a mailed .zip, each within the limits a workbook's own parts have (zipfile
    never inflates a member past its declared size). An archive that cannot be opened is one
    item itself: reading it says what it is."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return [whole_item(label, PurePosixPath(label).name, content)]
    if not members or any(m.filename in ARCHIVE_MARKERS for m in members):  # empty, or a workbook itself
        return [whole_item(label, PurePosixPath(label).name, content)]
    total = sum(m.file_size for m in members)
    if len(members) > limits.max_entries or total > limits.max_total_bytes:
        detail = f"压缩包含有 {len(members)} 个文件、解压后 {shown_size(total)}，超过上限"
        return [
            refused_item(
                label,
                PurePosixPath(label).name,
                Finding(Code.F_ZIP_BOMB, details={"detail": detail}),
                digest=hashlib.sha256(content).hexdigest(),
                size=len(content),
            )
        ]
    return [_member(archive, member, label, limits) for member in members]


def _member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str, limits: ZipLimits) -> InboxItem:
    shown = _member_name(member)
    member_label = f"{label}/{shown}"
    name = PurePosixPath(shown).name or shown
    if is_system_file(shown):
        return _system_item(member_label, name)
    if member.flag_bits & 0x1:
        return refused_item(member_label, name, Finding(Code.F_ENCRYPTED_MEMBER, details={"member": shown}))
    if member.file_size > limits.max_entry_bytes:
        detail = (
            f"压缩包中的 {shown} 解压后 {shown_size(member.file_size)}，超过上限 {shown_size(limits.max_entry_bytes)}"
        )
        return refused_item(member_label, name, Finding(Code.F_ZIP_BOMB, details={"detail": detail}))
    try:
        return whole_item(member_label, name, archive.read(member))
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, RuntimeError) as error:
        detail = f"压缩包中的 {shown} 无法解压（{error}）"
        return refused_item(member_label, name, Finding(Code.F_BROKEN, details={"detail": detail}))


def is_system_file(label: str) -> bool:
    """Whether a path is one an operating system left there (__MACOSX/…, ._name, .DS_Store,
    Thumbs.db, desktop.ini), no one's return."""
    parts = PurePosixPath(label).parts
    name = parts[-1] if parts else label
    return (
        name.lower() in SYSTEM_NAMES
        or name.startswith("._")
        or any(part.lower() in SYSTEM_FOLDERS for part in parts[:-1])
    )


def _system_item(label: str, name: str) -> InboxItem:
    return refused_item(label, name, Finding(Code.L_SYSTEM_FILE, details={"name": name}))


def _member_name(member: zipfile.ZipInfo) -> str:
    """A member's name as written: zips made on Chinese Windows store GBK without saying so."""
    if member.flag_bits & 0x800:
        return printable(member.filename)
    try:
        return printable(member.filename.encode("cp437").decode("gbk"))
    except (UnicodeEncodeError, UnicodeDecodeError):
        return printable(member.filename)


def _shown(name: str) -> str:
    """A name from the disk as people wrote it: bytes that are not UTF-8 (a GBK name as `unzip`
    leaves it) decoded as GBK, else escaped; control characters escaped."""
    raw = os.fsencode(name)
    for encoding in ("utf-8", "gb18030"):
        try:
            return printable(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return printable(raw.decode("utf-8", errors="backslashreplace"))


def printable(text: str) -> str:
    """Text with its control and invisible characters escaped (\\x1b, \\u200b): a name can then
    neither hide a line on a terminal nor pass for another."""
    return "".join(
        ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def _streamed_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
