"""The identity every generated workbook carries: which template (id, version, hash), which
unit and year, which generation (and, for a form generated from targets, the month it is made
for). Written to a very hidden sheet and to custom document properties; the reader checks it
before trusting any address. The stamp sheet also links each sheet of a form generated from
targets to its target record (`TargetLink`): the record's hash and the values copied from it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from xlsxkit import __version__

PROPERTY_PREFIX = "xlsxkit."
YEAR = re.compile(r"(?:19|20)\d{2}")  # a budget year, 1900–2099: what a stamp may carry
AS_OF = re.compile(r"((?:19|20)\d{2})-(0[1-9]|1[0-2])")
TARGET_PREFIX = "target:"  # a stamp-sheet row "target:<sheet name>" holds that sheet's TargetLink as JSON


@dataclass(frozen=True)
class TargetLink:
    """What a sheet generated from a target record keeps of it: the record's hash and template,
    and every value copied onto the sheet, by record path ("project.name", "indicators[0].value")."""

    sha256: str
    template: dict[str, Any]
    copied: dict[str, Any]

    def to_json(self) -> str:
        """The link as the stamp sheet holds it."""
        data = {"sha256": self.sha256, "template": self.template, "copied": self.copied}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TargetLink | None:
        """The link read back; None where it is damaged."""
        try:
            data = json.loads(text)
            return cls(str(data["sha256"]), dict(data["template"]), dict(data["copied"]))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Stamp:
    """The identity a generated workbook carries: template, version, digest, unit, year, generation id and time."""

    template_id: str
    template_version: str
    template_hash: str
    form: str
    unit_code: str
    unit_name: str
    year: int
    generation_id: str
    generated_at: dt.datetime
    as_of: str = ""  # a monitoring form's month, "2026-07"; "" for other forms
    targets: tuple[tuple[str, TargetLink], ...] = ()  # (sheet name, link), on the stamp sheet only

    def items(self) -> list[tuple[str, str]]:
        """The stamp as (key, value) text pairs, in the order they are written."""
        month = [("as_of", self.as_of)] if self.as_of else []
        return [
            ("template_id", self.template_id),
            ("template_version", self.template_version),
            ("template_hash", self.template_hash),
            ("form", self.form),
            ("unit_code", self.unit_code),
            ("unit_name", self.unit_name),
            ("year", str(self.year)),
            ("generation_id", self.generation_id),
            ("generated_at", self.generated_at.isoformat()),
            ("xlsxkit_version", __version__),
            *month,
        ]

    def sheet_rows(self) -> list[tuple[str, str]]:
        """The rows of the stamp sheet: the stamp's items, then each sheet's target link."""
        return [*self.items(), *((TARGET_PREFIX + name, link.to_json()) for name, link in self.targets)]

    def link(self, sheet: str) -> TargetLink | None:
        """The target link of a sheet, by its name."""
        return next((link for name, link in self.targets if name == sheet), None)

    def properties(self) -> list[tuple[str, str]]:
        """The stamp as custom document properties (keys prefixed "xlsxkit.")."""
        return [(PROPERTY_PREFIX + key, value) for key, value in self.items()]


def is_budget_year(value: Any) -> bool:
    """Whether `value` is a year a stamp may carry (and the reader accepts): an integer 1900–2099,
    not 26, 12345, 2026.0, "2026年" or true."""
    return type(value) is int and YEAR.fullmatch(str(value)) is not None


def generation_time(explicit: dt.datetime | None = None) -> dt.datetime:
    """The generation time: given, else SOURCE_DATE_EPOCH (reproducible builds), else now.
    Whole seconds, UTC, naive (as xlsx document times are)."""
    if explicit is not None:
        moment = explicit
    elif os.environ.get("SOURCE_DATE_EPOCH"):
        moment = dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), dt.timezone.utc)
    else:
        moment = dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def make_stamp(
    template: Any, unit: dict[str, Any], year: int, content: Any, generated_at: dt.datetime, *, as_of: str = ""
) -> Stamp:
    """A stamp whose generation id is a hash of everything the workbook is made from, so the
    same inputs give the same id (and the same bytes). A year the reader would not accept (see
    `is_budget_year`) is a ValueError: the callers check the year where it comes in."""
    if not is_budget_year(year):
        raise ValueError(f"{year!r} is no budget year (an integer 1900-2099)")
    basis = json.dumps(
        [template.digest, unit.get("code"), year, content, generated_at.isoformat()],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
        check_circular=False,  # (records are trees)
    )
    return Stamp(
        template_id=template.id,
        template_version=template.version,
        template_hash=template.digest,
        form=template.form,
        unit_code=str(unit.get("code") or ""),
        unit_name=str(unit.get("name") or ""),
        year=year,
        generation_id=hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16],
        generated_at=generated_at,
        as_of=as_of,
    )


def read_stamp(values: dict[str, str]) -> Stamp | None:
    """The stamp from custom document properties ("xlsxkit.template_id" …) or from the rows of
    the stamp sheet ("template_id" …); None when there is none or it is damaged."""
    plain = {key.removeprefix(PROPERTY_PREFIX): str(value) for key, value in values.items()}
    if not YEAR.fullmatch(plain.get("year", "").strip()):
        return None  # damaged (a year of 20 digits is no budget year)
    targets = tuple(
        (key.removeprefix(TARGET_PREFIX), link)
        for key, text in plain.items()
        if key.startswith(TARGET_PREFIX) and (link := TargetLink.from_json(text)) is not None
    )
    as_of = plain.get("as_of", "").strip()
    try:
        return Stamp(
            template_id=plain["template_id"],
            template_version=plain["template_version"],
            template_hash=plain.get("template_hash", ""),
            form=plain.get("form", ""),
            unit_code=plain.get("unit_code", ""),
            unit_name=plain.get("unit_name", ""),
            year=int(plain["year"]),
            generation_id=plain.get("generation_id", ""),
            generated_at=dt.datetime.fromisoformat(plain["generated_at"])
            if plain.get("generated_at")
            else dt.datetime.min,
            as_of=as_of if AS_OF.fullmatch(as_of) else "",
            targets=targets,
        )
    except (KeyError, ValueError):
        return None
