"""Differences between two revisions of a record: field by field (`changes`, by path), as
people edit them (`field_changes`: lists of plain values and a geometry whole), and word
by word inside a changed text (`word_diff`)."""

from __future__ import annotations

import difflib
import json
import re
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


#: Values shown whole in a readable diff, however they nest (a geometry is one value).
WHOLE_VALUES = ("place.geometry",)
#: Unchanged words kept on either side of a change in a word diff; longer runs are cut to "…".
CONTEXT_WORDS = 6
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def _readable_leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """Like `flatten`, but a list of plain values (subjects, source ids) and the values of
    `WHOLE_VALUES` stay one value, as a form shows them."""
    if prefix in WHOLE_VALUES:
        return {prefix: value}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_readable_leaves(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        out = {}
        for index, item in enumerate(value):
            out.update(_readable_leaves(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value if value != [] else None}


def field_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    """What changed from `old` to `new`, field by field as people edit them (see
    `_readable_leaves`), in the record's field order."""
    before = _readable_leaves({k: v for k, v in (old or {}).items() if k not in SYSTEM_FIELDS})
    after = _readable_leaves({k: v for k, v in new.items() if k not in SYSTEM_FIELDS})
    paths = list(dict.fromkeys([*after, *before]))
    return [Change(path, before.get(path), after.get(path)) for path in paths if before.get(path) != after.get(path)]


def as_text(value: Any) -> str:
    """A value of a readable diff as text: lists joined by commas, objects as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(as_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def word_diff(old: str, new: str, context: int = CONTEXT_WORDS) -> list[tuple[str, str]]:
    """The words of `old` and `new` as ("equal" | "delete" | "insert", text) pieces, so a page
    can mark what was removed and added inside an edited text. Unchanged runs longer than
    twice `context` words are cut in the middle to "…"."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    codes = matcher.get_opcodes()
    for number, (tag, i1, i2, j1, j2) in enumerate(codes):
        if tag == "equal":
            pieces.append(("equal", _cut("".join(a[i1:i2]), context, number > 0, number < len(codes) - 1)))
            continue
        if i2 > i1:
            pieces.append(("delete", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("insert", "".join(b[j1:j2])))
    return [(kind, text) for kind, text in pieces if text]


def _cut(text: str, context: int, before: bool, after: bool) -> str:
    """An unchanged run with at most `context` words next to each change around it."""
    tokens = _TOKENS.findall(text)
    words = [i for i, token in enumerate(tokens) if not token.isspace()]
    keep_head = context if before else 0
    keep_tail = context if after else 0
    if len(words) <= keep_head + keep_tail + 1:
        return text
    head = "".join(tokens[:words[keep_head - 1] + 1]) if keep_head else ""
    tail = "".join(tokens[words[-keep_tail]:]) if keep_tail else ""
    spacer_before = " " if head else ""
    spacer_after = " " if tail else ""
    return f"{head}{spacer_before}…{spacer_after}{tail}"
