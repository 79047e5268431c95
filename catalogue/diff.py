"""Field-level differences between two revisions of a record, for the history page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .records import SYSTEM_FIELDS


@dataclass(frozen=True)
class Change:
    """One field that differs: its path (``conditions[0].status``) and both values."""

    path: str
    old: Any
    new: Any

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        return "removed" if self.new is None else "changed"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf values of nested dicts and lists keyed by their path."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    """What changed from `old` to `new` (every field is added when `old` is None)."""
    before = flatten({k: v for k, v in (old or {}).items() if k not in SYSTEM_FIELDS})
    after = flatten({k: v for k, v in new.items() if k not in SYSTEM_FIELDS})
    return [Change(path, before.get(path), after.get(path))
            for path in sorted(before.keys() | after.keys()) if before.get(path) != after.get(path)]
