"""What a template's 审核公式 (`rules:`) must get right to be loaded: each check parses, names
only keys the record has (the spec's and the declared ones), `each` names a table of the form,
and `field` a key whose cell the finding can mark."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jinja2

from xlsxkit.form.errors import Code, did_you_mean
from xlsxkit.form.record import ValueType
from xlsxkit.template.expressions import NUMERIC, compile_check, environment, paths_in, record_paths, row_paths
from xlsxkit.template.model import RowsBlock, Rule, Template

Found = tuple[Code, tuple[Any, ...], dict[str, Any]]


def check_rules(template: Template) -> Iterator[Found]:
    """Every problem of every rule, with its key path under `rules`."""
    tables = {block.table: block for block in template.tables()}
    form_paths = record_paths(template.form, template.field_types())
    placed = {
        cell.field
        for block in template.body
        if isinstance(block, RowsBlock)
        for row in block.rows
        for cell in row.cells
        if cell.field
    }
    for i, rule in enumerate(template.rules):
        problems = list(_check_rule(template, rule, ("rules", i), tables, form_paths, placed))
        yield from problems
        if rule.highlight and not problems:
            detail = _untranslatable(rule.check, placed, tables, each=rule.each)
            if detail:
                yield Code.T_HIGHLIGHT, ("rules", i, "highlight"), {"check": rule.check, "detail": detail}
    yield from _check_formulas(template, tables, form_paths, placed)


def _check_formulas(
    template: Template, tables: dict[str, Any], form_paths: set[str], placed: set[str]
) -> Iterator[Found]:
    """A computed cell: a numeric field whose formula parses and names only what is on the form."""
    types = template.field_types()
    for b, block in enumerate(template.body):
        if not isinstance(block, RowsBlock):
            continue
        for r, row in enumerate(block.rows):
            for c, cell in enumerate(row.cells):
                if cell.formula is None:
                    continue
                path = ("body", b, "rows", r, "cells", c, "formula")
                details = {"key": cell.field, "formula": cell.formula}
                kind = cell.type or (types.get(cell.field) if cell.field else ValueType.number)
                if kind not in NUMERIC:
                    yield Code.T_FORMULA, path, {**details, "detail": "计算单元格须为金额、百分比、整数或分数字段"}
                    continue
                try:
                    compile_check(cell.formula)
                except jinja2.TemplateSyntaxError as error:
                    yield Code.T_FORMULA, path, {**details, "detail": error.message or str(error)}
                    continue
                unknown = [
                    name
                    for name in paths_in(cell.formula)
                    if name.partition(".")[0] not in tables and name not in form_paths
                ]
                detail = (
                    f"没有键 {'、'.join(unknown)}"
                    if unknown
                    else _untranslatable(cell.formula, placed, tables, each=None)
                )
                if detail:
                    yield Code.T_FORMULA, path, {**details, "detail": detail}


def _untranslatable(source: str, placed: set[str], tables: dict[str, Any], *, each: str | None) -> str:
    """Why the workbook could not compute `source` ("" where it can): a key not on the form."""
    for name in paths_in(source):
        root, _, rest = name.partition(".")
        if root == "row" and each is not None:
            columns = {column.key for column in tables[each].columns}
        elif root in tables:
            columns = {column.key for column in tables[root].columns}
        else:
            if name not in placed:
                return f"{name} 不在表单上"
            continue
        if rest not in columns:
            return f"{name} 不是表中的列"
    return ""


def _check_rule(
    template: Template,
    rule: Rule,
    path: tuple[Any, ...],
    tables: dict[str, Any],
    form_paths: set[str],
    placed: set[str],
) -> Iterator[Found]:
    if rule.each is not None and rule.each not in tables:
        yield (
            Code.T_RULE_UNKNOWN_TABLE,
            (*path, "each"),
            {"table": rule.each, "suggestion": did_you_mean(rule.each, tables)},
        )
        return
    for key, text in (("check", rule.check), ("message", rule.message)):
        try:
            compile_check(rule.check) if key == "check" else environment().parse(text)
        except jinja2.TemplateSyntaxError as error:
            yield Code.T_RULE_SYNTAX, (*path, key), {"detail": error.message or str(error)}
            return
    for name in paths_in(rule.check):
        root, _, rest = name.partition(".")
        if root == "row" and rule.each is not None:
            known = row_paths(template.column_types(rule.each), indicators=rule.each == "indicators")
            ok = not rest or rest in known
            shown = sorted(f"row.{k}" for k in known)
        elif root in tables:
            known = row_paths(template.column_types(root), indicators=root == "indicators")
            ok = not rest or rest in known
            shown = sorted(f"{root}.{k}" for k in known)
        else:
            ok = name in form_paths
            shown = sorted(form_paths)
        if not ok:
            yield Code.T_RULE_UNKNOWN_KEY, (*path, "check"), {"key": name, "suggestion": did_you_mean(name, shown)}
    if rule.each is not None:
        columns = [column.key for column in tables[rule.each].columns]
        if rule.field not in columns:
            yield (
                Code.T_RULE_UNKNOWN_FIELD,
                (*path, "field"),
                {"key": rule.field, "suggestion": did_you_mean(rule.field, columns)},
            )
    elif rule.field not in placed:
        fields = sorted(key for key in placed if key)
        yield (
            Code.T_RULE_UNKNOWN_FIELD,
            (*path, "field"),
            {"key": rule.field, "suggestion": did_you_mean(rule.field, fields)},
        )
