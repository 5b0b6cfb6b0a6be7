"""`xlsxkit schema` prints the JSON Schema of the template language, so editors can check
templates as they are typed: it accepts the real template and refuses its mistakes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from xlsxkit.cli import app

TANGSHAN = Path(__file__).resolve().parent.parent / "templates" / "tangshan.yaml"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture
def tangshan() -> dict[str, Any]:
    return yaml.safe_load(TANGSHAN.read_text(encoding="utf-8"))


def messages(validator: jsonschema.protocols.Validator, data: Any) -> list[str]:
    return [error.message for error in validator.iter_errors(data)]


def test_schema_prints_a_draft_2020_12_json_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert {"id", "version", "name", "title", "columns", "body"} <= set(schema["required"])


def test_every_object_in_the_schema_forbids_unknown_keys(schema: dict[str, Any]) -> None:
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object":
            assert definition.get("additionalProperties") is False, name


def test_the_schema_describes_a_cell(schema: dict[str, Any]) -> None:
    cell = schema["$defs"]["Cell"]
    assert {"text", "label", "field", "span", "rows", "type", "list"} <= set(cell["properties"])
    assert cell["properties"]["span"]["minimum"] == 1
    assert {"required": ["field"]} in cell["oneOf"]


def test_the_schema_accepts_the_real_template(validator: jsonschema.protocols.Validator, tangshan: dict) -> None:
    assert messages(validator, tangshan) == []


@pytest.mark.parametrize("path", sorted(TANGSHAN.parent.glob("*.yaml")), ids=lambda p: p.name)
def test_the_schema_accepts_every_built_in_template(validator: jsonschema.protocols.Validator, path: Path) -> None:
    assert messages(validator, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_the_schema_refuses_an_unknown_top_level_key(validator: jsonschema.protocols.Validator, tangshan: dict) -> None:
    tangshan["projectz"] = 3
    assert messages(validator, tangshan) == ["Additional properties are not allowed ('projectz' was unexpected)"]


def test_the_schema_refuses_an_unknown_key_in_a_cell(validator: jsonschema.protocols.Validator, tangshan: dict) -> None:
    broken = copy.deepcopy(tangshan)
    broken["body"][0]["rows"][2]["cells"][1]["fieldd"] = "project.code"
    error = jsonschema.exceptions.best_match(validator.iter_errors(broken))
    assert list(error.absolute_path)[:2] == ["body", 0]
    assert list(validator.iter_errors(tangshan)) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [("projects", "three"), ("money_unit", "美元"), ("columns", [])],
)
def test_the_schema_refuses_a_wrong_value(
    validator: jsonschema.protocols.Validator, tangshan: dict, key: str, value: Any
) -> None:
    tangshan[key] = value
    errors = list(validator.iter_errors(tangshan))
    assert [list(error.absolute_path) for error in errors] == [[key]]


def test_the_schema_refuses_a_cell_with_two_kinds(validator: jsonschema.protocols.Validator, tangshan: dict) -> None:
    tangshan["body"][0]["rows"][2]["cells"][0]["text"] = "编码"
    assert messages(validator, tangshan) != []


def test_the_schema_describes_warn_above_as_a_number_above_0(schema: dict[str, Any]) -> None:
    bound = schema["$defs"]["Cell"]["properties"]["warn_above"]
    assert {"type": "number", "exclusiveMinimum": 0} in bound["anyOf"]
    assert "money_unit" in bound["description"]


def test_the_schema_accepts_warn_above_on_a_field(validator: jsonschema.protocols.Validator, tangshan: dict) -> None:
    cell = tangshan["body"][0]["rows"][3]["cells"][2]
    assert cell["field"] == "funds.annual.total"
    cell["warn_above"] = 50000
    assert messages(validator, tangshan) == []


@pytest.mark.parametrize("bound", ["50000", 0, True])
def test_the_schema_refuses_a_warn_above_that_is_no_number_above_0(
    validator: jsonschema.protocols.Validator,
    tangshan: dict,
    bound: Any,
) -> None:
    tangshan["body"][0]["rows"][3]["cells"][2]["warn_above"] = bound
    errors = list(validator.iter_errors(tangshan))
    assert errors and all(list(e.absolute_path)[:2] == ["body", 0] for e in errors)
