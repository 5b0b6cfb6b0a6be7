"""Load YAML keeping the line of every key path, so errors can say file:line.

PyYAML's composer gives nodes with marks; we build plain data and a map from key path
(a tuple such as ("body", 2, "cells", 1, "field")) to its 1-based line in one walk.
Duplicate keys, which PyYAML silently overwrites, are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from xlsxkit.form.errors import Code, Problem

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
        """ "templates/x.yaml:12 body[2].cells[1]": the file, the line and the key path."""
        return f"{self.name}:{self.line_of(path)} {format_path(path)}".rstrip()

    def problem(self, code: Code, path: Path_, details: dict[str, Any] | None = None) -> Problem:
        """A problem at `path` of this file, carrying its line."""
        return Problem(code, self.where(path), details or {}, line=self.line_of(path))


def format_path(path: Path_) -> str:
    """A key path as written in messages: body[2].cells[1]."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(text: str, name: str) -> tuple[YamlSource | None, list[Problem]]:
    """YAML text as plain data with the line of every key path, or None and the problems (syntax, duplicate keys)."""
    try:
        node = _compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return None, [Problem(Code.T_YAML_SYNTAX, f"{name}:{line}", {"detail": _syntax_detail(error, line)}, line=line)]
    except RecursionError:
        return None, [Problem(Code.T_YAML_SYNTAX, f"{name}:1", {"detail": _TOO_DEEP}, line=1)]
    source = YamlSource(name=name, data=None)
    walk = _Walk(source)
    try:
        source.data = walk.build(node, ()) if node is not None else {}
    except RecursionError:
        return None, [Problem(Code.T_YAML_SYNTAX, f"{name}:1", {"detail": _TOO_DEEP}, line=1)]
    if walk.stopped:  # an alias that cannot be expanded: what was built is no template
        return None, walk.problems
    return source, walk.problems


_TOO_DEEP = "列表或映射嵌套的层数过多"

# libyaml's parser, where PyYAML was built with it: about ten times quicker than PyYAML's own (a
# built-in template: 19 → 2 ms in a fresh process, 12 → 0.8 ms after), with the same nodes and marks.
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> yaml.Node | None:
    """The text's node tree; a text with a mistake is parsed again by PyYAML's own parser, whose
    wording of mistakes _SYNTAX_WORDS knows."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


# PyYAML's wording of the mistakes people make most, in the user's words (prefix → Chinese).
_SYNTAX_WORDS = (
    ("mapping values are not allowed here", "此处不能出现“: ”；值中含有冒号加空格时，请给整个值加引号"),
    ("found character '\\t'", "含有制表符（Tab），请改用空格缩进"),
    ("could not find expected ':'", "找不到应有的冒号“:”"),
    ("expected ',' or ']'", "方括号 [ ] 没有闭合，或各项之间缺少逗号"),
    ("expected ',' or '}'", "花括号 { } 没有闭合，或各项之间缺少逗号"),
    ("expected <block end>", "缩进与上文不一致"),
    ("found unexpected end of stream", "引号没有闭合，直到文件末尾"),
    ("found undefined alias", "引用了未定义的锚点（*名称）"),
)


def _syntax_detail(error: yaml.YAMLError, line: int) -> str:
    problem = str(getattr(error, "problem", None) or error)
    detail = next((words for prefix, words in _SYNTAX_WORDS if problem.startswith(prefix)), problem)
    context = getattr(error, "context_mark", None)
    if context is not None and context.line + 1 != line:
        detail += f"（自第 {context.line + 1} 行开始的部分）"
    return detail


# Values a template may repeat through aliases (*name) in all. The built-in templates use none; a
# "billion laughs" of nine aliases of nine repeats 9⁹ values, which would take minutes to build.
ALIAS_REPEATS = 10_000


@dataclass
class _Walk:
    """One walk of a node tree into plain data: the nodes built so far (an alias is the node of its
    anchor again), the nodes being built (an alias among them is its own ancestor), the problems."""

    source: YamlSource
    problems: list[Problem] = field(default_factory=list)
    built: set[int] = field(default_factory=set)
    open: set[int] = field(default_factory=set)
    repeats: int = 0
    expanding: Path_ | None = None  # the place of the outermost alias being expanded
    stopped: bool = False

    def build(self, node: yaml.Node, path: Path_) -> Any:
        """The plain data of `node` at `path`; None where an alias cannot be expanded."""
        if self.stopped:
            return None
        again = id(node) in self.built  # an alias: the lines within are its anchor's, not this place's
        if again and not self._may_repeat(node, path):
            return None
        if not again:
            self.built.add(id(node))
            self.source.lines.setdefault(path, node.start_mark.line + 1)
        outermost = again and self.expanding is None
        if outermost:
            self.expanding = path
        try:
            if isinstance(node, yaml.MappingNode):
                return self._collection(node, path, self._mapping)
            if isinstance(node, yaml.SequenceNode):
                return self._collection(node, path, self._sequence)
            value = self._scalar(node, path)
            return None if value is _UNUSABLE else value
        finally:
            if outermost:
                self.expanding = None

    def _collection(self, node: Any, path: Path_, build: Callable[[Any, Path_], Any]) -> Any:
        self.open.add(id(node))
        try:
            return build(node, path)
        finally:
            self.open.discard(id(node))

    def _sequence(self, node: yaml.SequenceNode, path: Path_) -> list[Any]:
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def _may_repeat(self, node: yaml.Node, path: Path_) -> bool:
        """Whether an alias's node may be built again here: not inside itself (it would never
        end), and not once too often (ALIAS_REPEATS values repeated in all)."""
        if id(node) in self.open:
            self._alias_problem(path, "引用了包含它自己的内容，会无限展开")
            return False
        self.repeats += 1
        if self.repeats > ALIAS_REPEATS:
            self._alias_problem(self.expanding or path, f"展开后的内容超过 {ALIAS_REPEATS} 项")
            return False
        return True

    def _alias_problem(self, path: Path_, detail: str) -> None:
        self.stopped = True
        self.problems.append(self.source.problem(Code.T_ALIAS, path, {"detail": detail}))

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "列表" if isinstance(key_node, yaml.SequenceNode) else "映射"
                self._wrong(path, line, f"{_within(path)}的键应为文字（现为{kind}）")
                continue
            key = self._scalar(key_node, path)
            if key is _UNUSABLE:
                continue
            child = (*path, key)
            if key in result:
                where = f"{self.source.name}:{line} {format_path(child)}"
                details = {"key": format_path(child), "first": self.source.lines.get(child)}
                self.problems.append(Problem(Code.T_DUPLICATE_KEY, where, details, line=line))
            self.source.lines[child] = line
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        """A scalar's value; _UNUSABLE (and a problem) where its tag is unknown or does not fit (!foo, !!int x)."""
        try:
            return _scalar(node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            line = node.start_mark.line + 1
            self._wrong(path, line, f"{_within(path)}有无法识别的值或标记 {node.tag}")
            return _UNUSABLE

    def _wrong(self, path: Path_, line: int, detail: str) -> None:
        where = f"{self.source.name}:{line} {format_path(path)}".rstrip()
        self.problems.append(Problem(Code.T_WRONG_TYPE, where, {"detail": detail}, line=line))


_UNUSABLE = object()  # a scalar that could not be read (said as a problem)


def _within(path: Path_) -> str:
    return f"{format_path(path)} 中" if path else "模板顶层"


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
