"""A project entered twice in one return — a project sheet copied within the workbook, its code
and figures and all — would be counted twice by every summary. Said on the later sheet: an
error where both sheets carry the same 项目编码, a warning where neither has a code and their
项目名称 are the same."""

from __future__ import annotations

from xlsxkit.form.errors import Code, Finding
from xlsxkit.read.sheet_record import SheetRecord

__all__ = ["repeated_projects"]


def repeated_projects(sheet_records: list[SheetRecord]) -> list[Finding]:
    """Findings on each sheet whose project an earlier sheet of the same return already holds."""
    findings: list[Finding] = []
    by_code: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for read in sheet_records:
        project = read.record.get("project") or {}
        code, name = _text(project.get("code")), _text(project.get("name"))
        if code and code in by_code:
            findings.append(
                read.finding(Code.C_PROJECT_CODE_REPEATED, "project.code", project_code=code, other=by_code[code])
            )
        elif not code and name and name in by_name:
            findings.append(read.finding(Code.C_PROJECT_NAME_REPEATED, "project.name", name=name, other=by_name[name]))
        if code:
            by_code.setdefault(code, read.sheet)
        elif name:
            by_name.setdefault(name, read.sheet)
    return findings


def _text(value: object) -> str:
    return "".join(str(value).split()) if value is not None else ""
