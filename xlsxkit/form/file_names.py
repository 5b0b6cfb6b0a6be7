"""File names as Windows (and so every unit's office) accepts them."""

from __future__ import annotations

FORBIDDEN_IN_FILE_NAMES = frozenset('<>:"/\\|?*') | {chr(c) for c in range(32)}


def is_acceptable_file_name(name: str) -> bool:
    """Whether Windows can save a file of this name: not blank, no forbidden character, not
    starting or ending with a space or a dot."""
    return bool(name.strip()) and not set(name) & FORBIDDEN_IN_FILE_NAMES and name.strip(". ") == name.strip()


def file_name_part(text: str) -> str:
    """Text made fit to stand in a file name: each forbidden character becomes _, and spaces and
    dots at either end go."""
    return "".join("_" if ch in FORBIDDEN_IN_FILE_NAMES else ch for ch in text).strip(" .")
