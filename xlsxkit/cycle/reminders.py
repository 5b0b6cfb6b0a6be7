"""催报: the units to remind — missing, returned by the office, or with errors in their return —
each with the roster's contact columns (联系人, 电话, 邮箱 …) and a message ready to send."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from xlsxwriter.workbook import Workbook

from xlsxkit.cycle.export import write_csv
from xlsxkit.cycle.ledger import Ledger
from xlsxkit.cycle.report_sheet import Column, ReportFormats, ReportHeading, ReportSheet
from xlsxkit.cycle.status import Standing, UnitStatus, unit_statuses
from xlsxkit.form.atomic import atomic_path, atomic_text
from xlsxkit.form.money import MoneyUnit
from xlsxkit.write.formats import TEXT_STAYS_TEXT

SHEET = "催报"


@dataclass(frozen=True)
class Reminder:
    """One unit to remind: why, its contacts, and the message to send it."""

    code: str
    name: str
    situation: str
    message: str
    contact: dict[str, str] = field(default_factory=dict)


def reminders(ledger: Ledger, *, today: dt.date | None = None) -> list[Reminder]:
    """Every roster unit that has something to do, in roster order."""
    deadline = ledger.deadline()
    year = ledger.collection().year
    form = f"{year}年度项目支出绩效目标表" if year else "项目支出绩效目标表"
    contacts = ledger.contacts()
    due = f"，请于{deadline.month}月{deadline.day}日前报送" if deadline else "，请尽快报送"
    overdue = deadline is not None and (today or dt.date.today()) > deadline
    made = []
    for status in unit_statuses(ledger):
        text = _message(status, form, "，已逾期，请尽快报送" if overdue else due)
        if text is not None:
            situation, message = text
            made.append(Reminder(status.code, status.name, situation, message, contacts.get(status.code, {})))
    return made


def _message(status: UnitStatus, form: str, due: str) -> tuple[str, str] | None:
    if status.standing is Standing.missing:
        return "未报送", f"{status.name}：{form}尚未报送{due}。"
    if status.standing is Standing.returned:
        return "已退回", f"{status.name}：报送的{form}已退回（{status.reason}），请修改后重新报送。"
    if status.standing is Standing.errors:
        return "有错误", f"{status.name}：报送的{form}有 {status.errors} 处错误，请按反馈表（问题清单）修改后重新报送。"
    return None


def write_reminders(found: list[Reminder], target: Path, *, office: str, csv: Path | None = None) -> None:
    """催报.xlsx, a printable list (and the same as CSV, UTF-8 with BOM), each written whole."""
    contact_keys = list(dict.fromkeys(key for reminder in found for key in reminder.contact))
    columns = (
        Column("单位代码", 11),
        Column("单位名称", 28, "wrap"),
        Column("情况", 8, "wrap"),
        *(Column(key, 14, "wrap") for key in contact_keys),
        Column("催报内容", 48, "wrap"),
    )
    rows = [(r.code, r.name, r.situation, *(r.contact.get(key) for key in contact_keys), r.message) for r in found]
    with atomic_path(target) as temporary:
        workbook = Workbook(str(temporary), TEXT_STAYS_TEXT)
        heading = ReportHeading(office, MoneyUnit.yuan, dt.date.today())
        sheet = ReportSheet(workbook, ReportFormats(workbook, MoneyUnit.yuan), SHEET, "催报单位清单", columns, heading)
        for row in rows:
            sheet.add_row(row)
        sheet.finish()
        workbook.close()
    if csv is not None:
        with atomic_text(csv, encoding="utf-8-sig") as stream:
            write_csv([dict(zip([c.header for c in columns], row, strict=True)) for row in rows], stream)
