"""The texts of a form rendered with jinja2: titles, labels, sheet and file names, instructions —
each compiled once, in a sandbox, with every name it uses defined (StrictUndefined); and what a
template's texts may name, for one unit and for one form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from xlsxkit.template.model import Template

_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, finalize=lambda v: "" if v is None else v, autoescape=False
)
_COMPILED: dict[str, jinja2.Template] = {}


def render_text(source: str, context: dict[str, Any]) -> str:
    """Render a template text (title, labels, file names) with jinja2, compiled once."""
    if "{" not in source:
        return source
    compiled = _COMPILED.get(source)
    if compiled is None:
        compiled = _COMPILED[source] = _ENV.from_string(source)
    return compiled.render(context)


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
