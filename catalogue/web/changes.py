"""Changes between two versions of a record as pages show them: each field labelled as the
form labels it, codes by their labels, and the words removed and added inside an edited
text (for the history, pending upstream changes and the edit conflict view)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..diff import as_text, field_changes, word_diff
from .field_labels import VOCABULARIES, field_label, generic, rank
from .site import label


@dataclass(frozen=True)
class ChangeRow:
    """One changed field: its path, its label (None: shown as the path), whether it was
    added, removed or changed, and the change as (equal | delete | insert, text) pieces."""

    path: str
    label: str | None
    kind: str
    words: list[tuple[str, str]]


def shown(path: str, value: Any) -> str:
    """A field's value as a page shows it: a code by its label, lists joined, objects as JSON."""
    vocabulary = VOCABULARIES.get(generic(path))
    if vocabulary and isinstance(value, str):
        return label(vocabulary, value)
    return as_text(value)


def change_rows(old: dict[str, Any] | None, new: dict[str, Any]) -> list[ChangeRow]:
    """The fields that differ from `old` to `new`, ready for a page, in the form's order."""
    rows = []
    for change in sorted(field_changes(old, new), key=lambda c: rank(c.path)):
        before, after = shown(change.path, change.old), shown(change.path, change.new)
        rows.append(ChangeRow(change.path, field_label(change.path), change.kind, word_diff(before, after)))
    return rows
