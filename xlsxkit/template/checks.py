"""What a well-shaped template must also get right, beyond what its models check.

Each check yields `(code, key path, details)`; `load.py` adds file and line. All problems
are collected, none stops the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jinja2

from xlsxkit.form.errors import Code, did_you_mean
from xlsxkit.form.record import COMPATIBLE_TYPES, TABLE_COLUMNS, ValueType
from xlsxkit.template.model import Cell, DeclaredKey, RowsBlock, TableBlock, Template
from xlsxkit.template.rule_checks import check_rules
from xlsxkit.template.styles import BUILTIN_STYLES

Found = tuple[Code, tuple[Any, ...], dict[str, Any]]

REQUIRED_COLUMNS = {"indicators": ("level1", "level2", "level3", "value"), "items": ("title",), "measures": ("text",)}


def check_template(template: Template) -> list[Found]:
    """What a well-shaped template must also get right (taxonomy, rows, fields, tables, jinja
    text, styles): (code, key path, details) of each problem."""
    return [
        *_check_taxonomy(template),
        *_check_rows(template),
        *_check_fields(template),
        *_check_tables(template),
        *_check_jinja(template),
        *_check_styles(template),
        *_check_declared(template),
        *check_rules(template),
    ]


def _check_taxonomy(template: Template) -> Iterator[Found]:
    taxonomy = template.taxonomy
    if taxonomy is None:
        return
    level1 = taxonomy.level1
    for name in taxonomy.level2:
        if name not in level1:
            yield (
                Code.T_UNKNOWN_LEVEL1,
                ("taxonomy", "level2", name),
                {
                    "name": name,
                    "suggestion": did_you_mean(name, level1),
                },
            )
    for name in level1:
        if not taxonomy.level2.get(name):
            yield Code.T_LEVEL1_WITHOUT_LEVEL2, ("taxonomy", "level1"), {"name": name}
    known = set(level1) | {n for names in taxonomy.level2.values() for n in names}
    for alias, target in taxonomy.aliases.items():
        if target not in known:
            yield (
                Code.T_UNKNOWN_ALIAS_TARGET,
                ("taxonomy", "aliases", alias),
                {
                    "alias": alias,
                    "target": target,
                    "suggestion": did_you_mean(target, known),
                },
            )


def _check_rows(template: Template) -> Iterator[Found]:
    """Every row fits in the declared columns and no cell lands under a cell spanning rows."""
    width = len(template.columns)
    for b, block in enumerate(template.body):
        if isinstance(block, TableBlock):
            used = sum(c.span for c in block.columns) + (block.side_label.span if block.side_label else 0)
            if used > width:
                yield Code.T_ROW_TOO_WIDE, ("body", b, "columns"), {"used": used, "width": width}
            continue
        occupied: dict[tuple[int, int], bool] = {}
        for r, row in enumerate(block.rows):
            col = 0
            for c, cell in enumerate(row.cells):
                while occupied.get((r, col)):
                    col += 1
                covered = [(r + dr, col + dc) for dc in range(cell.span) for dr in range(cell.rows)]
                clash = sorted(k[1] for k in covered if occupied.get(k))
                if clash:  # one problem per cell, at the first column it shares
                    yield Code.T_CELL_OVERLAP, ("body", b, "rows", r, "cells", c), {"column": clash[0] + 1}
                occupied.update(dict.fromkeys(covered, True))
                col += cell.span
            used = max((k[1] + 1 for k in occupied if k[0] == r), default=0)
            if used > width:
                yield Code.T_ROW_TOO_WIDE, ("body", b, "rows", r), {"used": used, "width": width}


def _field_cells(template: Template) -> Iterator[tuple[tuple[Any, ...], Cell]]:
    for b, block in enumerate(template.body):
        if isinstance(block, RowsBlock):
            for r, row in enumerate(block.rows):
                for c, cell in enumerate(row.cells):
                    if cell.field is not None:
                        yield ("body", b, "rows", r, "cells", c), cell


def _check_fields(template: Template) -> Iterator[Found]:
    types = template.field_types()
    seen: set[str] = set()
    for path, cell in _field_cells(template):
        key = cell.field or ""
        natural = types.get(key)
        if natural is None:
            yield Code.T_UNKNOWN_FIELD, (*path, "field"), {"key": key, "suggestion": did_you_mean(key, types)}
            continue
        if key in seen:
            yield Code.T_DUPLICATE_FIELD, (*path, "field"), {"key": key}
        seen.add(key)
        kind = cell.type or natural
        if kind not in COMPATIBLE_TYPES[natural]:
            yield (
                Code.T_FIELD_TYPE_MISMATCH,
                (*path, "type"),
                {"key": key, "type": kind.value, "natural": natural.value},
            )
        if cell.list is not None:
            yield from _check_list_name(template, cell.list, (*path, "list"))
        elif kind is ValueType.choice:
            yield Code.T_CHOICE_WITHOUT_LIST, path, {"key": key}


def _check_list_name(template: Template, name: str, path: tuple[Any, ...]) -> Iterator[Found]:
    if name not in template.lists:
        yield Code.T_UNKNOWN_LIST, path, {"name": name, "suggestion": did_you_mean(name, template.lists)}


def _check_tables(template: Template) -> Iterator[Found]:
    tables = {table: tuple(template.column_types(table)) for table in TABLE_COLUMNS[template.form]}
    seen_tables: set[str] = set()
    for b, block in enumerate(template.body):
        if not isinstance(block, TableBlock):
            continue
        allowed = tables.get(block.table)
        if allowed is None:
            yield (
                Code.T_UNKNOWN_TABLE,
                ("body", b, "table"),
                {
                    "table": block.table,
                    "suggestion": did_you_mean(block.table, tables),
                    "allowed": ", ".join(tables),
                },
            )
            continue
        if block.table in seen_tables:
            yield Code.T_DUPLICATE_TABLE, ("body", b, "table"), {"table": block.table}
        seen_tables.add(block.table)
        keys = [column.key for column in block.columns]
        for c, column in enumerate(block.columns):
            if column.key not in allowed:
                yield (
                    Code.T_UNKNOWN_COLUMN,
                    ("body", b, "columns", c, "key"),
                    {
                        "table": block.table,
                        "key": column.key,
                        "suggestion": did_you_mean(column.key, allowed),
                        "allowed": ", ".join(allowed),
                    },
                )
            if column.list is not None:
                yield from _check_list_name(template, column.list, ("body", b, "columns", c, "list"))
        for key in REQUIRED_COLUMNS[block.table]:
            if key not in keys:
                yield Code.T_TABLE_NEEDS_COLUMN, ("body", b, "columns"), {"table": block.table, "key": key}
        for m, key in enumerate(block.merge):
            if key not in keys:
                yield (
                    Code.T_UNKNOWN_COLUMN,
                    ("body", b, "merge", m),
                    {
                        "table": block.table,
                        "key": key,
                        "suggestion": did_you_mean(key, keys),
                        "allowed": ", ".join(keys),
                    },
                )
        if block.table == "indicators":
            yield from _check_indicator_table(template, block, b)
        elif block.skeleton:
            yield (
                Code.T_FORM_MISMATCH,
                ("body", b, "skeleton"),
                {
                    "place": f"{block.table} 表",
                    "what": "skeleton",
                    "hint": "骨架行只用于指标表。",
                },
            )


def _check_indicator_table(template: Template, block: TableBlock, b: int) -> Iterator[Found]:
    taxonomy = template.taxonomy
    if taxonomy is None:
        yield Code.T_MISSING_KEY, ("taxonomy",), {"key": "taxonomy（指标表需要一级、二级指标分类）"}
        return
    for s, (level1, level2) in enumerate(block.skeleton):
        if level2 not in taxonomy.level2_of(level1):
            known = [f"{a} / {z}" for a in taxonomy.level1 for z in taxonomy.level2_of(a)]
            yield (
                Code.T_SKELETON_LEVEL,
                ("body", b, "skeleton", s),
                {
                    "level1": level1,
                    "level2": level2,
                    "suggestion": did_you_mean(f"{level1} / {level2}", known),
                },
            )


def _check_jinja(template: Template) -> Iterator[Found]:
    environment = jinja2.Environment()  # noqa: S701 (only parses; forms are not HTML)
    texts: list[tuple[tuple[Any, ...], str]] = [
        (("title",), template.title),
        (("sheet_name",), template.sheet_name),
        (("file_name",), template.file_name),
        (("instructions",), template.instructions),
    ]
    for b, block in enumerate(template.body):
        if isinstance(block, RowsBlock):
            for r, row in enumerate(block.rows):
                for c, cell in enumerate(row.cells):
                    text = cell.text if cell.text is not None else cell.label
                    if text is not None:
                        texts.append((("body", b, "rows", r, "cells", c), text))
    for path, text in texts:
        try:
            environment.parse(text)
        except jinja2.TemplateSyntaxError as error:
            yield Code.T_JINJA_SYNTAX, path, {"detail": f"{error.message}（模板文本第 {error.lineno} 行）"}


def _check_styles(template: Template) -> Iterator[Found]:
    """Every style a cell names is built in or defined under `styles:`."""
    known = set(BUILTIN_STYLES) | set(template.styles)
    named: list[tuple[tuple[Any, ...], str | None]] = []
    for b, block in enumerate(template.body):
        if isinstance(block, RowsBlock):
            named += [
                (("body", b, "rows", r, "cells", c, "style"), cell.style)
                for r, row in enumerate(block.rows)
                for c, cell in enumerate(row.cells)
            ]
        elif block.side_label is not None:
            named.append((("body", b, "side_label", "style"), block.side_label.style))
    for path, style in named:
        if style is not None and style not in known:
            yield Code.T_UNKNOWN_STYLE, path, {"name": style, "suggestion": did_you_mean(style, known)}


def _check_declared(template: Template) -> Iterator[Found]:
    """A key is declared once per place; a cell styled for input binds a field (T027: an input
    cell without one would be locked, and what a unit typed in it never read)."""
    places: list[tuple[tuple[Any, ...], list[DeclaredKey]]] = [(("extra",), template.extra)]
    places += [
        (("body", b, "extra"), block.extra) for b, block in enumerate(template.body) if isinstance(block, TableBlock)
    ]
    for path, declared in places:
        seen: set[str] = set()
        for d, key in enumerate(declared):
            if key.key in seen:
                yield Code.T_DECLARED_TWICE, (*path, d, "key"), {"key": key.key}
            seen.add(key.key)
    for b, block in enumerate(template.body):
        if isinstance(block, RowsBlock):
            for r, row in enumerate(block.rows):
                for c, cell in enumerate(row.cells):
                    if cell.field is None and (cell.style or "").startswith("input"):
                        yield (
                            Code.T_INPUT_WITHOUT_FIELD,
                            ("body", b, "rows", r, "cells", c, "style"),
                            {"style": cell.style},
                        )
