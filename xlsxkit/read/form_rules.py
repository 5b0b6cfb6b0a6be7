"""A template's own 审核公式 (`rules:`), checked on each record read: a rule that does not hold
is a finding (C030 error, C031 warning) at the cell of its `field` — for a rule over each row of a
table, at that row's cell. A rule that meets a blank it needs says nothing (template/expressions)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xlsxkit.form.errors import Code, Finding
from xlsxkit.read.sheet_record import SheetRecord
from xlsxkit.template.expressions import compile_check, decide, render_message, typed_record, view
from xlsxkit.template.layout import SheetLayout
from xlsxkit.template.model import Rule, Template


def form_rules(read: SheetRecord, template: Template, layout: SheetLayout) -> Iterator[Finding]:  # noqa: ARG001
    """The findings of the template's rules on one record (every rule has the signature of rules.py's)."""
    if not template.rules:
        return
    values = typed_record(read.record, template)
    context = {key: view(value) for key, value in values.items()}
    for rule in template.rules:
        check = compile_check(rule.check)
        if rule.each is None:
            if decide(check, context) is False:
                yield _finding(read, rule, rule.field, context)
            continue
        for index, row in enumerate(values.get(rule.each) or []):
            row_context = {**context, "row": view(row)}
            if decide(check, row_context) is False:
                yield _finding(read, rule, f"{rule.each}[{index}].{rule.field}", row_context)


def _finding(read: SheetRecord, rule: Rule, path: str, context: dict[str, Any]) -> Finding:
    code = Code.C_FORM_RULE if rule.severity == "error" else Code.C_FORM_RULE_WARNING
    details = {"message": render_message(rule.message, context), "fix": render_message(rule.fix, context)}
    return Finding(code, read.sheet, read.cells.get(path), details)
