"""Find and load templates: YAML → validated `Template`, or every problem as file:line.

Stages (as pyxform does it): text → plain data with line map (yaml_source) → pydantic
model (template) → semantic checks (checks) → Template. Nothing here touches a workbook.
"""

from __future__ import annotations

import copy
import functools
import re
import stat
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from xlsxkit.form.errors import Code, Problem, TemplateError, did_you_mean
from xlsxkit.template.checks import check_template
from xlsxkit.template.model import Template
from xlsxkit.template.yaml_source import YamlSource, format_path, load_yaml

TEMPLATE_ID = re.compile(r"[a-z][a-z0-9-]*")  # as template.py requires of an id


def parse_template(text: str, name: str) -> Template:
    """A Template from YAML text; raises TemplateError listing every problem with file:line."""
    source, problems = load_yaml(text, name)
    if source is None:
        raise TemplateError(problems)
    if not isinstance(source.data, dict):
        raise TemplateError([Problem(Code.T_WRONG_TYPE, f"{name}:1", {"detail": "模板须为“键: 值”的映射"}, line=1)])
    try:
        template = Template.model_validate(source.data)
    except ValidationError as error:
        problems += [_problem_from_pydantic(item, source) for item in error.errors()]
        # All problems at once: if the shape errors are only unknown keys and bad values of
        # optional keys, check the rest without them, so a misspelt key does not hide an
        # unknown field or level name elsewhere in the file.
        repaired = _without_bad_keys(source.data, error)
        if repaired is not None:
            problems += _semantic_problems(repaired, source)
        raise TemplateError(_in_file_order(problems)) from None
    problems += _semantic_problems(template, source)
    if problems:
        raise TemplateError(_in_file_order(problems))
    return template


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Problems sorted by line (stable, so those on one line keep the order they were found)."""

    return sorted(problems, key=lambda problem: problem.line or 0)


def _semantic_problems(template: Template, source: YamlSource) -> list[Problem]:
    return [source.problem(code, path, details) for code, path, details in check_template(template)]


def _without_bad_keys(data: dict[str, Any], error: ValidationError) -> Template | None:
    """The template that remains when every key pydantic objected to is deleted, or None when
    that is no template (a required key would be missing, or a list item is wrong: deleting
    it would shift the indices the key paths of later problems use)."""
    data = copy.deepcopy(data)
    for item in error.errors():
        path, _ = _data_path(item["loc"])
        if item["type"] == "missing" or not path or not isinstance(path[-1], str):
            return None
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        if not isinstance(parent, dict):
            return None
        parent.pop(path[-1], None)
    try:
        return Template.model_validate(data)
    except ValidationError:
        return None


def load_template(path: Path) -> Template:
    """The template in a YAML file, checked (cached by path and modification time); TemplateError
    lists every problem as file:line."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise TemplateError([Problem(Code.T_NOT_FOUND, str(path), {"name": str(path), "suggestion": ""})]) from None
    except OSError as error:
        raise TemplateError([_unreadable(str(path), error.strerror or str(error))]) from None
    if stat.S_ISDIR(info.st_mode):
        raise TemplateError([_unreadable(str(path), "这是一个文件夹")])
    return _load_cached(str(path.resolve()), info.st_mtime_ns, str(path))


@functools.lru_cache(maxsize=64)
def _load_cached(resolved: str, _mtime_ns: int, shown: str) -> Template:
    """Parsed once per path and modification time (the time is only part of the cache key)."""
    try:
        data = Path(resolved).read_bytes()
    except OSError as error:
        raise TemplateError([_unreadable(shown, error.strerror or str(error))]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise TemplateError([Problem(Code.T_ENCODING, f"{shown}:{line}", {"line": line}, line=line)]) from None
    return parse_template(text, shown)


def _unreadable(name: str, detail: str) -> Problem:
    return Problem(Code.T_UNREADABLE, name, {"name": name, "detail": detail})


@functools.cache
def builtin_template_dir() -> Path:
    """`templates/` of a checkout, or the copy installed as the package xlsxkit.templates (found
    once per process: where the package lies does not change while it runs)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "templates").is_dir():
        return root / "templates"
    return Path(str(resources.files("xlsxkit"))).resolve() / "templates"


def builtin_templates() -> list[Template]:
    """Every built-in template, by file name."""
    return [load_template(path) for path in sorted(builtin_template_dir().glob("*.yaml"))]


def builtin_template(template_id: str) -> Template | None:
    """The built-in template with this id, or None. Only a plain id is looked up (an id read from
    a returned workbook is untrusted: no path may reach outside templates/)."""
    if not TEMPLATE_ID.fullmatch(template_id):
        return None
    path = builtin_template_dir() / f"{template_id}.yaml"  # (the folder is resolved: one stat per return read)
    try:
        info = path.stat()
    except OSError:
        return None
    return _load_cached(str(path), info.st_mtime_ns, str(path)) if stat.S_ISREG(info.st_mode) else None


def find_template(name: str) -> Template:
    """A built-in template by id, or a template file by path."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return load_template(path)  # (a path that is missing or no file: T070, T071)
    builtin = builtin_template(name)
    if builtin is not None:
        return builtin
    known = [p.stem for p in builtin_template_dir().glob("*.yaml")]
    raise TemplateError([Problem(Code.T_NOT_FOUND, name, {"name": name, "suggestion": did_you_mean(name, known)})])


# --- pydantic errors → catalogued problems -------------------------------------------------

_TYPE_WORDS = {
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "list_type": "应为列表（- 开头的各项）",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "tuple_type": "应为列表",
    "too_short": "项数太少",
    "too_long": "项数太多",
}


def _problem_from_pydantic(item: ErrorDetails, source: YamlSource) -> Problem:
    path, allowed = _data_path(item["loc"])
    kind = item["type"]
    ctx = item.get("ctx") or {}
    if kind == "extra_forbidden":
        key = path[-1]
        return source.problem(
            Code.T_UNKNOWN_KEY,
            path,
            {
                "key": format_path(path),
                "suggestion": did_you_mean(str(key), allowed),
            },
        )
    if kind == "missing" and path and isinstance(path[-1], int):  # a short pair, e.g. skeleton: [产出指标]
        detail = f"{format_path(path[:-1])} 缺少第 {path[-1] + 1} 项"
        return source.problem(Code.T_WRONG_TYPE, path[:-1], {"detail": detail})
    if kind == "missing":
        return source.problem(Code.T_MISSING_KEY, path[:-1], {"key": format_path(path)})
    if kind == "cell_kinds":
        kinds = ctx.get("kinds") or []
        found = f"有 {'、'.join(kinds)}" if kinds else "三者都没有"
        return source.problem(Code.T_CELL_KINDS, path, {"found": found})
    if kind == "field_only":
        keys = list(ctx.get("keys") or [])
        return source.problem(Code.T_FIELD_ONLY_KEYS, (*path, *keys[:1]), {"keys": "、".join(keys)})
    return source.problem(Code.T_WRONG_TYPE, path, {"detail": f"{format_path(path)} {_detail(item)}"})


def _shown(value: Any) -> str:
    """A YAML value as the user wrote it, for "现为 …"."""
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"“{value}”"
    return repr(value)


def _detail(item: ErrorDetails) -> str:
    ctx = item.get("ctx") or {}
    kind = item["type"]
    now = f"（现为 {_shown(item.get('input'))}）"
    if kind in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        suggestion = did_you_mean(str(item.get("input")), choices) if isinstance(item.get("input"), str) else ""
        return f"应为以下之一：{'、'.join(choices)}{now}{suggestion}"
    if kind == "string_too_short":
        return f"不能为空{now}" if ctx.get("min_length") == 1 else f"应至少有 {ctx.get('min_length')} 个字{now}"
    if kind == "string_pattern_mismatch":
        return f"不符合格式 {ctx.get('pattern')}{now}"
    if kind in ("too_short", "too_long"):
        word = "至少" if kind == "too_short" else "至多"
        bound = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"应{word}有 {bound} 项（现有 {ctx.get('actual_length')} 项）"
    for bound, word in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
        if bound in ctx:
            return f"应 {word} {ctx[bound]}{now}"
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    type_word = _TYPE_WORDS.get(kind)
    return f"{type_word}{now}" if type_word else item["msg"]


def _data_path(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str]]:
    """The path in the YAML data for a pydantic error location, and the keys allowed at its
    last step. Tagged unions put their tag into `loc`; it is no part of the data path."""
    path: list[Any] = []
    allowed: list[str] = []
    annotation: Any = Template
    parts = list(loc)
    while parts:
        annotation, union = _unwrap(annotation)
        if union:
            tag = parts.pop(0)
            annotation = union.get(tag, annotation)
            continue
        part = parts.pop(0)
        path.append(part)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            allowed = list(annotation.model_fields)
            field = annotation.model_fields.get(part)
            annotation = field.annotation if field else None
        elif typing.get_origin(annotation) in (list, tuple, dict):
            args = typing.get_args(annotation)
            annotation = args[-1] if args else None
        else:
            annotation = None
    return tuple(path), allowed


def _unwrap(annotation: Any) -> tuple[Any, dict[str, Any] | None]:
    """Strip Annotated and Optional; a tagged union of models gives {tag: model}."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
        tagged: dict[str, Any] = {}
        for member in members:
            tag = next((m.tag for m in getattr(member, "__metadata__", ()) if hasattr(m, "tag")), None)
            if tag is not None:
                tagged[tag] = typing.get_args(member)[0]
        if tagged:
            return annotation, tagged
    return annotation, None
