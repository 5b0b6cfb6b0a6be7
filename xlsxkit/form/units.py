"""Units as the roster names them: how a code is compared, and which codes a name stands for."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any


def codes_by_name(units: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Each unit name, white space trimmed, with the codes of the roster units so named, in roster order
    (a name may be shared; codes are unique)."""
    codes: dict[str, list[str]] = {}
    for unit in units:
        codes.setdefault(str(unit.get("name") or "").strip(), []).append(str(unit.get("code")))
    return codes


def plain_code(code: str) -> str:
    """A unit code as it is compared: full-width digits and letters made plain (NFKC), invisible
    characters (zero-width spaces, BOMs, soft hyphens) and white space removed."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", code) if ch.isprintable() and not ch.isspace())
