"""The units of a collection as a tree: a roster may name each unit's parent (`parent`,
上级单位代码), so that a county office and the units below it form a subtree of the city's
collection. Summaries list units depth first (a sub-office, then the units below it, each level
in code order: in code order throughout where no unit has a parent) and close each sub-office's
subtree with its 小计; 分级填报情况 and `status` count each sub-office's units."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from xlsxkit.cycle.status import Standing, UnitStatus


@dataclass(frozen=True)
class UnitTree:
    """Which unit is under which: every roster unit's parent (None at the top), by code."""

    names: dict[str, str]
    parents: dict[str, str | None]
    _children: dict[str | None, list[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, units: Iterable[dict[str, str]], parents: dict[str, str | None] | None = None) -> UnitTree:
        """The tree of roster units; a parent not on the roster, or one that would make a cycle,
        leaves its unit at the top (the roster reader reports both)."""
        names = {str(u["code"]): str(u["name"]) for u in units}
        given = {code: (parents or {}).get(code) for code in names}
        checked: dict[str, str | None] = {}
        for code, parent in given.items():
            seen = {code}
            step = parent
            while step is not None and step in names and step not in seen:
                seen.add(step)
                step = given.get(step)
            checked[code] = parent if parent in names and step is None else None
        children: dict[str | None, list[str]] = {}
        for code in sorted(names):
            children.setdefault(checked[code], []).append(code)
        return cls(names, checked, children)

    @property
    def has_levels(self) -> bool:
        """Whether any unit has a parent."""
        return any(parent is not None for parent in self.parents.values())

    def children(self, code: str | None) -> list[str]:
        """The units directly below `code` (None: the top level), in code order."""
        return list(self._children.get(code, []))

    def ancestors(self, code: str) -> list[str]:
        """The units above `code`, the top one first."""
        chain: list[str] = []
        parent = self.parents.get(code)
        while parent is not None:
            chain.insert(0, parent)
            parent = self.parents.get(parent)
        return chain

    def subtree(self, code: str) -> list[str]:
        """`code` and every unit below it, depth first."""
        found = [code]
        for child in self.children(code):
            found += self.subtree(child)
        return found

    def depth_first(self) -> list[str]:
        """Every unit: each top-level unit, then the units below it, level by level in code order."""
        return [code for top in self.children(None) for code in self.subtree(top)]

    def offices(self) -> list[str]:
        """The units with units below them (sub-offices), depth first."""
        return [code for code in self.depth_first() if self.children(code)]

    def level(self, code: str) -> int:
        """1 at the top, 2 below a top unit …"""
        return len(self.ancestors(code)) + 1


@dataclass(frozen=True)
class LevelCount:
    """How a sub-office's units stand: those below it (at any depth), how many sent a return, were
    approved, have errors, are missing, came late."""

    code: str
    name: str
    level: int
    units: int
    returned: int
    approved: int
    errors: int
    missing: int
    late: int


def count_levels(tree: UnitTree, statuses: Iterable[UnitStatus]) -> list[LevelCount]:
    """A count per sub-office of the tree (depth first)."""
    by_code = {status.code: status for status in statuses}
    counts = []
    for office in tree.offices():
        below = [by_code[code] for code in tree.subtree(office)[1:] if code in by_code]
        standings = [status.standing for status in below]
        counts.append(
            LevelCount(
                code=office,
                name=tree.names.get(office, ""),
                level=tree.level(office),
                units=len(below),
                returned=sum(1 for s in standings if s is not Standing.missing),
                approved=standings.count(Standing.approved),
                errors=standings.count(Standing.errors),
                missing=standings.count(Standing.missing),
                late=sum(1 for status in below if status.late),
            )
        )
    return counts
