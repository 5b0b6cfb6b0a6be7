"""A template expression (template/expressions) as an Excel formula over the cells of a form, for
what the workbook itself computes or flags while a unit types: a computed cell's formula and a
rule's conditional format.

Only what the template's author wrote is translated — record keys become the cells the Layout
puts them in, never a unit's text. Money on a 万元 form is multiplied back to yuan (D4*10000), so a
rule reads the same in the workbook as on reading. What the workbook cannot compute (a key not on
the form, `row.parsed.kind`, a function Excel lacks) raises NotTranslatable.
"""

from __future__ import annotations

from decimal import Decimal

from jinja2 import nodes

from xlsxkit.form.excel import column_letter
from xlsxkit.form.record import ValueType
from xlsxkit.template.expressions import environment
from xlsxkit.template.layout import ColumnPlace, SheetLayout, TablePlace
from xlsxkit.template.model import Template

OPERATORS = {"eq": "=", "ne": "<>", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">="}
BINARY = {nodes.Add: "+", nodes.Sub: "-", nodes.Mul: "*", nodes.Div: "/"}
FUNCTIONS = {"sum": "SUM", "min": "MIN", "max": "MAX", "abs": "ABS", "round": "ROUND", "count": "COUNT"}


class NotTranslatable(ValueError):
    """The expression names something the workbook cannot compute."""


def excel_formula(source: str, template: Template, sheet: SheetLayout, *, each: str | None = None, row: int = 0) -> str:
    """The formula (without "=") computing `source` on this sheet; with `each`, for the table
    row `row` (0-based within the table), whose cells are written relative to that row."""
    tree = environment().parse("{{ " + source + " }}")
    output = tree.body[0]
    if not isinstance(output, nodes.Output) or len(output.nodes) != 1:
        raise NotTranslatable(source)
    return _Translator(template, sheet, each, row).visit(output.nodes[0])


class _Translator:
    def __init__(self, template: Template, sheet: SheetLayout, each: str | None, row: int) -> None:
        self.template = template
        self.sheet = sheet
        self.table = sheet.table(each) if each else None
        self.row = row
        self.factor = template.money_unit.factor if template.money_unit else Decimal(1)

    def visit(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Const):
            return self._constant(node.value)
        if isinstance(node, nodes.Compare):
            left = self.visit(node.expr)
            parts = []
            for operand in node.ops:
                if operand.op not in OPERATORS:
                    raise NotTranslatable(operand.op)
                right = self.visit(operand.expr)
                parts.append(f"({left}{OPERATORS[operand.op]}{right})")
                left = right
            return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"
        for kind, operator in BINARY.items():
            if isinstance(node, kind):
                return f"({self.visit(node.left)}{operator}{self.visit(node.right)})"
        if isinstance(node, nodes.Neg):
            return f"(-{self.visit(node.node)})"
        if isinstance(node, nodes.And | nodes.Or):
            name = "AND" if isinstance(node, nodes.And) else "OR"
            return f"{name}({self.visit(node.left)},{self.visit(node.right)})"
        if isinstance(node, nodes.Not):
            return f"NOT({self.visit(node.node)})"
        if isinstance(node, nodes.Test) and node.name == "none":
            return f'({self.visit(node.node)}="")'
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            return self._call(node.node.name, node.args)
        if isinstance(node, nodes.Getattr | nodes.Name):
            return self._reference(_path(node))
        raise NotTranslatable(type(node).__name__)

    def _call(self, name: str, args: list[nodes.Expr]) -> str:
        if name == "dec" and len(args) == 1 and isinstance(args[0], nodes.Const):
            return str(args[0].value)
        if name == "blank" and len(args) == 1:
            return f'({self.visit(args[0])}="")'
        if name not in FUNCTIONS:
            raise NotTranslatable(name)
        return f"{FUNCTIONS[name]}({','.join(self.visit(arg) for arg in args)})"

    def _constant(self, value: object) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, str):
            return '"' + value.replace('"', '""') + '"'
        raise NotTranslatable(repr(value))

    def _reference(self, path: str) -> str:
        root, _, rest = path.partition(".")
        if root == "row" and self.table is not None:  # this row's cell of a column
            column = self._column(self.table, path, rest)
            letter = column_letter(column.col + 1)
            return self._in_yuan(f"${letter}{self.table.first_row + self.row + 1}", column.type)
        table = self.sheet.table(root)
        if table is not None:  # a column: the range of its rows
            column = self._column(table, path, rest)
            letter = column_letter(column.col + 1)
            first, last = table.first_row + 1, table.first_row + table.rows
            return self._in_yuan(f"${letter}${first}:${letter}${last}", column.type)
        place = self.sheet.field(path)
        if place is None:
            raise NotTranslatable(path)
        return self._in_yuan(f"${column_letter(place.box.col + 1)}${place.box.row + 1}", place.type)

    def _column(self, table: TablePlace, path: str, key: str) -> ColumnPlace:
        column = table.column(key)
        if column is None:
            raise NotTranslatable(path)
        return column

    def _in_yuan(self, reference: str, kind: ValueType) -> str:
        """A money cell of a 万元 form times 10000: rules compute in yuan, as the record holds money."""
        return f"({reference}*{self.factor})" if kind is ValueType.money and self.factor != 1 else reference


def _path(node: nodes.Node) -> str:
    parts: list[str] = []
    while isinstance(node, nodes.Getattr):
        parts.insert(0, node.attr)
        node = node.node
    if not isinstance(node, nodes.Name):
        raise NotTranslatable(type(node).__name__)
    return ".".join([node.name, *parts])
