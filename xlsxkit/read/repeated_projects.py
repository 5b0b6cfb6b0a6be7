"""A project entered twice in one return — a project sheet copied within the workbook, its code
and figures and all — would be counted twice by every summary. Said on the later sheet: an
error where both sheets carry the same 项目编码 and the same 项目名称; a warning where they share
only one of them (a code written for two projects, or two projects of one name without codes).
A placeholder for a code ("无", "/", "-" …) is no code."""

from __future__ import annotations

from xlsxkit.form.errors import Code, Finding
from xlsxkit.read.locate import compact
from xlsxkit.read.rules import PLACEHOLDERS
from xlsxkit.read.sheet_record import SheetRecord

__all__ = ["repeated_projects"]


def repeated_projects(sheet_records: list[SheetRecord]) -> list[Finding]:
    """Findings on each sheet whose project an earlier sheet of the same return may already hold."""
    findings: list[Finding] = []
    seen: list[tuple[str, str, str]] = []  # (code, name, sheet) of the sheets before
    for read in sheet_records:
        project = read.record.get("project") or {}
        code, name = _code(project.get("code")), _text(project.get("name"))
        both = next((sheet for c, n, sheet in seen if code and name and (c, n) == (code, name)), None)
        if both is not None:
            findings.append(
                read.finding(Code.C_PROJECT_REPEATED, "project.code", name=name, project_code=code, other=both)
            )
        elif code and (sheet := next((s for c, _, s in seen if c == code), None)):
            findings.append(
                read.finding(Code.C_PROJECT_MAYBE_REPEATED, "project.code", what=f"项目编码 {code} ", other=sheet)
            )
        elif name and (sheet := next((s for c, n, s in seen if n == name and not (c and code)), None)):
            findings.append(
                read.finding(Code.C_PROJECT_MAYBE_REPEATED, "project.name", what=f"项目名称「{name}」", other=sheet)
            )
        seen.append((code, name, read.sheet))
    return findings


def _text(value: object) -> str:
    return "".join(str(value).split()) if value is not None else ""


def _code(value: object) -> str:
    code = _text(value)
    return "" if compact(code) in PLACEHOLDERS else code
