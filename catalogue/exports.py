"""Bulk exports of records, streamed: JSON Lines (lossless, re-importable)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

FORMATS = ("jsonl",)


def jsonl_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON object per line, keys sorted, UTF-8 text kept as is."""
    for record in records:
        yield json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def stream(fmt: str, records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The export of `records` in format `fmt`, as chunks of text."""
    if fmt == "jsonl":
        return jsonl_lines(records)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
