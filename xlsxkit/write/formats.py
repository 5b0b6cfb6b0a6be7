"""xlsxwriter Formats of a workbook, made once per distinct style (style_properties, template/styles)."""

from __future__ import annotations

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

from xlsxkit.form.record import ValueType
from xlsxkit.template.model import Template
from xlsxkit.template.styles import style_properties

# Workbook options under which nothing a unit or a record wrote becomes a formula, a link or a
# number: every workbook xlsxkit writes is opened with them (and user text goes through write_string).
TEXT_STAYS_TEXT = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


class FormatCache:
    """One xlsxwriter Format per distinct (style, type, locked, number format) in a workbook."""

    def __init__(self, workbook: Workbook, template: Template) -> None:
        self._workbook = workbook
        self._template = template
        self._formats: dict[tuple[str, ValueType | None, bool, str | None], Format] = {}

    def get(
        self,
        name: str,
        value_type: ValueType | None = None,
        locked: bool = True,
        number_format: str | None = None,
    ) -> Format:
        """The Format of a named style for a value type, locked or not, with an optional number format."""
        key = (name, value_type, locked, number_format)
        fmt = self._formats.get(key)
        if fmt is None:
            fmt = self._formats[key] = self._workbook.add_format(
                style_properties(self._template, name, value_type, locked, number_format=number_format)
            )
        return fmt
