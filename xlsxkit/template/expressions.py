"""The expression language of a template's 审核公式 (`rules:`), on jinja2's sandbox.

An expression reads the record as written in docs/record.md: `funds.annual.total`,
`project.name`, `extra.score` (a declared key); a table is a list whose keys project over its rows,
so `sum(indicators.extra.weight)` adds a column; with `each`, `row` is one row of the table
(`row.extra.score <= row.extra.weight`). Money, percent and integer values are Decimal (exact to
the cent), text is text, a blank is none. Functions: sum (blanks left out), count (filled values),
len, min, max, abs, round, blank(x). An expression that meets a blank where it needs a value
(none + 1, none < 3) is not decided: the rule says nothing about that record; write
`x is none or …`, or a rule of its own (`not blank(x)`), to require the value.

Nothing here runs Python's eval: jinja2's SandboxedEnvironment compiles the expression, and the
record is only seen through read-only views whose attributes are the record's keys.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from decimal import Decimal, InvalidOperation
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_FLOAT, TOKEN_LPAREN, TOKEN_NAME, TOKEN_RPAREN, TOKEN_STRING, Token, TokenStream
from jinja2.sandbox import SandboxedEnvironment

from xlsxkit.form.cell_values import record_number
from xlsxkit.form.record import ValueType, blank_record, get_path
from xlsxkit.template.layout import FieldPlace, StaticPlace
from xlsxkit.template.model import Template

NUMERIC = (ValueType.money, ValueType.percent, ValueType.integer, ValueType.number)
PARSED_KEYS = ("kind", "op", "number", "unit", "date")


class Blank(Exception):
    """The expression met a blank where it needed a value: the rule does not decide."""


class RecordView:
    """A dict of the record seen through attributes: `funds.annual.total` (never dict methods)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._data:
            raise AttributeError(name)
        return view(self._data[name])


class Rows:
    """A table of the record: iterable, and its keys project over the rows
    (`indicators.extra.weight` is that column)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = [view(item) for item in items]

    def __getattr__(self, name: str) -> Rows:
        if name.startswith("_"):
            raise AttributeError(name)
        return Rows(getattr(item, name, None) if item is not None else None for item in self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def view(value: Any) -> Any:
    """A record value as expressions see it."""
    if isinstance(value, Mapping):
        return RecordView(value)
    if isinstance(value, list):
        return Rows(value)
    return value


def _values(values: Any) -> list[Any]:
    return [v for v in (values if isinstance(values, Rows | list | tuple) else [values]) if v is not None and v != ""]


def _sum(values: Any) -> Any:
    filled = _values(values)
    return sum(filled, Decimal(0)) if filled else Decimal(0)


def _count(values: Any) -> int:
    return len(_values(values))


def _blank(value: Any) -> bool:
    return value is None or value == "" or isinstance(value, jinja2.Undefined)


def _strict(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        try:
            return function(*args)
        except TypeError:
            raise Blank from None

    return call


class DecimalLiterals(Extension):
    """A number written with a decimal point (0.2, 1.1) is a Decimal, as money is: the lexer's
    float becomes a call dec("0.2"), so 0.1 + 0.2 == 0.3 holds and money compares to the cent."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        """The tokens, each float one as dec("…")."""
        for token in stream:
            if token.type == TOKEN_FLOAT:
                line = token.lineno
                yield Token(line, TOKEN_NAME, "dec")
                yield Token(line, TOKEN_LPAREN, "(")
                yield Token(line, TOKEN_STRING, repr(token.value))
                yield Token(line, TOKEN_RPAREN, ")")
            else:
                yield token


@functools.cache
def environment() -> SandboxedEnvironment:
    """The sandbox the expressions and their messages are compiled in."""
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, extensions=[DecimalLiterals])
    env.globals.clear()
    env.globals.update(
        sum=_sum,
        count=_count,
        len=_strict(len),
        min=_strict(lambda *a: min(_values(a[0]) if len(a) == 1 else a)),
        max=_strict(lambda *a: max(_values(a[0]) if len(a) == 1 else a)),
        abs=_strict(abs),
        round=_strict(lambda value, digits=0: round(value, digits)),
        blank=_blank,
        dec=Decimal,
    )
    return env


def compile_check(source: str) -> Callable[..., Any]:
    """The compiled expression; jinja2.TemplateSyntaxError where it does not parse."""
    return environment().compile_expression(source, undefined_to_none=False)


def decide(check: Callable[..., Any], context: Mapping[str, Any]) -> bool | None:
    """True or False, or None where a blank (or a division by zero) leaves it undecided."""
    try:
        value = check(**context)
    except (Blank, TypeError, AttributeError, jinja2.UndefinedError, SecurityError, ArithmeticError):
        return None  # a blank, a division by zero; a key refused by the sandbox (loading refuses it first)
    if value is None or isinstance(value, jinja2.Undefined):
        return None
    return bool(value)


def render_message(source: str, context: Mapping[str, Any]) -> str:
    """A rule's message with its {{ }} placeholders filled ("—" where a value is blank)."""
    try:
        return environment().from_string(source).render(**context)
    except (jinja2.TemplateError, Blank, TypeError, ArithmeticError):
        return source


def paths_in(source: str) -> list[str]:
    """The dotted record paths an expression names: funds.annual.total, row.extra.score,
    indicators.extra.weight (a function's name is not one)."""
    tree = environment().parse("{{ " + source + " }}")
    found: list[str] = []
    called = {id(call.node) for call in tree.find_all(nodes.Call)}
    chains = {id(getattr_node.node) for getattr_node in tree.find_all(nodes.Getattr)}
    for node in tree.find_all(nodes.Getattr):
        if id(node) in chains:
            continue  # a longer chain holds it
        parts: list[str] = []
        inner: nodes.Node = node
        while isinstance(inner, nodes.Getattr):
            parts.insert(0, inner.attr)
            inner = inner.node
        if isinstance(inner, nodes.Name):
            found.append(".".join([inner.name, *parts]))
    for name in tree.find_all(nodes.Name):
        if id(name) not in chains and id(name) not in called and name.ctx == "load":
            found.append(name.name)
    return found


def typed(value: Any, kind: ValueType) -> Any:
    """A record value as an expression computes with it: money, percent and integers as Decimal."""
    if value is None or kind not in NUMERIC:
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value


def record_paths(form: str, field_types: Mapping[str, ValueType]) -> set[str]:
    """Every dotted path a form-level expression may name (and each of its prefixes)."""
    paths: set[str] = set()

    def walk(prefix: str, value: Any) -> None:
        paths.add(prefix)
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)

    for key, value in blank_record(form).items():
        walk(key, value)
    for key in field_types:
        parts = key.split(".")
        paths.update(".".join(parts[: n + 1]) for n in range(len(parts)))
    paths.add("extra")
    return paths


def row_paths(column_types: Mapping[str, ValueType], *, indicators: bool) -> set[str]:
    """Every dotted path `row.` (or a table's projection) may name in one row of a table."""
    paths: set[str] = set()
    for key in column_types:
        parts = key.split(".")
        paths.update(".".join(parts[: n + 1]) for n in range(len(parts)))
    if indicators:
        paths.add("parsed")
        paths.update(f"parsed.{key}" for key in PARSED_KEYS)
    paths.add("extra")
    return paths


def typed_record(record: dict[str, Any], template: Template) -> dict[str, Any]:
    """A copy of the record whose money, percent and integer values are Decimal, as rules compute."""
    values = copy.deepcopy(record)
    for key, kind in template.field_types().items():
        parent = get_path(values, key.rsplit(".", 1)[0]) if "." in key else values
        last = key.rsplit(".", 1)[-1]
        if isinstance(parent, dict) and last in parent:
            parent[last] = typed(parent[last], kind)
    for block in template.tables():
        numeric = {key: kind for key, kind in template.column_types(block.table).items() if kind in NUMERIC}
        for row in values.get(block.table) or []:
            if not isinstance(row, dict):
                continue
            for key, kind in numeric.items():
                parent = get_path(row, key.rsplit(".", 1)[0]) if "." in key else row
                last = key.rsplit(".", 1)[-1]
                if isinstance(parent, dict) and last in parent:
                    parent[last] = typed(parent[last], kind)
            parsed = row.get("parsed")
            if isinstance(parsed, dict) and isinstance(parsed.get("number"), str):
                with suppress(InvalidOperation):  # a number the parser kept as written stays text
                    parsed["number"] = Decimal(parsed["number"])
    return values


def computed_value(place: FieldPlace | StaticPlace, values: dict[str, Any]) -> Any:
    """A computed cell's value in the record's form (money as a yuan string, percent as a percent
    string, integers as int), from the typed record `values`; None where its inputs are blank."""
    if place.formula is None:
        return None
    check = compile_check(place.formula)
    try:
        result = check(**{key: view(value) for key, value in values.items()})
    except Exception:
        return None
    if result is None or isinstance(result, bool):
        return None
    try:
        amount = Decimal(str(result))
    except ArithmeticError:
        return None
    if place.type is ValueType.integer:
        return int(amount.to_integral_value())
    if place.type is ValueType.money:
        return f"{amount.quantize(Decimal('0.01'))}"
    if place.type is ValueType.percent:
        return format(amount.quantize(Decimal("0.01")).normalize(), "f")
    if place.type is ValueType.number:
        return record_number(amount.quantize(Decimal("0.01")))
    return format(amount.normalize(), "f")
