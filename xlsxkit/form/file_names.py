"""File names as Windows (and so every unit's office) accepts them."""

from __future__ import annotations

FORBIDDEN_IN_FILE_NAMES = frozenset('<>:"/\\|?*') | {chr(c) for c in range(32)}
MAX_FILE_NAME_BYTES = 255  # Linux and macOS: 255 bytes of UTF-8 (85 Chinese characters); Windows: 255 characters


def is_acceptable_file_name(name: str) -> bool:
    """Whether Windows can save a file of this name: not blank, no forbidden character, not
    starting or ending with a space or a dot, not longer than a file system allows."""
    return (
        bool(name.strip())
        and not set(name) & FORBIDDEN_IN_FILE_NAMES
        and name.strip(". ") == name.strip()
        and not file_name_too_long(name)
    )


def file_name_too_long(name: str) -> bool:
    """Whether a file name is longer than the file systems where offices keep their files allow."""
    return len(name.encode("utf-8", "surrogatepass")) > MAX_FILE_NAME_BYTES


def file_name_part(text: str) -> str:
    """Text made fit to stand in a file name: each forbidden character becomes _, and spaces and
    dots at either end go."""
    return "".join("_" if ch in FORBIDDEN_IN_FILE_NAMES else ch for ch in text).strip(" .")
