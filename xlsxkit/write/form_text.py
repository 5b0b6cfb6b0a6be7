"""The texts of a form rendered with jinja2: titles, labels, sheet and file names, instructions —
each compiled once, in a sandbox, with every name it uses defined (StrictUndefined); and what a
template's texts may name, for one unit and for one form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from xlsxkit.template.model import Template


class _FormEnvironment(SandboxedEnvironment):
    """jinja2's sandbox, where a dict's key wins over the dict's own methods: a roster column named
    `values` (or `items`, `get` …) is `{{ unit.values }}`, not `<built-in method values of dict …>`."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`obj.attribute` in a text: the key of a dict that has it, else as jinja2 looks it up."""
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_ENV = _FormEnvironment(undefined=jinja2.StrictUndefined, finalize=lambda v: "" if v is None else v, autoescape=False)
_COMPILED: dict[str, jinja2.Template] = {}
# A text that is nothing but literal pieces and names ("{{ unit.code }} {{ unit.name }}",
# "（{{ year }}年度）": most of them) → its pieces, a name as its dotted path; None for any other.
_PIECES: dict[str, tuple[str | tuple[str, ...], ...] | None] = {}


def render_text(source: str, context: dict[str, Any]) -> str:
    """Render a template text (title, labels, file names) with jinja2, compiled once. A text of
    literal pieces and names whose values are text, whole numbers or nothing is put together
    here, as jinja2 would (its sandboxed render costs ~10 µs, a form has a dozen such texts)."""
    if "{" not in source:
        return source
    if source not in _PIECES:
        _PIECES[source] = _pieces(source)
    pieces = _PIECES[source]
    if pieces is not None:
        shown = _put_together(pieces, context)
        if shown is not None:
            return shown
    compiled = _COMPILED.get(source)
    if compiled is None:
        compiled = _COMPILED[source] = _ENV.from_string(source)
    return compiled.render(context)


def _pieces(source: str) -> tuple[str | tuple[str, ...], ...] | None:
    """The text's literal pieces and dotted names, or None where it holds anything else."""
    try:
        body = _ENV.parse(source).body
    except jinja2.TemplateSyntaxError:
        return None  # said when it is compiled
    if len(body) != 1 or not isinstance(body[0], nodes.Output):
        return None
    pieces: list[str | tuple[str, ...]] = []
    for node in body[0].nodes:
        if isinstance(node, nodes.TemplateData):
            pieces.append(node.data)
            continue
        path: list[str] = []
        while isinstance(node, nodes.Getattr) and not node.attr.startswith("_"):
            path.append(node.attr)
            node = node.node
        if not isinstance(node, nodes.Name):
            return None
        pieces.append((node.name, *reversed(path)))
    return tuple(pieces)


def _put_together(pieces: tuple[str | tuple[str, ...], ...], context: dict[str, Any]) -> str | None:
    """The pieces with each name's value, or None where a value is anything but text, a whole
    number or None, or a name is missing (jinja2 then renders it, or says what is wrong)."""
    shown: list[str] = []
    for piece in pieces:
        if type(piece) is str:
            shown.append(piece)
            continue
        value: Any = context
        for key in piece:
            if type(value) is not dict or key not in value:
                return None
            value = value[key]
        if value is None:
            shown.append("")
        elif type(value) is str or type(value) is int:
            shown.append(str(value))
        else:
            return None
    return "".join(shown)


def unit_context(template: Template, *, year: Any, unit: Mapping[str, Any], as_of: str = "") -> dict[str, Any]:
    """What a template's texts (title, sheet name, instructions, file name) may name, for one unit:
    year, unit, money_unit, template; and for a monitoring form, as_of ("2026-07") and month (7)."""
    return {
        "year": year,
        "unit": unit,
        "as_of": as_of or None,
        "month": int(as_of[5:7]) if as_of else None,
        "money_unit": str(template.money_unit or ""),
        "template": {"id": template.id, "version": template.version, "name": template.name},
    }


def form_context(base: dict[str, Any], template: Template, *, index: int, record: Mapping[str, Any]) -> dict[str, Any]:
    """The context of one form: its unit's (`unit_context`), with the form's number, project and
    record, and its title rendered."""
    context = {**base, "index": index, "project": record.get("project") or {}, "record": record}
    context["title"] = render_text(template.title, context)
    return context
