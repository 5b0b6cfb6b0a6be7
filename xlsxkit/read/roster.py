"""Read a roster of units (CSV or XLSX, at least `code,name`) into unit dicts.

CSV text may be UTF-8 (with or without BOM) or GBK; which one was found is reported.
Column names have aliases (单位代码 → code, 上级单位代码 → parent …); other columns are kept and reach the
templates as `unit.<column>`.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxkit.form.errors import Code, InputError, Problem, ReturnFileError
from xlsxkit.form.units import plain_code

COLUMN_ALIASES = {
    "code": "code",
    "单位代码": "code",
    "代码": "code",
    "单位编码": "code",
    "编码": "code",
    "name": "name",
    "单位名称": "name",
    "名称": "name",
    "单位": "name",
    "parent": "parent",
    "上级单位代码": "parent",
    "上级代码": "parent",
    "上级单位编码": "parent",
}
ENCODINGS = ("utf-8-sig", "gb18030")
ROSTER_CELLS = 2_000_000  # a roster's first sheet within this many cells (calamine allocates the whole range)


@dataclass
class Roster:
    """The units of a roster file, the encoding it was read in, and the lines left out with why."""

    units: list[dict[str, Any]]
    encoding: str  # "utf-8", "utf-8 (BOM)", "gbk" or "xlsx"
    problems: list[Problem] = field(default_factory=list)


def read_roster(path: Path) -> Roster:
    """The units of a CSV or XLSX roster; a file that cannot be used raises InputError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        detail = "这是一个文件夹，不是名单文件" if path.is_dir() else "文件不存在"
        raise InputError([Problem(Code.G_ROSTER_FILE, str(path), {"detail": detail})])
    if suffix == ".csv":
        rows, encoding = _csv_rows(path)
    elif suffix == ".xlsx":
        rows, encoding = _xlsx_rows(path), "xlsx"
    else:
        raise InputError([Problem(Code.G_ROSTER_FORMAT, str(path), {"suffix": suffix or "（无扩展名）"})])
    return _units(path, rows, encoding)


def _csv_rows(path: Path) -> tuple[list[list[str]], str]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError([Problem(Code.G_ROSTER_FILE, str(path), {"detail": error.strerror or str(error)})]) from None
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        bom = data.startswith(b"\xef\xbb\xbf")
        shown = ("utf-8 (BOM)" if bom else "utf-8") if encoding == "utf-8-sig" else "gbk"
        return _parsed_csv(path, text), shown
    raise InputError([Problem(Code.G_ROSTER_ENCODING, str(path))])


def _parsed_csv(path: Path, text: str) -> list[list[str]]:
    """The rows of a CSV text; a row the csv module cannot take (a cell over its 131,072
    characters, a stray NUL) makes the roster unusable, said with its line."""
    reader = csv.reader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as error:
        line = reader.line_num
        too_long = "field larger than field limit" in str(error)
        detail = f"有一个单元格超过 {csv.field_size_limit()} 个字符" if too_long else str(error)
        raise InputError([Problem(Code.G_ROSTER_CSV, f"{path}:{line}", {"row": line, "detail": detail})]) from None


def _xlsx_rows(path: Path) -> list[list[str]]:
    """The first sheet's rows, once the guard returns pass through has passed the file (no zip
    bomb, no entities) and its cells lie within what can be loaded."""
    from python_calamine import CalamineError, CalamineWorkbook

    from xlsxkit.read.safe_open import inspect_file

    try:
        facts = inspect_file(path)
        workbook = CalamineWorkbook.from_path(str(path))
        extent = facts.extents.get(workbook.sheet_names[0]) if workbook.sheet_names else (0, 0)
        if extent is None:  # a sheet the guard could not measure is never loaded whole
            detail = "无法确定第一张工作表的大小（工作表不是可检查的 XML）"
            raise InputError([Problem(Code.G_ROSTER_UNREADABLE, str(path), {"detail": detail})])
        if extent[0] * extent[1] > ROSTER_CELLS:
            detail = f"第一张工作表的单元格延伸到第 {extent[0]} 行、第 {extent[1]} 列"
            raise InputError([Problem(Code.G_ROSTER_UNREADABLE, str(path), {"detail": detail})])
        sheet = workbook.get_sheet_by_index(0)
        return [[_cell_text(v) for v in row] for row in sheet.to_python()]
    except ReturnFileError as error:
        raise InputError([Problem(Code.G_ROSTER_UNREADABLE, str(path), {"detail": error.finding.message})]) from None
    except (CalamineError, IndexError, OSError, ValueError) as error:
        raise InputError([Problem(Code.G_ROSTER_UNREADABLE, str(path), {"detail": str(error)})]) from None


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _units(path: Path, all_rows: list[list[str]], encoding: str) -> Roster:
    rows = [(number, row) for number, row in enumerate(all_rows, start=1) if any(cell.strip() for cell in row)]
    names = rows[0][1] if rows else []
    header = [COLUMN_ALIASES.get(cell.strip().lower(), cell.strip()) for cell in names]
    _refuse_same_meaning(path, rows[0][0] if rows else 1, names, header)
    missing = [name for name in ("code", "name") if name not in header]
    if missing:
        raise InputError(
            [
                Problem(
                    Code.G_ROSTER_COLUMNS,
                    f"{path}:{rows[0][0] if rows else 1}",
                    {
                        "missing": ", ".join(missing),
                        "found": ", ".join(names) if names else "（空文件）",
                    },
                )
            ]
        )
    units: list[dict[str, Any]] = []
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    for number, row in rows[1:]:
        unit = {key: (row[i].strip() if i < len(row) else "") for i, key in enumerate(header) if key}
        code = plain_code(unit.get("code") or "")
        if code != unit.get("code"):
            problems.append(
                Problem(
                    Code.G_ROSTER_INVISIBLE,
                    f"{path}:{number}",
                    {
                        "row": number,
                        "shown": (unit.get("code") or "").encode("unicode_escape").decode("ascii"),
                        "code": code,
                    },
                )
            )
            unit["code"] = code
        if "name" in unit:
            unit["name"] = _visible(unit["name"])
        empty = [key for key in ("code", "name") if not unit.get(key)]
        if empty:
            problems.append(
                Problem(Code.G_ROSTER_EMPTY_CELL, f"{path}:{number}", {"row": number, "column": "、".join(empty)})
            )
            continue
        if unit["code"] in first_row:
            problems.append(
                Problem(
                    Code.G_ROSTER_DUPLICATE,
                    f"{path}:{number}",
                    {
                        "code": unit["code"],
                        "row": number,
                        "first": first_row[unit["code"]],
                    },
                )
            )
            continue
        first_row[unit["code"]] = number
        units.append(unit)
    problems += _parent_problems(path, units, first_row)
    return Roster(units=units, encoding=encoding, problems=problems)


_MEANINGS = {"code": "单位代码", "name": "单位名称", "parent": "上级单位代码"}


def _refuse_same_meaning(path: Path, line: int, names: list[str], header: list[str]) -> None:
    """Two columns that mean the same (单位代码 and 代码, or a column named twice) leave it open
    which one a unit's value comes from: the roster is refused, naming both, rather than one of
    them silently winning."""
    first: dict[str, int] = {}
    for index, key in enumerate(header):
        if not key:
            continue
        if key in first:
            earlier = first[key]
            details = {
                "first_column": earlier + 1,
                "first": names[earlier].strip(),
                "second_column": index + 1,
                "second": names[index].strip(),
                "meaning": _MEANINGS.get(key, f"「{key}」"),
            }
            raise InputError([Problem(Code.G_ROSTER_SAME_MEANING, f"{path}:{line}", details)])
        first[key] = index


def _parent_problems(path: Path, units: list[dict[str, Any]], rows: dict[str, int]) -> list[Problem]:
    """A unit's parent (上级单位代码) must be another roster unit, and no unit may be its own
    ancestor; such a parent is dropped (the unit stands at the top) and reported."""
    problems: list[Problem] = []
    codes = {unit["code"] for unit in units}
    for unit in units:
        parent = plain_code(unit.get("parent") or "")
        unit.pop("parent", None)
        if not parent:
            continue
        where = f"{path}:{rows[unit['code']]}"
        if parent not in codes or parent == unit["code"]:
            problems.append(Problem(Code.G_ROSTER_PARENT_UNKNOWN, where, {"code": unit["code"], "parent": parent}))
            continue
        unit["parent"] = parent
    parents = {unit["code"]: unit.get("parent") for unit in units}
    for unit in units:
        seen, step = {unit["code"]}, parents[unit["code"]]
        while step is not None and step not in seen:
            seen.add(step)
            step = parents.get(step)
        if step is not None:  # came back to a unit already passed: a cycle
            where = f"{path}:{rows[unit['code']]}"
            problems.append(Problem(Code.G_ROSTER_PARENT_CYCLE, where, {"code": unit["code"]}))
    cyclic = {p.details["code"] for p in problems if p.code is Code.G_ROSTER_PARENT_CYCLE}
    for unit in units:
        if unit["code"] in cyclic:
            unit.pop("parent", None)
    return problems


def _visible(text: str) -> str:
    """A name without invisible characters (its full-width brackets and the like kept as written)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()
