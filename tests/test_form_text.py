"""A form's texts are rendered as jinja2 renders them, whether put together directly (a text of
literal pieces and names) or rendered by jinja2; what jinja2 refuses is still refused."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlsxkit.template.layout import compile_layout
from xlsxkit.template.load import builtin_templates
from xlsxkit.write import form_text
from xlsxkit.write.form_text import render_text


def builtin_texts() -> list[str]:
    """Every text with a jinja2 part in the built-in templates: titles, sheet and file names,
    instructions, the forms' static texts."""
    texts: set[str] = set()
    for template in builtin_templates():
        texts.update(t for t in (template.title, template.sheet_name, template.instructions, template.file_name) if t)
        texts.update(static.text for static in compile_layout(template).sheet().statics)
    return sorted(t for t in texts if "{" in t)


TEXTS = builtin_texts()
EXTRA = [
    "{{ record.items }}",  # the key, where the record has it (else the dict's method, as jinja2 has it)
    "{{ unit.values }}{{ unit.get }}",  # roster columns named like a dict's methods
    "{{ unit._secret }}",  # refused by the sandbox
    "{{ missing }}",
    "{{ unit.code }}{{ unit.missing }}",
    "{{ range }}",  # a jinja2 global, not in the context
    "前{{ year }}\n后\n",  # a last line break jinja2 drops
    "a\r\nb {{ year }}",
]
VALUE = (
    st.none()
    | st.text(max_size=8)
    | st.integers(-5, 3000)
    | st.booleans()
    | st.floats(allow_nan=False, width=32)
    | st.just(jinja2.Undefined())
)
CONTEXT = st.fixed_dictionaries(
    {
        "year": VALUE,
        "unit": st.fixed_dictionaries({"code": VALUE, "name": VALUE}, optional={"values": VALUE, "get": VALUE}) | VALUE,
        "index": VALUE,
        "money_unit": VALUE,
        "month": VALUE,
        "title": VALUE,
        "project": st.fixed_dictionaries({"name": VALUE}, optional={"period_years": VALUE}),
        "record": st.fixed_dictionaries({"items": VALUE}),
    },
    optional={"as_of": VALUE},
)


def by_jinja2(source: str, context: dict[str, Any]) -> str | type[Exception]:
    try:
        return form_text._ENV.from_string(source).render(context)
    except Exception as error:  # what jinja2 says of it, compared below
        return type(error)


def by_render_text(source: str, context: dict[str, Any]) -> str | type[Exception]:
    try:
        return render_text(source, context)
    except Exception as error:
        return type(error)


def test_most_builtin_texts_are_put_together_without_jinja2():
    quick = [text for text in TEXTS if form_text._pieces(text) is not None]
    assert "{{ unit.code }} {{ unit.name }}" in quick and len(quick) * 2 > len(TEXTS)
    assert form_text._pieces("{% if project.name %}x{% endif %}") is None


@pytest.mark.parametrize("column", ["values", "items", "keys", "get", "copy", "pop", "update"])
@pytest.mark.parametrize("render", [by_render_text, by_jinja2], ids=["put together", "jinja2"])
def test_a_roster_column_named_like_a_dict_method_shows_its_value(column, render):
    """It used to show `<built-in method values of dict object at 0x…>`: a memory address on the form."""
    context = {"unit": {"code": "603001", "name": "甲", column: "一类"}}
    assert render(f"{{{{ unit.name }}}} 分类：{{{{ unit.{column} }}}}", context) == "甲 分类：一类"


@pytest.mark.parametrize("source", TEXTS + EXTRA)
@settings(max_examples=40, deadline=None)
@given(context=CONTEXT)
def test_a_text_renders_as_jinja2_renders_it(source, context):
    assert by_render_text(source, context) == by_jinja2(source, context)
