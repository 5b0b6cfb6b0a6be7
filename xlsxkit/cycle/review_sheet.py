"""The review workbook (审核表): the office decides in Excel. One row per roster unit — standing,
versions, errors, warnings, its file — with a 审核意见 dropdown (通过 / 退回) and a 理由 cell, the
only cells open on a protected sheet. It is stamped with the state of the collection it was made
from, so a sheet made before a new return arrived is refused rather than applied to a version the
office never saw."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from xlsxwriter.workbook import Workbook

from xlsxkit.cycle.decisions import APPROVED, RETURNED, counted_returns, review
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.report_sheet import Column, ReportFormats, ReportHeading, ReportSheet
from xlsxkit.cycle.status import unit_statuses
from xlsxkit.form.atomic import atomic_path
from xlsxkit.form.errors import Code, InputError, Problem, XlsxkitError
from xlsxkit.form.money import MoneyUnit
from xlsxkit.form.stamp import PROPERTY_PREFIX
from xlsxkit.read.safe_open import inspect_file, require_defusedxml
from xlsxkit.write.formats import TEXT_STAYS_TEXT

SHEET = "审核"
STATE_PROPERTY = PROPERTY_PREFIX + "review_state"
CHOICES = {"通过": APPROVED, "退回": RETURNED}
COLUMNS = (
    Column("单位代码", 11),
    Column("单位名称", 28, "wrap"),
    Column("状态", 14, "wrap"),
    Column("报送次数", 7, "int"),
    Column("错误", 6, "int"),
    Column("提示", 6, "int"),
    Column("文件", 30, "wrap"),
    Column("审核意见", 10),
    Column("理由", 30, "wrap"),
)
CHOICE_COLUMN, REASON_COLUMN = 7, 8


def review_state(ledger: Ledger) -> str:
    """A digest of what the office decides on: each unit's counted version."""
    counted = counted_returns(ledger)
    text = ";".join(f"{code}:{latest.receipt_id}" for code, latest in sorted(counted.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_review_sheet(ledger: Ledger, target: Path, *, office: str, password: str | None = None) -> int:
    """Write the review workbook; the number of units listed."""
    statuses = unit_statuses(ledger)
    with atomic_path(target) as temporary:
        workbook = Workbook(str(temporary), TEXT_STAYS_TEXT)
        workbook.set_custom_property(STATE_PROPERTY, review_state(ledger))
        formats = ReportFormats(workbook, MoneyUnit.yuan)
        sheet = ReportSheet(
            workbook, formats, SHEET, "绩效目标审核表", COLUMNS, ReportHeading(office, MoneyUnit.yuan, dt.date.today())
        )
        open_cell = workbook.add_format(
            {"border": 1, "locked": False, "bg_color": "#FFF9E0", "pattern": 1, "text_wrap": True}
        )
        for status in statuses:
            row = sheet.add_row(
                (
                    status.code,
                    status.name,
                    status.standing.label,
                    status.versions,
                    status.errors,
                    status.warnings,
                    status.file,
                    None,
                    None,
                )
            )
            sheet.sheet.write_blank(row, CHOICE_COLUMN, None, open_cell)
            sheet.sheet.write_blank(row, REASON_COLUMN, None, open_cell)
        last = sheet.row
        if statuses:
            sheet.sheet.data_validation(
                sheet.row - len(statuses) + 1,
                CHOICE_COLUMN,
                last,
                CHOICE_COLUMN,
                {"validate": "list", "source": list(CHOICES), "error_message": "请选择“通过”或“退回”。"},
            )
        sheet.sheet.protect(password or "", {"autofilter": True, "sort": False})
        workbook.close()
    return len(statuses)


@dataclass
class AppliedReview:
    """What applying a review workbook did: the decisions recorded, and the rows refused."""

    recorded: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def apply_review_sheet(ledger: Ledger, source: Path, *, by: str, at: dt.datetime) -> AppliedReview:
    """Record the decisions typed in a review workbook; a sheet made before the collection changed,
    or not made by xlsxkit for it, is refused as a whole (InputError)."""
    facts = inspect_file(source)
    stamped = facts.custom_properties.get(STATE_PROPERTY)
    if stamped is None:
        raise InputError([Problem(Code.L_REVIEW_SHEET_FOREIGN, str(source))])
    if stamped != review_state(ledger):
        raise InputError([Problem(Code.L_REVIEW_SHEET_STALE, str(source))])
    require_defusedxml()
    book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    try:
        rows = list(book[SHEET].iter_rows(min_row=4, values_only=True)) if SHEET in book.sheetnames else []
    finally:
        book.close()
    applied = AppliedReview()
    for row in rows:
        code, choice = row[0], row[CHOICE_COLUMN] if len(row) > CHOICE_COLUMN else None
        if code is None or choice in (None, ""):
            continue
        decision = CHOICES.get(str(choice).strip())
        if decision is None:
            applied.problems.append(Problem(Code.L_REVIEW_SHEET_CHOICE, f"{source.name} {code}", {"value": choice}))
            continue
        reason = row[REASON_COLUMN] if len(row) > REASON_COLUMN else None
        try:
            review(ledger, str(code), decision, reason=str(reason) if reason else None, by=by, at=at)
        except XlsxkitError as error:
            applied.problems += error.problems
            continue
        applied.recorded.append(f"{code} {choice}")
    return applied
