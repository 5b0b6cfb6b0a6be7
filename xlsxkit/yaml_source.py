"""Load YAML keeping the line of every key path, so errors can say file:line.

PyYAML's composer gives nodes with marks; we build plain data and a map from key path
(a tuple such as ("body", 2, "cells", 1, "field")) to its 1-based line in one walk.
Duplicate keys, which PyYAML silently overwrites, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Code, Problem

Path_ = tuple[str | int, ...]


@dataclass
class YamlSource:
    """Plain data from a YAML text, with the line of every key path in it."""

    name: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1

    def where(self, path: Path_) -> str:
        return f"{self.name}:{self.line_of(path)} {format_path(path)}".rstrip()


def format_path(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(text: str, name: str) -> tuple[YamlSource | None, list[Problem]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        detail = getattr(error, "problem", None) or str(error)
        return None, [Problem(Code.T_YAML_SYNTAX, f"{name}:{line}", {"detail": detail})]
    source = YamlSource(name=name, data=None)
    problems: list[Problem] = []
    source.data = _build(node, (), source, problems) if node is not None else {}
    return source, problems


def _build(node: yaml.Node, path: Path_, source: YamlSource, problems: list[Problem]) -> Any:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            child = (*path, key)
            if key in result:
                problems.append(
                    Problem(Code.T_DUPLICATE_KEY, f"{source.name}:{key_node.start_mark.line + 1}", {"key": format_path(child)})
                )
            source.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(value_node, child, source, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, index), source, problems) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
