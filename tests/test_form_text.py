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
    "{{ record.items }}",  # the dict's method, in jinja2: never taken as the key
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
        "unit": st.fixed_dictionaries({"code": VALUE, "name": VALUE}) | VALUE,
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
    assert form_text._pieces("{{ record.items }}") is None


@pytest.mark.parametrize("source", TEXTS + EXTRA)
@settings(max_examples=40, deadline=None)
@given(context=CONTEXT)
def test_a_text_renders_as_jinja2_renders_it(source, context):
    assert by_render_text(source, context) == by_jinja2(source, context)
