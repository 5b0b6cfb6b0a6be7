"""xlsxkit's command line: thin typer commands that parse, call the library, and report.

`app` holds every command; the modules below register them in the order `--help` lists them."""

from xlsxkit.cli import (  # noqa: F401  (imported to register their commands)
    collect_commands,
    generate_commands,
    office_commands,
    read_commands,
    review_commands,
    template_commands,
)
from xlsxkit.cli.app import app


def main() -> None:
    """The `xlsxkit` command."""
    app()


__all__ = ["app", "main"]
