"""Small valid records for tests, built in code so each test states what it needs."""

from __future__ import annotations

from typing import Any

SOURCE = {"id": "s1", "citation": "Test source, 2025.", "date": "2025-02-26"}


def make_record(**fields: Any) -> dict[str, Any]:
    """A minimal valid record; keyword arguments override or add fields."""
    record: dict[str, Any] = {
        "type": "school",
        "title": "Test school",
        "sources": [dict(SOURCE)],
        "conditions": [{"status": "destroyed", "date": "1992", "sources": ["s1"]}],
    }
    record.update(fields)
    return record
