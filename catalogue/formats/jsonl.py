"""JSON Lines, this catalogue's own lossless format: one record as a JSON object per line,
written by exports and read back by imports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import CatalogueError


def jsonl_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON object per line, keys sorted, UTF-8 text kept as is."""
    for record in records:
        yield json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def read_line(line: str) -> Any:
    """The value one (non-blank) line holds, or a CatalogueError saying why it is not JSON,
    so a reader reports a bad line and goes on with the rest."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        return CatalogueError(f"not valid JSON: {error.msg} at column {error.colno}")
    except RecursionError:
        return CatalogueError("not valid JSON: lists and objects nest too deeply")
