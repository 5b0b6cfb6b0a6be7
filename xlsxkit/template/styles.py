"""Cell styles: the built-in named styles, a template's overrides, the number format each
value type implies. Produces format properties as plain data (xlsxwriter's names); the writer's
`FormatCache` (write/formats.py) makes each distinct format once per workbook."""

from __future__ import annotations

from typing import Any

from xlsxkit.form.record import ValueType
from xlsxkit.template.model import Style, Template

INPUT_FILL = "#FFF9E0"  # pale yellow: input cells are obvious on screen; printed in black and white
COPIED_FILL = "#E4ECF7"  # pale blue: copied from the approved targets, locked

BUILTIN_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "size_delta": 6, "align": "center", "valign": "vcenter", "border": 0},
    "text": {"align": "left", "valign": "vcenter", "wrap": True, "border": 0},
    "text_right": {"align": "right", "valign": "vcenter", "border": 0},
    "label": {"align": "center", "valign": "vcenter", "wrap": True, "border": 1},
    "label_left": {"align": "left", "valign": "vcenter", "wrap": True, "border": 1},
    "label_vertical": {"align": "center", "valign": "vcenter", "border": 1, "vertical": True},
    "header": {"bold": True, "align": "center", "valign": "vcenter", "wrap": True, "border": 1},
    "input": {"align": "left", "valign": "vcenter", "wrap": True, "border": 1, "fill": INPUT_FILL},
    "input_center": {"align": "center", "valign": "vcenter", "wrap": True, "border": 1, "fill": INPUT_FILL},
    "input_long": {"align": "left", "valign": "top", "wrap": True, "border": 1, "fill": INPUT_FILL},
    "copied": {"align": "left", "valign": "vcenter", "wrap": True, "border": 1, "fill": COPIED_FILL},
    "instructions": {"align": "left", "valign": "top", "wrap": True, "border": 0},
    "stamp": {"border": 0},
}

NUMBER_FORMATS: dict[ValueType, str] = {
    ValueType.money: "#,##0.00",
    ValueType.percent: "0%",
    ValueType.integer: "0",
    ValueType.date: "yyyy-mm-dd",
    ValueType.text: "@",
    ValueType.choice: "@",
    ValueType.coded_name: "@",
    ValueType.number: "General",
    ValueType.choices: "@",
}

CHARSET_GB2312 = 134


def style_properties(
    template: Template,
    name: str,
    value_type: ValueType | None,
    locked: bool,
    *,
    number_format: str | None = None,
) -> dict[str, Any]:
    """xlsxwriter format properties of a named style, with the template's overrides."""
    base = dict(BUILTIN_STYLES.get(name, BUILTIN_STYLES["text"]))
    override: Style | None = template.styles.get(name)
    if override is not None:
        base.update({k: v for k, v in override.model_dump().items() if v is not None})
    size = base.pop("size", None) or template.font.size + base.pop("size_delta", 0)
    base.pop("size_delta", None)
    properties: dict[str, Any] = {
        "font_name": base.pop("font", None) or template.font.name,
        "font_size": size,
        "font_charset": CHARSET_GB2312,
        "locked": locked,
    }
    fill = base.pop("fill", None)
    if fill:
        properties["bg_color"] = fill
        properties["pattern"] = 1
    for key in ("bold", "align", "valign", "border"):
        if base.get(key):
            properties[key] = base[key]
    if base.get("wrap"):
        properties["text_wrap"] = True
    if base.get("vertical"):
        properties["rotation"] = 270  # xlsx "stacked" text, one character under the other
    if number_format is not None:
        properties["num_format"] = number_format
    elif value_type is not None:
        properties["num_format"] = NUMBER_FORMATS[value_type]
    return properties
