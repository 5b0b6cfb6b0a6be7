"""A template's own 审核公式 (`rules:`), checked on each record read: a rule that does not hold
is a finding (C030 error, C031 warning) at the cell of its `field` — for a rule over each row of a
table, at that row's cell. A rule that meets a blank it needs says nothing (template/expressions)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import suppress
from decimal import Decimal, InvalidOperation
from typing import Any

from xlsxkit.form.errors import Code, Finding
from xlsxkit.form.record import get_path
from xlsxkit.read.sheet_record import SheetRecord
from xlsxkit.template.expressions import compile_check, decide, render_message, typed, view
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


def typed_record(record: dict[str, Any], template: Template) -> dict[str, Any]:
    """A copy of the record whose money, percent and integer values are Decimal, as rules compute."""
    values = copy.deepcopy(record)
    for key, kind in template.field_types().items():
        parent = get_path(values, key.rsplit(".", 1)[0]) if "." in key else values
        last = key.rsplit(".", 1)[-1]
        if isinstance(parent, dict) and last in parent:
            parent[last] = typed(parent[last], kind)
    for block in template.tables():
        for row in values.get(block.table) or []:
            if not isinstance(row, dict):
                continue
            extra = row.get("extra")
            if isinstance(extra, dict):
                for declared in block.extra:
                    extra[declared.key] = typed(extra.get(declared.key), declared.type)
            parsed = row.get("parsed")
            if isinstance(parsed, dict) and isinstance(parsed.get("number"), str):
                with suppress(InvalidOperation):  # a number the parser kept as written stays text
                    parsed["number"] = Decimal(parsed["number"])
    return values


def _finding(read: SheetRecord, rule: Rule, path: str, context: dict[str, Any]) -> Finding:
    code = Code.C_FORM_RULE if rule.severity == "error" else Code.C_FORM_RULE_WARNING
    details = {"message": render_message(rule.message, context), "fix": render_message(rule.fix, context)}
    return Finding(code, read.sheet, read.cells.get(path), details)
