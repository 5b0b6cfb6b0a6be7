"""Commands about templates: list the built-in ones, print the schema, check a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from xlsxkit.cli.app import (
    app,
    fail,
)
from xlsxkit.form.errors import XlsxkitError


@app.command()
def templates(as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False) -> None:
    """List the built-in templates: id, version, title."""
    from xlsxkit.template.load import builtin_templates

    rows = [{"id": t.id, "version": t.version, "form": t.form, "title": t.name} for t in builtin_templates()]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:<22} {row['version']:<8} {row['title']}")


@app.command()
def schema(
    record: Annotated[
        str | None,
        typer.Option("--record", help="A template (id or YAML file): the JSON Schema of its records instead."),
    ] = None,
) -> None:
    """Print the JSON Schema of the template language, or of one template's records."""
    from xlsxkit.template.load import find_template
    from xlsxkit.template.model import template_schema
    from xlsxkit.template.record_schema import record_schema

    if record is None:
        typer.echo(json.dumps(template_schema(), ensure_ascii=False, indent=2))
        return
    try:
        chosen = find_template(record)
    except XlsxkitError as error:
        raise fail(error) from None
    typer.echo(json.dumps(record_schema(chosen), ensure_ascii=False, indent=2))


@app.command("check-template")
def check_template(path: Annotated[Path, typer.Argument(help="A template YAML file.")]) -> None:
    """Check a template file; list every problem as file:line."""
    from xlsxkit.template.load import load_template

    try:
        template = load_template(path)
    except XlsxkitError as error:
        raise fail(error) from None
    typer.echo(f"{path}: ok ({template.id} {template.version})")
